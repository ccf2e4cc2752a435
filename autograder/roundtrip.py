"""The release round trip: proves that every lesson grades fairly.

For a lesson folder in ``solutions/`` it checks that

* ``lessons/`` holds exactly what ``nbgrader generate_assignment`` makes today;
* nbgrader's own autograde gives the solution notebook full marks and the
  untouched released notebook zero (:func:`autograde_notebook`);
* every wrong implementation in ``solutions/<lesson>/mutants.py`` loses points
  and every exercise's stub scores zero on its tests (:func:`check_mutants`);
* every graded test cell compares plain values, never a student's raw result
  (:func:`autograder.plaincheck.check_lesson`, a static lint).

The mutant check is cheap: the source notebook runs once in one kernel; each
wrong implementation is swapped into the live kernel and only the cells from
its exercise's solution cell to its last test cell run again.

Command line: ``python -m autograder.roundtrip 01`` prints the lint's findings and the mutant table.
"""

from __future__ import annotations

import ast
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .helperbuild import lesson_env
from .lessons import REPO_ROOT, released_notebook, resolve_lesson, source_notebook
from .plaincheck import check_lesson
from .settings import CELL_TIMEOUT, COURSE_KERNEL, STDERR_IGNORE_PATTERN

MUTANT_TIMEOUT = 20  # seconds per cell while a wrong implementation runs

MUTANT_HEADER = re.compile(r"^# %% mutant (?P<cell>[\w.-]+):\s*(?P<name>[\w.-]+)\s*$")
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


class RoundTripError(RuntimeError):
    """The lesson's source notebook or mutants file is malformed."""


# --------------------------------------------------------------------------- notebooks


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_solution_cell(cell) -> bool:
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("solution")) and not meta.get("grade")


def is_test_cell(cell) -> bool:
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def strip_solution(source: str) -> str:
    """What ``ClearSolutions`` leaves of a solution cell: the code outside the markers plus the stub."""
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == "### BEGIN SOLUTION":
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + stub_line for stub_line in STUB.splitlines())
        elif stripped == "### END SOLUTION":
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def cell_score(cell) -> tuple[float, float]:
    """``(score, max_score)`` of an executed test cell, by the class grader's own rule (:mod:`autograder.scoring`)."""
    from .scoring import score_test_cell

    status = "error" if any(o.get("output_type") == "error" for o in cell.get("outputs", [])) else "ok"
    scored = score_test_cell(cell, float(nbgrader_meta(cell)["points"]), status, ignore=STDERR_IGNORE_PATTERN)
    return scored.score, scored.max_score


def cell_error(cell) -> str:
    """The first error or stderr line of an executed cell, for messages."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return f"{output.ename}: {output.evalue}"[:300]
        if output.output_type == "stream" and output.name == "stderr":
            return f"stderr: {output.text.strip()[:300]}"
    return ""


@dataclass
class Exercise:
    """One solution cell and the test cells that grade it."""

    grade_id: str
    solution_index: int
    test_indices: list[int]

    @property
    def last_index(self) -> int:
        return self.test_indices[-1]


def exercises_of(nb) -> list[Exercise]:
    """Each solution cell with the graded test cells between it and the next solution cell."""
    solutions = [i for i, cell in enumerate(nb.cells) if is_solution_cell(cell)]
    exercises = []
    for k, start in enumerate(solutions):
        end = solutions[k + 1] if k + 1 < len(solutions) else len(nb.cells)
        tests = [i for i in range(start + 1, end) if is_test_cell(nb.cells[i])]
        grade_id = nbgrader_meta(nb.cells[start]).get("grade_id", f"cell-{start}")
        if not tests:
            raise RoundTripError(f"solution cell {grade_id!r} has no graded test cell before the next exercise")
        exercises.append(Exercise(grade_id, start, tests))
    if not exercises:
        raise RoundTripError("the notebook has no solution cell")
    return exercises


# --------------------------------------------------------------------------- mutants


@dataclass
class Mutant:
    cell: str
    name: str
    source: str


def parse_mutants(path: Path) -> list[Mutant]:
    """Sections ``# %% mutant <grade_id>: <name>`` of a mutants file, in order."""
    mutants: list[Mutant] = []
    current: Mutant | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = MUTANT_HEADER.match(line)
        if match:
            current = Mutant(match["cell"], match["name"], "")
            mutants.append(current)
        elif line.startswith("# %%"):
            raise RoundTripError(f"{path}: malformed section header {line!r} (use '# %% mutant <grade_id>: <name>')")
        elif current is not None:
            current.source += line + "\n"
    names = [(m.cell, m.name) for m in mutants]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise RoundTripError(f"{path}: duplicate mutants {sorted(duplicates)}")
    return mutants


