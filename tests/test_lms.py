"""Grade files in the shape Canvas's and Moodle's gradebook imports expect."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from autograder.lms import CANVAS_FIXED, MOODLE_COLUMNS, export
from autograder.submissions import Submission, student_id


def _subs():
    return [
        Submission(student_id("Nguyễn Văn An"), "01_tiny", Path("a"), "a", name="Nguyễn Văn An",
                   lms=(("format", "canvas"), ("user_id", "1002"))),
        Submission("bob", "01_tiny", Path("b"), "b"),
        Submission(student_id("Zoë"), "02_tiny", Path("z"), "z", name="Zoë", timestamp="2026-11-30 10:00:00 UTC",
                   lms=(("format", "moodle"), ("user_id", "12345"))),
    ]


ROWS = [
    {"student": student_id("Nguyễn Văn An"), "lesson": "01_tiny", "score": "4", "max_score": "5", "status": "ok"},
    {"student": "bob", "lesson": "01_tiny", "score": "0", "max_score": "5", "status": "ok"},
    {"student": student_id("Zoë"), "lesson": "02_tiny", "score": "3.5", "max_score": "6", "status": "ok"},
]


def _read(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_canvas_import_file(tmp_path):
    (path,) = export("canvas", ROWS, _subs(), tmp_path)
    rows = _read(path)
    assert rows[0] == CANVAS_FIXED + ["01_tiny", "02_tiny"]
    assert rows[1] == ["Points Possible", "", "", "", "", "5", "6"]
    assert rows[2] == ["bob", "", "", "", "", "0", ""]
    assert rows[3] == ["Nguyễn Văn An", "1002", "", "", "", "4", ""]  # matched on Canvas's user id
    assert rows[4][0] == "Zoë" and rows[4][1] == ""  # a Moodle id is not a Canvas id


def test_moodle_worksheets_one_per_lesson(tmp_path):
    paths = export("moodle", ROWS, _subs(), tmp_path)
    assert [p.name for p in paths] == ["moodle-01_tiny.csv", "moodle-02_tiny.csv"]
    rows = _read(paths[1])
    assert rows[0] == MOODLE_COLUMNS
    assert rows[1][:6] == ["Participant 12345", "Zoë", "", "graded: ok", "3.5", "6"]
    assert rows[1][7] == "2026-11-30 10:00:00 UTC"


def test_unknown_export_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="canvas, moodle"):
        export("blackboard", ROWS, _subs(), tmp_path)
