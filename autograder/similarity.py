"""The similarity report: answers that are near-identical after renaming and reformatting.

After grading, :func:`similarity_for_run` writes ``similarity.csv`` and
``similarity.html`` next to the grades. It compares, per lesson and per answer
cell (and all of a lesson's answers together):

* every pair of students;
* every student with the reference solutions (the answer cells of
  ``solutions/NN/NN.ipynb``, all lessons) and with the helper package's code
  (``seqnlp/*.py``).

Method (Schleimer, Wilkerson and Aiken, "Winnowing: local algorithms for
document fingerprinting", SIGMOD 2003, the method of MOSS):

1. :func:`normalise` parses the code with :mod:`ast` and keeps only its
   structure: comments, docstrings, type annotations, blank lines and layout
   disappear, string literals become ``S``, every name the code binds itself
   (variables, parameters, its own functions) becomes ``V`` and every
   ``self.<name>`` becomes ``self.A``; builtins, attribute names and names
   defined elsewhere (``np``, ``Counter``) stay. Renaming variables, adding a
   statement or reordering functions changes only the tokens around the edit.
2. :func:`fingerprints` hashes every run of :data:`K` tokens (``blake2b``, the
   same in every process) and keeps the winnowed minima of each window of
   :data:`WINDOW` hashes (``copydetect``'s winnowing): any run of
   ``K + WINDOW - 1`` tokens shared by two answers yields a shared fingerprint.
3. The released stub of each cell (``# YOUR CODE HERE``, the given def lines
   and docstrings) is fingerprinted too, and those fingerprints are removed
   from every answer: two students who left the stub, or only kept the given
   signature, share nothing.
4. Scores are in [0, 1]: between two students, shared fingerprints over the
   smaller answer's; against a reference, the share of the student's
   fingerprints found in it. Answers with fewer than :data:`MIN_FINGERPRINTS`
   fingerprints (a few tokens) are not evidence and are never reported.

A high score says two texts have the same structure; it does not say who
copied, or that anyone did. The report flags; a person decides.
"""

from __future__ import annotations

import ast
import builtins
import csv
import functools
import hashlib
import html
import io
import keyword
import logging
import re
import tokenize
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .lessons import REPO_ROOT

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from .gradebook import LessonInfo

K = 8  # tokens per k-gram (the noise threshold: shorter shared runs are ignored)
WINDOW = 4  # winnowing window: shared runs of K + WINDOW - 1 = 11 tokens are always found
MIN_FINGERPRINTS = 6  # fewer fingerprints than this (after removing the stub) is not evidence
THRESHOLD = 0.6  # scores at or above this are reported
ALL_ANSWERS = "(all answers)"  # the exercise column of a lesson-wide comparison
STUDENTS = "students"  # the kind of a student-student pair
REFERENCE_SOLUTION = "reference solution"
LIBRARY = "seqnlp"
VARIABLE, ATTRIBUTE = "V", "A"  # what a bound name and a self.<name> become
INDENT, DEDENT = "<indent>", "<dedent>"  # block markers among the tokens (no Python token looks like them)
MAX_CELL_CHARS = 50_000  # longer answers are cut (a hostile notebook can hold anything)
MAX_SHOWN_ROWS, MAX_SHOWN_CHARS = 300, 6_000  # the page shows the answers of the best rows, cut to this length
CSV_COLUMNS = ("lesson", "exercise", "kind", "first", "second", "score", "shared", "fingerprints_first",
               "fingerprints_second")

_KEEP = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)
_SELF = ("self", "cls")
log = logging.getLogger("autograder")


@dataclass(frozen=True)
class SimilarPair:
    """One flagged match: ``first`` (a student) and ``second`` (a student or a reference) on one exercise."""

    lesson: str
    exercise: str  # a grade id, or ALL_ANSWERS
    kind: str  # STUDENTS, REFERENCE_SOLUTION or LIBRARY
    first: str
    second: str  # a student, or the reference's label ("01_text_preprocessing/ex_clean_text", "seqnlp/text.py")
    score: float
    shared: int
    fingerprints_first: int
    fingerprints_second: int

    def sort_key(self) -> tuple:
        return (-self.score, self.lesson, self.exercise, self.kind, self.first, self.second)