@dataclass
class Variant:
    """The score one implementation of an exercise got on that exercise's tests."""

    exercise: str
    name: str  # "solution", "stub" or the mutant's name
    score: float
    max_score: float
    details: dict[str, str] = field(default_factory=dict)  # test grade_id -> first error

    @property
    def kind(self) -> str:
        if self.name in ("solution", "stub", "twin"):
            return self.name
        return "generated" if self.name.startswith("gen:") else "mutant"


class LiveNotebook:
    """A source notebook executing in one kernel, cell by cell, in fast grading mode."""

    def __init__(self, nb, workdir: Path, timeout: int = CELL_TIMEOUT):
        self.nb = nb  # pristine source; nbclient writes executed cells into its own copy
        env = dict(os.environ)
        env["NBGRADER_EXECUTION"] = "autograde"
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        self.env = env
        self.client = NotebookClient(
            copy.deepcopy(nb),
            timeout=timeout,
            kernel_name=COURSE_KERNEL,
            allow_errors=True,
            interrupt_on_timeout=True,
            resources={"metadata": {"path": str(workdir)}},
        )

    def run(self, index: int, source: str | None = None):
        """Execute cell ``index`` (or ``source`` in its place) and return the executed cell."""
        cell = self.nb.cells[index]
        if source is not None:
            cell = nbformat.v4.new_code_cell(source, metadata=cell.metadata)
        else:
            cell = nbformat.from_dict(cell)
        if cell.cell_type != "code":
            return cell
        cell.outputs = []
        self.client.execute_cell(cell, index, store_history=False)
        return cell


