"""The round-trip harness itself, on a two-exercise fixture notebook."""

from pathlib import Path

import pytest

from autograder.roundtrip import (
    RoundTripError,
    check_mutants,
    defined_names,
    parse_mutants,
    strip_solution,
)

FIXTURE = Path(__file__).parent / "fixtures" / "roundtrip"


def test_parse_mutants_reads_sections_in_order():
    mutants = parse_mutants(FIXTURE / "mutants.py")
    assert [(m.cell, m.name) for m in mutants] == [
        ("ex_count", "counts_everything"),
        ("ex_count", "off_by_one"),
        ("ex_share", "integer_division"),
        ("ex_share", "survives"),
    ]
    assert "return len(tokens)" in mutants[0].source


def test_parse_mutants_rejects_malformed_header(tmp_path):
    bad = tmp_path / "mutants.py"
    bad.write_text("# %% mutant without_colon\nx = 1\n")
    with pytest.raises(RoundTripError, match="malformed section header"):
        parse_mutants(bad)


def test_strip_solution_keeps_signature_and_indented_stub():
    src = "def f(x):\n    '''doc'''\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"
    assert strip_solution(src) == "def f(x):\n    '''doc'''\n    # YOUR CODE HERE\n    raise NotImplementedError()"


def test_defined_names():
    src = "import numpy as np\nfrom a import b\nclass V: pass\ndef f(): pass\nx, y = 1, 2\n"
    assert defined_names(src) == ["V", "b", "f", "np", "x", "y"]


@pytest.mark.notebook
def test_check_mutants_scores_every_variant():
    variants = check_mutants("01", source=FIXTURE / "fixture.ipynb", released=FIXTURE / "missing.ipynb")
    got = {(v.exercise, v.name): (v.score, v.max_score) for v in variants}
    assert got == {
        ("ex_count", "solution"): (2, 2),
        ("ex_count", "stub"): (0, 2),
        ("ex_count", "counts_everything"): (0, 2),
        ("ex_count", "off_by_one"): (0, 2),
        ("ex_share", "solution"): (3, 3),
        ("ex_share", "stub"): (0, 3),
        ("ex_share", "integer_division"): (1, 3),  # partial credit from the test cell's last expression
        ("ex_share", "survives"): (3, 3),  # an equivalent "mutant" is reported, not hidden
    }
