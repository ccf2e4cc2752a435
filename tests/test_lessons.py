"""The release round trip for every lesson in solutions/ (new lessons are picked up by their folder).

For each lesson: lessons/ is exactly today's release; nbgrader gives the solution
full automatic marks (its written answers waiting for hand grading) and the untouched
release zero; every written answer is released as the bare text stub, with no line of
its model answer or rubric anywhere in the release; every exercise's stub scores zero and
every mutant in mutants.py loses points; every graded test cell compares plain values
(autograder.plaincheck).
"""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

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
from autograder.roundtrip import autograde_notebooks, check_mutants, exercises_of, generate_release, parse_mutants
from autograder.settings import COURSE_KERNEL

AVAILABLE = available_lessons()
TEXT_STUB = "YOUR ANSWER HERE"  # autograder/nbgrader_config.py: ClearSolutions.text_stub
MIN_MUTANTS_PER_EXERCISE = 3
GENERATED_SAMPLE = 3  # generated mutants per exercise in make test (a fixed sample; make mutation runs them all)

notebook = pytest.mark.notebook


class NbgraderCourse:
    """Per lesson, one scratch course: one ``nbgrader generate_assignment`` and one ``nbgrader autograde`` of
    the solution and of the untouched release, shared by the tests that read them (conftest.py keeps a
    lesson's nbgrader tests on one xdist worker). A failure is raised again to every test that asks."""

    def __init__(self, tmp_path_factory):
        self.tmp = tmp_path_factory
        self.done: dict[tuple[str, str], object] = {}

    def _once(self, key: tuple[str, str], make):
        if key not in self.done:
            try:
                self.done[key] = make()
            except Exception as exc:  # noqa: BLE001  every test of the lesson reports it
                self.done[key] = exc
        if isinstance(self.done[key], Exception):
            raise self.done[key]
        return self.done[key]

    def root(self, lesson: str) -> Path:
        return self._once((lesson, "root"), lambda: self.tmp.mktemp(f"nbgrader-{lesson[:2]}"))

    def release(self, lesson: str) -> Path:
        """``nbgrader generate_assignment`` of the lesson in its scratch course: the released folder."""
        return self._once((lesson, "release"), lambda: generate_release(lesson, self.root(lesson)))

    def graded(self, lesson: str) -> dict[str, dict[str, tuple[float, float]]]:
        """``{"solution" | "stub": {grade_id: (score, max)}}`` from one ``nbgrader autograde`` run."""
        self.release(lesson)
        return self._once((lesson, "graded"), lambda: autograde_notebooks(
            lesson, {"solution": source_notebook(lesson), "stub": released_notebook(lesson)}, self.root(lesson)))


@pytest.fixture(scope="session")
def nbgrader_course(tmp_path_factory) -> NbgraderCourse:
    return NbgraderCourse(tmp_path_factory)


def test_only_known_lesson_folders():
    for parent in (SOLUTIONS_DIR, LESSONS_DIR):
        folders = {p.name for p in parent.iterdir() if p.is_dir()} if parent.exists() else set()
        assert folders <= set(LESSONS), f"unknown lesson folders in {parent.name}/: {sorted(folders - set(LESSONS))}"
    released = {p.name for p in LESSONS_DIR.iterdir() if p.is_dir()} if LESSONS_DIR.exists() else set()
    assert released == set(AVAILABLE), (
        f"lessons/ and solutions/ disagree: released {sorted(released)}, sources {AVAILABLE}; run `make release`"
    )


@pytest.mark.parametrize("lesson", AVAILABLE)
def test_release_is_current(lesson, nbgrader_course):
    generated = nbgrader_course.release(lesson)
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


def written_answers(nb) -> dict[str, nbformat.NotebookNode]:
    """The manually graded answer cells (written questions) of a notebook, by grade id."""
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.metadata["nbgrader"].get("solution")
            and c.cell_type == "markdown"}


def model_answer_lines(cell) -> list[str]:
    """The telling lines of a written answer's model answer and rubric (markers, bullets and emphasis stripped)."""
    body = cell.source.split("### BEGIN SOLUTION", 1)[-1].split("### END SOLUTION", 1)[0]
    lines = [line.strip().lstrip("-*0123456789. ").strip("* ").strip() for line in body.splitlines()]
    return [line for line in lines if len(line) >= 20]


