"""Integrity probes: cells the grader slips in around the graded test cells.

Student code shares the kernel with the tests, so it can replace what the
tests rely on: ``np.allclose``, ``np.testing``, ``torch.testing.assert_close``,
builtins, or IPython's machinery that reports errors. The grader cannot
inspect the kernel from outside, but it can ask questions whose answers it
knows and the student does not.

Probes run before the first test cell and after every run of consecutive test
cells (after each exercise's tests). Each probe calls the comparison helpers
(only those of modules already imported) on random data whose answer is known
(different arrays are *not* close, ``assert_allclose`` *does* raise, ``len`` of
a list is its length...), then always fails with an ``AssertionError`` carrying
a random nonce and the verdict: "<nonce> ok" or "<nonce> integrity: <what was
replaced>". The grader, outside, requires exactly that error back: a probe that
comes back without it means something in the kernel swallows or rewrites errors.

A probe that misbehaves marks the submission ``tampered`` and zeroes it: the
test results of that kernel cannot be trusted. Probes run without being stored
in the kernel's history, touch no random generator and leave no names behind.
They are a tripwire, not a proof: code written against this very file could
still special-case them, which is why lesson tests should also be written as
in docs/GRADING.md ("Writing tests that can't be fooled").
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from nbformat import NotebookNode
from nbformat.v4 import new_code_cell

PROBE_KEY = "seqnlp_probe"

_SOUND = '''\
def {fn}():
    import sys
    _m = sys.modules
    _b = _m["builtins"]
    _int, _float, _str = (0).__class__, (0.0).__class__, "".__class__
    bad = []

    def check(what, thunk, expect=True):
        try:
            value = thunk()
        except BaseException as err:
            bad.append(what + " (raised " + err.__class__.__name__ + ")")
            return
        if value is not expect:
            bad.append(what)

    def raises(what, thunk):
        try:
            thunk()
        except AssertionError:
            return
        except BaseException as err:
            bad.append(what + " (raised " + err.__class__.__name__ + ")")
            return
        bad.append(what)

    xs = {ints}
    check("abs", lambda: _int.__eq__(_b.abs(-{i0}), {i0}))
    check("len", lambda: _int.__eq__(_b.len(xs), {n}))
    check("sum", lambda: _int.__eq__(_b.sum(xs), {total}))
    check("min", lambda: _int.__eq__(_b.min(xs), {lo}))
    check("max", lambda: _int.__eq__(_b.max(xs), {hi}))
    check("all", lambda: _b.all([True, {i0} == {i1}]), False)
    check("any", lambda: _b.any([False, {i0} == {i1}]), False)
    check("isinstance", lambda: _b.isinstance({i0}, _str), False)
    check("sorted", lambda: _b.sorted(xs).__class__ is [].__class__ and _b.sorted(xs) == {sorted_xs})
    check("round", lambda: _float.__eq__(_b.round({f0}, 2), {f0r}))
    check("bool", lambda: _b.bool(0), False)
    check("float", lambda: _float.__eq__(_b.float("{f0}"), {f0}))
    check("int", lambda: _int.__eq__(_b.int("{i0}"), {i0}))
    check("str", lambda: _str.__eq__(_b.str({i0}), "{i0}"))
    for name, cls in (("int", _int), ("float", _float), ("str", _str), ("bool", True.__class__),
                      ("list", [].__class__), ("dict", {{}}.__class__), ("tuple", ().__class__),
                      ("set", {{1}}.__class__), ("type", _int.__class__)):
        check(name, lambda name=name, cls=cls: _b.__dict__.get(name) is cls)
    if "math" in _m:
        check("math.isclose", lambda: _m["math"].isclose({f0}, {f1}), False)
    if "operator" in _m:
        check("operator.eq", lambda: _m["operator"].eq({i0}, {i1}), False)
    np = _m.get("numpy")
    if np is not None:
        a = np.array({fa}, dtype=float)
        b = np.array({fb}, dtype=float)
        check("numpy.allclose", lambda: np.allclose(a, b), False)
        check("numpy.allclose", lambda: np.allclose(a, a), True)
        check("numpy.isclose", lambda: np.isclose(a, b).any().__bool__(), False)
        check("numpy.array_equal", lambda: np.array_equal(a, b), False)
        check("numpy.array_equiv", lambda: np.array_equiv(a, b), False)
        for name in ("array", "asarray"):
            made = lambda name=name: getattr(np, name)({fa})
            check("numpy." + name, lambda made=made: made().__class__ is np.ndarray
                  and np.ndarray.__name__ == "ndarray" and ((made() - a) ** 2).max().__float__() == 0.0)
        if "numpy.testing" in _m:
            for name in ("assert_allclose", "assert_array_equal", "assert_array_almost_equal",
                         "assert_almost_equal", "assert_equal"):
                raises("numpy.testing." + name, lambda name=name: getattr(_m["numpy.testing"], name)(a, b))
    torch = _m.get("torch")
    if torch is not None and "torch.testing" in _m:
        ta = torch.tensor({fa}, dtype=torch.float64)
        tb = torch.tensor({fb}, dtype=torch.float64)
        check("torch.tensor", lambda: ta.__class__ is torch.Tensor and ta.tolist() == {fa})
        check("torch.allclose", lambda: torch.allclose(ta, tb), False)
        check("torch.allclose", lambda: torch.allclose(ta, ta), True)
        check("torch.equal", lambda: torch.equal(ta, tb), False)
        check("Tensor.allclose", lambda: ta.allclose(tb), False)
        check("Tensor.equal", lambda: ta.equal(tb), False)
        check("torch.isclose", lambda: torch.isclose(ta, tb).any().item(), False)
        check("Tensor.__eq__", lambda: (ta == tb).any().item(), False)
        close = _m["torch.testing"].assert_close
        if "sympy" in _m:  # its failure path imports sympy (seconds): only once that has been paid
            raises("torch.testing.assert_close", lambda: close(ta, tb))
        else:
            origin = _m.get("torch.testing._comparison")
            check("torch.testing.assert_close", lambda: origin is not None and close is origin.assert_close
                  and close.__code__.co_filename == origin.__file__)
    pd = _m.get("pandas")
    if pd is not None and "pandas.testing" in _m:
        raises("pandas.testing.assert_series_equal",
               lambda: _m["pandas.testing"].assert_series_equal(pd.Series({fa}), pd.Series({fb})))
        raises("pandas.testing.assert_frame_equal",
               lambda: _m["pandas.testing"].assert_frame_equal(pd.DataFrame({{"x": {fa}}}),
                                                               pd.DataFrame({{"x": {fb}}})))
    if "unittest" in _m:
        case = _m["unittest"].TestCase()
        raises("unittest.assertEqual", lambda: case.assertEqual({i0}, {i1}))
        raises("unittest.assertAlmostEqual", lambda: case.assertAlmostEqual({f0}, {f1}))
        raises("unittest.assertTrue", lambda: case.assertTrue(False))
    if bad:
        raise AssertionError("{nonce} integrity: " + ", ".join(bad))


try:
    {fn}()
finally:
    del {fn}
raise AssertionError("{nonce} ok")
'''


def _random_floats(rng: random.Random, n: int) -> list[float]:
    return [round(rng.uniform(-9, 9), 3) for _ in range(n)]


def sound_source(rng: random.Random, nonce: str) -> str:
    ints = [rng.randint(1, 999) for _ in range(rng.randint(3, 6))]
    i0, i1 = rng.randint(2, 999), rng.randint(1000, 1999)
    f0 = round(rng.uniform(1, 9), 4)
    f1 = round(f0 + rng.uniform(0.5, 2), 4)
    fa = _random_floats(rng, rng.randint(3, 6))
    fb = [x + round(rng.uniform(0.5, 2), 3) for x in fa]
    return _SOUND.format(
        fn=f"_probe_{nonce}", nonce=nonce, ints=ints, n=len(ints), total=sum(ints), lo=min(ints), hi=max(ints),
        sorted_xs=sorted(ints), i0=i0, i1=i1, f0=f0, f0r=round(f0, 2), f1=f1, fa=fa, fb=fb,
    )


def _probe_cell(rng: random.Random) -> NotebookNode:
    nonce = f"{rng.getrandbits(64):016x}"
    cell = new_code_cell(sound_source(rng, nonce))
    cell.metadata[PROBE_KEY] = {"nonce": nonce, "kind": "sound"}
    return cell


# --------------------------------------------------------------------------- hook resets (kernel_guard)

GUARD = '__import__("sys").modules["_seqnlp_guard"]'


def _guard_cell(rng: random.Random, kind: str, args: str = "") -> NotebookNode:
    nonce = f"{rng.getrandbits(64):016x}"
    call = "arm" if kind == "arm" else "reset"
    cell = new_code_cell(f'{GUARD}.{call}("{nonce}"{args})')
    cell.metadata[PROBE_KEY] = {"nonce": nonce, "kind": kind}
    return cell


def names_read(source: str) -> set[str]:
    """Names a cell reads without binding them first (builtins, modules from earlier cells...)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    loads, stores = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stores.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stores.add(node.name)
    return loads - stores


