"""The instructor's class report: score plots, test pass rates, the class's most frequent mistakes."""

from __future__ import annotations

import nbformat

from autograder.classreport import failure_message, render, summarise, write_class_report
from autograder.gradebook import CellInfo, LessonInfo


def _lesson() -> LessonInfo:
    lesson = LessonInfo("01_tiny", nbformat.v4.new_notebook())
    cells = [("ex_count", False, True, 0), ("test_count", True, False, 2), ("test_count_hidden", True, False, 1),
             ("ex_share", False, True, 0), ("test_share", True, False, 3), ("q_why", True, True, 2)]
    for gid, grade, solution, points in cells:
        cell_type = "markdown" if gid.startswith("q_") else "code"
        lesson.cells[gid] = CellInfo(gid, cell_type, grade, grade, solution, points, "", "", {})
        lesson.order.append(gid)
    return lesson


def _result(student, count_ok, share_msg=None, status="ok", name=""):
    cells = [
        {"grade_id": "test_count", "points": 2.0 if count_ok else 0.0, "max_points": 2.0,
         "error": "" if count_ok else "AssertionError", "message": "" if count_ok else "count is off by one?"},
        {"grade_id": "test_count_hidden", "points": 1.0, "max_points": 1.0},
        {"grade_id": "test_share", "points": 0.0 if share_msg else 3.0, "max_points": 3.0,
         "error": "AssertionError" if share_msg else "", "message": share_msg or ""},
        {"grade_id": "q_why", "written": True, "points": None, "max_points": 2.0},
    ]
    score = (2 if count_ok else 0) + 1 + (0 if share_msg else 3)
    return {"student": student, "name": name, "lesson": "01_tiny", "status": status, "detail": "", "cells": cells,
            "auto_score": score, "auto_max_score": 6.0, "score": score, "max_score": 8.0}


def test_the_planted_mistakes_top_the_list(tmp_path):
    results = [_result(f"s{i}", count_ok=i % 3 != 0, share_msg="integer division? share must be a float"
                       if i % 2 else None) for i in range(12)]
    results.append(_result("mallory", False, "hacked", status="tampered"))
    results.append(_result("zoe", True, "<script>alert(1)</script>", name="Zoë <b>"))
    s = summarise(results, {"01_tiny": _lesson()})["01_tiny"]
    assert s["top_failures"]["ex_count"][0] == ("AssertionError: count is off by one?", 4)
    assert s["top_failures"]["ex_share"][0] == ("AssertionError: integer division? share must be a float", 6)
    assert "hacked" not in str(s["top_failures"])  # a tampered submission's messages are not the class's mistakes
    assert s["test_pass"]["test_count"] == 9 / 13 and s["test_pass"]["test_count_hidden"] == 1.0
    assert s["needs_look"] == [{"student": "mallory", "id": "mallory", "status": "tampered", "detail": ""}]
    assert list(s["exercise_share"]) == ["ex_count", "ex_share"]
    page = write_class_report(results, {"01_tiny": _lesson()}, tmp_path).read_text()
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert page.count("data:image/png;base64,") == 1 and "Needs a look" in page


def test_failure_message_is_one_stable_line():
    assert failure_message({"error": "AssertionError", "message": "wrong\nmore"}) == "AssertionError: wrong"
    assert failure_message({"error": "NameError", "message": "NameError: name 'x' is not defined"}) == (
        "NameError: name 'x' is not defined")
    assert failure_message({"error": "TypeError", "message": "<object at 0x7f3a2b1c9d00>"}) == (
        "TypeError: <object at 0x…>")
    assert failure_message({"status": "timeout"}) == "timeout"


def test_render_without_failures():
    page = render(summarise([_result("a", True)], {"01_tiny": _lesson()}))
    assert "No test failed." in page and "Every submission graded <code>ok</code>." in page