def check_mutants(
    lesson: str,
    progress: bool = False,
    source: Path | None = None,
    released: Path | None = None,
    generated_sample: int = 0,
    twins: bool = False,
    only_twins: bool = False,
    twin_dir: Path | None = None,
) -> list[Variant]:
    """Score the solution, the stub and every mutant of every exercise of ``lesson``.

    With ``generated_sample``, that many of each exercise's generated mutants
    (:mod:`autograder.mutation`, a fixed sample, equivalent ones left out) run too,
    named ``gen:<id>``. Returns one :class:`Variant` per (exercise, implementation);
    the caller decides what passes (see ``tests/test_lessons.py``). With ``twins``, each
    exercise that ``seqnlp`` also implements runs once more with the full package's twins
    in place of its solution cell (:mod:`autograder.twins`), named ``twin``: it must keep
    full marks. ``only_twins`` runs the twins and nothing else (no stub, no mutant), stopping
    after the last exercise with twins; ``twin_dir``: the package the twins come from
    (``seqnlp/`` by default). This is :func:`autograder.twins.check_twins`.
    """
    lesson = resolve_lesson(lesson)
    path = source or source_notebook(lesson)
    nb = nbformat.read(path, as_version=4)
    exercises = exercises_of(nb)
    mutants_file = path.parent / "mutants.py"
    mutants = parse_mutants(mutants_file) if mutants_file.exists() else []
    known = {ex.grade_id for ex in exercises}
    stray = sorted({m.cell for m in mutants} - known)
    if stray:
        raise RoundTripError(f"{mutants_file}: mutants for unknown solution cells {stray}; known: {sorted(known)}")

    stubs = released_sources(released or released_notebook(lesson))
    twin_cells: dict[str, str] = {}
    if twins and (source is None or only_twins):
        from .helperbuild import SOURCE_DIR
        from .twins import twin_sources

        twin_cells = twin_sources(lesson, nb, twin_dir or SOURCE_DIR)
    if only_twins:
        if not twin_cells:
            return []  # no kernel to start
        last_twin = max(ex.last_index for ex in exercises if ex.grade_id in twin_cells)
        exercises = [ex for ex in exercises if ex.solution_index <= last_twin]
    generated = []
    if generated_sample and source is None and not only_twins:
        generated = _generated_sample(lesson, nb, exercises, generated_sample)
    results: list[Variant] = []
    with tempfile.TemporaryDirectory(prefix=f"roundtrip-{lesson}-") as tmp:
        workdir = Path(tmp) / lesson
        shutil.copytree(path.parent, workdir, ignore=shutil.ignore_patterns("mutants.py", "*.ipynb"))
        live = LiveNotebook(nb, workdir)
        live.env = lesson_env(lesson, live.env)  # the kernel imports the lesson's seqnlp, not the answers
        with live.client.setup_kernel(env=live.env):
            position = 0
            for ex in exercises:
                # Run everything up to and including this exercise's tests with the real solution.
                executed = {}
                for index in range(position, ex.last_index + 1):
                    executed[index] = live.run(index)
                position = ex.last_index + 1
                results.append(_variant(ex, "solution", [executed[i] for i in ex.test_indices], nb))

                stub = stubs.get(ex.grade_id, strip_solution(nb.cells[ex.solution_index].source))
                variants = [] if only_twins else [("stub", stub)]
                variants += [(m.name, m.source) for m in mutants if m.cell == ex.grade_id and not only_twins]
                variants += [(m.name, m.source) for m in generated if m.exercise == ex.grade_id]
                if ex.grade_id in twin_cells:
                    variants.append(("twin", twin_cells[ex.grade_id]))
                if not variants:
                    continue
                live.client.timeout = MUTANT_TIMEOUT  # a mutant that loops is caught by the timeout
                for name, source in variants:
                    started = time.perf_counter()
                    tests = _rerun_block(live, ex, source)
                    results.append(_variant(ex, name, tests, nb))
                    if progress:
                        print(
                            f"  {ex.grade_id:<28} {name:<36} {results[-1].score:g}/{results[-1].max_score:g}"
                            f"  ({time.perf_counter() - started:.1f}s)",
                            flush=True,
                        )
                live.client.timeout = CELL_TIMEOUT
                _rerun_block(live, ex, None)  # restore the real solution and the state its block builds
    return results


def _generated_sample(lesson: str, nb, exercises: list[Exercise], per_exercise: int) -> list:
    from .mutation import generate_mutants, read_equivalents, sample

    equivalent = read_equivalents(lesson)
    out = []
    for ex in exercises:
        mutants = generate_mutants(nb.cells[ex.solution_index].source, ex.grade_id)
        out += sample([m for m in mutants if (ex.grade_id, m.id) not in equivalent], per_exercise)
    return out


def defined_names(source: str) -> list[str]:
    """Top-level names a cell binds (functions, classes, assignments, imports)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names]
    return sorted(set(names))


def released_sources(path: Path) -> dict[str, str]:
    """``{grade_id: source}`` of a released notebook's solution cells (the stubs students get)."""
    if not path.exists():
        return {}
    nb = nbformat.read(path, as_version=4)
    return {nbgrader_meta(c)["grade_id"]: c.source for c in nb.cells if is_solution_cell(c)}


def _rerun_block(live: LiveNotebook, ex: Exercise, source: str | None) -> list:
    if source is not None:
        # Forget what the real solution defined, so a stub cannot inherit it.
        names = defined_names(live.nb.cells[ex.solution_index].source)
        live.run(ex.solution_index, f"for _name in {names!r}:\n    globals().pop(_name, None)\ndel _name")
    tests = []
    for index in range(ex.solution_index, ex.last_index + 1):
        cell = live.run(index, source if index == ex.solution_index else None)
        if index in ex.test_indices:
            tests.append(cell)
    return tests


