"""What the grader accepts as SUBMISSIONS: nbgrader's layout, flat files, zips; and its command line."""

from __future__ import annotations

import csv
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.classgen import solution_sources, submission, write
from autograder.gradebook import CSV_COLUMNS, prepare_lessons
from autograder.sandbox import Layers
from autograder.submissions import LessonNames, SubmissionsError, collect

COURSE = Path(__file__).parent / "fixtures" / "grader" / "course"
LESSONS = ["01_tiny", "02_tiny"]
REPO = Path(__file__).resolve().parents[1]


def _nb(path: Path, text: str = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}') -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _found(root: Path, tmp: Path):
    found = collect(root, LESSONS, tmp)
    return {(s.student, s.lesson): s for s in found.submissions}, found.skipped


def test_lesson_names_resolve_by_folder_or_number():
    names = LessonNames(LESSONS)
    assert names.resolve("01") == names.resolve("1") == names.resolve("01_tiny") == "01_tiny"
    assert names.resolve("03") is None
    assert names.split_flat("alice_smith_02_tiny") == ("alice_smith", "02_tiny")
    assert names.split_flat("bob_2") == ("bob", "02_tiny")
    assert names.split_flat("notes") is None


def test_nbgrader_layout(tmp_path):
    root = tmp_path / "class"
    _nb(root / "alice" / "01_tiny" / "01_tiny.ipynb")
    _nb(root / "alice" / "02_tiny" / "02_tiny.ipynb")
    _nb(root / "bob" / "01" / "01_tiny.ipynb")  # lesson folder named by number
    _nb(root / "carol" / "01_tiny" / "01_tiny-Copy1.ipynb")  # the only notebook there, renamed
    _nb(root / "dave" / "notes" / "x.ipynb")  # not a lesson folder
    _nb(root / "erin" / "01_tiny" / "a.ipynb")
    _nb(root / "erin" / "01_tiny" / "b.ipynb")  # two candidates: refused, never guessed
    (root / "README.txt").write_text("hi")
    subs, skipped = _found(root, tmp_path)
    assert set(subs) == {("alice", "01_tiny"), ("alice", "02_tiny"), ("bob", "01_tiny"), ("carol", "01_tiny")}
    reasons = dict(skipped)
    assert "dave" in reasons and "README.txt" in reasons and "erin/01_tiny" in reasons


def test_flat_layout_and_wrapping_folder(tmp_path):
    root = tmp_path / "download" / "Lesson submissions"  # an LMS export wraps everything in a folder
    _nb(root / "alice_01_tiny.ipynb")
    _nb(root / "bob_smith_02_tiny.ipynb")
    _nb(root / "carol_01.ipynb")
    _nb(root / "eve_03_tiny.ipynb")  # no such lesson
    _nb(root / "bad name_01_tiny.ipynb")  # a name with a space: accepted, under a derived id
    subs, skipped = _found(tmp_path / "download", tmp_path)
    assert set(subs) == {("alice", "01_tiny"), ("bob_smith", "02_tiny"), ("carol", "01_tiny"),
                         ("bad-name-9c262781", "01_tiny")}
    assert subs[("bad-name-9c262781", "01_tiny")].name == "bad name"
    assert any("eve_03_tiny" in path for path, _ in skipped)


def test_duplicate_submissions_keep_one_and_say_so(tmp_path):
    root = tmp_path / "class"
    _nb(root / "alice" / "01_tiny" / "01_tiny.ipynb")
    _nb(root / "alice_01_tiny.ipynb")
    subs, skipped = _found(root, tmp_path)
    assert list(subs) == [("alice", "01_tiny")]
    assert any("second submission" in why for _, why in skipped)


