"""The per-lesson builds of seqnlp: one declaration per answer, removed from the lesson that asks for it on."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder.helperbuild import (
    BUILD_ROOT,
    FULL_BUILD,
    SOURCE_DIR,
    declarations,
    lesson_build,
    lesson_env,
    lesson_number,
)
from autograder.lessons import LESSONS, REPO_ROOT, available_lessons, source_notebook
from autograder.roundtrip import is_solution_cell, nbgrader_meta

MIN_CHARS = 25  # a line with fewer non-space characters says too little to count as a leak


def solution_definitions() -> dict[tuple[str, str], set[str]]:
    """``{(lesson, grade_id): names of the functions and classes the solution cell defines}``."""
    out = {}
    for lesson in available_lessons():
        nb = nbformat.read(source_notebook(lesson), as_version=4)
        for cell in nb.cells:
            if is_solution_cell(cell):
                tree = ast.parse(cell.source)
                out[(lesson, nbgrader_meta(cell)["grade_id"])] = {
                    n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    return out


def package_definitions() -> dict[str, str]:
    """``{name: module}`` of every top-level function and class of seqnlp."""
    out = {}
    for path in SOURCE_DIR.glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                out[node.name] = path.stem
    return out


def outside_declarations(path: Path) -> str:
    """A module's source without its declared definitions: the code every build keeps."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for decl in sorted((d for d in declarations() if d.path == path), key=lambda d: -d.first_line):
        del lines[decl.first_line - 1 : decl.last_line]
    return "\n".join(lines)


def body_lines(decl) -> list[str]:
    """The telling lines of a declared definition (signature and docstring included), except lines
    that the module's other code repeats (an idiom shared with a helper every build keeps)."""
    lines = decl.path.read_text(encoding="utf-8").splitlines()[decl.first_line - 1 : decl.last_line]
    rest = outside_declarations(decl.path)
    return [line.strip() for line in lines if len("".join(line.split())) >= MIN_CHARS and line.strip() not in rest]


def test_every_twin_is_declared_and_every_declaration_is_real():
    solutions = solution_definitions()
    package = package_definitions()
    declared = {(d.module, d.name): (d.lesson, d.grade_id) for d in declarations()}
    missing = [f"seqnlp.{package[name]}.{name} (solution cell {gid} of {lesson})"
               for (lesson, gid), names in solutions.items() for name in sorted(names)
               if name in package and declared.get((package[name], name)) != (lesson, gid)]
    assert not missing, ("seqnlp defines these answers without @exercise(lesson, grade_id) naming their solution "
                         f"cell: {missing}")
    wrong = [f"seqnlp.{module}.{name}: @exercise{where} but that solution cell does not define {name}"
             for (module, name), where in declared.items() if name not in solutions.get(where, set())]
    assert not wrong, wrong
    assert len(declared) >= 30


@pytest.mark.parametrize("lesson", LESSONS)
def test_build_has_no_answer_of_the_lesson_or_later(lesson):
    folder = lesson_build(lesson) / "seqnlp"
    checked = 0
    for decl in declarations():
        text = (folder / decl.path.name).read_text(encoding="utf-8")
        if lesson_number(decl.lesson) >= lesson_number(lesson):
            leaked = [line for line in body_lines(decl) if line in text]
            assert not leaked, f"the lesson {lesson} build still holds {decl.qualname}: {leaked[:3]}"
            assert f'{decl.name} = _removed_exercise(__name__, "{decl.name}", "{decl.lesson}"' in text
            checked += len(body_lines(decl))
        else:
            kept = "\n".join(decl.path.read_text(encoding="utf-8").splitlines()[decl.first_line - 1: decl.last_line])
            assert kept in text, f"the lesson {lesson} build lost {decl.qualname} of an earlier lesson"
    for name in ("checks.py", "config.py", "data.py", "exercises.py", "__init__.py", "metrics.py", "models.py"):
        assert (folder / name).read_bytes() == (SOURCE_DIR / name).read_bytes(), f"{name} must be copied whole"
    assert checked or lesson_number(lesson) > max(lesson_number(d.lesson) for d in declarations())


def _run(lesson: str, code: str) -> str:
    env = lesson_env(lesson)
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd="/", capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_removed_answers_raise_a_clear_error_and_earlier_ones_work():
    code = r"""
import json, seqnlp, seqnlp.text, seqnlp.embeddings, seqnlp.ngrams
out = {"file": seqnlp.__file__}
for name, call in [("clean_text", lambda: seqnlp.text.clean_text("Hay!")),
                   ("Vocab", lambda: seqnlp.text.Vocab([["a"]])),
                   ("tokenize", lambda: seqnlp.embeddings.tokenize("Hay!")),
                   ("count_ngrams", lambda: seqnlp.ngrams.count_ngrams([["a"]], 2))]:
    try:
        out[name] = repr(call())
    except NotImplementedError as err:
        out[name] = f"{type(err).__name__}: {err}"
print(json.dumps(out))
"""
    first = json.loads(_run("01", code))
    assert first["file"] == str(BUILD_ROOT / "01_text_preprocessing" / "seqnlp" / "__init__.py")
    assert first["clean_text"] == ("ExerciseRemovedError: seqnlp.text.clean_text is exercise ex_clean_text of "
                                   "lesson 01: write it in your notebook")
    assert first["Vocab"].endswith("seqnlp.text.Vocab is exercise ex_vocab of lesson 01: write it in your notebook")
    assert "seqnlp.text.clean_text is exercise ex_clean_text" in first["tokenize"]  # library code that uses it
    second = json.loads(_run("02", code))
    assert second["clean_text"] == "'hay'" and second["tokenize"] == "['hay']"
    assert second["count_ngrams"].endswith("exercise ex_count_ngrams of lesson 02: write it in your notebook")


def test_build_is_cached_and_other_courses_keep_the_whole_package():
    path = lesson_build("03")
    stamp = (path / ".buildhash").stat().st_mtime_ns
    started = time.perf_counter()
    assert lesson_build("03_bag_of_words_tfidf") == path
    assert time.perf_counter() - started < 1.0 and (path / ".buildhash").stat().st_mtime_ns == stamp
    full = lesson_build("01_tiny") / "seqnlp"
    assert full.parent.name == FULL_BUILD
    for source in SOURCE_DIR.glob("*.py"):
        assert (full / source.name).read_bytes() == source.read_bytes()


PROBE_CELLS = [
    "import seqnlp, seqnlp.text\n"
    "assert seqnlp.__file__.startswith({build!r}), seqnlp.__file__",
    "try:\n    seqnlp.text.clean_text('x')\nexcept NotImplementedError as err:\n    message = str(err)\n"
    "assert message == {message!r}, message",
]


@pytest.mark.notebook
def test_nbval_kernel_of_lesson01_imports_the_lesson01_build(tmp_path):
    """nbval (the conftest hook) starts a lesson 01 notebook's kernel on the lesson 01 build."""
    build = str(lesson_build("01"))
    message = "seqnlp.text.clean_text is exercise ex_clean_text of lesson 01: write it in your notebook"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c.format(build=build, message=message))
                                         for c in PROBE_CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "01_text_preprocessing" / "probe.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q",
                           "--nbval-lax", "--rootdir", str(tmp_path), str(path)],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "2 passed" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_solution_lines_to_scan_exist():
    """The scans below and in the kit test look for these lines: make sure there are many."""
    assert sum(len(body_lines(d)) for d in declarations()) > 100
    assert Path(SOURCE_DIR / "exercises.py").is_file()
