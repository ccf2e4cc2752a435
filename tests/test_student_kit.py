"""The student kit: no line of the answer key in any file; `make check` and nbval work from the unzipped kit."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.classgen import solution_sources
from autograder.helperbuild import lesson_build
from autograder.lessons import LESSONS, REPO_ROOT, available_lessons, source_notebook
from autograder.studentkit import build_kit

VENV = Path(sys.prefix)  # the course environment: the kit's Makefile can use it instead of its own
CI_UNTIL = "02"


@pytest.fixture(scope="module")
def full_kit(tmp_path_factory):
    started = time.perf_counter()
    kit, archive, result = build_kit(LESSONS[-1], tmp_path_factory.mktemp("dist"))
    return kit, archive, result, time.perf_counter() - started


def test_kit_holds_no_line_of_the_answer_key(full_kit):
    kit, archive, result, seconds = full_kit
    print(f"\nkit {kit.name}: built in {seconds:.0f} s; {result.describe()}")
    assert not result.hits, result.hits[:10]
    assert result.checked["solution"] > 200 and result.checked["hidden test"] > 400 and result.checked["mutant"] > 400
    written = [c for lesson in available_lessons() for c in nbformat.read(source_notebook(lesson), as_version=4).cells
               if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")
               and c.metadata.get("nbgrader", {}).get("solution")]
    assert bool(result.checked["model answer"]) == bool(written), "every model answer and rubric line is looked for"
    assert all(name.startswith("seqnlp/") for name, _, _ in result.shared)
    files = sorted(str(p.relative_to(kit)) for p in kit.rglob("*") if p.is_file())
    assert result.files == len(files)
    for name in files:
        assert not re.search(r"(^|/)(solutions|autograder|tests|benchmarks)/|mutants|gradebook", name), name
    for lesson in available_lessons():
        assert f"lessons/{lesson}/{lesson}.ipynb" in files
    assert "datasets/SHA256SUMS" in files and "seqnlp/checks.py" in files
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert not any(marker in (kit / name).read_text(errors="replace") for name in files if
                       not name.startswith("datasets/")), marker
    for name in os.listdir(kit / "seqnlp"):
        if name.endswith(".py"):
            assert (kit / "seqnlp" / name).read_bytes() == (lesson_build(LESSONS[0]) / "seqnlp" / name).read_bytes()
    with zipfile.ZipFile(archive) as zf:
        assert sorted(n.split("/", 1)[1] for n in zf.namelist()) == files
    readme = (kit / "README.md").read_text()
    assert "make check L=01" in readme and "| 08 |" in readme and "{rows}" not in readme


EFFECTIVE_EXTENSIONS = """
import json
from jupyter_server.serverapp import ServerApp
app = ServerApp()
app.load_config_file()
app.find_server_extensions()
print(json.dumps({k.rsplit(".", 1)[1]: v for k, v in app.jpserver_extensions.items() if "nbgrader" in k}))
"""


def test_kit_lab_has_only_the_student_extensions(full_kit):
    kit = full_kit[0]
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(kit / "jupyter_config"))  # as the kit's Makefile sets it
    out = subprocess.run([str(VENV / "bin" / "python"), "-c", EFFECTIVE_EXTENSIONS], env=env, cwd=kit,
                         capture_output=True, text=True, timeout=120)
    state = json.loads(out.stdout.strip().splitlines()[-1])  # the server's own decision, all config dirs merged
    assert state == {"assignment_list": True, "validate_assignment": True, "formgrader": False,
                     "course_list": False}, state
    lab = subprocess.run([str(VENV / "bin" / "jupyter"), "labextension", "list"], env=env, cwd=kit,
                         capture_output=True, text=True, timeout=120)
    disabled = re.sub(r"\x1b\[[0-9;]*m", "", lab.stdout + lab.stderr).split("Disabled extensions:")[-1]
    for plugin in ("formgrader", "create-assignment", "course-list"):
        assert f"@jupyter/nbgrader:{plugin}" in disabled, disabled
    for plugin in ("assignment-list", "validate-assignment"):
        assert f"@jupyter/nbgrader:{plugin}" not in disabled, disabled
    # the kit's own environment: a venv from the pins, nothing of the repository installed
    plan = subprocess.run(["make", "-n", "venv", "PYTHON=python3.11"], cwd=kit, capture_output=True, text=True)
    assert "-m venv .venv" in plan.stdout and "pip install --quiet -r requirements.txt" in plan.stdout, plan.stdout
    assert "-e " not in (kit / "requirements.txt").read_text()


def paste_solutions(kit: Path, lessons: list[str]) -> None:
    """Put the real solution cells into the kit's notebooks, as a student who solved them would, and an
    answer of the student's own into every written question (nbgrader's validate wants a response)."""
    for lesson in lessons:
        path = kit / "lessons" / lesson / f"{lesson}.ipynb"
        nb = nbformat.read(path, as_version=4)
        answers = solution_sources(source_notebook(lesson))
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            grade_id = meta.get("grade_id")
            if grade_id in answers:
                cell.source = answers[grade_id]
            elif cell.cell_type == "markdown" and meta.get("grade") and meta.get("solution"):
                cell.source = f"My own answer to {grade_id}, in a few sentences."
        nbformat.write(nb, path)


def make(kit: Path, *args: str, timeout: int = 600, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SEQNLP_MODE", "CI")} | extra
    return subprocess.run(["make", "-s", *args, f"VENV={VENV}"], cwd=kit, env=env, capture_output=True, text=True,
                          timeout=timeout)


PROBE = """import seqnlp, seqnlp.text
assert seqnlp.__file__ == {expected!r}, f"the kernel imported {{seqnlp.__file__}}, not the kit's seqnlp"
try:
    seqnlp.text.clean_text("x")