def names_defined(source: str) -> set[str]:
    """Functions and classes a cell defines at its top level (a test cell's helpers)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def cell_file_name(source: str) -> str:
    """The file name the kernel compiles a cell under (ipykernel: a hash of its source), without its folder."""
    from ipykernel.compiler import get_tmp_hash_seed, murmur2_x86

    return f"{murmur2_x86(source, get_tmp_hash_seed())}.py"


def module_aliases(source: str) -> dict[str, str]:
    """``{alias: module}`` for the plain ``import`` statements of a (locked) cell."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    out[head] = head
    return out


def insert_resets(nb: NotebookNode, graded: list[NotebookNode], trusted: list[NotebookNode],
                  seed: int | None = None) -> None:
    """An arm cell first, and a reset cell right before and right after every graded test cell.

    ``trusted`` are the cells whose source the grader restored (locked cells):
    the modules they import under a name are what the tests may read by that name.
    """
    import builtins

    rng = random.Random(seed if seed is not None else random.SystemRandom().getrandbits(64))
    graded_ids = {id(cell) for cell in graded}
    aliases: dict[str, str] = {}
    builtin_names = set(dir(builtins))
    cells: list[NotebookNode] = [_guard_cell(rng, "arm")]
    trusted_ids = {id(cell) for cell in trusted}
    for cell in nb.cells:
        if id(cell) in graded_ids:
            read = names_read(cell.source)
            names = sorted(read & builtin_names)
            modules = {a: m for a, m in sorted(aliases.items()) if a in read}
            cells.append(_guard_cell(rng, "reset", f", {names!r}, {modules!r}"))
            cells.append(cell)
            # after the test: were its own helpers, or the builtins it reads, rebound while it ran?
            defined = sorted(names_defined(cell.source))
            cells.append(_guard_cell(rng, "reset", f", {names!r}, {modules!r}, {defined!r}, "
                                                   f"{cell_file_name(cell.source)!r}"))
            continue
        cells.append(cell)
        if id(cell) in trusted_ids and cell.cell_type == "code":
            aliases.update(module_aliases(cell.source))
    nb.cells = cells


