"""A static lint: graded test cells must compare plain values, never a student's raw result.

A student's function can return an object whose ``__eq__``, ``__lt__``,
``__abs__``, ``__sub__`` ... make every comparison succeed, so a test cell must
turn each result into plain built-in values with :mod:`seqnlp.checks` before
judging it (see "Writing tests that can't be fooled" in docs/GRADING.md).

This module reads a lesson's source notebook without running it. It follows
*raw* values through every code cell in order:

* a raw value is what a name defined by a solution cell gives (a call of a
  student function or class, an attribute, subscript or method result of
  such a value, arithmetic on it, a container holding it), a name bound to
  one, the result of any other call that receives one, and what a local
  function returns when it computes with one;
* it turns plain when it passes through a ``seqnlp.checks`` conversion
  imported in the test cell, or through ``len()``, ``isinstance()``,
  ``issubclass()``, ``hasattr()``, ``callable()`` or ``id()``, which always
  return real built-ins; ``x is y`` compares identities and is always safe.

In every graded test cell it reports a comparison (``==``, ``<``, ``in``, ...)
with a raw operand, an ``assert``/``if``/``while`` that tests a raw value's
truth, and any call of a comparison helper (``np.allclose``,
``np.testing.*``, ``torch.allclose``, ``torch.testing.assert_close``,
``math.isclose``, ...), which student code can replace. A conversion imported
at the top of the cell is a global of the notebook, which student code can
rebind: it counts only at the top level and only until student code runs, and
never inside a function (reported as ``conversion``). Import ``seqnlp.checks``
inside the test function.

A finding on a value that is truly trusted is silenced by a comment on its
line: ``# plain-ok: <reason>``.

What it does not see: values a student function plants in the test's own
objects by mutating its arguments, and callbacks handed to student code
through a local helper's parameters.

Command line: ``python -m autograder.plaincheck 01 02`` (all lessons without
arguments) prints the findings and exits 1 if there are any.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field

import nbformat

from .lessons import available_lessons, resolve_lesson, source_notebook

CHECKS_MODULE = "seqnlp.checks"
PLAIN_BUILTINS = frozenset({"len", "isinstance", "issubclass", "hasattr", "callable", "id"})
HELPER_NAMES = frozenset({
    "allclose", "isclose", "array_equal", "array_equiv", "assert_close", "assert_equal", "assert_allclose",
    "assert_array_equal", "assert_array_almost_equal", "assert_almost_equal", "assert_approx_equal",
    "assert_array_less", "assert_array_max_ulp", "assert_frame_equal", "assert_series_equal",
    "assert_index_equal", "assert_array_almost_equal_nulp",
})
HELPER_ROOTS = frozenset({"np", "numpy", "torch", "math", "operator", "tf", "tensorflow", "pd", "pandas", "scipy"})
OPERATOR_COMPARISONS = frozenset({"eq", "ne", "lt", "le", "gt", "ge", "contains", "is_", "is_not"})
MUTATORS = frozenset({"append", "extend", "insert", "add", "update", "setdefault", "appendleft", "extendleft", "push"})
PRAGMA = re.compile(r"#\s*plain-ok:\s*\S")
IDENTITY = (ast.Is, ast.IsNot)


@dataclass(frozen=True)
class Finding:
    """One raw comparison in a graded test cell."""

    cell: str  # grade_id of the test cell
    line: int  # line number inside the cell
    kind: str  # "compare", "truth", "helper", "conversion", "syntax"
    expression: str
    hint: str

    def __str__(self) -> str:
        return f"{self.cell}:{self.line}: {self.kind}: {self.expression}  ({self.hint})"


def _dotted(node: ast.AST) -> str | None:
    """``np.testing.assert_allclose`` for an attribute chain on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def is_comparison_helper(func: ast.AST) -> bool:
    """Whether a call's function is a module comparison helper a student could replace."""
    dotted = _dotted(func)
    if dotted is None or "." not in dotted:
        return False
    parts = dotted.split(".")
    if parts[0] not in HELPER_ROOTS:
        return False
    if "testing" in parts[1:-1] or parts[-1] in HELPER_NAMES:
        return True
    if parts[0] == "operator" and parts[-1] in OPERATOR_COMPARISONS:
        return True
    return parts[0] == "torch" and parts[-1] == "equal"


