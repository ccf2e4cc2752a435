"""Written questions (nbgrader's manually graded answer cells) through the class grader.

The tiny fixture lesson 01_tiny has one written question, ``q_norm`` (1 point). Graded by
``autograder.grade``, an answer gets no automatic score and ``needs_manual_grade`` in the
gradebook (so Formgrader lists it for hand grading), an answer left as the released stub gets
nbgrader's own automatic 0, a deleted or re-typed answer cell is put back like any grade cell,
grades.csv and report.json split the automatic and the written part, a manual score entered
through nbgrader's Gradebook API reaches the total through ``python -m autograder export`` and
survives re-grading, and the feedback page shows the answer (sanitised) with "graded by hand:
pending" or its score, never the model answer or the rubric.
"""

from __future__ import annotations

import copy
import csv
import html
import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from autograder.classgen import solution_sources, submission, write, written_answers
from autograder.gradebook import CSV_COLUMNS, prepare_lessons
from autograder.sandbox import Limits, detect_layers

COURSE = Path(__file__).parent / "fixtures" / "grader" / "course"
LESSON = "01_tiny"
SOURCE = COURSE / LESSON / f"{LESSON}.ipynb"
QUESTION = "q_norm"
LIMITS = Limits(cell_timeout=30, notebook_timeout=120, memory_mb=1024, processes=64)
ANSWER = ("Dividing by a zero norm gives NaN, so I would return the zero vector itself.\n\n"
          "<script>alert('written')</script> <img src=x onerror=alert(1)> [click](javascript:alert(2))")


def model_answer_lines() -> list[str]:
    """Every line of the model answers and rubrics of the fixture lesson (its source notebook only)."""
    nb = nbformat.read(SOURCE, as_version=4)
    lines = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("grade") and meta.get("solution"):
            body = cell.source.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]
            lines += [line.strip("-* ").strip() for line in body.splitlines() if len(line.strip("-* ").strip()) > 8]
    return lines


def page_text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def lesson(tmp_path_factory):
    return prepare_lessons({LESSON: SOURCE}, tmp_path_factory.mktemp("written") / "lesson.db")[LESSON]


def test_fixture_has_a_written_question(lesson):
    written = [c for c in lesson.cells.values() if c.is_written]
    assert [c.grade_id for c in written] == [QUESTION]
    assert lesson.cells[QUESTION].released_source == "YOUR ANSWER HERE"
    assert lesson.cells[QUESTION].full_source == "YOUR ANSWER HERE", "the gradebook holds no model answer"
    assert (lesson.max_score, lesson.auto_max_score, lesson.manual_max_score) == (6, 5, 1)
    assert model_answer_lines(), "the source notebook has a model answer and a rubric"
    assert not any(line in json.dumps(lesson.released) for line in model_answer_lines())


def test_restore_puts_back_a_deleted_or_changed_answer_cell(lesson):
    from autograder.pipeline import restore_cells

    nb = copy.deepcopy(lesson.released)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != QUESTION]
    missing, edited, _ = restore_cells(nb, lesson)
    assert missing == [QUESTION] and not edited
    [cell] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == QUESTION]
    assert cell.source == "YOUR ANSWER HERE" and cell.cell_type == "markdown"
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    assert ids.index(QUESTION) == ids.index("question_norm") + 1, "put back right after its question"

    nb = copy.deepcopy(lesson.released)
    [cell] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == QUESTION]
    cell.source = "my answer"
    cell.metadata["nbgrader"].update(points=100, grade=False, solution=False, locked=True)
    missing, edited, _ = restore_cells(nb, lesson)
    assert not missing and not edited
    assert cell.source == "my answer", "the answer is kept as written"
    assert cell.metadata["nbgrader"] == lesson.cells[QUESTION].metadata, "the released metadata is put back"


def require_sandbox() -> None:
    if not detect_layers(LIMITS).complete:
        (pytest.fail if os.environ.get("CI") else pytest.skip)("the sandbox is incomplete here")


def _answer_cell(nb):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == QUESTION)


