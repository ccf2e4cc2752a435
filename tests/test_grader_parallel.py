"""Parallel grading: 1 and 2 workers give identical grades; re-running changes nothing."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import sqlite3
from pathlib import Path

import pytest

from autograder.classgen import make_class
from autograder.grade import GradeOptions, grade
from autograder.gradebook import prepare_lessons
from autograder.sandbox import Limits, detect_layers

pytestmark = [pytest.mark.xdist_group("grader_parallel"), pytest.mark.notebook]

COURSE = Path(__file__).parent / "fixtures" / "grader" / "course"
SOURCES = {name: COURSE / name / f"{name}.ipynb" for name in ("01_tiny", "02_tiny")}
LIMITS = Limits(cell_timeout=30, notebook_timeout=120, memory_mb=1024, processes=96, tmp_mb=64)


def require_sandbox(limits=None) -> None:
    """Skip where the machine cannot sandbox (a developer laptop); fail under CI, where it must."""
    layers = detect_layers(limits)
    if not layers.complete:
        (pytest.fail if os.environ.get("CI") else pytest.skip)("the sandbox is incomplete here: " + layers.describe())


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    require_sandbox(LIMITS)
    tmp = tmp_path_factory.mktemp("parallel")
    lessons = prepare_lessons(SOURCES, tmp / "lessons.db")
    kinds = make_class(lessons, SOURCES, students=3, out=tmp / "class", seed=3)

    def run(out: Path, workers: int):
        grade(GradeOptions(submissions=tmp / "class", out=out, workers=workers, limits=LIMITS, source=COURSE,
                           progress=False))
        return (out / "grades.csv").read_text()

    one = run(tmp / "one", 1)
    two = run(tmp / "two", 2)
    again = run(tmp / "two", 2)
    return {"kinds": kinds, "one": one, "two": two, "again": again, "tmp": tmp}


def _rows(text: str) -> dict[tuple[str, str], dict[str, str]]:
    return {(r["student"], r["lesson"]): r for r in csv.DictReader(io.StringIO(text))}


def test_scores_follow_the_kind_of_answer(runs):
    rows = _rows(runs["one"])
    assert len(rows) == len(runs["kinds"]) == 6
    for key, kind in runs["kinds"].items():
        row = rows[key]
        score, max_score = row["auto_score"], row["auto_max_score"]  # full marks: the automatic maximum
        assert row["status"] == "ok", key
        if kind == "solution":
            assert score == max_score, key
            written = float(row["manual_max_score"]) > 0
            assert row["manual_pending"] == ("1" if written else "0"), (key, "own written answers wait for grading")
            assert row["manual_score"] == ("" if written else "0"), key
        elif kind == "stub":
            assert score == "0" and row["score"] == "0", key
        else:
            assert float(score) < float(max_score), (key, kind)


def test_one_and_two_workers_give_identical_grades(runs):
    assert runs["one"] == runs["two"]


def test_rerun_gives_the_same_grades_without_duplicates(runs):
    assert runs["again"] == runs["two"]
    out = runs["tmp"] / "two"
    with sqlite3.connect(out / "gradebook.db") as con:
        assert con.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone()[0] == 6
        assert con.execute("SELECT COUNT(*) FROM student").fetchone()[0] == 3
        assert con.execute("SELECT COUNT(*) FROM seqnlp_grading").fetchone()[0] == 6
    report = json.loads((out / "report.json").read_text())
    assert len(report["submissions"]) == 6
    assert len(list((out / "feedback").rglob("*.html"))) == 6


def test_report_has_cells_and_timings(runs):
    report = json.loads((runs["tmp"] / "two" / "report.json").read_text())
    assert report["workers"] == 2 and report["sandbox"]["missing"] == {}
    entry = report["submissions"][0]
    assert {"seconds", "execute_seconds", "overhead_seconds", "kernel_start_seconds", "cells", "probes"} <= set(entry)
    graded = [c for c in entry["cells"] if "points" in c]
    assert graded and all({"grade_id", "seconds", "status", "max_points"} <= set(c) for c in graded)


def test_feedback_has_no_hidden_tests(runs):
    hidden = ["hidden: empty input", "seven times x", "one non-zero entry", "HIDDEN TESTS", "double(-3)"]
    files = list((runs["tmp"] / "two" / "feedback").rglob("*.html"))
    assert len(files) == 6
    for path in files:
        text = html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))
        assert "assert" in text, "public tests are shown"
        for secret in hidden:
            assert secret not in text, f"{path} shows hidden test text {secret!r}"