@dataclass
class Scope:
    """Names bound in one Python scope: raw or plain, conversions, local functions."""

    kind: str  # "module", "function", "comprehension", "lambda", "class"
    parent: Scope | None = None
    names: dict[str, bool] = field(default_factory=dict)  # name -> raw?
    converters: set[str] = field(default_factory=set)  # names bound to seqnlp.checks functions
    checks_modules: set[str] = field(default_factory=set)  # names bound to the seqnlp.checks module
    functions: dict[str, ast.AST] = field(default_factory=dict)  # local defs and lambdas, for re-analysis
    imported_converters: set[str] = field(default_factory=set)  # every conversion imported here in this cell
    returns_raw: bool = False

    def lookup(self, name: str) -> bool:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return False

    def bind(self, name: str, raw: bool) -> None:
        self.names[name] = raw
        self.converters.discard(name)
        self.checks_modules.discard(name)

    def mark_raw(self, name: str) -> None:
        """``name`` now holds a raw value, in the scope that binds it (a closure filling an outer list)."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                scope.names[name] = True
                return
            scope = scope.parent
        self.bind(name, True)

    def _trusted(self, name: str, attr: str) -> bool:
        """A converter (``attr="converters"``) or checks module name, as seen from here.

        Function scopes do not see the module scope's conversions: the cell's
        globals can be rebound by any student code that ran in between.
        """
        scope: Scope | None = self
        while scope is not None:
            if name in getattr(scope, attr):
                return True
            if name in scope.names:
                return False
            if scope.kind == "function" and scope.parent is not None and scope.parent.kind == "module":
                return False
            scope = scope.parent
        return False

    def is_converter(self, name: str) -> bool:
        return self._trusted(name, "converters")

    def is_checks_module(self, name: str) -> bool:
        return self._trusted(name, "checks_modules")

    def is_local(self, name: str) -> bool:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names or name in scope.converters or name in scope.checks_modules:
                return True
            scope = scope.parent
        return False

    def function(self, name: str) -> ast.AST | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.functions:
                return scope.functions[name]
            if name in scope.names:
                return None
            scope = scope.parent
        return None

    def module(self) -> Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope


class Analyzer:
    """Follows raw values through one cell's code and records findings (when ``report``)."""

    def __init__(self, scope: Scope, cell: str = "", report: bool = False, source: str = ""):
        self.scope = scope
        self.cell = cell
        self.report = report
        self.lines = source.splitlines()
        self.findings: list[Finding] = []
        self._seen: set[tuple[int, int, str]] = set()
        self._depth = 0

    # ------------------------------------------------------------------ reporting
    def _flag(self, node: ast.AST, kind: str, hint: str) -> None:
        if not self.report:
            return
        first, last = node.lineno, getattr(node, "end_lineno", node.lineno) or node.lineno
        if any(PRAGMA.search(self.lines[i - 1]) for i in range(first, last + 1) if 0 < i <= len(self.lines)):
            return
        key = (node.lineno, node.col_offset, kind)
        if key in self._seen:
            return
        self._seen.add(key)
        text = ast.unparse(node)
        text = text if len(text) <= 160 else text[:157] + "..."
        self.findings.append(Finding(self.cell, node.lineno, kind, text, hint))

    # ------------------------------------------------------------------ statements
    def run(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.stmt(stmt)

    def _branches(self, *bodies: list[ast.stmt]) -> None:
        """Run alternative bodies from the same state; a name is raw afterwards if any made it raw."""
        before = dict(self.scope.names)
        after: dict[str, bool] = {}
        for body in bodies:
            self.scope.names = dict(before)
            self.run(body)
            for name, raw in self.scope.names.items():
                after[name] = after.get(name, False) or raw
        for name, raw in before.items():
            after[name] = after.get(name, False) or raw
        self.scope.names = after

    def _test(self, node: ast.expr) -> None:
        count = len(self.findings)
        if self.expr(node) and len(self.findings) == count:
            self._flag(node, "truth", "the truth of a raw result is the student's __bool__: convert it first")

    def stmt(self, node: ast.stmt) -> None:  # noqa: C901 - one branch per statement type
        if isinstance(node, ast.Assign):
            raw = self.expr(node.value)
            for target in node.targets:
                self.bind(target, raw, node.value)
        elif isinstance(node, ast.AugAssign):
            raw = self.expr(node.value) | self.expr(_load(node.target))
            self.bind(node.target, raw, None)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.bind(node.target, self.expr(node.value), node.value)
        elif isinstance(node, ast.Expr):
            self.expr(node.value)
        elif isinstance(node, ast.Assert):
            self._test(node.test)
        elif isinstance(node, (ast.If, ast.While)):
            self._test(node.test)
            if isinstance(node, ast.While):
                self._branches(node.body + node.body, [])
                self.run(node.orelse)
            else:
                self._branches(node.body, node.orelse)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            raw = self.expr(node.iter)
            self.bind(node.target, raw, None)
            self._branches(node.body + node.body, [])
            self.run(node.orelse)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                raw = self.expr(item.context_expr)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, raw, None)
            self.run(node.body)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            self.run(node.body)
            handlers = []
            for handler in node.handlers:
                if handler.type is not None:
                    self.expr(handler.type)
                if handler.name:
                    self.scope.bind(handler.name, False)
                handlers.append(handler.body)
            self._branches(node.orelse, *handlers)
            self.run(node.finalbody)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for deco in node.decorator_list:
                self.expr(deco)
            for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                self.expr(default)
            self.scope.bind(node.name, False)
            self.scope.functions[node.name] = node
            self.scope.names[node.name] = self.call_local(node, {})
        elif isinstance(node, ast.ClassDef):
            for base in node.bases:
                self.expr(base)
            outer, self.scope = self.scope, Scope("class", self.scope)
            try:
                self.run(node.body)
            finally:
                self.scope = outer
            self.scope.bind(node.name, False)
        elif isinstance(node, ast.Return):
            if node.value is not None and self.expr(node.value):
                self.scope.returns_raw = True
        elif isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                self.scope.bind(bound, False)
                if alias.name == CHECKS_MODULE and alias.asname:
                    self.scope.checks_modules.add(bound)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                bound = alias.asname or alias.name
                self.scope.bind(bound, False)
                if node.module == CHECKS_MODULE and not node.level:
                    self.scope.converters.add(bound)
                    self.scope.imported_converters.add(bound)
                elif node.module == "seqnlp" and alias.name == "checks" and not node.level:
                    self.scope.checks_modules.add(bound)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.scope.names.pop(target.id, None)
                else:
                    self.expr(target)
        elif isinstance(node, ast.Raise):
            if node.exc is not None:
                self.expr(node.exc)
        elif isinstance(node, ast.Match):
            raw = self.expr(node.subject)
            for case in node.cases:
                for name in _pattern_names(case.pattern):
                    self.scope.bind(name, raw)
            self._branches(*[case.body for case in node.cases], [])
        # Pass, Break, Continue, Global, Nonlocal: nothing to follow

    def bind(self, target: ast.expr, raw: bool, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            self.scope.bind(target.id, raw)
            if isinstance(value, ast.Lambda):
                self.scope.functions[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            values = value.elts if isinstance(value, (ast.Tuple, ast.List)) else None
            if values is not None and len(values) == len(target.elts) and not any(
                isinstance(e, ast.Starred) for e in target.elts + values
            ):
                for elt, sub in zip(target.elts, values, strict=True):
                    self.bind(elt, self.expr(sub), sub)
            else:
                for elt in target.elts:
                    self.bind(elt, raw, None)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, raw, None)
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            if isinstance(target, ast.Subscript):
                self.expr(target.slice)
            base = _base_name(target)
            self.expr(target.value)
            if raw and base is not None:
                self.scope.mark_raw(base)  # storing a raw value in a container makes it raw

    # ------------------------------------------------------------------ expressions
    def expr(self, node: ast.expr | None) -> bool:  # noqa: C901 - one branch per expression type
        """Whether ``node`` evaluates to a raw value; records findings on the way."""
        if node is None:
            return False
        if isinstance(node, ast.Constant):
            return False
        if isinstance(node, ast.Name):
            return self.scope.lookup(node.id)
        if isinstance(node, ast.JoinedStr):
            for value in node.values:
                self.expr(value)
            return False  # an f-string is a new, real str
        if isinstance(node, ast.FormattedValue):
            self.expr(node.value)
            return False
        if isinstance(node, ast.Attribute):
            return self.expr(node.value)
        if isinstance(node, ast.Subscript):
            return self.expr(node.value) | self.expr(node.slice)
        if isinstance(node, ast.Slice):
            return self.expr(node.lower) | self.expr(node.upper) | self.expr(node.step)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Compare):
            raws = [self.expr(node.left)] + [self.expr(c) for c in node.comparators]
            if all(isinstance(op, IDENTITY) for op in node.ops):
                return False
            if any(raws):
                self._flag(node, "compare", "compare values converted with seqnlp.checks, not the raw result")
                return True
            return False
        if isinstance(node, ast.BoolOp):
            return any([self.expr(v) for v in node.values])
        if isinstance(node, ast.BinOp):
            return self.expr(node.left) | self.expr(node.right)
        if isinstance(node, ast.UnaryOp):
            return self.expr(node.operand)
        if isinstance(node, ast.IfExp):
            self._test(node.test)
            return self.expr(node.body) | self.expr(node.orelse)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return any([self.expr(e) for e in node.elts])
        if isinstance(node, ast.Dict):
            return any([self.expr(k) for k in node.keys if k is not None] + [self.expr(v) for v in node.values])
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            return self.comprehension(node)
        if isinstance(node, ast.Lambda):
            return self.call_local(node, {})
        if isinstance(node, ast.NamedExpr):
            raw = self.expr(node.value)
            self.bind(node.target, raw, node.value)
            return raw
        if isinstance(node, (ast.Starred, ast.Await, ast.Yield, ast.YieldFrom)):
            return self.expr(node.value)
        return any(self.expr(child) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))

    def call(self, node: ast.Call) -> bool:
        func = node.func
        converter = (isinstance(func, ast.Name) and self.scope.is_converter(func.id)) or (
            isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            and self.scope.is_checks_module(func.value.id)
        )
        plain_builtin = isinstance(func, ast.Name) and func.id in PLAIN_BUILTINS and not self.scope.is_local(func.id)
        if isinstance(func, ast.Name) and not converter and func.id in self.scope.module().imported_converters:
            self._flag(node, "conversion", f"{func.id} is read from the cell's globals here, which student code can "
                       "rebind: import seqnlp.checks inside the test function")
        func_raw = False if converter or plain_builtin else self.expr(func)
        local = self.scope.function(func.id) if isinstance(func, ast.Name) else None
        arg_nodes = list(node.args) + [kw.value for kw in node.keywords]
        arg_raws = []
        for arg in arg_nodes:
            if func_raw and isinstance(arg, ast.Lambda):
                # a callback given to student code receives the student's values
                self.call_local(arg, {a.arg: True for a in _params(arg)})
            arg_raws.append(self.expr(arg))
        if func_raw or local is not None or any(arg_raws):
            module = self.scope.module()
            module.converters.clear()  # student code ran: it can rebind the cell's globals
            module.checks_modules.clear()
        if isinstance(func, ast.Attribute) and func.attr in MUTATORS and any(arg_raws):
            base = _base_name(func.value)
            if base is not None:
                self.scope.mark_raw(base)  # got.append(raw), table.update(raw): the container holds raw values
        if is_comparison_helper(func):
            if any(arg_raws):
                self._flag(node, "helper", "a raw result given to a comparison helper: convert it with seqnlp.checks")
            else:
                self._flag(node, "helper", "module comparison helpers can be replaced: compare with array operators")
        if converter or plain_builtin:
            return False
        if local is not None and any(arg_raws):
            return self.call_local(local, _bind_args(local, node, arg_raws)) or func_raw
        return func_raw or any(arg_raws)

    def call_local(self, func: ast.AST, raw_params: dict[str, bool]) -> bool:
        """Analyze a local function or lambda with the given parameters raw; whether it returns a raw value."""
        if self._depth > 8:
            return any(raw_params.values())
        outer = self.scope
        self.scope = Scope("lambda" if isinstance(func, ast.Lambda) else "function", outer)
        self._depth += 1
        try:
            for param in _params(func):
                self.scope.names[param.arg] = raw_params.get(param.arg, False)
            if isinstance(func, ast.Lambda):
                raw = self.expr(func.body)
            else:
                self.run(func.body)
                raw = self.scope.returns_raw
            return raw
        finally:
            self._depth -= 1
            self.scope = outer

    def comprehension(self, node: ast.expr) -> bool:
        outer = self.scope
        first = True
        for gen in node.generators:
            raw_iter = self.expr(gen.iter)  # the first iterable is evaluated in the enclosing scope
            if first:
                self.scope = Scope("comprehension", outer)
                first = False
            self.bind(gen.target, raw_iter, None)
            for cond in gen.ifs:
                self._test(cond)
        try:
            if isinstance(node, ast.DictComp):
                return self.expr(node.key) | self.expr(node.value)
            return self.expr(node.elt)
        finally:
            self.scope = outer


