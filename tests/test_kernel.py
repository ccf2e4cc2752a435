"""One honest kernel: the notebooks declare exactly the kernel `make kernel` registers, that kernel is the
course's interpreter, every runner uses it, and a Jupyter server opens and saves a lesson without
touching its kernelspec or language_info."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager

from autograder.kernelmeta import kernel_language_info
from autograder.lessons import LESSONS, released_notebook, source_notebook
from autograder.settings import COURSE_KERNEL, COURSE_KERNEL_DISPLAY

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = [p for lesson in LESSONS for p in (source_notebook(lesson), released_notebook(lesson)) if p.is_file()]


def test_the_course_kernel_is_registered_from_the_course_interpreter():
    spec = KernelSpecManager().get_kernel_spec(COURSE_KERNEL)
    assert spec.display_name == COURSE_KERNEL_DISPLAY
    assert Path(spec.argv[0]).resolve() == Path(sys.executable).resolve(), "the kernel must run the course's venv"
    makefile = (REPO / "Makefile").read_text()
    assert f'--name {COURSE_KERNEL} --display-name "{COURSE_KERNEL_DISPLAY}"' in makefile


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_notebooks_declare_the_course_kernel(path):
    meta = nbformat.read(path, as_version=4).metadata
    assert meta.get("kernelspec") == {"name": COURSE_KERNEL, "display_name": COURSE_KERNEL_DISPLAY,
                                      "language": "python"}, f"{path}: run `python -m autograder.kernelmeta`"


def test_language_info_is_what_the_kernel_reports():
    info = kernel_language_info()
    minor = ".".join(info["version"].split(".")[:2])  # another 3.11.x patch release is the same course
    for path in NOTEBOOKS:
        stored = dict(nbformat.read(path, as_version=4).metadata.get("language_info", {}))
        assert ".".join(str(stored.pop("version", "")).split(".")[:2]) == minor, path
        assert stored == {k: v for k, v in info.items() if k != "version"}, (
            f"{path} does not carry the kernel's language_info: run `python -m autograder.kernelmeta`")


def test_every_runner_uses_the_course_kernel():
    from autograder import execution, roundtrip

    assert 'kernel_name=COURSE_KERNEL' in Path(roundtrip.__file__).read_text()
    assert 'kernel_name=COURSE_KERNEL' in Path(execution.__file__).read_text()
    # nbgrader's validate and autograde start the kernel the notebook declares: nothing may override it
    config = (REPO / "autograder" / "nbgrader_config.py").read_text()
    assert "kernel_name" not in config or f'kernel_name = "{COURSE_KERNEL}"' in config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.notebook
def test_opening_and_saving_through_the_server_changes_no_metadata(tmp_path):
    lesson = LESSONS[0]
    work = tmp_path / "course"
    (work / "lessons" / lesson).mkdir(parents=True)
    target = work / "lessons" / lesson / f"{lesson}.ipynb"
    shutil.copy(released_notebook(lesson), target)
    before = nbformat.read(target, as_version=4).metadata
    port, token = _free_port(), "t0ken"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"), JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"))
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}", "--allow-root"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api/contents/lessons/{lesson}/{lesson}.ipynb"

    def call(method: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(base, data=data, method=method,
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"{}")

    try:
        for _ in range(120):
            try:
                model = call("GET")
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the Jupyter server did not answer")
        assert model["content"]["metadata"]["kernelspec"]["name"] == COURSE_KERNEL
        call("PUT", {"type": "notebook", "format": "json", "content": model["content"]})
        after = nbformat.read(target, as_version=4).metadata
        assert after.get("kernelspec") == before.get("kernelspec")
        assert after.get("language_info") == before.get("language_info")
        assert re.sub(r"\s", "", target.read_text()) == re.sub(r"\s", "", released_notebook(lesson).read_text())
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