# --------------------------------------------------------------------------- reading answers


def solution_code(nb: NotebookNode, lesson: LessonInfo) -> dict[str, str]:
    """``{grade_id: source}`` of the autograded answer cells of a submitted notebook.

    Which cells are answers is decided by the lesson (nbgrader ``solution=True,
    grade=False``, code), not by the submission's metadata; a grade id that
    appears twice counts once (the first cell); sources are cut at
    :data:`MAX_CELL_CHARS`.
    """
    wanted = {gid for gid, c in lesson.cells.items() if c.solution and not c.grade and c.cell_type == "code"}
    out: dict[str, str] = {}
    for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
        meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
        grader = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
        grade_id = grader.get("grade_id") if isinstance(grader, dict) else None
        if not isinstance(grade_id, str) or grade_id not in wanted or grade_id in out:
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if isinstance(source, str):
            out[grade_id] = source[:MAX_CELL_CHARS]
    return out


def stub_code(lesson: LessonInfo) -> dict[str, str]:
    """``{grade_id: released source}`` of a lesson's answer cells: what every student started from."""
    return {gid: c.released_source for gid, c in lesson.cells.items()
            if c.solution and not c.grade and c.cell_type == "code"}


def reference_solutions(sources: dict[str, Path]) -> dict[str, str]:
    """``{"<lesson>/<grade_id>": solution source}`` for every lesson's source notebook."""
    from .classgen import solution_sources

    out = {}
    for lesson, path in sorted(sources.items()):
        try:
            for grade_id, source in solution_sources(Path(path)).items():
                out[f"{lesson}/{grade_id}"] = source
        except (OSError, ValueError) as err:
            log.warning("similarity: cannot read the reference solutions of %s (%s): %s", lesson, path, err)
    return out


def library_code(package: Path | None = None) -> dict[str, str]:
    """``{"seqnlp/<module>.py": source}`` for the helper package's modules."""
    package = Path(package) if package is not None else REPO_ROOT / "seqnlp"
    out = {}
    for path in sorted(package.glob("*.py")):
        try:
            out[f"{package.name}/{path.name}"] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            log.warning("similarity: cannot read %s: %s", path, err)
    return out


# --------------------------------------------------------------------------- normalising


def _bound_names(node: ast.AST) -> set[str]:
    """Names that ``node`` binds: assigned, deleted, parameters, loop and ``with`` targets, defs, imports."""
    bound: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store | ast.Del):
            bound.add(sub.id)
        elif isinstance(sub, ast.arg):
            bound.add(sub.arg)
        elif isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(sub.name)
        elif isinstance(sub, ast.alias):
            bound.add(sub.asname or sub.name.split(".")[0])
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            bound.add(sub.name)
        elif isinstance(sub, ast.Global | ast.Nonlocal):
            bound.update(sub.names)
    return bound - _KEEP


