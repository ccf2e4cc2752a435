"""The student kit: what a student of lessons 01..NN receives, and nothing of the answer key.

``make student-kit UNTIL=NN`` (``python -m autograder.studentkit --until NN``) writes
``dist/seqnlp-student-NN/`` and ``dist/seqnlp-student-NN.zip``:

* ``lessons/``: the released notebooks of lessons 01..NN (stubs, public tests only);
* ``datasets/``: the course data with ``SHA256SUMS``;
* ``seqnlp/``: the build of the package that holds **no** lesson's answers (lesson 01's build,
  :mod:`autograder.helperbuild`). A kit for lessons 01..NN is used while working on any of them,
  and every file of it is in reach of whoever works on any lesson, so no lesson's answer may be
  in any file. An earlier lesson's helper that a later lesson uses (lesson 03 builds a ``Vocab``)
  comes from the student's own notebook of that earlier lesson instead
  (:func:`seqnlp.exercises.removed_exercise`, switched on by the kit's Makefile);
* ``requirements.txt``, ``environment.yml``: the course's pins;
* ``Makefile`` (``make lab``, ``make check L=01``), ``tools/check.py``, ``jupyter_config/``
  (nbgrader's student extensions only) and a ``README.md``.

:func:`scan` proves the point: no line of any lesson's solutions, hidden tests or mutants
appears in any file of the kit. The kit refuses to be written if one does.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .helperbuild import PACKAGE, lesson_build
from .lessons import LESSONS, LESSONS_DIR, REPO_ROOT, available_lessons, resolve_lesson, source_notebook
from .settings import CELL_TIMEOUT

TEMPLATES = Path(__file__).with_name("kit")
DIST = REPO_ROOT / "dist"
MIN_CHARS = 25  # shorter lines (``return x``, brackets) say nothing about an answer
RESULTS = REPO_ROOT / "benchmarks" / "RESULTS.md"
SUBSTRING_LIMIT = 2**20  # files up to this size are searched for a secret line anywhere in them
TIMEOUT_TOKEN = "CELL_TIMEOUT  # noqa: F821  (written in by `make student-kit`)"


# Lines of an answer (or of a mutant) that the library code every lesson has repeats: idioms, not
# answers (a Dataset's __len__, a constructor's layer, an argument check, seqnlp.ngrams.context_types
# which one mutant of continuation_counts imitates). Reviewed one by one; a new one stops the kit
# until it is reviewed and added here, or taken out of seqnlp.
SHARED_IDIOMS = frozenset({
    "X = sp.csr_matrix(X, dtype=np.float64)",
    "self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)",
    "self.dropout = nn.Dropout(dropout)",
    "for gram, c in counts.items():",
    "return Counter(gram[:-1] for gram, c in counts.items() if c > 0)",
    'if padding not in ("pre", "post") or truncating not in ("pre", "post"):',
    "raise ValueError(f\"padding and truncating must be 'pre' or 'post', not {padding!r} and {truncating!r}\")",
    "return len(self.sequences)",
    "return self.sequences[index], self.labels[index]",
})


class KitError(RuntimeError):
    """The kit cannot be written, or it would hold a line of the answer key."""


# --------------------------------------------------------------------------- what must not be in a kit


def _between(source: str, begin: str, end: str) -> list[str]:
    out, inside = [], False
    for line in source.splitlines():
        if line.strip() == begin:
            inside = True
        elif line.strip() == end:
            inside = False
        elif inside:
            out.append(line)
    return out


def _telling(lines: list[str]) -> set[str]:
    return {line.strip() for line in lines if len("".join(line.split())) >= MIN_CHARS}


def secret_lines(lessons: list[str] | None = None) -> dict[str, set[str]]:
    """``{kind: lines}``: every telling line of the lessons' solutions, hidden tests, mutants, and the
    model answers and rubrics of their written questions (manually graded answer cells)."""
    out: dict[str, set[str]] = {"solution": set(), "hidden test": set(), "mutant": set(), "model answer": set()}
    for lesson in lessons or available_lessons():
        nb = nbformat.read(source_notebook(lesson), as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "markdown" and meta.get("grade") and meta.get("solution"):
                out["model answer"] |= _telling(_between(cell.source, "### BEGIN SOLUTION", "### END SOLUTION"))
            if cell.cell_type != "code":
                continue
            out["solution"] |= _telling(_between(cell.source, "### BEGIN SOLUTION", "### END SOLUTION"))
            out["hidden test"] |= _telling(_between(cell.source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"))
        mutants = source_notebook(lesson).parent / "mutants.py"
        if mutants.is_file():
            body = [line for line in mutants.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
            out["mutant"] |= _telling(body)
    return out


def public_text() -> str:
    """What every student has anyway: the released notebooks (a solution line that equals a line
    of a demo or a public test is not a secret)."""
    texts = []
    for path in sorted(LESSONS_DIR.glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        texts += [cell.source for cell in nb.cells]
    return "\n".join(texts)


@dataclass
class ScanResult:
    files: int = 0
    checked: dict[str, int] = field(default_factory=dict)  # kind -> secret lines looked for
    public: int = 0  # lines left out because a released notebook shows them
    shared: list[tuple[str, str, str]] = field(default_factory=list)  # SHARED_IDIOMS found in seqnlp/
    hits: list[tuple[str, str, str]] = field(default_factory=list)  # (file, kind, line)

    def describe(self) -> str:
        kinds = ", ".join(f"{n} {kind} lines" for kind, n in self.checked.items())
        return (f"scanned {self.files} files for {kinds} ({self.public} more left out: the released notebooks "
                f"show them): {len(self.hits)} found; {len(self.shared)} reviewed idioms of the library code "
                f"(SHARED_IDIOMS) seen in seqnlp/")


def scan(kit: Path, lessons: list[str] | None = None) -> ScanResult:
    """Look for every secret line in every file of ``kit`` (text and notebooks alike)."""
    public = public_text()
    secrets = secret_lines(lessons)
    result = ScanResult()
    wanted: dict[str, str] = {}
    for kind, lines in secrets.items():
        kept = {line for line in lines if line not in public}
        result.public += len(lines) - len(kept)
        result.checked[kind] = len(kept)
        for line in kept:
            wanted.setdefault(line, kind)
    for path in sorted(p for p in kit.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", "replace")  # binary files too: a line could hide in one
        result.files += 1
        if path.suffix == ".ipynb":  # JSON escapes quotes and backslashes: compare cell sources
            try:
                text += "\n" + "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
            except Exception:
                pass
        if len(text) <= SUBSTRING_LIMIT:  # code and notes: anywhere in the file, even inside a longer line
            found = [line for line in wanted if line in text]
        else:  # data files: as a line of their own
            lines = {line.strip() for line in text.splitlines()}
            found = [line for line in wanted if line in lines]
        name = str(path.relative_to(kit))
        for line in found:
            shared = line in SHARED_IDIOMS and name.startswith(f"{PACKAGE}/")
            (result.shared if shared else result.hits).append((name, wanted[line], line))
    return result


# --------------------------------------------------------------------------- writing the kit


def lesson_hours() -> dict[str, str]:
    """How long each lesson's notebook computes in full mode, from benchmarks/RESULTS.md."""
    out = {}
    if RESULTS.is_file():
        for row in RESULTS.read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in row.strip("|").split("|")]
            if len(cells) > 4 and cells[0] in LESSONS and cells[1].startswith("whole notebook, full mode"):
                seconds = float(cells[4].replace(",", ""))
                out[cells[0]] = f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"
    return out


