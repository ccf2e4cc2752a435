"""nbgrader's whole exchange flow on one machine: an instructor's course and a student's folder apart.

instructor: generate_assignment, release_assignment -> student: fetch_assignment,
answers, submit -> instructor: collect, ``python -m autograder grade`` on
``submitted/``, generate_feedback, release_feedback -> student: fetch_feedback.

Each side runs nbgrader the way its Jupyter pages do: the instructor through
``nbgrader.apps.api.NbGraderAPI`` (Formgrader's buttons) in this process, the
student through the exchange classes exactly as the Assignment List extension
calls them, in a process of its own per phase (nbgrader takes seconds to
import on a busy machine, so commands are not started one by one). The
student is another user where possible: as root its process runs as ``nobody``
(nbgrader names a student after the process's user, or ``$JUPYTERHUB_USER``
when that user is ``jovyan``), which exercises the exchange's permissions;
otherwise it is ``alice`` through ``CourseDirectory.student_id``. The student
side reads only autograder/student_config/ (what a student's server reads),
and the feedback it fetches shows no hidden test.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
from html import unescape
from pathlib import Path

import nbformat
import pytest

from autograder.classgen import solution_sources
from autograder.sandbox import detect_layers

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("exchange")]

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "grader" / "course" / "01_tiny"
LESSON = "01_tiny"
BIN = Path(sys.executable).parent
# public asserts pass, the hidden test `count([], "x") == 0` fails
WRONG_COUNT = 'def count(tokens, word):\n    return tokens.count(word) if tokens else 1\n'


def require_sandbox() -> None:
    layers = detect_layers()
    if not layers.complete:
        (pytest.fail if os.environ.get("CI") else pytest.skip)("the sandbox is incomplete here: " + layers.describe())


def other_user() -> pwd.struct_passwd | None:
    """``nobody``, when this process may act as it (root) and it can run this environment."""
    if os.geteuid() != 0:
        return None
    try:
        user = pwd.getpwnam("nobody")
    except KeyError:
        return None
    try:
        probe = subprocess.run([sys.executable, "-c", "import nbgrader"], user=user.pw_uid, group=user.pw_gid,
                               extra_groups=[], capture_output=True, cwd="/")
    except OSError:  # e.g. the interpreter lives under a home only root can enter
        return None
    return user if probe.returncode == 0 else None


class Actor:
    """Runs commands as one side of the flow, and times them."""

    def __init__(self, cwd: Path, env: dict[str, str], user: pwd.struct_passwd | None, times: dict[str, float]):
        self.cwd, self.env, self.user, self.times = cwd, env, user, times

    def run(self, step: str, *args: str) -> str:
        started = time.monotonic()
        kwargs = {}
        if self.user is not None:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        proc = subprocess.run(list(args), cwd=self.cwd, env=self.env, capture_output=True, text=True, **kwargs)
        self.times[step] = round(time.monotonic() - started, 2)
        assert proc.returncode == 0, f"{step}: {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return proc.stdout + proc.stderr

    def phase(self, phase: str, script: str, *args: str) -> None:
        out = self.run(phase, sys.executable, "-c", script, *args)
        steps = next(line for line in out.splitlines() if line.startswith("TIMES "))
        self.times.update(json.loads(steps[len("TIMES "):]))


@contextlib.contextmanager
def instructor_side(course: Path, environ: dict[str, str]):
    """This process as the instructor: in the course folder, with its environment (read when config loads)."""
    here, saved = os.getcwd(), {k: os.environ.get(k) for k in environ}
    os.environ.update(environ)
    os.chdir(course)
    try:
        yield
    finally:
        os.chdir(here)
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


def instructor_api():
    """nbgrader's API as Formgrader's buttons call it, with the course folder's configuration."""
    from nbgrader.apps.api import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    return NbGraderAPI(config=PyFileConfigLoader("nbgrader_config.py", path=os.getcwd()).load_config())


def instructor(steps: list[list[str]], times: dict[str, float]) -> None:
    from autograder.__main__ import main
    from autograder.gradebook import fast_gradebook_creation

    fast_gradebook_creation()  # as the grader does: no `alembic heads` subprocess per new gradebook
    api = instructor_api()
    for name, *args in steps:
        started = time.monotonic()
        if name == "grade":
            assert main(args) == 0, f"the grader failed on {args}"
        else:
            result = getattr(api, name)(LESSON)
            assert result["success"], f"{name} failed: {result.get('error')}\n{result.get('log')}"
        times[name] = round(time.monotonic() - started, 2)


STUDENT = """
import json, sys, time
import nbformat
from nbgrader.apps import NbGrader
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeFactory

lesson, student_id, steps, times = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), {}
for name, *args in steps:
    started = time.monotonic()
    if name == "answer":
        path, answers = args[0], json.load(open(args[1]))
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                cell.source = answers[grade_id]
        nbformat.write(nb, path)
    else:  # as nbgrader's Assignment List extension does it
        app = NbGrader()
        app.load_config_file()
        config = app.config
        config.CourseDirectory.assignment_id = lesson
        if student_id:
            config.CourseDirectory.student_id = student_id
        kind = {"fetch_assignment": "FetchAssignment", "submit": "Submit", "fetch_feedback": "FetchFeedback"}[name]
        getattr(ExchangeFactory(config=config), kind)(
            coursedir=CourseDirectory(config=config), authenticator=Authenticator(config=config), config=config).start()
    times[name] = round(time.monotonic() - started, 2)
print("TIMES " + json.dumps(times))
"""