@pytest.fixture(scope="module")
def graded(lesson, tmp_path_factory):
    """One class: an honest student (own written answer, with markup), a stub, and three odd answer cells."""
    from autograder.grade import GradeOptions, grade

    require_sandbox()
    tmp = tmp_path_factory.mktemp("written-class")
    sol = solution_sources(SOURCE)
    root, out = tmp / "class", tmp / "out"
    write(submission(lesson, {**sol, QUESTION: ANSWER}), root / "ann" / LESSON / f"{LESSON}.ipynb")
    write(submission(lesson, {}), root / "bob" / LESSON / f"{LESSON}.ipynb")
    write(submission(lesson, {**sol, QUESTION: ""}), root / "cat" / LESSON / f"{LESSON}.ipynb")  # emptied
    nb = submission(lesson, sol)
    nb.cells.remove(_answer_cell(nb))
    write(nb, root / "dan" / LESSON / f"{LESSON}.ipynb")  # answer cell deleted
    nb = submission(lesson, {**sol, QUESTION: "It divides by zero."})
    _answer_cell(nb).metadata["nbgrader"].update(grade=False, points=50)
    write(nb, root / "eve" / LESSON / f"{LESSON}.ipynb")  # answer kept, metadata changed
    run = grade(GradeOptions(submissions=root, out=out, workers=2, limits=LIMITS, source=COURSE, progress=False))
    return {"root": root, "out": out, "run": run, "tmp": tmp}


def _csv(out: Path) -> dict[str, dict]:
    with open(out / "grades.csv", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == list(CSV_COLUMNS)
        return {r["student"]: r for r in reader}


def _report(out: Path) -> dict[str, dict]:
    return {r["student"]: r for r in json.loads((out / "report.json").read_text())["submissions"]}


def test_written_answers_wait_for_hand_grading_in_the_gradebook(graded):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded['out'] / 'gradebook.db'}") as gb:
        grades = {s: gb.find_grade(QUESTION, LESSON, LESSON, s) for s in ("ann", "bob", "cat", "dan", "eve")}
        flags = {s: (g.auto_score, g.manual_score, g.needs_manual_grade) for s, g in grades.items()}
        # what Formgrader's manual grading view lists: needs_manual_grade, per notebook and per cell
        listed = {s: gb.find_submission_notebook(LESSON, LESSON, s).needs_manual_grade for s in grades}
    assert flags["ann"] == (None, None, True), flags
    assert flags["cat"] == (None, None, True), "an emptied answer is still listed for grading"
    assert flags["eve"] == (None, None, True), "an answer with changed metadata is graded as the released cell"
    # nbgrader's rule (utils.determine_grade): an answer whose checksum is the released stub's scores 0
    assert flags["bob"] == (0, None, False) and flags["dan"] == (0, None, False), flags
    assert listed == {"ann": True, "bob": False, "cat": True, "dan": False, "eve": True}, listed


def test_grades_csv_and_report_split_automatic_and_written_points(graded):
    rows, report = _csv(graded["out"]), _report(graded["out"])
    ann = rows["ann"]
    assert (ann["score"], ann["max_score"], ann["auto_score"], ann["auto_max_score"]) == ("5", "6", "5", "5")
    assert (ann["manual_score"], ann["manual_max_score"], ann["manual_pending"], ann["status"]) == ("", "1", "1", "ok")
    assert (rows["bob"]["score"], rows["bob"]["auto_score"], rows["bob"]["manual_score"]) == ("0", "0", "0")
    assert rows["cat"]["manual_pending"] == "1" and rows["cat"]["status"] == "ok"
    assert rows["dan"]["status"] == "cells-missing" and rows["dan"]["manual_score"] == "0", rows["dan"]
    assert rows["eve"]["status"] == "ok" and rows["eve"]["manual_max_score"] == "1", "points=50 was not believed"
    r = report["ann"]
    assert (r["score"], r["max_score"], r["auto_score"], r["auto_max_score"]) == (5, 6, 5, 5), r
    assert (r["manual_score"], r["manual_max_score"], r["manual_pending"]) == (None, 1, 1), r
    assert r["written"] == {QUESTION: {"score": None, "max_score": 1.0, "needs_manual_grade": True}}
    [cell] = [c for c in r["cells"] if c.get("written")]
    assert cell["grade_id"] == QUESTION and cell["points"] is None and cell["needs_manual_grade"]
    stats = json.loads((graded["out"] / "report.json").read_text())["lessons"][LESSON]
    assert (stats["auto_max_score"], stats["manual_max_score"], stats["manual_pending"]) == (5, 1, 3), stats