def test_zip_is_unpacked_safely(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("submitted/alice/01_tiny/01_tiny.ipynb", "{}")
        zf.writestr("submitted/bob/02_tiny/02_tiny.ipynb", "{}")
        zf.writestr("../escaped_01_tiny.ipynb", "{}")
        zf.writestr("/absolute_01_tiny.ipynb", "{}")
        link = zipfile.ZipInfo("submitted/mallory/01_tiny/01_tiny.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    scratch = tmp_path / "scratch"
    subs, _ = _found(archive, scratch)
    assert set(subs) == {("alice", "01_tiny"), ("bob", "02_tiny")}
    assert not (tmp_path / "escaped_01_tiny.ipynb").exists()
    assert not Path("/absolute_01_tiny.ipynb").exists()
    assert not any(p.is_symlink() for p in scratch.rglob("*"))


def test_unusable_input_is_a_clear_error(tmp_path):
    with pytest.raises(SubmissionsError, match="does not exist"):
        collect(tmp_path / "nope", LESSONS, tmp_path)
    (tmp_path / "grades.txt").write_text("x")
    with pytest.raises(SubmissionsError, match="not a .zip"):
        collect(tmp_path / "grades.txt", LESSONS, tmp_path)


def test_refuses_without_a_complete_sandbox(tmp_path, monkeypatch):
    """A missing layer stops grading unless --unsafe."""
    import autograder.grade as grade_module
    from autograder.grade import GradeOptions, grade
    from autograder.sandbox import SandboxUnavailable

    _nb(tmp_path / "class" / "alice_01_tiny.ipynb")
    broken = Layers(active=["limits", "watchdog"], missing={"network": "simulated"}, mode="none")
    monkeypatch.setattr(grade_module, "detect_layers", lambda limits=None: broken)
    with pytest.raises(SandboxUnavailable, match="REFUSING"):
        grade(GradeOptions(submissions=tmp_path / "class", out=tmp_path / "out", source=COURSE, progress=False))
    assert not (tmp_path / "out" / "grades.csv").exists()


@pytest.mark.notebook
@pytest.mark.xdist_group("grader_cli")
def test_command_line_grades_a_zip(tmp_path):
    """`python -m autograder grade class.zip ...` end to end: exact CSV columns, one row per submission."""
    lesson = prepare_lessons({"01_tiny": COURSE / "01_tiny" / "01_tiny.ipynb"}, tmp_path / "l.db")["01_tiny"]
    sol = solution_sources(COURSE / "01_tiny" / "01_tiny.ipynb")
    flat = tmp_path / "export" / "Tiny course"
    write(submission(lesson, sol), flat / "alice_01_tiny.ipynb")
    write(submission(lesson, {}), flat / "bob_01.ipynb")
    (flat / "carol_02_tiny.ipynb").write_text("{}")  # another lesson: left out by --lessons
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in flat.iterdir():
            zf.write(path, f"Tiny course/{path.name}")
    out = tmp_path / "graded"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    cmd = [sys.executable, "-m", "autograder", "grade", str(archive), "--source", str(COURSE), "--out", str(out),
           "--lessons", "01", "--workers", "2", "--timeout-cell", "30", "--no-progress"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out / "grades.csv", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == list(CSV_COLUMNS)
        rows = list(reader)
    assert {"student", "lesson", "score", "max_score", "auto_score", "auto_max_score", "manual_score",
            "manual_max_score", "manual_pending", "status"} <= set(CSV_COLUMNS)
    keys = ("student", "lesson", "score", "max_score", "auto_score", "auto_max_score", "manual_score",
            "manual_max_score", "manual_pending", "status")
    # the written question left as released: nbgrader's automatic 0, nothing to grade by hand
    assert [tuple(r[k] for k in keys) for r in rows] == [
        ("alice", "01_tiny", "5", "6", "5", "5", "0", "1", "0", "ok"),
        ("bob", "01_tiny", "0", "6", "0", "5", "0", "1", "0", "ok"),
    ]
    assert "graded 2 submission(s)" in proc.stdout, proc.stdout
    assert "01_tiny: mean 2.5 / 6 (automatic 2.5 / 5; written answers to grade by hand in Formgrader: 0)" in proc.stdout
    assert (out / "feedback" / "alice" / "01_tiny" / "01_tiny.html").is_file()
    assert (out / "report.json").is_file() and (out / "gradebook.db").is_file()