def _load(target: ast.expr) -> ast.expr:
    return ast.fix_missing_locations(ast.copy_location(ast.parse(ast.unparse(target), mode="eval").body, target))


def _base_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _params(func: ast.AST) -> list[ast.arg]:
    args = func.args
    out = list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)
    out += [a for a in (args.vararg, args.kwarg) if a is not None]
    return out


def _bind_args(func: ast.AST, call: ast.Call, raws: list[bool]) -> dict[str, bool]:
    positional = list(func.args.posonlyargs) + list(func.args.args)
    out: dict[str, bool] = {}
    n_pos = len(call.args)
    for i, raw in enumerate(raws[:n_pos]):
        if isinstance(call.args[i], ast.Starred) or i >= len(positional):
            return {p.arg: any(raws) for p in _params(func)}
        out[positional[i].arg] = raw
    for kw, raw in zip(call.keywords, raws[n_pos:], strict=True):
        if kw.arg is None:
            return {p.arg: any(raws) for p in _params(func)}
        out[kw.arg] = raw
    return out


def _pattern_names(pattern: ast.AST) -> list[str]:
    return [n for node in ast.walk(pattern) for n in [getattr(node, "name", None)] if isinstance(n, str)]


# --------------------------------------------------------------------------- notebooks


TIMING_MAGIC = re.compile(r"^(\s*)%{1,2}(?:time|timeit|prun)\b(?:\s+-\S+(?:\s+\d+)?)*\s*")


