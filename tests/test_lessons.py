"""The release round trip for every lesson in solutions/ (new lessons are picked up by their folder).

For each lesson: lessons/ is exactly today's release; nbgrader gives the solution
full marks and the untouched release zero; every exercise's stub scores zero and
every mutant in mutants.py loses points; every graded test cell compares plain values
(autograder.plaincheck).
"""

from __future__ import annotations

import filecmp
import json

import nbformat
import pytest

from autograder.lessons import (
    LESSONS,
    LESSONS_DIR,
    SOLUTIONS_DIR,
    available_lessons,
    released_notebook,
    source_notebook,
)
from autograder.plaincheck import check_lesson
from autograder.roundtrip import autograde_notebook, check_mutants, exercises_of, generate_release, parse_mutants
from autograder.settings import COURSE_KERNEL

AVAILABLE = available_lessons()
MIN_MUTANTS_PER_EXERCISE = 3
GENERATED_SAMPLE = 3  # generated mutants per exercise in make test (a fixed sample; make mutation runs them all)

notebook = pytest.mark.notebook


def test_only_known_lesson_folders():
    for parent in (SOLUTIONS_DIR, LESSONS_DIR):
        folders = {p.name for p in parent.iterdir() if p.is_dir()} if parent.exists() else set()
        assert folders <= set(LESSONS), f"unknown lesson folders in {parent.name}/: {sorted(folders - set(LESSONS))}"
    released = {p.name for p in LESSONS_DIR.iterdir() if p.is_dir()} if LESSONS_DIR.exists() else set()
    assert released == set(AVAILABLE), (
        f"lessons/ and solutions/ disagree: released {sorted(released)}, sources {AVAILABLE}; run `make release`"
    )


@pytest.mark.parametrize("lesson", AVAILABLE)
def test_release_is_current(lesson, tmp_path):
    generated = generate_release(lesson, tmp_path)
    committed = LESSONS_DIR / lesson
    cmp = filecmp.dircmp(generated, committed)
    assert not cmp.left_only and not cmp.right_only, (
        f"lessons/{lesson} has other files than the release ({cmp.left_only} vs {cmp.right_only}): run `make release`"
    )
    for name in cmp.common_files:
        same = (generated / name).read_bytes() == (committed / name).read_bytes()
        assert same, f"lessons/{lesson}/{name} differs from what `make release` generates today: run `make release`"


@pytest.mark.parametrize("lesson", AVAILABLE)
def test_release_has_no_solutions_or_outputs(lesson):
    path = released_notebook(lesson)
    text = path.read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text, f"{path} contains {marker!r}"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path} has executed outputs"
    assert nb.metadata.get("kernelspec", {}).get("name") == COURSE_KERNEL, f"{path}: kernelspec must be {COURSE_KERNEL}"


@pytest.mark.parametrize("lesson", AVAILABLE)
def test_every_exercise_has_mutants(lesson):
    nb = nbformat.read(source_notebook(lesson), as_version=4)
    path = source_notebook(lesson).parent / "mutants.py"
    assert path.exists(), f"{path} is missing: every exercise needs {MIN_MUTANTS_PER_EXERCISE} wrong implementations"
    counts = {ex.grade_id: 0 for ex in exercises_of(nb)}
    for mutant in parse_mutants(path):
        assert mutant.cell in counts, f"{path}: mutant {mutant.name} targets unknown cell {mutant.cell}"
        counts[mutant.cell] += 1
    few = {cell: n for cell, n in counts.items() if n < MIN_MUTANTS_PER_EXERCISE}
    assert not few, f"{path}: exercises with fewer than {MIN_MUTANTS_PER_EXERCISE} mutants: {few}"


@pytest.mark.parametrize("lesson", AVAILABLE)
def test_tests_compare_plain_values(lesson):
    findings = check_lesson(lesson)
    assert not findings, (
        f"{lesson}: {len(findings)} comparison(s) on a raw student result; convert it with seqnlp.checks inside the "
        "test function (see docs/GRADING.md, 'Writing tests that can't be fooled'), or, where the value is truly "
        "trusted, say why with '# plain-ok: <reason>':\n" + "\n".join(f"  {f}" for f in findings[:40])
    )


@notebook
@pytest.mark.parametrize("lesson", AVAILABLE)
def test_nbgrader_gives_solution_full_marks(lesson, tmp_path):
    scores = autograde_notebook(lesson, source_notebook(lesson), tmp_path, student="solution")
    lost = {cell: s for cell, s in scores.items() if s[0] != s[1]}
    assert scores and not lost, f"{lesson}: the solution lost points in nbgrader autograde: {lost}"


@notebook
@pytest.mark.parametrize("lesson", AVAILABLE)
def test_nbgrader_gives_untouched_release_zero(lesson, tmp_path):
    scores = autograde_notebook(lesson, released_notebook(lesson), tmp_path, student="stub")
    earned = {cell: s for cell, s in scores.items() if s[0] != 0}
    assert scores and not earned, f"{lesson}: the untouched student notebook earned points: {earned}"


@notebook
@pytest.mark.parametrize("lesson", AVAILABLE)
def test_stubs_score_zero_and_mutants_lose_points(lesson):
    variants = check_mutants(lesson, generated_sample=GENERATED_SAMPLE)
    problems = []
    for v in variants:
        if v.kind == "solution" and v.score != v.max_score:
            problems.append(f"solution of {v.exercise} loses points: {v.score:g}/{v.max_score:g} {v.details}")
        elif v.kind == "stub" and v.score != 0:
            problems.append(f"stub of {v.exercise} earns {v.score:g}/{v.max_score:g}: a test passes on the stub")
        elif v.kind == "mutant" and v.score >= v.max_score:
            problems.append(f"mutant {v.exercise}:{v.name} keeps full marks: the tests do not catch it")
        elif v.kind == "generated" and v.score >= v.max_score:
            problems.append(
                f"generated mutant {v.exercise}:{v.name} keeps full marks: add a test that catches it, or list it in "
                f"solutions/{lesson}/equivalent.txt with the reason it behaves like the solution "
                f"(python -m autograder.mutation {lesson[:2]} --list shows the change)"
            )
    summary = json.dumps([vars(v) for v in variants], indent=1, ensure_ascii=False)
    assert not problems, "\n".join(problems) + f"\n\nall variants:\n{summary[:6000]}"
