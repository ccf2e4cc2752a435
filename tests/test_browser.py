"""What a person sees in the browser: a student's JupyterLab from the kit, and the instructor's Formgrader.

Playwright for Python drives the distribution's Chromium (``apt-get install chromium
fonts-noto-color-emoji``; never ``playwright install``) against servers on 127.0.0.1 that
need a token:

* the student kit of lesson 01, opened with the kit's own ``make lab``: the setup cell runs,
  the answer of exercise 1 is typed into its cell, its public test passes, and nbgrader's
  Validate button shows its dialog with the result (the other exercises are still stubs, so
  validation lists their test cells, and not exercise 1's);
* a tiny class graded by ``autograder.grade``, then Formgrader (the server and configuration of
  ``make instructor-lab``) showing each student's score on the assignment's submissions page.

A screenshot is taken at each step into the test's ``tmp_path``; their paths are printed.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from test_formgrader import COURSE, LESSON, Formgrader, free_port, grade_class, require_sandbox
from test_student_kit import VENV

from autograder.classgen import solution_sources, submission, write
from autograder.gradebook import prepare_lessons
from autograder.lessons import LESSONS, REPO_ROOT, source_notebook
from autograder.studentkit import build_kit

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("browser")]

KIT_LESSON = LESSONS[0]
EXERCISE = "ex_clean_text"
KERNEL_TIMEOUT = 180_000  # ms: a kernel that imports torch and TensorFlow on 2 busy cores
VALIDATE_TIMEOUT = 300_000  # ms: nbgrader runs the whole lesson in fast mode
UI_TIMEOUT = 60_000  # ms
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "no `chromium` on PATH: apt-get install -y chromium fonts-noto-color-emoji (never playwright install)"
        (pytest.fail if os.environ.get("CI") else pytest.skip)(message)
    return path


@pytest.fixture(scope="module")
def browser():
    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Screens:
    """Numbered screenshots of one page, into one folder; each path is printed."""

    def __init__(self, page, folder: Path):
        self.page, self.folder, self.count = page, folder, 0

    def shot(self, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        print(f"screenshot: {path}")
        return path


def jupyter_env(home: Path) -> dict[str, str]:
    """A student's or instructor's environment: nothing of this test run's Jupyter or seqnlp settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("JUPYTER") and k not in ("PYTHONPATH", "SEQNLP_MODE", "CI")}
    env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"))
    return env


