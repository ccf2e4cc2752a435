"""The library's twins of graded exercises pass those exercises' tests (autograder.twins).

Cheap checks of :func:`autograder.twins.twin_sources` (every twin is declared for a solution
cell that defines its name; the source binds the full package's objects, also in a kernel that
imports a lesson's build without them). The round trip (``check_mutants``, tests/test_lessons.py)
runs every lesson's twins end to end as one more variant; ``python -m autograder.twins`` runs the
twins alone (the round trip with ``only_twins``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import nbformat
import pytest

from autograder.helperbuild import Declaration, declarations, lesson_build
from autograder.lessons import available_lessons, source_notebook
from autograder.roundtrip import defined_names, exercises_of
from autograder.twins import FULL_PACKAGE, TwinError, check_twins, lesson_twins, twin_source, twin_sources

AVAILABLE = available_lessons()
WITH_TWINS = [lesson for lesson in AVAILABLE if lesson_twins(lesson)]
WITH_TWINS_08 = "08_sentiment_analysis"  # a lesson with twins


def test_every_twin_has_a_solution_cell():
    covered = set()
    for lesson in AVAILABLE:
        nb = nbformat.read(source_notebook(lesson), as_version=4)
        sources = twin_sources(lesson, nb)  # raises TwinError for a twin with no cell or no name in it
        assert set(sources) == set(lesson_twins(lesson)), lesson
        for grade_id in sources:
            covered |= {(d.lesson, d.name) for d in lesson_twins(lesson)[grade_id]}
    declared = {(d.lesson, d.name) for d in declarations() if d.lesson in AVAILABLE}
    assert covered == declared, f"twins of no lesson in solutions/: {sorted(declared - covered)}"


@pytest.mark.parametrize("lesson", WITH_TWINS)
def test_twin_sources_bind_every_name_of_the_cell_to_the_full_package(lesson):
    nb = nbformat.read(source_notebook(lesson), as_version=4)
    cells = {ex.grade_id: nb.cells[ex.solution_index].source for ex in exercises_of(nb)}
    for grade_id, source in twin_sources(lesson, nb).items():
        compile(source, f"<twin of {grade_id}>", "exec")
        assert "BEGIN SOLUTION" not in source and "END SOLUTION" not in source
        twins = {d.name for d in lesson_twins(lesson)[grade_id]}
        assert twins <= set(defined_names(source)), f"{lesson} {grade_id}: the source does not bind {twins}"
        assert set(defined_names(cells[grade_id])) <= set(defined_names(source)) | {FULL_PACKAGE}


def _declaration(name: str, grade_id: str = "ex_toy") -> Declaration:
    return Declaration("text", name, "01_text_preprocessing", grade_id, "function", source_notebook("01"), 1, 2)


def test_a_name_without_twin_keeps_the_solution_and_a_stray_twin_is_an_error():
    cell = textwrap.dedent('''\
        import math


        def clean_text(text):
            ### BEGIN SOLUTION
            return text
            ### END SOLUTION


        def helper(text):
            """Calls the twin."""
            ### BEGIN SOLUTION
            return clean_text(text) + "!"
            ### END SOLUTION
        ''')
    source = twin_source(cell, [_declaration("clean_text")])
    assert "def helper" in source and "import math" in source and "SOLUTION" not in source
    assert source.index("def helper") < source.index(f"from {FULL_PACKAGE}.text import clean_text")
    assert "return text\n" not in source, "the solution's clean_text must not be kept"
    with pytest.raises(TwinError, match="defines no char_ngrams"):
        twin_source(cell, [_declaration("char_ngrams")])


def test_twins_come_from_the_full_package_inside_a_lesson_build(tmp_path):
    """In lesson 01's kernel seqnlp.text lacks clean_text; the twin source still binds the full one."""
    sources = twin_sources("01")
    script = textwrap.dedent(f'''\
        import json, sys
        import seqnlp.text
        from seqnlp.exercises import ExerciseRemovedError
        try:
            seqnlp.text.clean_text("x")
            removed = False
        except ExerciseRemovedError:
            removed = True
        namespace = {{}}
        exec({sources["ex_clean_text"] + sources["ex_identify_language"]!r}, namespace)
        exec({sources["ex_clean_text"]!r}, namespace)  # a second run reuses the loaded package
        clean, identify = namespace["clean_text"], namespace["identify_language"]
        print(json.dumps({{
            "removed": removed,
            "build": seqnlp.text.__file__,
            "clean": clean("Giảng viên dạy RẤT hay!!! <br />http://x.vn"),
            "modules": [clean.__module__, identify.__module__],
            "inner": identify.__globals__["build_profile"].__module__,
            "leftover": sorted(n for n in namespace if n.startswith("_twin")),
        }}))
        ''')
    env = dict(os.environ, PYTHONPATH=str(lesson_build("01")))
    proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["removed"] and "seqnlp-lessons" in got["build"], got
    assert got["clean"] == "giảng viên dạy rất hay"
    assert got["modules"] == [f"{FULL_PACKAGE}.text"] * 2 and got["inner"] == f"{FULL_PACKAGE}.text"
    assert got["leftover"] == []


def test_check_twins_is_the_round_trip_with_only_the_twins(monkeypatch):
    """``check_twins`` runs ``check_mutants`` with the twins alone and keeps their rows; every lesson's twins
    run end to end in make test as variants of the round trip (tests/test_lessons.py)."""
    import autograder.twins as twins
    from autograder.roundtrip import Variant

    calls = []

    def fake(lesson, **kwargs):
        calls.append((lesson, kwargs))
        return [Variant("ex_a", "solution", 3, 3, {}), Variant("ex_a", twins.TWIN_VARIANT, 2, 3, {"t": "x"})]

    monkeypatch.setattr(twins, "check_mutants", fake)
    got = check_twins(WITH_TWINS_08)
    assert [v.name for v in got] == [twins.TWIN_VARIANT] and got[0].score == 2
    assert calls == [(WITH_TWINS_08, {"progress": False, "source": None, "twins": True, "only_twins": True,
                                   "twin_dir": twins.SOURCE_DIR})]