def _python_source(source: str) -> str:
    """A cell's code with IPython magics and shell escapes turned into plain Python.

    The code after a timing magic (``%time got = f(x)``, ``%%timeit``) is kept
    as code, so that what it binds is followed.
    """
    source = "\n".join(TIMING_MAGIC.sub(r"\1", line) for line in source.splitlines())
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - IPython missing or a transform failed: drop the magic lines
        return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def student_names(source: str) -> set[str]:
    """Top-level names a solution cell defines (functions, classes, assignments; not imports)."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def check_notebook(nb) -> list[Finding]:
    """Findings of every graded test cell of a source notebook, in order."""
    module = Scope("module")
    findings: list[Finding] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = _nbgrader(cell)
        source = _python_source(cell.source)
        grade_id = meta.get("grade_id") or f"cell-{index}"
        try:
            tree = ast.parse(source)
        except SyntaxError as err:
            if meta.get("grade"):
                findings.append(Finding(grade_id, err.lineno or 0, "syntax", str(err.msg), "the lint cannot read it"))
            continue
        is_test = bool(meta.get("grade")) and not meta.get("solution")
        module.converters.clear()  # conversions imported in an earlier cell do not count
        module.checks_modules.clear()
        module.imported_converters.clear()
        analyzer = Analyzer(module, grade_id, report=is_test, source=source)
        analyzer.run(tree.body)
        findings += analyzer.findings
        if meta.get("solution"):
            for name in student_names(source):
                module.bind(name, True)
                module.functions.pop(name, None)
    return findings


def check_lesson(lesson: str) -> list[Finding]:
    """Findings of a lesson's source notebook (``"01"`` or a folder name)."""
    return check_notebook(nbformat.read(source_notebook(resolve_lesson(lesson)), as_version=4))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    lessons = [resolve_lesson(a) for a in args] or available_lessons()
    total = 0
    for lesson in lessons:
        findings = check_lesson(lesson)
        total += len(findings)
        print(f"{lesson}: {len(findings)} raw comparison(s)")
        for finding in findings:
            print(f"  {finding}")
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main())