@pytest.mark.parametrize("lesson", AVAILABLE)
def test_written_answers_are_released_as_the_text_stub(lesson):
    """Every written question's answer cell is released as the bare stub; no model answer or rubric line leaks."""
    from autograder.gradebook import course_config

    assert course_config().ClearSolutions.text_stub == TEXT_STUB
    source = nbformat.read(source_notebook(lesson), as_version=4)
    path = released_notebook(lesson)
    released = nbformat.read(path, as_version=4)
    mine, theirs = written_answers(source), written_answers(released)
    assert set(theirs) == set(mine), f"{path}: written answer cells {sorted(theirs)} vs the source's {sorted(mine)}"
    raw = path.read_text(encoding="utf-8")
    text = raw + "\n" + "\n".join(c.source for c in released.cells)
    for grade_id, cell in mine.items():
        got = theirs[grade_id]
        assert got.source == TEXT_STUB, f"{path}: {grade_id} is released as {got.source[:80]!r}, not {TEXT_STUB!r}"
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source, (
            f"{lesson}: {grade_id} keeps its model answer between ### BEGIN SOLUTION / ### END SOLUTION")
        assert float(got.metadata["nbgrader"].get("points", 0)) > 0, f"{path}: {grade_id} has no points"
        for line in model_answer_lines(cell):
            assert line not in text, f"{path}: a line of {grade_id}'s model answer or rubric is released: {line!r}"


@pytest.mark.parametrize("lesson", AVAILABLE)
def test_header_states_automatic_and_written_points(lesson):
    """A lesson with written questions says "N points: A automatic, M written" in its first cell, truly."""
    import re

    nb = nbformat.read(source_notebook(lesson), as_version=4)
    written = written_answers(nb)
    if not written:
        return
    grades = [c.metadata["nbgrader"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    auto = sum(float(m.get("points", 0)) for m in grades if not m.get("solution"))
    manual = sum(float(m.get("points", 0)) for m in grades if m.get("solution"))
    found = re.search(r"(\d+(?:\.\d+)?) points?: (\d+(?:\.\d+)?) automatic, (\d+(?:\.\d+)?) written", nb.cells[0].source)
    assert found, f"{lesson}: the first cell must state the points as 'N points: A automatic, M written (graded by hand)'"
    stated = tuple(float(x) for x in found.groups())
    assert stated == (auto + manual, auto, manual), f"{lesson}: the header says {stated}, the cells give " \
        f"{(auto + manual, auto, manual)}"


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
def test_nbgrader_gives_solution_full_marks(lesson, nbgrader_course):
    """Full automatic marks; each written answer (the model answer, as a student would write it) waits for a hand."""
    from nbgrader.api import Gradebook

    root, scores = nbgrader_course.root(lesson), nbgrader_course.graded(lesson)["solution"]
    written = set(written_answers(nbformat.read(source_notebook(lesson), as_version=4)))
    lost = {cell: s for cell, s in scores.items() if s[0] != s[1] and cell not in written}
    assert scores and not lost, f"{lesson}: the solution lost points in nbgrader autograde: {lost}"
    assert written <= set(scores), f"{lesson}: written answers missing from nbgrader's grades"
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        grades = {g.name: g for g in gb.find_submission_notebook(lesson, lesson, "solution").grades}
        pending = {name: (grades[name].auto_score, grades[name].needs_manual_grade) for name in written}
    assert all(v == (None, True) for v in pending.values()), (
        f"{lesson}: written answers must wait for hand grading (auto_score None, needs_manual_grade): {pending}")


@notebook
@pytest.mark.parametrize("lesson", AVAILABLE)
def test_nbgrader_gives_untouched_release_zero(lesson, nbgrader_course):
    """Zero everywhere; a written answer left as released is nbgrader's automatic 0, not listed for grading."""
    from nbgrader.api import Gradebook

    root, scores = nbgrader_course.root(lesson), nbgrader_course.graded(lesson)["stub"]
    earned = {cell: s for cell, s in scores.items() if s[0] != 0}
    assert scores and not earned, f"{lesson}: the untouched student notebook earned points: {earned}"
    written = set(written_answers(nbformat.read(source_notebook(lesson), as_version=4)))
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        grades = {g.name: g for g in gb.find_submission_notebook(lesson, lesson, "stub").grades}
        unanswered = {name: (grades[name].auto_score, grades[name].needs_manual_grade) for name in written}
    assert all(v == (0, False) for v in unanswered.values()), (
        f"{lesson}: nbgrader scores an answer left as the stub 0 (utils.determine_grade): {unanswered}")


@notebook
@pytest.mark.parametrize("lesson", AVAILABLE)
def test_stubs_score_zero_and_mutants_lose_points(lesson):
    variants = check_mutants(lesson, generated_sample=GENERATED_SAMPLE, twins=True)
    problems = []
    for v in variants:
        if v.kind == "solution" and v.score != v.max_score:
            problems.append(f"solution of {v.exercise} loses points: {v.score:g}/{v.max_score:g} {v.details}")
        elif v.kind == "twin" and v.score != v.max_score:
            problems.append(f"seqnlp's twin of {v.exercise} loses points on the lesson's tests: "
                            f"{v.score:g}/{v.max_score:g} {v.details} (python -m autograder.twins {lesson[:2]})")
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