except NotImplementedError as err:
    assert "exercise ex_clean_text of lesson 01" in str(err), err
else:
    raise AssertionError("the kit's seqnlp has lesson 01's clean_text")
"""

NBVAL_MK = """nbval:
\t$(BIN)/python -m pytest -p no:cacheprovider -q --nbval-lax --nbval-cell-timeout=120 $(NOTEBOOKS)
"""


@pytest.mark.notebook
def test_unzipped_kit_checks_and_runs_its_lessons(tmp_path):
    started = time.perf_counter()
    _, archive, _ = build_kit(CI_UNTIL, tmp_path / "dist")
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp_path / "unzipped")
    kit = tmp_path / "unzipped" / f"seqnlp-student-{CI_UNTIL}"
    lessons = [lesson for lesson in available_lessons() if lesson <= LESSONS[int(CI_UNTIL) - 1]]
    timings = {"build and unzip": time.perf_counter() - started}

    t = time.perf_counter()
    stub = make(kit, "check", "L=01")
    timings["check stub"] = time.perf_counter() - t
    assert stub.returncode != 0, stub.stdout[-2000:]
    points = re.search(r"public tests: (\S+) / (\S+) points", stub.stdout)
    assert points and float(points[1]) == 0 and float(points[2]) > 0, stub.stdout[-3000:] + stub.stderr[-2000:]
    assert "VALIDATION FAILED" in stub.stdout

    # the last lesson of the kit, solved (lesson 01 too: it imports the student's own answers), under
    # `make check`: nbgrader validate executes every cell, then the public tests
    paste_solutions(kit, lessons)
    t = time.perf_counter()
    solved = make(kit, "check", f"L={lessons[-1][:2]}")
    timings["check solved"] = time.perf_counter() - t
    points = re.search(r"public tests: (\S+) / (\S+) points", solved.stdout)
    assert solved.returncode == 0 and points and points[1] == points[2], solved.stdout[-3000:] + solved.stderr[-2000:]
    assert "Success! Your notebook passes all the tests." in solved.stdout

    # every lesson between, solved, in fast mode, with the environment the kit's Makefile gives kernels,
    # and a probe of that environment
    probe = kit / "lessons" / lessons[0] / "probe_kernel.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        PROBE.format(expected=str(kit / "seqnlp" / "__init__.py")))])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, probe)
    (tmp_path / "nbval.mk").write_text(NBVAL_MK)
    notebooks = " ".join([str(probe.relative_to(kit))] + [f"lessons/{ls}/{ls}.ipynb" for ls in lessons[1:-1]])
    t = time.perf_counter()
    run = make(kit, "-f", "Makefile", "-f", str(tmp_path / "nbval.mk"), "nbval", f"NOTEBOOKS={notebooks}",
               SEQNLP_MODE="fast")
    timings["nbval"] = time.perf_counter() - t
    print("\nkit timings (s): " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()))
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]


OWN_ANSWER = """
import json, os, seqnlp, seqnlp.text
out = {"file": seqnlp.__file__}
try:
    out["itos"] = seqnlp.text.Vocab([["b", "a", "b"]]).itos
except NotImplementedError as err:
    out["error"] = str(err)
print(json.dumps(out))
"""


@pytest.mark.parametrize("working_on,expect_own", [("03_bag_of_words_tfidf", True), ("01_text_preprocessing", False)])
def test_a_later_lesson_uses_the_students_own_earlier_answer(tmp_path, working_on, expect_own):
    lessons = tmp_path / "lessons"
    own = lessons / "01_text_preprocessing"
    own.mkdir(parents=True)
    released = nbformat.read(REPO_ROOT / "lessons" / own.name / f"{own.name}.ipynb", as_version=4)
    nbformat.write(released, own / f"{own.name}.ipynb")
    paste_solutions(tmp_path, [own.name])
    (lessons / working_on).mkdir(exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(lesson_build("01")), SEQNLP_OWN_ANSWERS=str(lessons))
    proc = subprocess.run([sys.executable, "-c", OWN_ANSWER], cwd=lessons / working_on, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["file"].startswith(str(lesson_build("01")))
    if expect_own:
        assert out.get("itos") == ["<pad>", "<unk>", "b", "a"], out
    else:
        assert out.get("error") == "seqnlp.text.Vocab is exercise ex_vocab of lesson 01: write it in your notebook"
