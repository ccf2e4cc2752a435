"""The mutant generator of autograder/mutation.py (no kernel: generation and the report's arithmetic)."""

import ast

import pytest

from autograder.lessons import available_lessons
from autograder.mutation import (
    LessonReport,
    Outcome,
    generate_mutants,
    read_equivalents,
    sample,
    table,
)

SOURCE = '''import numpy as np

def scaled_sum(x, scale=2, axis=0, keep=True):
    """Sum over an axis, times scale.  (A docstring is never mutated: 1 < 2.)"""
    ### BEGIN SOLUTION
    total = np.sum(x, axis=axis) * scale   # comment kept
    if keep and scale >= 1:
        total += 1
    return np.maximum(total, -1)
    ### END SOLUTION
'''


def by_operator(mutants):
    out = {}
    for m in mutants:
        out.setdefault(m.operator, []).append((m.before, m.after))
    return out


def test_every_operator_makes_its_change():
    ops = by_operator(generate_mutants(SOURCE, "ex"))
    assert ("scale >= 1", "(scale > 1)") in ops["compare"]
    assert ("np.sum(x, axis=axis) * scale", "(np.sum(x, axis=axis) / scale)") in ops["arith"]
    assert ("total += 1", "total -= 1") in ops["augassign"]
    assert ("keep and scale >= 1", "(keep or scale >= 1)") in ops["boolop"]
    assert {("2", "3"), ("2", "1"), ("0", "1"), ("0", "(-1)"), ("True", "False")} <= set(ops["default"])
    assert ("-1", "0") in ops["const"] and ("-1", "(-2)") in ops["const"]  # -1 is one constant, not -(1)
    assert ("np.maximum(total, -1)", "np.maximum(-1, total)") in ops["swap"]
    assert ("return np.maximum(total, -1)", "pass") in ops["drop"]


def test_mutants_are_valid_distinct_and_keep_the_rest_of_the_cell():
    mutants = generate_mutants(SOURCE, "ex")
    assert len({m.source for m in mutants}) == len(mutants) and SOURCE not in {m.source for m in mutants}
    for m in mutants:
        ast.parse(m.source)
        assert "# comment kept" in m.source or m.operator == "drop"
        assert "1 < 2" in m.source, "the docstring was mutated"
        assert m.source.count("\n") <= SOURCE.count("\n") + 1


def test_ids_are_stable_when_other_lines_change():
    before = {m.id: m.after for m in generate_mutants(SOURCE, "ex")}
    edited = SOURCE.replace("import numpy as np\n", "import numpy as np\nimport math\n\n")
    after = {m.id: m.after for m in generate_mutants(edited, "ex")}
    assert before.items() <= after.items()


def test_unicode_columns_are_respected():
    source = 'def f(s):\n    return "giảng_viên" + s[1:]\n'
    ops = by_operator(generate_mutants(source, "ex"))
    assert ("1", "2") in ops["const"]
    assert all(ast.parse(m.source) for m in generate_mutants(source, "ex"))


def test_sample_is_fixed_and_per_exercise():
    mutants = generate_mutants(SOURCE, "a") + generate_mutants(SOURCE, "b")
    first = sample(mutants, 3)
    assert {(m.exercise, m.id) for m in first} == {(m.exercise, m.id) for m in sample(list(reversed(mutants)), 3)}
    assert [m.exercise for m in first].count("a") == 3 and [m.exercise for m in first].count("b") == 3


def test_report_rates_leave_equivalent_mutants_out():
    rep = LessonReport("00_x", [
        Outcome("ex", "gen:const-00000001", "generated", public_caught=True, caught=True),
        Outcome("ex", "gen:const-00000002", "generated", caught=True),
        Outcome("ex", "gen:const-00000003", "generated", equivalent="same for every input"),
        Outcome("ex", "gen:drop-00000004", "generated"),
        Outcome("ex", "wrong", "hand", public_caught=True, caught=True),
    ])
    s = rep.stats("ex")
    assert (s["generated"], s["equivalent"], s["caught"]) == (4, 1, 2)
    assert s["catch_rate"] == pytest.approx(2 / 3) and s["public_rate"] == pytest.approx(2 / 4)
    assert [o.name for o in rep.survivors()] == ["gen:drop-00000004"]
    assert "**MISSED**" in table([rep])


@pytest.mark.parametrize("lesson", available_lessons())
def test_equivalent_files_parse_and_name_generated_mutants(lesson):
    from autograder.mutation import lesson_mutants

    listed = read_equivalents(lesson)
    generated = {(m.exercise, m.id) for m in lesson_mutants(lesson)}
    stale = sorted(set(listed) - generated)
    assert not stale, f"solutions/{lesson}/equivalent.txt lists mutants that are no longer generated: {stale}"
