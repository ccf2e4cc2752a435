"""The two workspaces' settings: the instructor's nbgrader configuration, a student's server, the Hub.

No server and no kernel runs here: each configuration file is loaded the way
its program loads it (jupyterhub_config.py with a stub ``get_config`` from
traitlets, as JupyterHub is not installed) and what it says is checked.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder.exchange import DEFAULT_EXCHANGE, EXCHANGE_ENV, ensure_default_exchange, exchange_root
from autograder.formgrader import HideHiddenTests, autograded_path, graded_dir, released_source, save_autograded
from autograder.submissions import Submission

REPO = Path(__file__).resolve().parents[1]
STUDENT_CONFIG = REPO / "autograder" / "student_config"


def load_course_config(**environ: str) -> Config:
    """autograder/nbgrader_config.py as nbgrader loads it, in a fresh process with ``environ``."""
    code = ("import json; from autograder.gradebook import course_config; c = course_config(); "
            "print(json.dumps({k: dict(v) for k, v in c.items()}, default=lambda o: getattr(o, '__name__', str(o))))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEQNLP_")} | environ
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=True)
    return Config(json.loads(out.stdout.splitlines()[-1]))


def exec_config(path: Path, **environ: str) -> Config:
    """Execute a traitlets config file (jupyterhub_config.py) with a stub ``get_config``, as its program would."""
    config = Config()
    saved = {k: os.environ.get(k) for k in environ}
    os.environ.update(environ)
    try:
        exec(compile(path.read_text(), str(path), "exec"), {"get_config": lambda: config, "__file__": str(path)})
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
    return config


def test_course_config_points_nbgrader_at_the_graders_output_and_the_exchange(tmp_path):
    c = load_course_config()
    assert c.CourseDirectory.course_id == "seqnlp"
    assert c.CourseDirectory.db_url == f"sqlite:///{REPO / 'graded' / 'gradebook.db'}"
    assert c.CourseDirectory.autograded_directory == "graded/autograded"
    assert c.CourseDirectory.feedback_directory == "graded/feedback"
    assert c.Exchange.root == str(REPO / ".exchange")
    assert c.GenerateFeedback.preprocessors == ["GetGrades", "HideHiddenTests", "CSSHTMLHeaderPreprocessor"]
    shared = tmp_path / "hub-exchange"
    c = load_course_config(SEQNLP_EXCHANGE=str(shared), SEQNLP_GRADED=str(tmp_path / "week1"))
    assert c.Exchange.root == str(shared) and not shared.exists(), "a shared exchange is the administrator's to create"
    assert c.CourseDirectory.db_url == f"sqlite:///{tmp_path / 'week1' / 'gradebook.db'}"
    assert c.CourseDirectory.autograded_directory == str(tmp_path / "week1" / "autograded")


def test_exchange_and_graded_locations(tmp_path, monkeypatch):
    assert exchange_root({}) == DEFAULT_EXCHANGE == REPO / ".exchange"
    assert exchange_root({EXCHANGE_ENV: str(tmp_path / "x")}) == tmp_path / "x"
    assert ensure_default_exchange(tmp_path / "x") == tmp_path / "x" and not (tmp_path / "x").exists()
    assert graded_dir({}) == REPO / "graded" and graded_dir({"SEQNLP_GRADED": "graded-week1"}) == REPO / "graded-week1"
    assert autograded_path(Path("graded"), "ann", "01_tiny") == Path("graded/autograded/ann/01_tiny/01_tiny.ipynb")
    for path in (".exchange/seqnlp/inbound", "graded/autograded/ann/01/01.ipynb"):
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO)
        assert ignored.returncode == 0, f"{path} must be git-ignored"


def test_student_server_has_only_assignment_list_and_validate():
    server = json.loads((STUDENT_CONFIG / "jupyter_server_config.json").read_text())["ServerApp"]["jpserver_extensions"]
    enabled = {name.rsplit(".", 1)[-1] for name, on in server.items() if on}
    assert enabled == {"assignment_list", "validate_assignment"}, server
    assert server["nbgrader.server_extensions.formgrader"] is False
    page = json.loads((STUDENT_CONFIG / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"} <= {k for k, v in page.items() if v}
    # what JupyterLab would serve to a student's browser, read the way it reads it
    code = ("from jupyterlab_server.config import get_static_page_config; import json; "
            "print(json.dumps(get_static_page_config(level='all').get('disabledExtensions', {})))")
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(STUDENT_CONFIG))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert "@jupyter/nbgrader:formgrader" in out.stdout


def test_student_nbgrader_config_reads_the_shared_exchange(tmp_path):
    def root(**environ):
        saved = {k: os.environ.get(k) for k in ("SEQNLP_EXCHANGE",)}
        os.environ.pop("SEQNLP_EXCHANGE", None)
        os.environ.update(environ)
        try:
            return PyFileConfigLoader("nbgrader_config.py", path=str(STUDENT_CONFIG)).load_config()
        finally:
            for key, value in saved.items():
                os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)

    assert root().Exchange.root == "/srv/nbgrader/exchange"
    c = root(SEQNLP_EXCHANGE=str(tmp_path))
    assert c.Exchange.root == str(tmp_path) and c.CourseDirectory.course_id == "seqnlp"
    assert "import autograder" not in (STUDENT_CONFIG / "nbgrader_config.py").read_text(), "students have no grader code"


def test_makefile_lab_is_student_safe_and_instructor_lab_has_formgrader():
    out = subprocess.run(["make", "-n", "lab"], cwd=REPO, capture_output=True, text=True).stdout
    assert f"JUPYTER_CONFIG_PATH={STUDENT_CONFIG}" in out and "make student-kit" in out
    out = subprocess.run(["make", "-n", "instructor-lab"], cwd=REPO, capture_output=True, text=True).stdout
    assert "JUPYTER_CONFIG_PATH" not in out and "jupyter lab" in out


def test_jupyterhub_config_loads(tmp_path):
    path = REPO / "autograder" / "jupyterhub_config.py"
    c = exec_config(path, SEQNLP_INSTRUCTORS="prof, ta", SEQNLP_STUDENTS="ann,bob",
                    SEQNLP_EXCHANGE=str(tmp_path / "exchange"), SEQNLP_COURSE_DIR="/home/grader-seqnlp/seqnlp")
    [service] = c.JupyterHub.services
    assert service["name"] == "seqnlp" and service["user"] == "grader-seqnlp"
    assert service["command"][0] == "/home/grader-seqnlp/seqnlp/.venv/bin/jupyterhub-singleuser"
    assert service["cwd"] == "/home/grader-seqnlp/seqnlp" and re.match(r"http://127\.0\.0\.1:\d+$", service["url"])
    assert service["environment"]["SEQNLP_EXCHANGE"] == str(tmp_path / "exchange")
    assert c.JupyterHub.load_groups == {"formgrade-seqnlp": ["prof", "ta"]}
    [role] = c.JupyterHub.load_roles
    assert "access:services!service=seqnlp" in role["scopes"] and role["groups"] == ["formgrade-seqnlp"]
    assert c.Authenticator.allowed_users == {"prof", "ta", "ann", "bob"} and c.Authenticator.admin_users == {"prof", "ta"}
    student_env = c.Spawner.environment
    assert student_env["SEQNLP_EXCHANGE"] == service["environment"]["SEQNLP_EXCHANGE"], "one exchange for everyone"
    assert student_env["JUPYTER_CONFIG_PATH"] == "/opt/seqnlp/student_config"
    assert "/home/grader-seqnlp" not in json.dumps(student_env), "students get nothing from the instructor's clone"
    # defaults, as committed
    c = exec_config(path)
    assert c.JupyterHub.services[0]["environment"]["SEQNLP_EXCHANGE"] == "/srv/nbgrader/exchange"
    assert c.JupyterHub.services[0]["cwd"] == str(REPO)


def test_generate_feedback_preprocessor_hides_hidden_tests():
    test_source = ('assert f(1) == 2, "f(1) should be 2"\n### BEGIN HIDDEN TESTS\n'
                   'assert f(7) == 14, "hidden: seven doubles to fourteen"\n### END HIDDEN TESTS')
    assert released_source(test_source) == 'assert f(1) == 2, "f(1) should be 2"'
    tb = ["Traceback", "Cell In[3], line 3\n      1 assert f(1) == 2\n----> 3 assert f(7) == 14, 'hidden: seven doubles'",
          "AssertionError: hidden: seven doubles to fourteen"]
    nb = new_notebook(cells=[
        new_markdown_cell("# lesson"),
        new_code_cell("def f(x):\n    return 2 * x if x < 5 else 0",
                      metadata={"nbgrader": {"grade": False, "solution": True, "grade_id": "ex_f", "locked": False}}),
        new_code_cell(test_source, outputs=[new_output("error", ename="AssertionError",
                                                       evalue="hidden: seven doubles to fourteen", traceback=tb)],
                      metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "test_f",
                                             "locked": True, "points": 1}}),
        new_code_cell("print('assert f(7) == 14, \"hidden: seven doubles to fourteen\"')",
                      outputs=[new_output("stream", name="stdout", text='assert f(7) == 14, "hidden: seven doubles to fourteen"\n')]),
    ])
    nb, _ = HideHiddenTests().preprocess(nb, {"nbgrader": {"assignment": "x"}})
    text = nb.cells[2].source + json.dumps([cell.get("outputs", []) for cell in nb.cells])
    assert "BEGIN HIDDEN" not in text and "f(7)" not in text and "fourteen" not in text, text
    assert "a hidden test of this cell failed" in text


def test_autograded_copy_is_sanitised_and_keeps_nbgraders_files(tmp_path):
    folder = tmp_path / "submitted" / "ann" / "01_tiny"
    folder.mkdir(parents=True)
    (folder / "01_tiny.ipynb").write_text("{}")
    (folder / "timestamp.txt").write_text("2026-12-01 23:30:00.000000 UTC")
    (folder / "submission_secret.txt").write_text("ab" * 64)
    nb = new_notebook(cells=[
        new_markdown_cell("hi <script>alert('md')</script>"),
        new_code_cell("x", outputs=[new_output("display_data", data={
            "text/html": "<b>ok</b><script>fetch('/api/contents')</script><img src=x onerror=alert(1)>",
            "text/plain": "ok"})]),
    ])
    stamp = save_autograded(nb, Submission("ann", "01_tiny", folder / "01_tiny.ipynb", "ann/01_tiny"), tmp_path / "out")
    assert stamp == "2026-12-01T23:30:00"
    written = (tmp_path / "out" / "autograded" / "ann" / "01_tiny" / "01_tiny.ipynb").read_text()
    assert "<script" not in written and "<img" not in written and "<b>ok</b>" in written, written
    for where in ("autograded", "feedback"):
        assert (tmp_path / "out" / where / "ann" / "01_tiny" / "submission_secret.txt").read_text() == "ab" * 64
    flat = Submission("ann", "01_tiny", tmp_path / "submitted" / "ann_01_tiny.ipynb", "ann_01_tiny.ipynb")
    (tmp_path / "submitted" / "timestamp.txt").write_text("2020-01-01 00:00:00 UTC")
    assert save_autograded(nb, flat, tmp_path / "flat") is None, "a flat folder has no nbgrader files"