def insert_probes(nb: NotebookNode, graded: list[NotebookNode], seed: int | None = None) -> None:
    """Put a probe before the first graded test cell and after every run of consecutive test cells."""
    rng = random.Random(seed if seed is not None else random.SystemRandom().getrandbits(64))
    graded_ids = {id(cell) for cell in graded}
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    next_code = {id(a): b for a, b in zip(code, code[1:], strict=False)}
    cells: list[NotebookNode] = []
    first = True
    for cell in nb.cells:
        if id(cell) in graded_ids and first:
            cells.append(_probe_cell(rng))
            first = False
        cells.append(cell)
        if id(cell) in graded_ids and id(next_code.get(id(cell))) not in graded_ids:
            cells.append(_probe_cell(rng))
    nb.cells = cells


def is_probe(cell: NotebookNode) -> bool:
    return PROBE_KEY in cell.get("metadata", {})


@dataclass
class ProbeVerdict:
    """What the probes say about one executed notebook."""

    checked: int = 0
    tampered: bool = False
    reasons: list[str] | None = None
    resets: list[str] | None = None  # harmless changes the hook resets put back
    untrusted_from: int | None = None  # cell index from which results cannot be trusted (kernel stuck)


def _errors(cell: NotebookNode) -> list[NotebookNode]:
    return [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]


def evaluate(nb: NotebookNode, runs: dict) -> ProbeVerdict:
    """Check every executed probe of ``nb``; ``runs`` maps cell index -> :class:`~autograder.execution.CellRun`."""
    verdict = ProbeVerdict(reasons=[], resets=[])
    for index, cell in enumerate(nb.cells):
        if not is_probe(cell):
            continue
        meta = cell.metadata[PROBE_KEY]
        run = runs.get(index)
        if run is None or run.status in ("not-run", "died"):
            continue
        if run.status == "timeout":
            if verdict.untrusted_from is None:
                verdict.untrusted_from = index
            continue
        verdict.checked += 1
        nonce = meta["nonce"]
        errors = _errors(cell)
        results = [out for out in cell.get("outputs", []) if out.get("output_type") == "execute_result"]
        mine = [e for e in errors if e.get("ename") == "AssertionError" and nonce in str(e.get("evalue", ""))]
        if run.status == "error" and not results and not run.hidden_error and len(mine) == 1 == len(errors):
            evalue = str(mine[0].get("evalue", "")).strip()
            if evalue == f"{nonce} ok":
                continue
            if meta.get("kind") == "reset" and evalue.startswith(f"{nonce} ok; reset:"):
                verdict.resets.extend(r.strip() for r in evalue.split("reset:", 1)[1].split(",") if r.strip())
                continue
            if evalue.startswith(f"{nonce} integrity:"):
                verdict.tampered = True
                what = evalue.split("integrity:", 1)[1].strip()[:600]
                if meta.get("kind") in ("reset", "arm"):
                    verdict.reasons.append("kernel hooks were changed: " + what)
                else:
                    verdict.reasons.append("comparison helpers or builtins were replaced: " + what)
                continue
        verdict.tampered = True
        if run.status == "ok" or run.hidden_error or not mine:
            verdict.reasons.append("a failing assertion was not reported as an error (errors are being hidden)")
        else:
            detail = "; ".join(f"{e.get('ename')}: {e.get('evalue')}" for e in errors).replace(nonce, "")
            verdict.reasons.append(f"the kernel misreported a check ({(detail or 'extra output')[:200]})")
    return verdict
