"""Formgrader sees what the grader wrote: every graded submission, its per-cell scores, manual grading.

A class is graded with ``autograder.grade`` into a course's ``graded/``; a real
Jupyter server with nbgrader's Formgrader then runs on 127.0.0.1 in that
course, and the test talks to Formgrader's REST API the way its pages do:
submissions and their scores, each notebook's cells, the grading page of a
submission (the autograded notebook), a manual score and a comment set by
hand. The fixture's written question (a manually graded answer cell) is listed
for manual grading, graded by hand through the same API, and reaches
grades.csv through ``python -m autograder export``. Grading the class again
must keep those manual scores and the comment.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from autograder.classgen import solution_sources, submission, write
from autograder.gradebook import prepare_lessons
from autograder.sandbox import Limits, detect_layers

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("formgrader")]

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "tests" / "fixtures" / "grader" / "course"
LESSON = "01_tiny"
QUESTION = "q_norm"
ANN_ANSWER = "Ann's own answer: the norm of the zero vector is 0, so I return the vector unchanged."
BIN = Path(sys.executable).parent
KEYS = ("student", "score", "max_score", "auto_score", "auto_max_score", "manual_score", "manual_max_score",
        "manual_pending", "status")  # the columns of grades.csv this test reads


def require_sandbox() -> None:
    layers = detect_layers()
    if not layers.complete:
        (pytest.fail if os.environ.get("CI") else pytest.skip)("the sandbox is incomplete here: " + layers.describe())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Formgrader:
    """A Jupyter server with Formgrader in ``course``, spoken to over HTTP with a token."""

    def __init__(self, course: Path, env: dict[str, str], home: Path):
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(home / "server.log", "w+")
        cmd = [str(BIN / "jupyter"), "server", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
               f"--ServerApp.token={self.token}", f"--ServerApp.root_dir={course}"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        self.proc = subprocess.Popen(cmd, cwd=course, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait(self, timeout: float = 150.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"the server exited: {self.output()}"
            try:
                if self.request("GET", "/formgrader/api/status") == {"status": True}:
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.5)
        raise AssertionError(f"Formgrader did not answer within {timeout:g} s: {self.output()}")

    def request(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=60) as reply:
            text = reply.read().decode()
        return json.loads(text) if text.lstrip().startswith(("{", "[")) else text

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def grade_class(class_dir: Path, course: Path) -> None:
    from autograder.grade import GradeOptions, grade

    grade(GradeOptions(submissions=class_dir, out=course / "graded", source=course / "solutions", workers=2,
                       progress=False, limits=Limits(cell_timeout=60, notebook_timeout=300)))


def test_formgrader_shows_grades_and_keeps_manual_scores(tmp_path):
    require_sandbox()
    started = time.monotonic()
    timings = {}
    course, home = tmp_path / "course", tmp_path / "home"
    course.mkdir()
    home.mkdir()
    graded = course / "graded"
    shutil.copytree(COURSE / LESSON, course / "solutions" / LESSON)  # Formgrader lists source folders
    (course / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({str(REPO / 'autograder' / 'nbgrader_config.py')!r})  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
    )
    info = prepare_lessons({LESSON: COURSE / LESSON / f"{LESSON}.ipynb"}, tmp_path / "lesson.db")[LESSON]
    class_dir = tmp_path / "class"
    answers = {**solution_sources(COURSE / LESSON / f"{LESSON}.ipynb"), QUESTION: ANN_ANSWER}
    write(submission(info, answers), class_dir / "ann" / LESSON / f"{LESSON}.ipynb")
    write(submission(info, {}), class_dir / "bob" / LESSON / f"{LESSON}.ipynb")
    (class_dir / "eve" / LESSON).mkdir(parents=True)
    (class_dir / "eve" / LESSON / f"{LESSON}.ipynb").write_text("this is not a notebook")
    grade_class(class_dir, course)
    timings["grade"] = round(time.monotonic() - started, 1)

    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(SEQNLP_GRADED=str(graded), SEQNLP_EXCHANGE=str(tmp_path / "exchange"), HOME=str(home),
               PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
               JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_RUNTIME_DIR=str(home / "runtime"))
    (tmp_path / "exchange").mkdir()
    server = Formgrader(course, env, home)
    try:
        server.wait()
        timings["server start"] = round(time.monotonic() - started - timings["grade"], 1)
        assert [a["name"] for a in server.request("GET", "/formgrader/api/assignments")] == [LESSON]
        subs = {s["student"]: s for s in server.request("GET", f"/formgrader/api/submissions/{LESSON}")}
        assert set(subs) == {"ann", "bob", "eve"}, subs
        assert all(s["autograded"] for s in subs.values()), subs
        assert (subs["ann"]["score"], subs["ann"]["max_score"]) == (5, 6), "5 automatic, 1 written point to grade"
        assert subs["bob"]["score"] == 0 and subs["eve"]["score"] == 0

        notebooks = {n["student"]: n for n in server.request("GET", f"/formgrader/api/submitted_notebooks/{LESSON}/{LESSON}")}
        assert set(notebooks) == {"ann", "bob", "eve"}, notebooks
        assert notebooks["eve"]["flagged"], "a submission that could not be graded is flagged for a look"
        # Formgrader's manual grading view: ann's written answer waits for a hand, bob's stub was nbgrader's 0
        assert notebooks["ann"]["needs_manual_grade"] and not notebooks["bob"]["needs_manual_grade"], notebooks
        cells = {}
        for student, nb in notebooks.items():
            grades = server.request("GET", f"/formgrader/api/grades?submission_id={nb['id']}")
            cells[student] = {g["name"]: (g["auto_score"], g["max_score"]) for g in grades}
        assert cells["ann"] == {"test_count": (2, 2), "test_normalize": (2, 2), "test_normalize_partial": (1, 1),
                                QUESTION: (None, 1)}, cells
        assert cells["bob"] == {"test_count": (0, 2), "test_normalize": (0, 2), "test_normalize_partial": (0, 1),
                                QUESTION: (0, 1)}, cells

        page = server.request("GET", f"/formgrader/submissions/{notebooks['ann']['id']}/")
        assert "test_count" in page and "BEGIN HIDDEN TESTS" in page, "the grading page shows the autograded notebook"
        assert "the norm of the zero vector is 0" in page, "and the written answer as submitted"
        assert "Model answer" not in page and "Rubric" not in page

        # grade ann's written answer by hand, as the manual grading view does, then re-export grades.csv
        [written] = [g for g in server.request("GET", f"/formgrader/api/grades?submission_id={notebooks['ann']['id']}")
                     if g["name"] == QUESTION]
        assert written["needs_manual_grade"] and written["auto_score"] is None, written
        marked = server.request("PUT", f"/formgrader/api/grade/{written['id']}", {"manual_score": 1})
        assert marked["manual_score"] == 1 and not marked["needs_manual_grade"], marked
        export = subprocess.run([sys.executable, "-m", "autograder", "export", "--out", str(graded)], env=env,
                                cwd=REPO, capture_output=True, text=True, timeout=120)
        assert export.returncode == 0, export.stdout + export.stderr
        assert "written answers still to grade by hand: 0" in export.stdout, export.stdout
        with open(graded / "grades.csv", newline="") as fh:
            exported = {r["student"]: r for r in csv.DictReader(fh)}
        assert [exported["ann"][k] for k in KEYS] == ["ann", "6", "6", "5", "5", "1", "1", "0", "ok"], exported
        eve_page = server.request("GET", f"/formgrader/submissions/{notebooks['eve']['id']}/")
        assert "invalid-notebook" in eve_page

        # grade by hand: one test cell of bob's, and a comment on his answer
        [count] = [g for g in server.request("GET", f"/formgrader/api/grades?submission_id={notebooks['bob']['id']}")
                   if g["name"] == "test_count"]
        changed = server.request("PUT", f"/formgrader/api/grade/{count['id']}", {"manual_score": 1.5})
        assert changed["manual_score"] == 1.5 and not changed["needs_manual_grade"], changed
        [comment] = [c for c in server.request("GET", f"/formgrader/api/comments?submission_id={notebooks['bob']['id']}")
                     if c["name"] == "ex_count"]
        server.request("PUT", f"/formgrader/api/comment/{comment['id']}", {"manual_comment": "close: count whole tokens"})
        assert {s["student"]: s["score"] for s in server.request("GET", f"/formgrader/api/submissions/{LESSON}")}["bob"] == 1.5

        regrade = time.monotonic()
        grade_class(class_dir, course)
        timings["regrade"] = round(time.monotonic() - regrade, 1)
        after = {s["student"]: s for s in server.request("GET", f"/formgrader/api/submissions/{LESSON}")}
        assert after["bob"]["score"] == 1.5 and after["ann"]["score"] == 6, after
        again = server.request("GET", f"/formgrader/api/grade/{written['id']}")
        assert again["manual_score"] == 1 and not again["needs_manual_grade"], "same notebook: nothing new to review"
        kept = server.request("GET", f"/formgrader/api/grade/{count['id']}")
        assert kept["manual_score"] == 1.5 and kept["auto_score"] == 0, kept
        note = server.request("GET", f"/formgrader/api/comment/{comment['id']}")
        assert note["manual_comment"] == "close: count whole tokens", note
        print("formgrader showed: " + json.dumps({
            "submissions": {k: [v["score"], v["max_score"], v["autograded"]] for k, v in subs.items()},
            "cells": cells, "flagged": {k: v["flagged"] for k, v in notebooks.items()},
            "bob after re-grade": [after["bob"]["score"], kept["auto_score"], kept["manual_score"],
                                   kept["needs_manual_grade"]]}))
    except AssertionError as err:
        raise AssertionError(f"{err}\nserver log:\n{server.output()}") from None
    finally:
        server.stop()
    timings["total"] = round(time.monotonic() - started, 1)
    print("formgrader test seconds: " + json.dumps(timings))
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded / 'gradebook.db'}") as gb:  # the same, through nbgrader's Gradebook API
        grade = gb.find_grade("test_count", LESSON, LESSON, "bob")
        assert (grade.auto_score, grade.manual_score, grade.score) == (0, 1.5, 1.5)
        assert gb.find_comment("ex_count", LESSON, LESSON, "bob").manual_comment == "close: count whole tokens"
        assert gb.find_submission_notebook(LESSON, LESSON, "eve").flagged
        assert not gb.find_submission_notebook(LESSON, LESSON, "ann").flagged
    with open(graded / "grades.csv", newline="") as fh:
        rows = [tuple(r[k] for k in KEYS) for r in csv.DictReader(fh)]
    # bob's override of a test cell counts in the automatic part; ann's written point in the manual part
    assert rows == [("ann", "6", "6", "5", "5", "1", "1", "0", "ok"), ("bob", "1.5", "6", "1.5", "5", "0", "1", "0", "ok"),
                    ("eve", "0", "6", "0", "5", "0", "1", "0", "invalid-notebook")], rows
