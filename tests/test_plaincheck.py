"""autograder.plaincheck on crafted cells: raw comparisons are flagged, plain ones pass."""

from __future__ import annotations

import textwrap

import nbformat
import pytest

from autograder.plaincheck import check_notebook

SOLUTION = '''
def f(x):
    ### BEGIN SOLUTION
    return x
    ### END SOLUTION


class Model:
    ### BEGIN SOLUTION
    pass
    ### END SOLUTION
'''


def notebook(*tests: str, before: str = ""):
    """A source notebook: a setup cell, the solution cell, optional demo code, then one test cell per source."""
    nb = nbformat.v4.new_notebook()
    setup = nbformat.v4.new_code_cell("import numpy as np\nimport torch\nimport math\ny = 1\n")
    solution = nbformat.v4.new_code_cell(SOLUTION)
    solution.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False, "grade_id": "ex_f",
                                     "schema_version": 3}
    nb.cells = [setup, solution]
    if before:
        nb.cells.append(nbformat.v4.new_code_cell(textwrap.dedent(before)))
    for i, source in enumerate(tests):
        cell = nbformat.v4.new_code_cell(textwrap.dedent(source))
        cell.metadata["nbgrader"] = {"solution": False, "grade": True, "locked": True, "points": 1,
                                     "grade_id": f"test_{i}", "schema_version": 3}
        nb.cells.append(cell)
    return nb


def findings(source: str, before: str = ""):
    return check_notebook(notebook(source, before=before))


def kinds(source: str, before: str = "") -> list[tuple[int, str]]:
    return [(f.line, f.kind) for f in findings(source, before)]


# --------------------------------------------------------------------------- the brief's cases


def test_raw_call_compared_is_flagged():
    found = findings("assert f(3) == y\n")
    assert [(f.cell, f.line, f.kind) for f in found] == [("test_0", 1, "compare")]
    assert found[0].expression == "f(3) == y"


def test_variable_assigned_from_a_student_call_is_flagged():
    assert kinds("got = f(3)\nassert got == y\n") == [(2, "compare")]


def test_converted_value_is_clean():
    assert kinds("from seqnlp.checks import as_float\ngot = as_float(f(3))\nassert got == y\n") == []


def test_comparison_helper_on_a_raw_result_is_flagged():
    found = findings("assert np.allclose(f(3), y)\n")
    assert [(f.line, f.kind) for f in found] == [(1, "helper")]
    assert "raw result" in found[0].hint


def test_isinstance_is_clean():
    assert kinds("assert isinstance(f(3), list)\n") == []


# --------------------------------------------------------------------------- what counts as raw


@pytest.mark.parametrize("source", [
    "assert f(1).shape == (2,)",                      # attribute of a raw value
    "assert f(1)[0] == 2",                            # subscript
    "assert f(1).tolist() == [1]",                    # method result
    "assert abs(f(1) - 2) < 1e-9",                    # arithmetic and builtins
    "assert sorted(f(1)) == [1]",                     # any call receiving a raw value
    "assert str(f(1)) == 'a'",                        # str() may return a lying str subclass
    "assert float(f(1)) == 1.0",
    "assert 3 in f(1)",                               # __contains__
    "assert f(1) in [1, 2]",                          # list.__contains__ calls __eq__
    "m = Model()\nassert m.weight == 0",              # a student class's instance
    "a, b = f(1)\nassert b == 2",                     # unpacking
    "got = [f(i) for i in range(3)]\nassert got == [0, 1, 2]",
    "for g in f(1):\n    assert g == 1",
    "assert all(g == 1 for g in f(1))",
    "got = []\ngot.append(f(1))\nassert got == [1]",  # a container holding a raw value
    "assert f(1)",                                    # its truth
    "if not f(1):\n    raise AssertionError('x')",
    "assert type(f(1)) == list",                      # a metaclass can fake ==
])
def test_raw_uses_are_flagged(source):
    assert findings(source + "\n"), source