def base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "SEQNLP_EXCHANGE", "SEQNLP_GRADED"))}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", HOME=str(home),
               JUPYTER_CONFIG_DIR=str(home / ".jupyter"), JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"),
               JUPYTER_RUNTIME_DIR=str(home / ".local" / "share" / "jupyter" / "runtime"))
    return env


def text_of(page: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", page))


@pytest.mark.filterwarnings("ignore:Passing unrecognized arguments:DeprecationWarning")  # nbgrader's own typo
def test_exchange_flow_between_two_course_directories():
    require_sandbox()
    times: dict[str, float] = {}  # each phase (process) and each step in it
    started = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="seqnlp-exchange-"))
    base.chmod(0o755)  # the student (another user) must reach its folder and the exchange
    try:
        exchange = base / "exchange"  # created by release_assignment, as on a fresh machine
        inst = base / "instructor"
        shutil.copytree(FIXTURE, inst / "solutions" / LESSON)
        (inst / "nbgrader_config.py").write_text(
            "c = get_config()  # noqa: F821\n"
            f"load_subconfig({str(REPO / 'autograder' / 'nbgrader_config.py')!r})  # noqa: F821\n"
            f"c.CourseDirectory.root = {str(inst)!r}\n"
        )
        graded = inst / "graded"
        as_instructor = {"SEQNLP_EXCHANGE": str(exchange), "SEQNLP_GRADED": str(graded),
                         "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # nbgrader runs alembic

        user = other_user()
        student_id = user.pw_name if user else "alice"
        stud, stud_home = base / "student", base / "student-home"
        stud.mkdir()
        stud_home.mkdir()
        stud_env = base_env(stud_home)
        stud_env.update(SEQNLP_EXCHANGE=str(exchange), JUPYTER_CONFIG_PATH=str(REPO / "autograder" / "student_config"),
                        USER=student_id, LOGNAME=student_id)
        if user:
            for path in (stud, stud_home):
                os.chown(path, user.pw_uid, user.pw_gid)
        student = Actor(stud, stud_env, user, times)

        answers = solution_sources(FIXTURE / f"{LESSON}.ipynb")
        answers["ex_count"] = WRONG_COUNT
        (base / "answers.json").write_text(json.dumps(answers))
        fetched = stud / LESSON / f"{LESSON}.ipynb"
        with instructor_side(inst, as_instructor):
            instructor([["generate_assignment"], ["release_assignment"]], times)
        assert "BEGIN HIDDEN TESTS" not in (inst / "lessons" / LESSON / f"{LESSON}.ipynb").read_text()
        student.phase("student: fetch, answer, submit", STUDENT, LESSON, "" if user else student_id, json.dumps(
            [["fetch_assignment"], ["answer", str(fetched), str(base / "answers.json")], ["submit"]]))
        grade_args = ["grade", str(inst / "submitted"), "--source", str(inst / "solutions"), "--out", str(graded),
                      "--workers", "1", "--no-progress"]
        with instructor_side(inst, as_instructor):
            instructor([["collect"], ["grade", *grade_args]], times)
        submitted = inst / "submitted" / student_id / LESSON
        assert (submitted / f"{LESSON}.ipynb").is_file() and (submitted / "timestamp.txt").is_file()
        with open(graded / "grades.csv", newline="", encoding="utf-8") as fh:
            grades = list(csv.DictReader(fh))
        got = [{k: row[k] for k in ("student", "lesson", "score", "max_score", "auto_score", "auto_max_score",
                                    "status")} for row in grades]
        # 3 of the 5 automatic points; the lesson's written question (1 point) was left as released: 0
        assert got == [{"student": student_id, "lesson": LESSON, "score": "3", "max_score": "6", "auto_score": "3",
                        "auto_max_score": "5", "status": "ok"}], grades

        # what Formgrader reads: the submission is autograded (same timestamp), with its cells' scores
        autograded = graded / "autograded" / student_id / LESSON / f"{LESSON}.ipynb"
        assert "BEGIN HIDDEN TESTS" in autograded.read_text(), "the autograded notebook is the instructor's copy"
        with instructor_side(inst, as_instructor):
            api = instructor_api()
            [sub] = api.get_submissions(LESSON)
            [nb_sub] = api.get_notebook_submissions(LESSON, LESSON)
        assert sub["autograded"] and sub["student"] == student_id and sub["score"] == 3 and sub["max_score"] == 6, sub
        assert nb_sub["score"] == 3 and not nb_sub["needs_manual_grade"], nb_sub

        with instructor_side(inst, as_instructor):
            instructor([["generate_feedback"], ["release_feedback"]], times)
        student.phase("student: fetch feedback", STUDENT, LESSON, "" if user else student_id,
                      json.dumps([["fetch_feedback"]]))

        [page] = sorted((stud / LESSON / "feedback").glob(f"*/{LESSON}.html"))
        text = text_of(page.read_text())
        assert "3.0 / 6.0" in text or "Score: 3" in text, text[:2000]
        assert "a hidden test of this cell failed" in text
        assert "HIDDEN TESTS" not in text
        source = nbformat.read(FIXTURE / f"{LESSON}.ipynb", as_version=4)
        for cell in source.cells:
            if "### BEGIN HIDDEN TESTS" in cell.source:
                hidden = cell.source.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
                for line in filter(None, (raw.strip() for raw in hidden.splitlines())):
                    assert line not in text, f"hidden test line in the student's feedback: {line}"
                    assert line.split(", ", 1)[-1] not in text, f"hidden assert message in the feedback: {line}"
    finally:
        shutil.rmtree(base, ignore_errors=True)
    times["total"] = round(time.monotonic() - started, 2)
    print("exchange flow seconds: " + json.dumps(times))
