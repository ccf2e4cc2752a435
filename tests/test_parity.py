"""Parity with nbgrader: nbgrader's own test fixtures, graded by plain `nbgrader autograde` and by our grader.

The fixtures are read from the installed nbgrader package (``nbgrader/tests/apps/files``, BSD-3-Clause,
pinned nbgrader==0.9.6): ``submitted-unchanged.ipynb`` is the source, the other ``submitted-*.ipynb`` the
students, as in nbgrader's ``tests/apps/test_nbgrader_autograde.py``; ``open_relative_file.ipynb`` reads the
``data.txt`` shipped beside it. The scores must agree, except where ours is stricter for a reason that
docs/GRADING.md ("Parity with nbgrader") states; those are listed in STRICTER.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import nbgrader
import pytest

from autograder.roundtrip import nbgrader as run_nbgrader

FILES = Path(nbgrader.__file__).parent / "tests" / "apps" / "files"
REPO = Path(__file__).resolve().parents[1]
STUDENTS = ["unchanged", "changed", "cheat-attempt", "cheat-attempt-alternative", "grade-cell-changed",
            "locked-cell-changed"]
# where ours differs from nbgrader, and why (docs/GRADING.md lists the same)
STRICTER = {
    ("ps1", "cheat-attempt"): "tampered",  # replaces IPython's showtraceback to hide failing asserts: nbgrader 1/7
    ("ps1", "cheat-attempt-alternative"): "tampered",  # the same through another import path
}

pytestmark = pytest.mark.notebook


def _put(source: Path, target: Path) -> None:
    nb = nbformat.read(source, as_version=4)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)


def build_course(root: Path) -> None:
    _put(FILES / "submitted-unchanged.ipynb", root / "solutions" / "ps1" / "ps1.ipynb")
    _put(FILES / "open_relative_file.ipynb", root / "solutions" / "ps2" / "ps2.ipynb")
    shutil.copy(FILES / "data.txt", root / "solutions" / "ps2" / "data.txt")
    for student in STUDENTS:
        _put(FILES / f"submitted-{student}.ipynb", root / "submitted" / student / "ps1" / "ps1.ipynb")
    # a test cell edited, its metadata claiming `locked: false`: nbgrader restores it anyway
    nb = nbformat.read(FILES / "submitted-unchanged.ipynb", as_version=4)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "bar":
            cell.source, cell.metadata["nbgrader"]["locked"] = "pass", False
    path = root / "submitted" / "unlocked-test-edited" / "ps1" / "ps1.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    _put(FILES / "open_relative_file.ipynb", root / "submitted" / "relative" / "ps2" / "ps2.ipynb")


def nbgrader_scores(root: Path) -> dict[tuple[str, str], float]:
    from nbgrader.api import Gradebook

    for assignment in ("ps1", "ps2"):
        run_nbgrader(["generate_assignment", assignment, "--force"], root)
        run_nbgrader(["autograde", assignment, "--create", "--force"], root)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {(a.name, s.student.id): float(s.score) for a in gb.assignments for s in a.submissions}


def test_scores_agree_with_nbgrader(tmp_path):
    root = tmp_path / "course"
    build_course(root)
    theirs = nbgrader_scores(root)
    out = tmp_path / "ours"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    cmd = [sys.executable, "-m", "autograder", "grade", str(root / "submitted"), "--source", str(root / "solutions"),
           "--out", str(out), "--workers", "2", "--no-progress"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(out / "grades.csv", encoding="utf-8", newline="") as fh:
        ours = {(r["lesson"], r["student"]): r for r in csv.DictReader(fh)}
    assert set(ours) == set(theirs) and len(theirs) == len(STUDENTS) + 2
    table = []
    for key in sorted(theirs):
        mine, status = float(ours[key]["score"]), ours[key]["status"]
        table.append(f"{key}: nbgrader {theirs[key]:g}, ours {mine:g} ({status})")
        if key in STRICTER:
            assert mine < theirs[key] and status == STRICTER[key], table[-1]
        else:
            assert mine == theirs[key], "\n".join(table)
    assert ours[("ps2", "relative")]["score"] == "10", "a file shipped beside the notebook must be readable"
    report = {(r["lesson"], r["student"]): r for r in json.loads((out / "report.json").read_text())["submissions"]}
    assert report[("ps1", "unlocked-test-edited")]["restored"]["edited"] == ["bar"]
    assert report[("ps1", "unlocked-test-edited")]["status"] == "cells-restored"
    assert report[("ps1", "locked-cell-changed")]["restored"]["edited"] == ["ro1", "ro2"]