@pytest.mark.parametrize("source", [
    "assert len(f(1)) == 3",
    "assert type(f(1)) is list",
    "assert f(1) is not None",
    "assert isinstance(f(1), (int, float)) and hasattr(f(1), 'shape')",
    "from seqnlp.checks import as_str_list\nassert as_str_list(f(1)) == ['a']",
    "from seqnlp.checks import as_plain\nassert as_plain(f(1))['a'] == 1",
    "from seqnlp.checks import as_array\ngot = as_array(f(1))\nassert ((got - np.ones(2)) ** 2).max() < 1e-12",
    "from seqnlp import checks\nassert checks.as_int(f(1)) == 1",
    "import seqnlp.checks as c\nassert c.as_int(f(1)) == 1",
    "got = f(1)\ngot = 3\nassert got == 3",                     # rebound to a plain value
    "assert f\"{f(1)}\" != ''",                                    # an f-string is a real str
    "assert y == 1",
])
def test_plain_uses_are_clean(source):
    assert findings(source + "\n") == [], source


def test_module_helpers_are_flagged_even_on_plain_values():
    found = findings("from seqnlp.checks import as_array\nassert np.allclose(as_array(f(1)), 1.0)\n")
    assert [f.kind for f in found] == ["helper"] and "can be replaced" in found[0].hint
    for helper in ("np.testing.assert_allclose(a, b)", "torch.allclose(a, b)", "torch.testing.assert_close(a, b)",
                   "math.isclose(a, b)", "np.array_equal(a, b)", "torch.equal(a, b)"):
        assert [f.kind for f in findings(f"a = b = 1\n{helper}\n")] == ["helper"], helper


# --------------------------------------------------------------------------- scopes and flow


def test_test_function_with_local_import_is_clean_and_raw_inside_is_flagged():
    clean = """
    def _test():
        from seqnlp.checks import as_float
        got = as_float(f(2))
        assert got == 2.0, f"got {got}"

    _test()
    """
    assert kinds(clean) == []
    raw = """
    def _test():
        from seqnlp.checks import as_float
        got = f(2)
        assert got == 2.0

    _test()
    """
    assert kinds(raw) == [(4, "compare")]


def test_module_level_import_does_not_count_inside_functions_or_after_student_code():
    inner = """
    from seqnlp.checks import as_float

    def _test():
        assert as_float(f(2)) == 2.0

    _test()
    """
    assert kinds(inner) == [(4, "conversion"), (4, "compare")]
    after = "from seqnlp.checks import as_float\na = as_float(f(1))\nb = as_float(f(2))\nassert a == 1\nassert b == 2\n"
    assert kinds(after) == [(3, "conversion"), (5, "compare")]


def test_conversions_must_be_imported_in_the_test_cell():
    assert kinds("assert as_float(f(1)) == 1.0\n", before="from seqnlp.checks import as_float\n") == [(1, "compare")]


def test_local_helpers_are_followed():
    returns_raw = """
    def run(x):
        return f(x)

    assert run(1) == 1
    """
    assert kinds(returns_raw) == [(4, "compare")]
    receives_raw = """
    def check(got):
        assert got == 1

    check(f(1))
    """
    assert kinds(receives_raw) == [(2, "compare")]
    lam = "g = lambda x: f(x)\nassert g(1) == 1\n"
    assert kinds(lam) == [(2, "compare")]


def test_callbacks_given_to_student_code_receive_raw_values():
    source = "seen = []\nf(lambda w: seen.append(w))\nassert seen == [1]\n"
    assert kinds(source) == [(3, "compare")]


def test_raw_values_from_earlier_cells_are_followed():
    assert kinds("assert result == 3\n", before="result = f(3)\n") == [(1, "compare")]
    assert kinds("assert helper() == 3\n", before="def helper():\n    return f(3)\n") == [(1, "compare")]
    assert kinds("assert data == 3\n", before="data = 3\n") == []


def test_branches_merge_raw_names():
    source = "got = 1\nif y:\n    got = f(1)\nassert got == 1\n"
    assert kinds(source) == [(4, "compare")]


def test_pragma_silences_a_finding_with_a_reason_only():
    assert kinds("assert f(1) == 1  # plain-ok: f is the test's own function here\n") == []
    assert kinds("assert f(1) == 1  # plain-ok:\n") == [(1, "compare")]


def test_magics_do_not_break_the_lint():
    assert kinds("%time got = f(1)\nassert got == 1\n") == [(2, "compare")]


def test_finding_reports_cell_line_and_expression():
    found = findings("x = 1\n\nassert f(x).shape == (2,), 'message'\n")
    assert len(found) == 1 and str(found[0]).startswith("test_0:3: compare: f(x).shape == (2,)")