# Lessons without a whole-notebook row in RESULTS.md: the estimate their own introduction gives.
INTRO_ESTIMATES = {
    "01_text_preprocessing": "a few minutes (the lesson's estimate)",
    "08_sentiment_analysis": "about 30 min (the lesson's estimate)",
}


def _title(lesson: str) -> str:
    nb = nbformat.read(LESSONS_DIR / lesson / f"{lesson}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return lesson


def readme(lessons: list[str], until: str) -> str:
    hours = lesson_hours()
    rows = "\n".join(
        f"| {lesson[:2]} | `lessons/{lesson}/{lesson}.ipynb` | {_title(lesson)} | "
        f"{hours.get(lesson) or INTRO_ESTIMATES.get(lesson, 'not measured')} |"
        for lesson in lessons)
    text = (TEMPLATES / "README.md").read_text(encoding="utf-8")
    return text.replace("{until}", until).replace("{rows}", rows)


def build_kit(until: str = "08", dist: Path = DIST) -> tuple[Path, Path, ScanResult]:
    """Write ``dist/seqnlp-student-NN/`` and its zip; return both paths and the scan of the folder."""
    last = resolve_lesson(until)
    lessons = [lesson for lesson in available_lessons() if lesson <= last]
    if not lessons:
        raise KitError(f"no released lesson up to {last}")
    number = last[:2]
    kit = dist / f"seqnlp-student-{number}"
    if kit.exists():
        shutil.rmtree(kit)
    kit.mkdir(parents=True)
    for lesson in lessons:
        shutil.copytree(LESSONS_DIR / lesson, kit / "lessons" / lesson,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    shutil.copytree(REPO_ROOT / "datasets", kit / "datasets", ignore=shutil.ignore_patterns("__pycache__"))
    # no lesson's answers: lesson 01's build removes those of lesson 01 and every later one
    shutil.copytree(lesson_build(LESSONS[0]) / PACKAGE, kit / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("requirements.txt", "environment.yml"):
        shutil.copy2(REPO_ROOT / name, kit / name)
    shutil.copy2(TEMPLATES / "Makefile", kit / "Makefile")
    shutil.copytree(TEMPLATES / "tools", kit / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(TEMPLATES / "jupyter_config", kit / "jupyter_config", ignore=shutil.ignore_patterns("__pycache__"))
    config = kit / "jupyter_config" / "nbgrader_config.py"
    text = config.read_text(encoding="utf-8")
    if TIMEOUT_TOKEN not in text:
        raise KitError(f"{config}: the cell timeout placeholder is missing")
    config.write_text(text.replace(TIMEOUT_TOKEN, f"{CELL_TIMEOUT}  # seconds, as when a lesson is graded"))
    (kit / "README.md").write_text(readme(lessons, number), encoding="utf-8")
    result = scan(kit)
    if result.hits:
        shown = "; ".join(f"{f}: {kind} line {line!r}" for f, kind, line in result.hits[:5])
        raise KitError(f"the kit would hold {len(result.hits)} lines of the answer key ({shown}); nothing written "
                       f"to {dist}")
    archive = dist / f"{kit.name}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(kit.rglob("*")):
            if path.is_file():
                zf.write(path, str(Path(kit.name) / path.relative_to(kit)))
    return kit, archive, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.studentkit", description=__doc__.split("\n")[0])
    parser.add_argument("--until", default="08", help="last lesson in the kit (default 08)")
    parser.add_argument("--dist", type=Path, default=DIST, help="output folder (default dist/)")
    args = parser.parse_args(argv)
    try:
        kit, archive, result = build_kit(args.until, args.dist)
    except (KitError, ValueError) as err:
        print(f"student kit: {err}", file=sys.stderr)
        return 1
    files = sum(1 for p in kit.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in kit.rglob("*") if p.is_file())
    print(f"wrote {kit.relative_to(REPO_ROOT) if kit.is_relative_to(REPO_ROOT) else kit} ({files} files, "
          f"{size / 2**20:.1f} MiB) and {archive.name} ({archive.stat().st_size / 2**20:.1f} MiB)")
    print(result.describe())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
