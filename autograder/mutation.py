"""Generated mutants: every exercise's tests against mechanical changes of its solution.

``solutions/<lesson>/mutants.py`` holds wrong answers written by hand. This module adds
the mechanical ones: for each exercise it parses the solution cell and makes one mutant
per *site* and *operator*:

========== ==============================================================
operator   change
========== ==============================================================
compare    ``<``/``<=``, ``>``/``>=``, ``==``/``!=``, ``in``/``not in``, ``is``/``is not``
arith      ``+``/``-``, ``*``/``/``, ``//`` -> ``/``, ``**`` -> ``*``, ``@`` -> ``*``, ``%`` -> ``//``
augassign  the same swaps on ``x += ...`` and friends
boolop     ``and``/``or``
unary      ``-x`` -> ``x``, ``not x`` -> ``x``
const      an integer or float constant ``c`` -> ``c + 1`` and ``c - 1`` (so 0 <-> 1 is among them)
bool       ``True``/``False``
default    the same changes on a parameter's default value
axis       the same changes on an ``axis=``/``dim=`` argument
swap       two adjacent positional arguments of a call swapped
drop       one statement of a function body replaced by ``pass``
========== ==============================================================

Each mutant replaces only the source text of the node it changes, so the rest of the
cell (comments included) stays as written, and its id (``<operator>-<hash>``) depends
only on the changed text, not on line numbers: an edit elsewhere in the cell keeps the
ids in ``solutions/<lesson>/equivalent.txt`` valid.

Mutants run in the live kernel of the round trip (:class:`roundtrip.LiveNotebook`):
each one first against the exercise's *public* test cells (what the student's release
holds), and, when those don't catch it, against the full test cells with their hidden
tests. A mutant is *caught* when it loses points.

Command line::

    python -m autograder.mutation 01 [04 ...] [--exercise ex_id] [--survivors] [--report]

``--report`` writes ``benchmarks/results/mutation.{md,json}`` (every lesson when none is named;
the named lessons replace theirs in the last report otherwise).
"""

from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import json
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from .lessons import REPO_ROOT, available_lessons, released_notebook, resolve_lesson, source_notebook
from .roundtrip import MUTANT_TIMEOUT

EQUIVALENT_LINE = re.compile(r"^(?P<exercise>[\w.-]+)\s+(?P<id>[a-z]+-[0-9a-f]{8})\s*:\s*(?P<reason>\S.*)$")
RESULTS = REPO_ROOT / "benchmarks" / "results"

CATCH_TARGET = 0.95  # of the non-equivalent generated mutants, per exercise, by all tests
PUBLIC_TARGET = 0.70  # of all mutants (hand-written and generated), per lesson, by the public tests alone

COMPARE_SWAPS = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
ARITH_SWAPS = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
    ast.Pow: ast.Mult, ast.MatMult: ast.Mult, ast.Mod: ast.FloorDiv, ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd,
}
AXIS_KEYWORDS = {"axis", "dim", "axes", "dims"}


@dataclass
class GeneratedMutant:
    """One mechanical change of a solution cell."""

    exercise: str
    id: str
    operator: str
    line: int  # 1-based line of the change in the solution cell
    before: str  # the source text that was replaced
    after: str  # what replaced it
    source: str  # the whole mutated cell

    @property
    def name(self) -> str:
        return f"gen:{self.id}"

    def describe(self) -> str:
        return f"{self.id} line {self.line}: {self.before!r} -> {self.after!r}"


# --------------------------------------------------------------------------- generation


