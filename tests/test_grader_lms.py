"""What instructors collect, end to end: an LMS download with real names, files beside the notebook,
the grade files an LMS imports, the class report, and what --source refuses."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.grade import GradingError, course_sources
from autograder.submissions import student_id

REPO = Path(__file__).resolve().parents[1]


def _meta(**kw):
    return {"nbgrader": {"schema_version": 3, "locked": False, "solution": False, "grade": False, **kw}}


def make_course(root: Path) -> Path:
    """nbgrader's `open_relative_file` case: the notebook reads data.txt shipped beside it."""
    folder = root / "source" / "ps1"
    folder.mkdir(parents=True)
    (folder / "data.txt").write_text("hello from data.txt\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "seqnlp", "display_name": "Python 3 (seqnlp)", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("Read the file shipped with the assignment.",
                                      metadata=_meta(grade_id="intro", locked=True)),
        nbformat.v4.new_code_cell("def first_line():\n    ### BEGIN SOLUTION\n"
                                  "    with open('data.txt') as fh:\n        return fh.readline().strip()\n"
                                  "    ### END SOLUTION", metadata=_meta(grade_id="ex_read", solution=True)),
        nbformat.v4.new_code_cell("assert first_line() == 'hello from data.txt', 'read data.txt beside the notebook'",
                                  metadata=_meta(grade_id="test_read", grade=True, locked=True, points=10)),
    ]
    nbformat.write(nb, folder / "ps1.ipynb")
    return root / "source"


def _answer(source: Path, fill: bool) -> str:
    nb = nbformat.read(source / "ps1" / "ps1.ipynb", as_version=4)
    cell = nb.cells[1]
    if fill:
        cell.source = "def first_line():\n    with open('data.txt') as fh:\n        return fh.readline().strip()"
    else:
        cell.source = "def first_line():\n    return 'hello'"
    return nbformat.writes(nb)


