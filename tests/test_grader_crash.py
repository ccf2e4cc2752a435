"""One crash costs one submission: a submission that kills its grading worker is isolated and named,
and the innocent submissions that were in flight with it are graded again, not marked as errors."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

import autograder.grade as grade_module
from autograder.classgen import solution_sources, submission, write
from autograder.grade import GradeOptions, grade
from autograder.gradebook import prepare_lessons
from autograder.sandbox import Limits, detect_layers

pytestmark = [pytest.mark.notebook]

COURSE = Path(__file__).parent / "fixtures" / "grader" / "course"
LESSON = "01_tiny"
SOURCE = COURSE / LESSON / f"{LESSON}.ipynb"


_REAL = grade_module._worker_grade
_STATE: dict = {}


def crashing(sub, next_sub=None):
    """Runs in the forked worker: the worker process itself dies, as a bug of the grader's would make it."""
    with open(_STATE["calls"], "a") as fh:
        fh.write(sub.student + "\n")
    if sub.student == "crasher":
        os._exit(3)
    return _REAL(sub, next_sub)


def test_a_worker_crash_costs_only_the_crashing_submission(tmp_path, monkeypatch):
    if not detect_layers().complete:
        (pytest.fail if os.environ.get("CI") else pytest.skip)("the sandbox is incomplete here")
    lesson = prepare_lessons({LESSON: SOURCE}, tmp_path / "l.db")[LESSON]
    sol = solution_sources(SOURCE)
    for student in ("alice", "bob", "crasher", "dave", "erin"):
        write(submission(lesson, sol), tmp_path / "class" / student / LESSON / f"{LESSON}.ipynb")
    calls = tmp_path / "calls.txt"
    monkeypatch.setitem(_STATE, "calls", calls)
    monkeypatch.setattr(grade_module, "_worker_grade", crashing)
    grade(GradeOptions(submissions=tmp_path / "class", out=tmp_path / "out", workers=2, progress=False,
                       source=COURSE, limits=Limits(cell_timeout=30, notebook_timeout=120, memory_mb=1024,
                                                    processes=96, tmp_mb=64)))
    rows = {r["student"]: r for r in csv.DictReader(open(tmp_path / "out" / "grades.csv"))}
    assert set(rows) == {"alice", "bob", "crasher", "dave", "erin"}
    for student in ("alice", "bob", "dave", "erin"):
        row = rows[student]  # full marks: the automatic maximum (the written question is left as released)
        assert row["status"] == "ok" and row["auto_score"] == row["auto_max_score"] == "5", row
    assert rows["crasher"]["status"] == "error" and float(rows["crasher"]["score"]) == 0
    report = {r["student"]: r for r in json.loads((tmp_path / "out" / "report.json").read_text())["submissions"]}
    assert "crashed the grading worker" in report["crasher"]["detail"]
    assert calls.read_text().split().count("crasher") == 2  # once in the pool, once alone
    assert not sandboxes_left(tmp_path), "a sandbox of this class outlived its grading worker"


def sandboxes_left(root: Path, wait: float = 5.0) -> list[int]:
    """Pids of sandbox processes still running for submissions under ``root`` (given ``wait`` s to exit)."""
    import time

    deadline = time.monotonic() + wait
    while True:
        left = []
        for entry in Path("/proc").iterdir():
            try:
                argv = (entry / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
            except OSError:
                continue
            if len(argv) > 1 and argv[-2].endswith(b"sandbox_exec.py") and argv[-1].endswith(b"spec.json"):
                try:
                    if str(root) in Path(argv[-1].decode()).read_text():
                        left.append(int(entry.name))
                except OSError:
                    continue
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)