class _Lines:
    """Character offsets of a source, from ``ast``'s (line, UTF-8 byte column) positions."""

    def __init__(self, source: str):
        self.source = source
        self.lines = source.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, lineno: int, col_bytes: int) -> int:
        line = self.lines[lineno - 1] if lineno - 1 < len(self.lines) else ""
        return self.starts[lineno - 1] + len(line.encode("utf-8")[:col_bytes].decode("utf-8", errors="replace"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return self.offset(node.lineno, node.col_offset), self.offset(node.end_lineno, node.end_col_offset)


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    ids.add(id(body[0]))
                    ids.add(id(body[0].value))
    return ids


def _parents(tree: ast.AST) -> dict[int, ast.AST]:
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    return parents


def _number_variants(value) -> list:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return []
    return [value + 1, value - 1]


def _expr_text(node: ast.AST) -> str:
    text = ast.unparse(node)
    if isinstance(node, (ast.BinOp, ast.BoolOp, ast.Compare, ast.UnaryOp, ast.IfExp, ast.Lambda, ast.NamedExpr)):
        text = f"({text})"
    return text


def _const_text(value) -> str:
    text = repr(value)
    return f"({text})" if text.startswith("-") else text


def _sites(tree: ast.AST, skip: set[int], parents: dict[int, ast.AST]):
    """Yield ``(operator, node, replacement_text)`` for every mutation site of ``tree``."""
    defaults, axis_values = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for d in [*node.args.defaults, *node.args.kw_defaults]:
                if d is not None:
                    defaults.update(id(n) for n in ast.walk(d))
        if isinstance(node, ast.keyword) and node.arg in AXIS_KEYWORDS:
            axis_values.update(id(n) for n in ast.walk(node.value))
    in_fstring = {id(n) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for n in ast.walk(node)}

    for node in ast.walk(tree):
        if id(node) in skip or id(node) in in_fstring:
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in COMPARE_SWAPS:
                    new = copy.deepcopy(node)
                    new.ops[i] = COMPARE_SWAPS[type(op)]()
                    yield "compare", node, _expr_text(new)
        elif isinstance(node, ast.BinOp) and type(node.op) in ARITH_SWAPS:
            new = copy.deepcopy(node)
            new.op = ARITH_SWAPS[type(node.op)]()
            yield "arith", node, _expr_text(new)
        elif isinstance(node, ast.AugAssign) and type(node.op) in ARITH_SWAPS:
            new = copy.deepcopy(node)
            new.op = ARITH_SWAPS[type(node.op)]()
            yield "augassign", node, ast.unparse(new)
        elif isinstance(node, ast.BoolOp):
            new = copy.deepcopy(node)
            new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            yield "boolop", node, _expr_text(new)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
            if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
                continue  # -1 is a constant: the const operator changes it
            yield "unary", node, _expr_text(node.operand)
        elif isinstance(node, ast.Constant):
            kind = "default" if id(node) in defaults else "axis" if id(node) in axis_values else None
            parent = parents.get(id(node))
            target = node
            value = node.value
            if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.USub) and not isinstance(value, bool):
                target, value = parent, -value if isinstance(value, (int, float)) else value
            if isinstance(value, bool):
                yield kind or "bool", target, repr(not value)
            else:
                for new_value in _number_variants(value):
                    yield kind or "const", target, _const_text(new_value)
        elif isinstance(node, ast.Call):
            args = node.args
            for i in range(len(args) - 1):
                if isinstance(args[i], ast.Starred) or isinstance(args[i + 1], ast.Starred):
                    continue
                if ast.dump(args[i]) == ast.dump(args[i + 1]):
                    continue
                new = copy.deepcopy(node)
                new.args[i], new.args[i + 1] = new.args[i + 1], new.args[i]
                yield "swap", node, ast.unparse(new)


def _statements(tree: ast.Module, skip: set[int]):
    """Statements of function bodies that can be dropped (docstrings and ``pass`` excepted)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for body in _bodies(node):
                for stmt in body:
                    if id(stmt) not in skip and not isinstance(stmt, ast.Pass):
                        yield stmt


def _bodies(node: ast.AST):
    for name in ("body", "orelse", "finalbody"):
        body = getattr(node, name, None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            yield body
    for handler in getattr(node, "handlers", []):
        yield handler.body
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)):
            yield from _bodies(child)


def generate_mutants(source: str, exercise: str) -> list[GeneratedMutant]:
    """Every generated mutant of a solution cell, in source order, without duplicates."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    lines = _Lines(source)
    skip = _docstring_nodes(tree)
    parents = _parents(tree)
    edits: list[tuple[str, int, int, str]] = []
    for operator, node, replacement in _sites(tree, skip, parents):
        start, end = lines.span(node)
        edits.append((operator, start, end, replacement))
    seen_stmts = set()
    for stmt in _statements(tree, skip):
        if id(stmt) in seen_stmts:
            continue
        seen_stmts.add(id(stmt))
        start, end = lines.span(stmt)
        edits.append(("drop", start, end, "pass"))

    mutants, sources, occurrences = [], {source}, {}
    for operator, start, end, replacement in sorted(edits, key=lambda e: (e[1], e[2], e[0], e[3])):
        before = source[start:end]
        if before == replacement:
            continue
        mutated = source[:start] + replacement + source[end:]
        if mutated in sources:
            continue
        try:
            ast.parse(mutated)
        except SyntaxError:
            continue
        sources.add(mutated)
        key = (operator, before, replacement)
        occurrences[key] = occurrences.get(key, 0) + 1
        digest = hashlib.sha1(f"{operator}\0{before}\0{replacement}\0{occurrences[key]}".encode()).hexdigest()[:8]
        line = source.count("\n", 0, start) + 1
        mutants.append(GeneratedMutant(exercise, f"{operator}-{digest}", operator, line,
                                       _short(before), _short(replacement), mutated))
    return mutants


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def sample(mutants: list[GeneratedMutant], per_exercise: int) -> list[GeneratedMutant]:
    """A fixed sample: the ``per_exercise`` mutants of each exercise with the smallest ids' hashes."""
    by_exercise: dict[str, list[GeneratedMutant]] = {}
    for m in mutants:
        by_exercise.setdefault(m.exercise, []).append(m)
    out = []
    for group in by_exercise.values():
        out += sorted(group, key=lambda m: hashlib.sha1(m.id.encode()).hexdigest())[:per_exercise]
    return out


# --------------------------------------------------------------------------- equivalents


def equivalent_path(lesson: str) -> Path:
    return source_notebook(resolve_lesson(lesson)).parent / "equivalent.txt"


def read_equivalents(lesson: str) -> dict[tuple[str, str], str]:
    """``{(exercise, mutant id): reason}`` from ``solutions/<lesson>/equivalent.txt``."""
    path = equivalent_path(lesson)
    if not path.exists():
        return {}
    out = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = EQUIVALENT_LINE.match(line)
        if not match:
            raise ValueError(f"{path}:{number}: expected '<exercise> <operator>-<8 hex>: <reason>', got {raw!r}")
        out[(match["exercise"], match["id"])] = match["reason"]
    return out


def lesson_mutants(lesson: str) -> list[GeneratedMutant]:
    """Every generated mutant of every exercise of ``lesson``."""
    from .roundtrip import exercises_of

    nb = nbformat.read(source_notebook(resolve_lesson(lesson)), as_version=4)
    out = []
    for ex in exercises_of(nb):
        out += generate_mutants(nb.cells[ex.solution_index].source, ex.grade_id)
    return out


# --------------------------------------------------------------------------- running


@dataclass
class Outcome:
    """What the tests made of one mutant (hand-written or generated)."""

    exercise: str
    name: str
    kind: str  # "generated" or "hand"
    operator: str = ""
    description: str = ""
    public_caught: bool = False
    caught: bool = False
    equivalent: str = ""  # the reason, when listed in equivalent.txt
    detail: str = ""
    seconds: float = 0.0


@dataclass
class LessonReport:
    lesson: str
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # solution or stub misbehaving, stale equivalents
    seconds: float = 0.0

    def exercises(self) -> list[str]:
        return list(dict.fromkeys(o.exercise for o in self.outcomes))

    def stats(self, exercise: str | None = None) -> dict:
        rows = [o for o in self.outcomes if exercise is None or o.exercise == exercise]
        gen = [o for o in rows if o.kind == "generated"]
        equivalent = [o for o in gen if o.equivalent]
        live = [o for o in gen if not o.equivalent]
        caught = [o for o in live if o.caught]
        everything = [o for o in rows if not o.equivalent]
        return {
            "generated": len(gen),
            "equivalent": len(equivalent),
            "caught": len(caught),
            "catch_rate": len(caught) / len(live) if live else 1.0,
            "hand": len([o for o in rows if o.kind == "hand"]),
            "all_mutants": len(everything),
            "public_caught": len([o for o in everything if o.public_caught]),
            "public_rate": len([o for o in everything if o.public_caught]) / len(everything) if everything else 1.0,
            "all_caught": len([o for o in everything if o.caught]),
        }

    def survivors(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.caught and not o.equivalent]


def run_lesson(
    lesson: str,
    exercises: list[str] | None = None,
    per_exercise: int | None = None,
    include_hand: bool = True,
    progress: bool = False,
) -> LessonReport:
    """Run the generated (and hand-written) mutants of ``lesson`` through the live-kernel round trip."""
    from .helperbuild import lesson_env
    from .roundtrip import (
        LiveNotebook,
        exercises_of,
        is_test_cell,
        nbgrader_meta,
        parse_mutants,
        released_sources,
        strip_solution,
    )

    started = time.perf_counter()
    lesson = resolve_lesson(lesson)
    path = source_notebook(lesson)
    nb = nbformat.read(path, as_version=4)
    all_ex = exercises_of(nb)
    chosen = [ex for ex in all_ex if exercises is None or ex.grade_id in exercises]
    if exercises:
        unknown = set(exercises) - {ex.grade_id for ex in all_ex}
        if unknown:
            raise SystemExit(f"{lesson} has no exercise {sorted(unknown)}; it has {[e.grade_id for e in all_ex]}")
    equivalents = read_equivalents(lesson)
    hand = parse_mutants(path.parent / "mutants.py") if include_hand and (path.parent / "mutants.py").exists() else []
    stubs = released_sources(released_notebook(lesson))
    public_tests = _released_tests(released_notebook(lesson), is_test_cell, nbgrader_meta)
    report = LessonReport(lesson)
    from .formgrader import released_source

    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if is_test_cell(cell) and public_tests.get(gid, "").rstrip() != released_source(cell.source).rstrip():
            report.problems.append(f"lessons/{lesson}: test cell {gid} is not what solutions/ releases today: "
                                   "the public-only figures would be stale (run make release first)")

    generated_all = {ex.grade_id: generate_mutants(nb.cells[ex.solution_index].source, ex.grade_id) for ex in all_ex}
    known_ids = {(m.exercise, m.id) for ms in generated_all.values() for m in ms}
    for key in sorted(set(equivalents) - known_ids):
        report.problems.append(f"equivalent.txt lists {key[0]} {key[1]}, which is no longer generated (stale line)")

    with tempfile.TemporaryDirectory(prefix=f"mutation-{lesson}-") as tmp:
        workdir = Path(tmp) / lesson
        shutil.copytree(path.parent, workdir, ignore=shutil.ignore_patterns("mutants.py", "*.ipynb", "*.txt"))
        live = LiveNotebook(nb, workdir)
        live.env = lesson_env(lesson, live.env)
        with live.client.setup_kernel(env=live.env):
            position = 0
            for ex in all_ex:
                for index in range(position, ex.last_index + 1):
                    live.run(index)
                position = ex.last_index + 1
                if ex not in chosen:
                    continue
                public = {i: public_tests.get(nbgrader_meta(nb.cells[i]).get("grade_id"), "") for i in ex.test_indices}
                gen = generated_all[ex.grade_id]
                if per_exercise is not None:
                    gen = sample(gen, per_exercise)
                variants = [("generated", m.name, m.operator, m.describe(), m.source) for m in gen]
                variants += [("hand", m.name, "", "mutants.py", m.source) for m in hand if m.cell == ex.grade_id]
                stub = stubs.get(ex.grade_id, strip_solution(nb.cells[ex.solution_index].source))
                live.client.timeout = MUTANT_TIMEOUT
                try:
                    stub_score = _score(live, ex, stub, None, nb)
                    if stub_score[0] != 0:
                        report.problems.append(f"{ex.grade_id}: the stub earns {stub_score[0]:g}/{stub_score[1]:g}")
                    for kind, name, operator, description, source in variants:
                        t0 = time.perf_counter()
                        reason = equivalents.get((ex.grade_id, name.removeprefix("gen:")), "")
                        outcome = Outcome(ex.grade_id, name, kind, operator, description, equivalent=reason)
                        got, most, detail = _score(live, ex, source, public, nb, detail=True)
                        outcome.public_caught = got < most
                        if outcome.public_caught:
                            outcome.caught, outcome.detail = True, detail
                        else:
                            got, most, detail = _score(live, ex, source, None, nb, detail=True)
                            outcome.caught, outcome.detail = got < most, detail
                        outcome.seconds = round(time.perf_counter() - t0, 2)
                        report.outcomes.append(outcome)
                        if progress:
                            flag = "public" if outcome.public_caught else "hidden" if outcome.caught else (
                                "equivalent" if reason else "SURVIVED")
                            print(f"  {ex.grade_id:<26} {name:<34} {flag:<10} {description[:90]}", flush=True)
                finally:
                    live.client.timeout = live_timeout()
                solution = _score(live, ex, nb.cells[ex.solution_index].source, None, nb)
                if solution[0] != solution[1]:
                    report.problems.append(
                        f"{ex.grade_id}: after its mutants the solution scores {solution[0]:g}/{solution[1]:g}: "
                        "a mutant changed state the tests share (make each test build its own inputs)"
                    )
    report.seconds = round(time.perf_counter() - started, 1)
    return report


def live_timeout() -> int:
    from .settings import CELL_TIMEOUT

    return CELL_TIMEOUT


def _released_tests(path: Path, is_test_cell, nbgrader_meta) -> dict[str, str]:
    nb = nbformat.read(path, as_version=4)
    return {nbgrader_meta(c)["grade_id"]: c.source for c in nb.cells if is_test_cell(c)}


def _score(live, ex, source: str, test_sources: dict[int, str] | None, nb, detail: bool = False):
    """Run ``source`` as the exercise's solution cell, then its test cells (or ``test_sources``)."""
    from .roundtrip import cell_error, cell_score, defined_names

    names = defined_names(live.nb.cells[ex.solution_index].source)
    live.run(ex.solution_index, f"for _name in {names!r}:\n    globals().pop(_name, None)\ndel _name")
    got = most = 0.0
    first = ""
    for index in range(ex.solution_index, ex.last_index + 1):
        if index == ex.solution_index:
            cell_source = source
        elif index in ex.test_indices and test_sources is not None:
            cell_source = test_sources[index]
        else:
            cell_source = None
        cell = live.run(index, cell_source)
        if index in ex.test_indices:
            s, m = cell_score(cell)
            got, most = got + s, most + m
            if s < m and not first:
                first = cell_error(cell) or f"{s:g}/{m:g}"
    return (got, most, first) if detail else (got, most)


# --------------------------------------------------------------------------- reports


def table(reports: list[LessonReport]) -> str:
    lines = [
        "| lesson | exercise | generated | equivalent | caught | caught % | hand-written"
        " | public-only caught (all mutants) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for rep in reports:
        for ex in rep.exercises():
            s = rep.stats(ex)
            ok = "" if s["catch_rate"] >= CATCH_TARGET else " **MISSED**"
            lines.append(
                f"| {rep.lesson} | {ex} | {s['generated']} | {s['equivalent']} | {s['caught']} | "
                f"{100 * s['catch_rate']:.1f}{ok} | {s['hand']} | {s['public_caught']}/{s['all_mutants']} "
                f"({100 * s['public_rate']:.0f}%) |"
            )
        s = rep.stats()
        ok = "" if s["public_rate"] >= PUBLIC_TARGET else " **MISSED**"
        lines.append(
            f"| **{rep.lesson}** | all | {s['generated']} | {s['equivalent']} | {s['caught']} | "
            f"{100 * s['catch_rate']:.1f} | {s['hand']} | {s['public_caught']}/{s['all_mutants']} "
            f"({100 * s['public_rate']:.0f}%){ok} |"
        )
    return "\n".join(lines)


def load_reports(path: Path = RESULTS / "mutation.json") -> list[LessonReport]:
    """The lessons of an earlier ``mutation.json`` (to merge a run of some lessons into it)."""
    if not path.is_file():
        return []
    return [LessonReport(d["lesson"], [Outcome(**o) for o in d["outcomes"]], d["problems"], d["seconds"])
            for d in json.loads(path.read_text(encoding="utf-8"))]


def write_report(reports: list[LessonReport], out: Path = RESULTS) -> Path:
    """Write ``mutation.{md,json}``; lessons not in ``reports`` keep their rows from the last report."""
    out.mkdir(parents=True, exist_ok=True)
    run = {r.lesson for r in reports}
    kept = [r for r in load_reports(out / "mutation.json") if r.lesson not in run and r.lesson in available_lessons()]
    reports = sorted([*kept, *reports], key=lambda r: r.lesson)
    md = [
        "# Generated mutants",
        "",
        "Written by `make mutation` (`python -m autograder.mutation --report`). Each exercise's solution cell is",
        "mutated mechanically (autograder/mutation.py lists the operators); every mutant runs in the live kernel",
        "of the round trip against the released (public) tests first, then the full tests. Targets: at least",
        f"{CATCH_TARGET:.0%} of the non-equivalent generated mutants of every exercise caught; the public tests alone",
        f"catch at least {PUBLIC_TARGET:.0%} of all mutants of each lesson (hand-written ones included). Equivalent",
        "mutants are listed, with a reason each, in `solutions/<lesson>/equivalent.txt`.",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M')}; the lessons' runs took {sum(r.seconds for r in reports):.0f} s "
        "(a shared 2-core machine).",
        "",
        table(reports),
        "",
    ]
    for rep in reports:
        survivors = rep.survivors()
        if survivors or rep.problems:
            md.append(f"## {rep.lesson}: survivors and problems")
            md += [f"- problem: {p}" for p in rep.problems]
            md += [f"- {o.exercise} `{o.name}` ({o.kind}): {o.description}" for o in survivors]
            md.append("")
    (out / "mutation.md").write_text("\n".join(md), encoding="utf-8")
    data = [{"lesson": r.lesson, "seconds": r.seconds, "problems": r.problems,
             "stats": {ex: r.stats(ex) for ex in r.exercises()}, "total": r.stats(),
             "outcomes": [asdict(o) for o in r.outcomes]} for r in reports]
    (out / "mutation.json").write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    (out / "mutation_summary.json").write_text(json.dumps(summary_rows(reports), indent=1), encoding="utf-8")
    return out / "mutation.md"


def summary_rows(reports: list[LessonReport]) -> list[dict]:
    """``RESULTS.md`` rows (benchmarks/run_all.py): each exercise's catch rate, each lesson's public rate."""
    date = time.strftime("%Y-%m-%d")
    rows = []
    for rep in reports:
        for ex in rep.exercises():
            s = rep.stats(ex)
            rows.append({"lesson": rep.lesson, "task": f"{ex}: non-equivalent generated mutants caught "
                         f"({s['caught']} of {s['generated'] - s['equivalent']}; {s['equivalent']} equivalent)",
                         "metric": "% caught", "value": round(100 * s["catch_rate"], 1),
                         "target": 100 * CATCH_TARGET, "seconds": None, "device": "cpu", "date": date,
                         "met": s["catch_rate"] >= CATCH_TARGET})
        s = rep.stats()
        rows.append({"lesson": rep.lesson, "task": f"all mutants (hand-written and generated) caught by the public "
                     f"asserts alone ({s['public_caught']} of {s['all_mutants']})", "metric": "% caught",
                     "value": round(100 * s["public_rate"], 1), "target": 100 * PUBLIC_TARGET,
                     "seconds": rep.seconds, "device": "cpu", "date": date, "met": s["public_rate"] >= PUBLIC_TARGET})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.mutation", description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", nargs="*", help="lessons (01 or 01_text_preprocessing); default: all with --report")
    parser.add_argument("--exercise", action="append", help="only this exercise (repeatable)")
    parser.add_argument("--survivors", action="store_true", help="print each surviving mutant's change")
    parser.add_argument("--sample", type=int, default=None, help="only this many generated mutants per exercise")
    parser.add_argument("--no-hand", action="store_true", help="leave out mutants.py")
    parser.add_argument("--progress", action="store_true", help="print every mutant as it runs")
    parser.add_argument("--list", action="store_true", help="only list the generated mutants (nothing runs)")
    parser.add_argument("--report", action="store_true", help="write benchmarks/results/mutation.{md,json}")
    args = parser.parse_args(argv)
    lessons = [resolve_lesson(name) for name in args.lessons] or (available_lessons() if args.report else [])
    if not lessons:
        parser.error("name at least one lesson, or --report for all")
    if args.list:
        for lesson in lessons:
            for m in lesson_mutants(lesson):
                if not args.exercise or m.exercise in args.exercise:
                    print(f"{lesson} {m.exercise} {m.describe()}")
        return 0
    reports = []
    for lesson in lessons:
        print(f"{lesson}:", flush=True)
        rep = run_lesson(lesson, args.exercise, args.sample, not args.no_hand, progress=args.progress)
        reports.append(rep)
        for problem in rep.problems:
            print(f"  PROBLEM {problem}")
        if args.survivors:
            for o in rep.survivors():
                print(f"  survivor {o.exercise} {o.name} ({o.kind}): {o.description}")
        print(f"  ({rep.seconds:.0f} s)", flush=True)
    print(table(reports))
    if args.report:
        print(f"wrote {write_report(reports)}")
    failed = any(r.problems for r in reports) or any(
        r.stats(ex)["catch_rate"] < CATCH_TARGET for r in reports for ex in r.exercises()
    ) or any(r.stats()["public_rate"] < PUBLIC_TARGET for r in reports)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
