"""The library's twins of graded exercises must pass those exercises' tests.

Many answers of the lessons also live in ``seqnlp`` (declared with
``@exercise("NN_topic", "ex_id")``, :mod:`seqnlp.exercises`), so that later lessons,
benchmarks and tests can use them. A twin must behave as the lesson teaches: swapped
into the live kernel in place of its solution cell, it gets full marks on that
exercise's public and hidden tests.

:func:`twin_sources` gives, per exercise with twins, the cell source that binds the
**full** package's twins under the names the solution cell defines. The kernel of a
lesson imports that lesson's build of ``seqnlp`` (:mod:`autograder.helperbuild`),
which lacks the lesson's answers, so the source loads the full package from
``seqnlp/`` under another name (:data:`FULL_PACKAGE`): the twins' own imports
(``from .text import ...``) resolve inside the full package, and the lesson build the
kernel imported stays as it was. The round trip runs that source as one more variant
of the exercise, which must score full marks (:func:`autograder.roundtrip.check_mutants`).

:func:`check_twins` does the same on its own: the solution notebook runs once in one
kernel and each exercise's block (solution cell to last test cell) runs again with the
twins in place of the solution (the round trip with no stub and no mutant).

Command line: ``python -m autograder.twins [NN ...]`` prints exercise / twin / score / max
(every lesson with twins when no lesson is named) and fails when a twin loses points.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat

from .helperbuild import PACKAGE, SOURCE_DIR, Declaration, declarations
from .lessons import LESSONS, resolve_lesson, source_notebook
from .roundtrip import RoundTripError, Variant, check_mutants, defined_names, exercises_of

FULL_PACKAGE = f"_{PACKAGE}_full"  # the module name the full package gets inside a lesson's kernel
TWIN_VARIANT = "twin"  # the variant's name in check_mutants' results
_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


class TwinError(RoundTripError):
    """A declared twin does not match the solution cell it claims to answer."""


def lesson_twins(lesson: str, source_dir: Path = SOURCE_DIR) -> dict[str, list[Declaration]]:
    """``{grade_id: [declarations]}`` of the twins of ``lesson``'s exercises, in source order."""
    lesson = resolve_lesson(lesson)
    out: dict[str, list[Declaration]] = {}
    for d in declarations(source_dir):
        if d.lesson == lesson:
            out.setdefault(d.grade_id, []).append(d)
    return out


def _loader_lines(source_dir: Path) -> list[str]:
    """Code that imports the full package as :data:`FULL_PACKAGE` once per kernel."""
    init = source_dir / "__init__.py"
    return [
        "import importlib.util as _twin_util, sys as _twin_sys",
        f"if {FULL_PACKAGE!r} not in _twin_sys.modules:  # the full package, beside the lesson's build",
        "    _twin_spec = _twin_util.spec_from_file_location(",
        f"        {FULL_PACKAGE!r}, {str(init)!r}, submodule_search_locations=[{str(source_dir)!r}])",
        f"    _twin_sys.modules[{FULL_PACKAGE!r}] = _twin_util.module_from_spec(_twin_spec)",
        "    try:",
        f"        _twin_spec.loader.exec_module(_twin_sys.modules[{FULL_PACKAGE!r}])",
        "    except BaseException:",
        f"        del _twin_sys.modules[{FULL_PACKAGE!r}]",
        "        raise",
        "    del _twin_spec",
        "del _twin_util, _twin_sys",
    ]


def _kept_solution_code(source: str, names: set[str]) -> list[str]:
    """The solution cell's top-level statements that define ``names`` (or import), for names with no twin."""
    tree = ast.parse(source)
    kept = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) or set(defined_names(ast.unparse(node))) & names:
            segment = ast.get_source_segment(source, node) or ast.unparse(node)
            kept += [line for line in segment.splitlines() if line.strip() not in _MARKERS]
    return kept


