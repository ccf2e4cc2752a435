"""``make check L=01``: nbgrader validate on one lesson, the verdict the Validate button gives.

Prints nbgrader's own verdict (which test cells fail, with their messages), then the points the
public tests give. Hidden tests run only when your notebook is graded, so full marks here is
necessary, not sufficient. Exit status 0 when every test cell passes.
"""

from __future__ import annotations

import sys
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]


def notebook_of(name: str) -> Path:
    key = name.strip().rstrip("/")
    for folder in sorted((KIT / "lessons").iterdir()):
        if folder.is_dir() and (key == folder.name or key.isdigit() and int(key) == int(folder.name[:2])):
            return folder / f"{folder.name}.ipynb"
    known = ", ".join(p.name for p in sorted((KIT / "lessons").iterdir()) if p.is_dir())
    raise SystemExit(f"unknown lesson {name!r}: use a number (01) or one of {known}")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: make check L=01")
        return 2
    path = notebook_of(argv[0])
    from nbgrader.apps.validateapp import ValidateApp
    from nbgrader.utils import determine_grade, is_grade
    from nbgrader.validator import Validator

    app = ValidateApp()  # loads nbgrader_config.py from the kit's jupyter_config/ like the Validate button
    app.initialize([])
    validator = Validator(config=app.config)
    executed = {}
    run = validator._preprocess

    def keep(nb):
        executed["nb"] = run(nb)
        return executed["nb"]

    validator._preprocess = keep  # the notebook nbgrader executed, to count its points
    print(f"validating {path.relative_to(KIT)} (nbgrader validate)")
    validator.validate_and_print(str(path))
    nb = executed.get("nb")
    if nb is None:  # nbgrader stopped before running it (cells changed type, locked cells edited)
        return 1
    score = total = 0.0
    for cell in nb.cells:
        if is_grade(cell) and cell.cell_type == "code":
            got, most = determine_grade(cell)
            score, total = score + float(got or 0), total + float(most or 0)
    print(f"public tests: {score:g} / {total:g} points")
    return 0 if score == total else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
