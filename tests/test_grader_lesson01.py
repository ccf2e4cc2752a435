"""The grader on the real lesson 01: the solution gets full marks, the released stub zero (mutants: roundtrip)."""

from __future__ import annotations

import csv
import html
import json
import os
import re

import pytest

from autograder.classgen import solution_sources, submission, write
from autograder.grade import GradeOptions, grade
from autograder.gradebook import prepare_lessons
from autograder.lessons import source_notebook
from autograder.sandbox import Limits, detect_layers

pytestmark = [pytest.mark.xdist_group("grader_lesson01"), pytest.mark.notebook]

LESSON = "01_text_preprocessing"


def require_sandbox(limits=None) -> None:
    """Skip where the machine cannot sandbox (a developer laptop); fail under CI, where it must."""
    layers = detect_layers(limits)
    if not layers.complete:
        (pytest.fail if os.environ.get("CI") else pytest.skip)("the sandbox is incomplete here: " + layers.describe())


@pytest.mark.skipif(not source_notebook(LESSON).is_file(), reason="lesson 01 has no source notebook yet")
def test_lesson01_solution_and_stub(tmp_path):
    require_sandbox()
    source = source_notebook(LESSON)
    info = prepare_lessons({LESSON: source}, tmp_path / "lesson.db")[LESSON]
    solutions = solution_sources(source)
    root = tmp_path / "class"
    write(submission(info, solutions), root / "solution" / LESSON / f"{LESSON}.ipynb")
    write(submission(info, {}), root / "stub" / LESSON / f"{LESSON}.ipynb")
    grade(GradeOptions(submissions=root, out=tmp_path / "out", workers=2, progress=False,
                       limits=Limits(cell_timeout=120, notebook_timeout=600)))
    rows = {r["student"]: r for r in csv.DictReader(open(tmp_path / "out" / "grades.csv"))}
    report = {r["student"]: r for r in json.loads((tmp_path / "out" / "report.json").read_text())["submissions"]}
    why = {s: (r["status"], r["detail"], [c for c in r["cells"] if c.get("reason")]) for s, r in report.items()}
    # full marks: the automatic maximum (written answers, if any, are left as released: nbgrader's 0)
    sol = rows["solution"]
    assert sol["status"] == "ok" and sol["auto_score"] == sol["auto_max_score"], why
    assert float(sol["auto_max_score"]) == info.auto_max_score > 0
    assert float(sol["manual_max_score"]) == info.manual_max_score and sol["manual_pending"] == "0"
    assert rows["stub"]["status"] == "ok" and rows["stub"]["score"] == "0", why
    page = (tmp_path / "out" / "feedback" / "solution" / LESSON / f"{LESSON}.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "BEGIN HIDDEN TESTS" not in text
    for cell in info.cells.values():
        if cell.has_hidden_tests:
            hidden = cell.full_source.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
            for line in hidden.strip().splitlines():
                if len(line.strip()) > 25:
                    assert line.strip() not in text, f"hidden test line of {cell.grade_id} in the feedback"