def test_autograded_notebook_keeps_the_answer_and_feedback_shows_it_pending(graded):
    from autograder.formgrader import autograded_path

    out = graded["out"]
    kept = _answer_cell(nbformat.read(autograded_path(out, "eve", LESSON), as_version=4))
    assert kept.source == "It divides by zero.", "the answer as submitted, for Formgrader"
    page = out / "feedback" / "ann" / LESSON / f"{LESSON}.html"
    body = page.read_text(encoding="utf-8")
    text = page_text(page)
    assert "Dividing by a zero norm gives NaN, so I would return the zero vector itself." in text
    assert "Graded by hand: pending" in text
    assert "<script>alert('written')" not in body and not re.search(r"<img[^>]*onerror", body)
    assert not re.search(r"(?i)(href|src)\s*=\s*[\"']?\s*javascript", body), "a Markdown script link is made inert"
    assert "click" in text, "the link's text stays"
    for student in ("ann", "bob", "cat", "dan", "eve"):
        shown = page_text(out / "feedback" / student / LESSON / f"{LESSON}.html")
        for line in model_answer_lines():
            assert line not in shown, f"{student}'s feedback shows the model answer or rubric: {line!r}"
        assert "Model answer" not in shown and "Rubric" not in shown
    assert "no answer was written" in page_text(out / "feedback" / "bob" / LESSON / f"{LESSON}.html")


def test_hand_grading_reaches_the_total_survives_regrading_and_feedback(graded, lesson):
    from nbgrader.api import Gradebook

    from autograder.__main__ import main
    from autograder.formgrader import HideHiddenTests, autograded_path
    from autograder.grade import GradeOptions, grade
    from autograder.gradebook import course_config

    out = graded["out"]
    url = f"sqlite:///{out / 'gradebook.db'}"
    with Gradebook(url) as gb:  # what Formgrader's manual grading view does when a score is typed in
        grade_row = gb.find_grade(QUESTION, LESSON, LESSON, "ann")
        grade_row.manual_score, grade_row.needs_manual_grade = 1.0, False
        gb.db.commit()
    assert main(["export", "--out", str(out)]) == 0
    ann = _csv(out)["ann"]
    assert (ann["score"], ann["manual_score"], ann["manual_pending"], ann["auto_score"]) == ("6", "1", "0", "5")
    assert _report(out)["ann"]["manual_score"] == 1 and _report(out)["ann"]["score"] == 6

    # nbgrader's generate_feedback path (Formgrader's button): GetGrades, then the course's HideHiddenTests
    from nbgrader.preprocessors import GetGrades

    nb = nbformat.read(autograded_path(out, "ann", LESSON), as_version=4)
    resources = {"nbgrader": {"db_url": url, "assignment": LESSON, "notebook": LESSON, "student": "ann"}}
    nb, resources = GetGrades(config=course_config()).preprocess(nb, resources)
    nb, resources = HideHiddenTests(config=course_config()).preprocess(nb, resources)
    notes = [c.source for c in nb.cells if c.cell_type == "markdown" and "Graded by hand" in c.source]
    assert notes == ["**Graded by hand: 1 / 1**"], notes

    again = graded["tmp"] / "again"  # ann's notebook once more, and a new one for cat
    write(nbformat.read(graded["root"] / "ann" / LESSON / f"{LESSON}.ipynb", as_version=4),
          again / "ann" / LESSON / f"{LESSON}.ipynb")
    write(submission(lesson, {QUESTION: "A second try."}), again / "cat" / LESSON / f"{LESSON}.ipynb")
    with Gradebook(url) as gb:
        cat = gb.find_grade(QUESTION, LESSON, LESSON, "cat")
        cat.manual_score, cat.needs_manual_grade = 0.5, False
        gb.db.commit()
    grade(GradeOptions(submissions=again, out=out, workers=2, limits=LIMITS, source=COURSE, progress=False))
    with Gradebook(url) as gb:
        ann_grade = gb.find_grade(QUESTION, LESSON, LESSON, "ann")
        cat_grade = gb.find_grade(QUESTION, LESSON, LESSON, "cat")
        assert (ann_grade.manual_score, ann_grade.needs_manual_grade) == (1.0, False), "same notebook: kept"
        assert (cat_grade.manual_score, cat_grade.needs_manual_grade) == (0.5, True), "new answer: kept, to review"
    rows = _csv(out)
    assert (rows["ann"]["score"], rows["ann"]["manual_score"]) == ("6", "1"), rows["ann"]
    assert (rows["cat"]["score"], rows["cat"]["auto_score"], rows["cat"]["manual_score"]) == ("0.5", "0", "0.5")
    assert set(rows) == {"ann", "bob", "cat", "dan", "eve"}, "the other students' rows stay"
    assert _report(out)["ann"]["manual_score"] == 1
    page = page_text(out / "feedback" / "ann" / LESSON / f"{LESSON}.html")
    assert "Graded by hand: 1 / 1" in page and "pending" not in page


def test_a_solution_student_of_a_generated_class_writes_own_answers(lesson):
    answers = written_answers(lesson)
    assert set(answers) == {QUESTION}
    assert not any(line in answers[QUESTION] for line in model_answer_lines())