class KitLab:
    """The kit's ``make lab``, headless on 127.0.0.1 with a token, with the course's venv (``VENV=``)."""

    def __init__(self, kit: Path, home: Path):
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(home / "lab.log", "w+")
        args = (f"--no-browser --ip=127.0.0.1 --port={self.port} --ServerApp.token={self.token} "
                "--LabApp.expose_app_in_browser=True")
        self.proc = subprocess.Popen(["make", "-s", "lab", f"VENV={VENV}", f"LAB_ARGS={args}"], cwd=kit,
                                     env=jupyter_env(home), stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait(self, timeout: float = 150.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"make lab exited: {self.output()}"
            try:
                req = urllib.request.Request(self.base + "/api/status",
                                             headers={"Authorization": f"token {self.token}"})
                with urllib.request.urlopen(req, timeout=10) as reply:
                    if reply.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.5)
        raise AssertionError(f"JupyterLab did not answer within {timeout:g} s: {self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def student_answer(lesson: str, grade_id: str) -> str:
    """The solution cell as a student would write it: the answer key's cell without nbgrader's markers."""
    source = solution_sources(source_notebook(lesson))[grade_id]
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def cell(page, index: int):
    return page.locator(f'.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell[data-windowed-list-index="{index}"]')


def run_cell(page, index: int) -> None:
    """Select a cell in command mode (click its prompt) and run it with Shift+Enter, as a person does."""
    target = cell(page, index)
    target.scroll_into_view_if_needed()
    target.locator(".jp-InputPrompt").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+Enter")


def wait_executed(page, index: int, timeout: int = KERNEL_TIMEOUT) -> None:
    from playwright.sync_api import expect

    expect(cell(page, index).locator(".jp-InputArea-prompt").first).to_have_text(re.compile(r"\[\d+\]:"),
                                                                                 timeout=timeout)


def errors_in(page, index: int) -> list[str]:
    outputs = cell(page, index).locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    return [outputs.nth(i).inner_text() for i in range(outputs.count())]


def test_student_kit_lesson_in_the_browser(browser, tmp_path):
    from playwright.sync_api import expect

    started = time.monotonic()
    timings = {}
    kit, _, _ = build_kit(KIT_LESSON[:2], tmp_path / "dist")
    timings["kit"] = round(time.monotonic() - started, 1)
    home = tmp_path / "home"
    home.mkdir()
    released = nbformat.read(kit / "lessons" / KIT_LESSON / f"{KIT_LESSON}.ipynb", as_version=4)
    ids = {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(released.cells)}
    setup_cell, answer_cell, test_cell = ids["setup"], ids[EXERCISE], ids["test_clean_text_basic"]
    answer = student_answer(KIT_LESSON, EXERCISE)

    lab = KitLab(kit, home)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    screens = Screens(page, tmp_path)
    try:
        lab.wait()
        timings["lab start"] = round(time.monotonic() - started - timings["kit"], 1)
        path = f"lessons/{KIT_LESSON}/{KIT_LESSON}.ipynb"
        page.goto(f"{lab.base}/lab/tree/{path}?token={lab.token}", timeout=UI_TIMEOUT)
        expect(cell(page, setup_cell)).to_be_visible(timeout=UI_TIMEOUT)
        validate = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .validate-button")
        expect(validate).to_be_visible(timeout=UI_TIMEOUT)
        # the status bar says "Python 3 (ipykernel) | Idle" once the kernel has started
        expect(page.locator(".jp-StatusBar-Widget", has_text=re.compile(r"\|\s*Idle"))).to_be_visible(
            timeout=KERNEL_TIMEOUT)
        screens.shot("kit-notebook-open")

        t = time.monotonic()
        run_cell(page, setup_cell)
        wait_executed(page, setup_cell)
        assert not errors_in(page, setup_cell), errors_in(page, setup_cell)
        timings["setup cell"] = round(time.monotonic() - t, 1)
        screens.shot("kit-setup-cell-ran")

        # type the answer into the exercise's cell: select everything in its editor, insert the text
        editor = cell(page, answer_cell).locator(".cm-content")
        editor.scroll_into_view_if_needed()
        editor.click()
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.insert_text(answer)
        page.keyboard.press("Escape")
        typed = page.evaluate(
            "i => window.jupyterapp.shell.currentWidget.content.widgets[i].model.sharedModel.getSource()",
            answer_cell)
        assert typed == answer, f"the cell holds {typed!r}"
        screens.shot("kit-answer-typed")

        t = time.monotonic()
        run_cell(page, answer_cell)
        run_cell(page, test_cell)
        wait_executed(page, test_cell)
        errors = errors_in(page, answer_cell) + errors_in(page, test_cell)
        cell(page, test_cell).scroll_into_view_if_needed()
        screens.shot("kit-test-cell-ran")
        assert not errors, errors
        expect(cell(page, test_cell).locator(".jp-OutputArea-output")).to_contain_text("clean_text: tests passed")
        timings["answer and test"] = round(time.monotonic() - t, 1)

        t = time.monotonic()
        validate.click()
        dialog = page.locator(".jp-Dialog", has_text="Validation Results")
        expect(dialog).to_be_visible(timeout=VALIDATE_TIMEOUT)
        message = dialog.locator("#validation-message")
        expect(message).to_be_visible(timeout=UI_TIMEOUT)
        timings["validate"] = round(time.monotonic() - t, 1)
        screens.shot("kit-validation-dialog")
        text = message.inner_text()
        # the other exercises are stubs: validation lists their test cells, and not exercise 1's
        assert "validation-failed" in (message.get_attribute("class") or ""), text[:2000]
        assert "The following cell failed:" in text and "_test_char_ngrams" in text, text[:2000]
        assert "_test_clean_text_basic" not in text and "_test_clean_text_unicode" not in text, text[:2000]
        dialog.get_by_role("button", name="Ok").click()
        expect(dialog).to_be_hidden(timeout=UI_TIMEOUT)
        screens.shot("kit-validation-closed")
    except Exception as err:
        try:
            screens.shot("kit-failure")
        except Exception:  # noqa: BLE001 - the browser may be gone; the original error matters
            pass
        raise AssertionError(f"{err}\nlab log:\n{lab.output()}") from err
    finally:
        page.close()
        lab.stop()
    timings["total"] = round(time.monotonic() - started, 1)
    print(f"student kit browser test seconds: {timings}")
    saved = nbformat.read(kit / "lessons" / KIT_LESSON / f"{KIT_LESSON}.ipynb", as_version=4)
    assert saved.cells[answer_cell].source == answer, "Validate saves the notebook first: the answer is on disk"


def test_formgrader_shows_graded_submissions_in_the_browser(browser, tmp_path):
    from playwright.sync_api import expect

    require_sandbox()
    started = time.monotonic()
    timings = {}
    course, home = tmp_path / "course", tmp_path / "home"
    course.mkdir()
    home.mkdir()
    shutil.copytree(COURSE / LESSON, course / "solutions" / LESSON)
    (course / "nbgrader_config.py").write_text(  # the repository's instructor configuration, in this course
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({str(REPO_ROOT / 'autograder' / 'nbgrader_config.py')!r})  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
    )
    info = prepare_lessons({LESSON: COURSE / LESSON / f"{LESSON}.ipynb"}, tmp_path / "lesson.db")[LESSON]
    # the class as `nbgrader collect` brings it in (submitted/, with nbgrader's timestamps), then graded
    class_dir = course / "submitted"
    answers = {"ann": solution_sources(COURSE / LESSON / f"{LESSON}.ipynb"), "bob": {}}
    for student, sources in answers.items():
        write(submission(info, sources), class_dir / student / LESSON / f"{LESSON}.ipynb")
        (class_dir / student / LESSON / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    grade_class(class_dir, course)
    timings["grade"] = round(time.monotonic() - started, 1)

    env = jupyter_env(home)
    env.update(SEQNLP_GRADED=str(course / "graded"), SEQNLP_EXCHANGE=str(tmp_path / "exchange"),
               PATH=f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    (tmp_path / "exchange").mkdir()
    server = Formgrader(course, env, home)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    screens = Screens(page, tmp_path)
    try:
        server.wait()
        timings["server start"] = round(time.monotonic() - started - timings["grade"], 1)
        page.goto(f"{server.base}/formgrader?token={server.token}", timeout=UI_TIMEOUT)
        row = page.locator("tr", has=page.locator("td", has_text=LESSON))
        submissions = row.locator(".num-submissions a")
        expect(submissions).to_have_text("2", timeout=UI_TIMEOUT)
        screens.shot("formgrader-assignments")

        submissions.click()
        page.wait_for_url(re.compile(rf"/formgrader/manage_submissions/{LESSON}/?$"), timeout=UI_TIMEOUT)
        scores = {}
        # 6 points: 5 automatic and a written answer (ann's waits for a hand, bob left it as released)
        for student, expected in (("ann", "5 / 6"), ("bob", "0 / 6")):
            student_row = page.locator("tr", has=page.locator("td.student-id", has_text=re.compile(rf"^{student}$")))
            expect(student_row.locator("td.score")).to_have_text(expected, timeout=UI_TIMEOUT)
            scores[student] = {"score": student_row.locator("td.score").inner_text(),
                               "status": student_row.locator("td.status").inner_text().strip()}
        screens.shot("formgrader-submissions")
        assert all(shown["status"] == "graded" for shown in scores.values()), scores
        print(f"formgrader showed: {scores}")
    except Exception as err:
        try:
            screens.shot("formgrader-failure")
        except Exception:  # noqa: BLE001 - the browser may be gone; the original error matters
            pass
        raise AssertionError(f"{err}\nserver log:\n{server.output()}") from err
    finally:
        page.close()
        server.stop()
    timings["total"] = round(time.monotonic() - started, 1)
    print(f"formgrader browser test seconds: {timings}")