class _Canonical(ast.NodeTransformer):
    """Names bound in the chunk become ``V``, ``self.<name>`` becomes ``A``; annotations and docstrings go.

    ``defined``: the names the whole cell (or module) defines at top level,
    imports left out; a copier renames those too. Names used but defined
    elsewhere (``np``, ``Counter``, the lesson's earlier functions) are kept:
    a copier rarely renames them, and they tell independent answers apart.
    """

    def __init__(self, node: ast.AST, defined: frozenset[str] = frozenset()) -> None:
        self.bound = _bound_names(node) | defined

    def label(self, name: str) -> str:
        return VARIABLE if name in self.bound else name

    def attribute(self, name: str) -> str:
        return ATTRIBUTE

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = self.label(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self.label(node.arg)
        node.annotation = None
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id in _SELF:
            node.attr = self.attribute(node.attr)
        self.generic_visit(node)
        return node

    def _visit_def(self, node):
        node.name = self.label(node.name)
        if hasattr(node, "returns"):
            node.returns = None
        self.generic_visit(node)
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _visit_def

    def visit_alias(self, node: ast.alias) -> ast.AST:
        if node.asname:
            node.asname = self.label(node.asname)
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        if node.name:
            node.name = self.label(node.name)
        self.generic_visit(node)
        return node

    def visit_Global(self, node):
        node.names = [self.label(n) for n in node.names]
        return node

    visit_Nonlocal = visit_Global

    def visit_AnnAssign(self, node: ast.AnnAssign):
        if node.value is None:
            return None
        return self.visit(ast.Assign(targets=[node.target], value=node.value, type_comment=None, lineno=node.lineno))

    def visit_Expr(self, node: ast.Expr):
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return None  # a docstring, or a string used as a comment
        self.generic_visit(node)
        return node

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        if isinstance(getattr(node, "body", None), list) and not node.body and not isinstance(node, ast.Module):
            node.body = [ast.Pass()]  # its only statement was a docstring
        return node


def _tokens(code: str) -> list[str]:
    """Python tokens of (unparsed) code: no comments or line breaks; strings as ``S``; blocks as INDENT/DEDENT."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENCODING, tokenize.ENDMARKER):
                continue
            if tok.type == tokenize.INDENT:
                out.append(INDENT)
            elif tok.type == tokenize.DEDENT:
                out.append(DEDENT)
            elif tok.type == tokenize.STRING:
                out.append("S")
            elif tok.string.strip():
                out.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # keep what was read: the rest of a broken cell is not worth more
    return out


def _split_header(tokens: list[str]) -> tuple[list[str], list[str]]:
    """``def``/``class`` tokens up to the colon that opens the body, and the rest."""
    depth = 0
    for i, tok in enumerate(tokens):
        if tok in ("(", "[", "{"):
            depth += 1
        elif tok in (")", "]", "}"):
            depth -= 1
        elif tok == ":" and depth == 0:
            return tokens[: i + 1], tokens[i + 1 :]
    return tokens, []


def _top_level_names(body: list[ast.stmt]) -> frozenset[str]:
    """What a cell defines at top level: functions, classes, assigned names (not imports)."""
    names: set[str] = set()
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(stmt.name)
        elif not isinstance(stmt, ast.Import | ast.ImportFrom):
            names |= _bound_names(stmt)
    return frozenset(names - _KEEP)


def _chunks(body: list[ast.stmt], defined: frozenset[str]) -> list[list[str]]:
    """Token lists of a block: each function's header and body, each class's header, other statements grouped.

    Every function, and every run of other statements, is renamed on its own
    (in place: the tree is thrown away afterwards).
    """
    out: list[list[str]] = []
    loose: list[ast.stmt] = []

    def flush() -> None:
        if loose:
            module = ast.Module(body=list(loose), type_ignores=[])
            module = _Canonical(module, defined).visit(module)
            out.append(_tokens(ast.unparse(module)))
            loose.clear()

    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            flush()
            node = _Canonical(stmt, defined).visit(stmt)
            header, rest = _split_header(_tokens(ast.unparse(node)))
            out.extend([header, rest])
        elif isinstance(stmt, ast.ClassDef):
            flush()
            shell = ast.ClassDef(name=stmt.name, bases=stmt.bases, keywords=stmt.keywords, body=[ast.Pass()],
                                 decorator_list=stmt.decorator_list)
            header, _ = _split_header(_tokens(ast.unparse(_Canonical(shell, defined).visit(shell))))
            out.append(header)
            out.extend(_chunks(stmt.body, defined))
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            continue
        else:
            loose.append(stmt)
    flush()
    return [c for c in out if c]


def _without_magics(source: str) -> str:
    """Drop IPython lines (``%magic``, ``!shell``, ``?help``), which are not Python."""
    return "\n".join("" if line.lstrip()[:1] in ("%", "!", "?") else line for line in source.splitlines())


_BINDERS = frozenset(("def", "class", "for", "as", "import", "lambda", "global", "nonlocal"))


def _fallback_tokens(source: str) -> list[str]:
    """Tokens of code that does not parse, renamed as :class:`_Canonical` would, as far as tokens tell.

    A name counts as bound when it follows ``def``/``for``/``as``/``import``/... or
    comes before an assignment (``=``, ``+=``, or ``,`` in a tuple target).
    """
    raw = _tokens(source)
    bound = set()
    for i, tok in enumerate(raw):
        if not tok.isidentifier() or tok in _KEEP or (i > 0 and raw[i - 1] == "."):
            continue
        before = raw[i - 1] if i > 0 else ""
        after = raw[i + 1] if i + 1 < len(raw) else ""
        if before in _BINDERS or (after.endswith("=") and after not in ("==", "<=", ">=", "!=")):
            bound.add(tok)
    out = []
    for i, tok in enumerate(raw):
        if i > 0 and raw[i - 1] == ".":
            out.append(ATTRIBUTE if i > 1 and raw[i - 2] in _SELF else tok)
        else:
            out.append(VARIABLE if tok in bound and tok != "S" else tok)
    return out


_TOP_LEVEL_DEF = re.compile(r"^(?:@|def |async def |class )")


def _segments(source: str) -> list[str]:
    """``source`` cut before every top-level ``def``/``class`` (decorators stay with theirs)."""
    segments: list[list[str]] = [[]]
    for line in source.splitlines():
        if _TOP_LEVEL_DEF.match(line) and not (segments[-1] and segments[-1][-1].startswith("@")):
            segments.append([])
        segments[-1].append(line)
    return ["\n".join(seg) for seg in segments if any(line.strip() for line in seg)]


def _parsed_chunks(source: str) -> list[list[str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        body = ast.parse(source).body
        return _chunks(body, _top_level_names(body))


def normalise(source: str) -> str:
    """Structure of ``source`` as tokens: one line per chunk (a function header, a body, ...), tokens space-separated.

    Comments, docstrings, annotations and layout are gone; the names the code
    binds are ``V`` (see the module docstring). Each top-level function of
    code that does not parse is tried on its own; what still does not parse
    falls back to renamed raw tokens.
    """
    source = _without_magics(source[:MAX_CELL_CHARS])
    try:
        chunks = _parsed_chunks(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        chunks = []  # one broken function must not hide the others: parse them one by one
        for segment in _segments(source):
            try:
                chunks.extend(_parsed_chunks(segment))
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                tokens = _fallback_tokens(segment)
                header, body = _split_header(tokens) if _TOP_LEVEL_DEF.match(segment) else ([], tokens)
                chunks.extend([header, body])
    return "\n".join(" ".join(chunk) for chunk in chunks if chunk)


def _hash(gram: list[str]) -> int:
    # 48 bits: exact in the float buffer copydetect's winnowing compares in
    return int.from_bytes(hashlib.blake2b("\x1f".join(gram).encode(), digest_size=6).digest(), "big")


def fingerprints(normalised: str, k: int = K, window: int = WINDOW) -> frozenset[int]:
    """Winnowed hashes of the ``k``-token runs of each line of a :func:`normalise` result.

    ``window=1`` keeps every hash (used for the stubs, whose every run must be removed).
    """
    from copydetect.utils import winnow

    out: set[int] = set()
    for line in normalised.splitlines():
        tokens = line.split(" ")
        if len(tokens) < k:
            continue
        hashes = np.array([_hash(tokens[i : i + k]) for i in range(len(tokens) - k + 1)], dtype=np.int64)
        selected, _ = winnow(hashes, window) if window > 1 else (hashes, None)
        out.update(int(h) for h in selected)
    return frozenset(out)


@functools.lru_cache(maxsize=256)
def _stub_runs(stub: str) -> frozenset[int]:
    return fingerprints(normalise(stub), window=1)


@functools.lru_cache(maxsize=512)
def _reference_fingerprints(code: str) -> frozenset[int]:
    return fingerprints(normalise(code))  # the same references in every run: computed once per process


def answer_fingerprints(source: str, stub: str = "") -> frozenset[int]:
    """Fingerprints of an answer, less every run of tokens that its released ``stub`` already holds."""
    found = fingerprints(normalise(source))
    return found - _stub_runs(stub) if stub else found


# --------------------------------------------------------------------------- comparing


def _pair_score(a: frozenset[int], b: frozenset[int], min_fingerprints: int) -> tuple[float, int] | None:
    if min(len(a), len(b)) < min_fingerprints:
        return None
    shared = len(a & b)
    return (round(shared / min(len(a), len(b)), 3), shared) if shared >= min_fingerprints else None


def _reference_score(a: frozenset[int], ref: frozenset[int], min_fingerprints: int) -> tuple[float, int] | None:
    if len(a) < min_fingerprints:
        return None
    shared = len(a & ref)
    return (round(shared / len(a), 3), shared) if shared >= min_fingerprints else None


def compare_class(
    subs: list[tuple[str, str, dict[str, str]]],
    references: dict[str, dict[str, str]],
    threshold: float = THRESHOLD,
    stubs: dict[str, dict[str, str]] | None = None,
    min_fingerprints: int = MIN_FINGERPRINTS,
) -> list[SimilarPair]:
    """Every match scoring at least ``threshold``, best first (a stable order: ties by name).

    ``subs``: ``(student, lesson, {grade_id: code})``; ``references``:
    ``{kind: {label: code}}`` (e.g. ``{"reference solution": {...}, "seqnlp":
    {...}}``), each compared with every answer cell, and as one text with a
    student's whole lesson; ``stubs``: ``{lesson: {grade_id: released code}}``,
    whose runs of tokens are removed from the answers first.
    """
    stubs = stubs or {}
    refs = {kind: {label: _reference_fingerprints(code) for label, code in sorted(items.items())}
            for kind, items in sorted(references.items())}
    ref_all = {kind: frozenset().union(*items.values()) for kind, items in refs.items()}
    # (lesson, student) -> {exercise: fingerprints}; the same student twice in a lesson: the last one counts
    answers: dict[tuple[str, str], dict[str, frozenset[int]]] = {}
    for student, lesson, code in subs:
        cells = {gid: answer_fingerprints(src, stubs.get(lesson, {}).get(gid, "")) for gid, src in code.items()}
        cells = {gid: fp for gid, fp in cells.items() if fp}
        if len(cells) > 1:
            cells[ALL_ANSWERS] = frozenset().union(*cells.values())
        answers[(lesson, student)] = cells

    pairs: list[SimilarPair] = []
    by_lesson: dict[str, list[str]] = {}
    for lesson, student in sorted(answers):
        by_lesson.setdefault(lesson, []).append(student)
    for lesson, students in by_lesson.items():
        for i, first in enumerate(students):
            mine = answers[(lesson, first)]
            for exercise, fp in sorted(mine.items()):
                for kind, items in refs.items():
                    pool = {kind: ref_all[kind]} if exercise == ALL_ANSWERS else items
                    best = None
                    for label, ref in pool.items():
                        found = _reference_score(fp, ref, min_fingerprints)
                        if found and (best is None or found[0] > best[0][0]):
                            best = (found, label)
                    if best and best[0][0] >= threshold:
                        (score, shared), label = best
                        pairs.append(SimilarPair(lesson, exercise, kind, first, label, score, shared, len(fp),
                                                 len(pool[label])))
            for second in students[i + 1 :]:
                theirs = answers[(lesson, second)]
                for exercise in sorted(mine.keys() & theirs.keys()):
                    found = _pair_score(mine[exercise], theirs[exercise], min_fingerprints)
                    if found and found[0] >= threshold:
                        pairs.append(SimilarPair(lesson, exercise, STUDENTS, first, second, found[0], found[1],
                                                 len(mine[exercise]), len(theirs[exercise])))
    return sorted(pairs, key=SimilarPair.sort_key)


# --------------------------------------------------------------------------- the report


def _csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


_STYLE = """body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#eee}
td.score{text-align:right;font-variant-numeric:tabular-nums}tr.high td.score{font-weight:bold;color:#a00}
.panes{display:flex;gap:1em}.panes div{flex:1;min-width:0}pre{background:#f6f6f6;padding:6px;overflow-x:auto}"""


def _code_view(p: SimilarPair, code: dict[tuple[str, str], dict[str, str]]) -> str:
    """The answers behind a row, side by side, escaped (empty for a lesson-wide row or unknown code)."""
    if p.exercise == ALL_ANSWERS:
        return ""
    sides = [(p.first, code.get((p.first, p.lesson), {}).get(p.exercise))]
    if p.kind == STUDENTS:
        sides.append((p.second, code.get((p.second, p.lesson), {}).get(p.exercise)))
    if any(text is None for _, text in sides):
        return ""
    panes = "".join(f"<div><b>{html.escape(who)}</b><pre>{html.escape(text[:MAX_SHOWN_CHARS])}</pre></div>"
                    for who, text in sides)
    return (f'<tr class="code"><td colspan="{len(CSV_COLUMNS)}"><details><summary>the answers</summary>'
            f'<div class="panes">{panes}</div></details></td></tr>')


def write_report(pairs: Iterable[SimilarPair], out: Path, threshold: float = THRESHOLD,
                 code: dict[tuple[str, str], dict[str, str]] | None = None) -> tuple[Path, Path]:
    """Write ``similarity.csv`` and ``similarity.html`` into ``out``; return their paths.

    ``code`` (``{(student, lesson): {grade_id: source}}``), when given, puts the
    answers of the first :data:`MAX_SHOWN_ROWS` rows on the page, folded.
    Every value is escaped in the HTML (names, labels and code are untrusted
    text), and the page forbids scripts (Content-Security-Policy).
    """
    pairs = sorted(pairs, key=SimilarPair.sort_key)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, html_path = out / "similarity.csv", out / "similarity.html"
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for p in pairs:
            writer.writerow([_csv_cell(getattr(p, c)) if c != "score" else f"{p.score:.3f}" for c in CSV_COLUMNS])

    esc = html.escape
    rows = []
    for n, p in enumerate(pairs):
        cells = [esc(p.lesson), esc(p.exercise), esc(p.kind), esc(p.first), esc(p.second)]
        rows.append(
            f'<tr class="{"high" if p.score >= 0.9 else "flag"}">' + "".join(f"<td>{c}</td>" for c in cells)
            + f'<td class="score">{p.score:.3f}</td><td class="score">{p.shared}</td>'
            f'<td class="score">{p.fingerprints_first}</td><td class="score">{p.fingerprints_second}</td></tr>'
            + (_code_view(p, code) if code and n < MAX_SHOWN_ROWS else "")
        )
    head = "".join(f"<th>{esc(c)}</th>" for c in CSV_COLUMNS)
    body = "\n".join(rows) if rows else f'<tr><td colspan="{len(CSV_COLUMNS)}">No similar answers found.</td></tr>'
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Similarity report</title><style>{_STYLE}</style></head><body>
<h1>Similarity report</h1>
<p>Answers whose structure is near-identical after renaming identifiers and removing comments, docstrings and
layout (winnowed fingerprints of {K}-token runs; the released stub is ignored). <b>score</b>: between students,
the shared fingerprints over the smaller answer's; against a reference, the share of the student's answer found
in it. <b>A high score is a reason to look, not a verdict</b>: read both answers before deciding anything.</p>
<p>{len(pairs)} match(es) scoring {threshold:.2f} or more.</p>
<table><thead><tr>{head}</tr></thead><tbody>
{body}
</tbody></table></body></html>
"""
    html_path.write_text(page, encoding="utf-8")
    return csv_path, html_path


# --------------------------------------------------------------------------- one grading run


def read_submission(path: Path) -> NotebookNode | None:
    """The notebook at ``path``, or ``None`` when it is not a readable notebook (it is untrusted)."""
    import nbformat

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.read(Path(path), as_version=4)
    except Exception as err:  # noqa: BLE001 - any failure means: not a notebook we can read
        log.warning("similarity: skipping %s, not a readable notebook (%s)", path, type(err).__name__)
        return None
    return nb if isinstance(nb, dict) else None


def similarity_for_run(submissions: list[tuple[str, str, Path]], lessons: dict[str, LessonInfo], out: Path,
                       sources: dict[str, Path], threshold: float = THRESHOLD,
                       library: Path | None = None) -> list[SimilarPair]:
    """Compare the graded ``(student, lesson, notebook)`` submissions; write the report into ``out``.

    References: the answer cells of every lesson in ``sources`` and the modules
    of ``library`` (default: the repository's ``seqnlp/``). Unreadable
    notebooks and lessons not in ``lessons`` are skipped.
    """
    subs = []
    for student, lesson, path in submissions:
        if lesson not in lessons:
            continue
        nb = read_submission(path)
        if nb is not None:
            subs.append((student, lesson, solution_code(nb, lessons[lesson])))
    code = {(student, lesson): answers for student, lesson, answers in subs}
    references = {REFERENCE_SOLUTION: reference_solutions(sources), LIBRARY: library_code(library)}
    stubs = {name: stub_code(info) for name, info in lessons.items()}
    pairs = compare_class(subs, references, threshold=threshold, stubs=stubs)
    write_report(pairs, out, threshold, code)
    return pairs
