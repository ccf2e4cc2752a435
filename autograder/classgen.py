"""Made-up classes of submissions, for the grader's tests and benchmark.

A submission is the released notebook (what students get) with some solution
cells filled in: with the real solution (from the source notebook), with a
plausible wrong answer (a mutant from ``mutants.py``), or left as the stub.
A "solution" student also writes an answer of their own to every written
question (never the model answer, which stays in ``solutions/``).
"""

from __future__ import annotations

import copy
import random
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .gradebook import LessonInfo


def solution_sources(source: Path) -> dict[str, str]:
    """``{grade_id: source}`` of the autograded answer cells of a source notebook."""
    nb = nbformat.read(source, as_version=4)
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
            out[meta["grade_id"]] = cell.source
    return out


def written_answers(lesson: LessonInfo) -> dict[str, str]:
    """``{grade_id: answer}``: a student's own text for each written question (manually graded answer cell)."""
    return {gid: f"My answer to {gid}: the result follows from the definition in this section, "
                 "as the demonstration above shows."
            for gid, cell in lesson.cells.items() if cell.is_written}


def mutant_sources(source: Path) -> dict[str, list[tuple[str, str]]]:
    """``{grade_id: [(name, source), ...]}`` from the ``mutants.py`` beside a source notebook."""
    from .roundtrip import parse_mutants

    path = source.parent / "mutants.py"
    out: dict[str, list[tuple[str, str]]] = {}
    if path.is_file():
        for mutant in parse_mutants(path):
            out.setdefault(mutant.cell, []).append((mutant.name, mutant.source))
    return out


def submission(lesson: LessonInfo, answers: dict[str, str]) -> NotebookNode:
    """The released notebook with the solution cells named in ``answers`` replaced."""
    nb = copy.deepcopy(lesson.released)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def write(nb: NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def make_class(lessons: dict[str, LessonInfo], sources: dict[str, Path], students: int, out: Path,
               seed: int = 0, layout: str = "nbgrader") -> dict[tuple[str, str], str]:
    """Write ``students`` submissions per lesson; return ``{(student, lesson): kind}``.

    Kinds cycle solution / stub / wrong (one mutant per exercise, else the stub)
    / half (first exercise solved, the rest stubs), shuffled by ``seed``.
    """
    rng = random.Random(seed)
    kinds: dict[tuple[str, str], str] = {}
    for lesson, info in lessons.items():
        solutions = solution_sources(sources[lesson])
        mutants = mutant_sources(sources[lesson])
        plan = [("solution", "stub", "wrong", "half")[i % 4] for i in range(students)]
        rng.shuffle(plan)
        for number, kind in enumerate(plan):
            student = f"student{number:03d}"
            if kind == "solution":
                answers = {**solutions, **written_answers(info)}
            elif kind == "stub":
                answers = {}
            elif kind == "wrong":
                answers = {gid: rng.choice(mutants[gid])[1] if mutants.get(gid) else "" for gid in solutions}
                answers = {gid: src for gid, src in answers.items() if src}
            else:
                first = next(iter(solutions), None)
                answers = {first: solutions[first]} if first else {}
            nb = submission(info, answers)
            if layout == "flat":
                write(nb, out / f"{student}_{lesson}.ipynb")
            else:
                write(nb, out / student / lesson / f"{lesson}.ipynb")
            kinds[(student, lesson)] = kind
    return kinds