def _variant(ex: Exercise, name: str, tests: list, nb) -> Variant:
    score = max_score = 0.0
    details = {}
    for index, cell in zip(ex.test_indices, tests, strict=True):
        got, most = cell_score(cell)
        score += got
        max_score += most
        if got < most:
            details[nbgrader_meta(nb.cells[index]).get("grade_id", str(index))] = (
                cell_error(cell) or f"{got:g}/{most:g}"
            )
    return Variant(ex.grade_id, name, score, max_score, details)


# --------------------------------------------------------------------------- nbgrader itself


def nbgrader_env() -> dict[str, str]:
    """Environment for nbgrader subprocesses: our venv's bin/ first (nbgrader runs alembic)."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def nbgrader(args: list[str], root: Path, lesson: str | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` with the course configuration on a course rooted at ``root``.

    With ``lesson``, the kernels nbgrader starts import that lesson's build of ``seqnlp``.
    """
    # the course configuration keeps its gradebook in graded/: a scratch course keeps its own
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={root}",
           f"--CourseDirectory.db_url=sqlite:///{Path(root).resolve() / 'gradebook.db'}"]
    env = lesson_env(lesson, nbgrader_env()) if lesson else nbgrader_env()
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def generate_release(lesson: str, root: Path) -> Path:
    """Copy the lesson's source into ``root/solutions`` and release it into ``root/lessons``."""
    lesson = resolve_lesson(lesson)
    shutil.copytree(source_notebook(lesson).parent, root / "solutions" / lesson, dirs_exist_ok=True)
    nbgrader(["generate_assignment", lesson, "--force"], root)
    return root / "lessons" / lesson


def autograde_notebook(
    lesson: str, notebook: Path, root: Path, student: str = "student"
) -> dict[str, tuple[float, float]]:
    """Autograde ``notebook`` as ``student``'s submission with nbgrader; return ``{grade_id: (score, max)}``.

    ``root`` is a scratch course directory (the lesson is released there first
    if it is not yet).
    """
    return autograde_notebooks(lesson, {student: notebook}, root)[student]


def autograde_notebooks(
    lesson: str, notebooks: dict[str, Path], root: Path
) -> dict[str, dict[str, tuple[float, float]]]:
    """:func:`autograde_notebook` for several students in one ``nbgrader autograde`` run (one start-up):
    ``{student: notebook}`` -> ``{student: {grade_id: (score, max)}}``."""
    from nbgrader.api import Gradebook

    lesson = resolve_lesson(lesson)
    if not (root / "lessons" / lesson).exists():
        generate_release(lesson, root)
    for student, notebook in notebooks.items():
        submitted = root / "submitted" / student / lesson
        submitted.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook, submitted / f"{lesson}.ipynb")
    only = [f"--student={next(iter(notebooks))}"] if len(notebooks) == 1 else []
    nbgrader(["autograde", lesson, "--create", "--force", *only], root, lesson=lesson)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        out = {}
        for student in notebooks:
            nb = gb.find_submission_notebook(lesson, lesson, student)
            out[student] = {grade.name: (float(grade.score), float(grade.max_score)) for grade in nb.grades}
        return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m autograder.roundtrip LESSON [LESSON ...]   (e.g. 01 or 01_text_preprocessing)")
        return 2
    failed = 0
    for name in args:
        lesson = resolve_lesson(name)
        print(f"{lesson}:")
        for finding in check_lesson(lesson):
            failed += 1
            print(f"  RAW {finding}")
        for v in check_mutants(lesson, progress=True, twins=True):
            ok = {"solution": v.score == v.max_score, "twin": v.score == v.max_score,
                  "stub": v.score == 0}.get(v.kind, v.score < v.max_score)
            failed += not ok
            if not ok:
                print(f"  FAIL {v.exercise} {v.name}: {v.score:g}/{v.max_score:g} {v.details}")
    print("all variants behave" if not failed else f"{failed} raw comparison(s) or misbehaving variant(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