@pytest.mark.notebook
def test_moodle_download_with_real_names_and_files_beside_the_notebook(tmp_path):
    source = make_course(tmp_path)
    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("Nguyễn Văn An_12345_assignsubmission_file_/ps1.ipynb", _answer(source, True))
        zf.writestr("Nguyen Van An_12346_assignsubmission_file_/homework.ipynb", _answer(source, False))
        zf.writestr("../evil.ipynb", "{}")
    out = tmp_path / "graded"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    cmd = [sys.executable, "-m", "autograder", "grade", str(archive), "--source", str(source), "--out", str(out),
           "--lessons", "ps1", "--workers", "2", "--no-progress", "--export", "moodle", "--export", "canvas"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    # nbgrader gives open_relative_file 10/10: so do we, with data.txt read-only beside the notebook
    assert rows["Nguyễn Văn An"]["score"] == "10" and rows["Nguyễn Văn An"]["status"] == "ok", rows
    assert rows["Nguyen Van An"]["score"] == "0", rows  # a different student, never merged into the first
    assert rows["Nguyễn Văn An"]["student"] == student_id("Nguyễn Văn An") != rows["Nguyen Van An"]["student"]
    report = json.loads((out / "report.json").read_text())
    assert any("outside the archive" in s["reason"] for s in report["skipped"])
    assert "moodle.zip:../evil.ipynb" in proc.stdout  # every skipped entry is printed, not only the first
    with open(out / "moodle-ps1.csv", encoding="utf-8-sig", newline="") as fh:
        moodle = {r["Full name"]: r for r in csv.DictReader(fh)}
    assert moodle["Nguyễn Văn An"]["Identifier"] == "Participant 12345" and moodle["Nguyễn Văn An"]["Grade"] == "10"
    assert (out / "canvas-grades.csv").is_file()
    page = (out / "class-report.html").read_text()
    assert "ps1" in page and "read data.txt beside the notebook" in page  # the failing student's message


def test_source_folder_errors_name_the_folder_given(tmp_path):
    ps1 = tmp_path / "source" / "ps1"
    ps1.mkdir(parents=True)
    (ps1 / "problem1.ipynb").write_text("{}")
    (ps1 / "problem2.ipynb").write_text("{}")
    with pytest.raises(GradingError, match=r"source/ps1 has 2 notebooks \(problem1.ipynb, problem2.ipynb\)"):
        course_sources(tmp_path / "source")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(GradingError, match=f"{empty} holds no assignment folder"):
        course_sources(empty)


@pytest.mark.notebook
def test_nbgrader_submitted_layout_with_timestamps_and_the_late_policy(tmp_path):
    from traitlets.config import Config

    from autograder.gradebook import apply_late_policy, export_csv
    from autograder.lms import export

    source = make_course(tmp_path)
    submitted = tmp_path / "submitted"
    for student, stamp in (("alice", "2026-11-30 09:00:00.000000 UTC"), ("Zoë", "2026-12-02 09:00:00.000000 UTC")):
        folder = submitted / student / "ps1"
        folder.mkdir(parents=True)
        (folder / "ps1.ipynb").write_text(_answer(source, True))
        (folder / "timestamp.txt").write_text(stamp)
    out = tmp_path / "graded"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    cmd = [sys.executable, "-m", "autograder", "grade", str(submitted), "--source", str(source), "--out", str(out),
           "--workers", "2", "--no-progress", "--duedate", "ps1=2026-12-01 00:00:00 UTC"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = {r["student"]: r for r in json.loads((out / "report.json").read_text())["submissions"]}
    assert report["alice"]["seconds_late"] == 0 and report[student_id("Zoë")]["seconds_late"] == 33 * 3600
    # the course's policy is nbgrader's default, 'none': lateness is recorded, nothing is taken off
    with open(out / "grades.csv", encoding="utf-8", newline="") as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    assert rows["Zoë"]["timestamp"].startswith("2026-12-02 09:00:00") and rows["Zoë"]["late_penalty"] == "0"
    assert rows["alice"]["late_penalty"] == "" and rows["Zoë"]["score"] == "10"
    # a course configured with penalty_method = 'zero' (nbgrader's LateSubmissionPlugin)
    config = Config()
    config.LateSubmissionPlugin.penalty_method = "zero"
    apply_late_policy(out / "gradebook.db", config)
    rows = {r["name"]: r for r in export_csv(out / "gradebook.db", out / "grades.csv")}
    assert rows["Zoë"]["late_penalty"] == "10" and rows["alice"]["late_penalty"] == ""
    (path,) = export("canvas", list(rows.values()), list(report.values()), out)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        canvas = {r["Student"]: r for r in csv.DictReader(fh)}
    assert canvas["Zoë"]["ps1"] == "0" and canvas["alice"]["ps1"] == "10"


@pytest.mark.notebook
def test_class_report_names_the_planted_mistakes(tmp_path):
    from autograder.classgen import mutant_sources, solution_sources, submission, write
    from autograder.classreport import summarise
    from autograder.grade import GradeOptions, grade
    from autograder.gradebook import prepare_lessons
    from autograder.sandbox import Limits

    course = Path(__file__).parent / "fixtures" / "grader" / "course"
    source = course / "01_tiny" / "01_tiny.ipynb"
    lesson = prepare_lessons({"01_tiny": source}, tmp_path / "l.db")["01_tiny"]
    solutions, mutants = solution_sources(source), mutant_sources(source)
    planted = dict(mutants["ex_count"])["off_by_one"]
    other = dict(mutants["ex_normalize"])["divides_by_sum"]
    plan = {"ann": solutions, "bob": {**solutions, "ex_count": planted}, "cat": {**solutions, "ex_count": planted},
            "dan": {**solutions, "ex_count": planted}, "eve": {**solutions, "ex_normalize": other}}
    for student, answers in plan.items():
        write(submission(lesson, answers), tmp_path / "class" / student / "01_tiny" / "01_tiny.ipynb")
    out = tmp_path / "graded"
    run = grade(GradeOptions(submissions=tmp_path / "class", out=out, workers=2, source=course, progress=False,
                             limits=Limits(cell_timeout=30, notebook_timeout=120)))
    by_student = {r["student"]: r for r in run.results}
    planted_messages = {c.get("message") for c in by_student["bob"]["cells"] if c.get("message")}
    failures = summarise(run.results, {"01_tiny": lesson})["01_tiny"]["top_failures"]
    top = failures["ex_count"]
    assert top[0][1] == 3 and any(m and m.split("\n")[0] in top[0][0] for m in planted_messages), top
    assert failures["ex_normalize"][0][1] == 1, failures
    page = (out / "class-report.html").read_text()
    assert "Most frequent failures per exercise" in page and "ex_count" in page