def twin_source(cell_source: str, twins: list[Declaration], source_dir: Path = SOURCE_DIR) -> str:
    """The code that replaces one solution cell: the full package's ``twins`` under the cell's names.

    A name the cell defines without a twin keeps the solution's definition (it runs first, so a
    helper of the cell that calls a twinned name calls the twin).
    """
    grade_ids = {d.grade_id for d in twins}
    cell_names = set(defined_names(cell_source))
    twin_names = {d.name for d in twins}
    stray = sorted(twin_names - cell_names)
    if stray:
        raise TwinError(
            f"seqnlp declares {', '.join(f'{PACKAGE}.{d.module}.{d.name}' for d in twins if d.name in stray)} "
            f"as the answer of {sorted(grade_ids)}, but that solution cell defines no {', '.join(stray)} "
            f"(it defines {sorted(cell_names)}): rename the twin or fix its @exercise"
        )
    lines = [f"# The seqnlp twins of {', '.join(sorted(grade_ids))}, in place of the solution."]
    extra = cell_names - twin_names
    if extra:
        lines.append(f"# No twin for {', '.join(sorted(extra))}: the solution's definitions stay.")
        lines += _kept_solution_code(cell_source, extra)
    lines += _loader_lines(source_dir)
    by_module: dict[str, list[str]] = {}
    for d in twins:
        by_module.setdefault(d.module, []).append(d.name)
    for module, names in by_module.items():
        lines.append(f"from {FULL_PACKAGE}.{module} import {', '.join(names)}")
    return "\n".join(lines) + "\n"


def twin_sources(lesson: str, nb=None, source_dir: Path = SOURCE_DIR) -> dict[str, str]:
    """``{exercise grade_id: cell source}`` binding the full package's twins, for every exercise with twins.

    ``nb`` is the lesson's source notebook (read from ``solutions/`` when not given).
    """
    lesson = resolve_lesson(lesson)
    nb = nb if nb is not None else nbformat.read(source_notebook(lesson), as_version=4)
    twins = lesson_twins(lesson, source_dir)
    cells = {ex.grade_id: nb.cells[ex.solution_index].source for ex in exercises_of(nb)}
    unknown = sorted(set(twins) - set(cells))
    if unknown:
        names = [f"{PACKAGE}.{d.module}.{d.name}" for g in unknown for d in twins[g]]
        raise TwinError(f"{', '.join(names)} answer {unknown}, which {lesson} has no solution cell for; "
                        f"its solution cells: {sorted(cells)}")
    return {grade_id: twin_source(cells[grade_id], decls, source_dir) for grade_id, decls in twins.items()}


def check_twins(
    lesson: str, progress: bool = False, source: Path | None = None, source_dir: Path = SOURCE_DIR
) -> list[Variant]:
    """Run the lesson's solution notebook in one kernel and score each exercise's twins on its tests.

    Returns one :class:`Variant` named :data:`TWIN_VARIANT` per exercise with twins (none when the
    lesson has no twin, without starting a kernel). ``source_dir``: the package the twins come from.
    It is the round trip with the twins and nothing else: ``check_mutants(only_twins=True)``.
    """
    variants = check_mutants(lesson, progress=progress, source=source, twins=True, only_twins=True,
                             twin_dir=source_dir)
    return [v for v in variants if v.name == TWIN_VARIANT]


def _twin_names(lesson: str, grade_id: str) -> str:
    return ", ".join(f"{d.module}.{d.name}" for d in lesson_twins(lesson).get(grade_id, []))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print("usage: python -m autograder.twins [LESSON ...]   (e.g. 01 02; default: every lesson with twins)")
        return 0
    lessons = [resolve_lesson(a) for a in args] or [lesson for lesson in LESSONS if lesson_twins(lesson)]
    failed = 0
    print(f"  {'exercise':<24} {'twin':<60} {'score':>5} {'max':>5}")
    for lesson in lessons:
        print(f"{lesson}:", flush=True)
        for v in check_twins(lesson):
            print(f"  {v.exercise:<24} {_twin_names(lesson, v.exercise):<60} {v.score:>5g} {v.max_score:>5g}"
                  + (f"  {v.details}" if v.details else ""), flush=True)
            failed += v.score != v.max_score
    print("every twin gets full marks" if not failed else f"{failed} exercise(s) whose twins lose points")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
