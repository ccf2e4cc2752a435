"""How a test cell earns points: nbgrader's rule, read strictly.

nbgrader (``utils.determine_grade``) gives a test cell zero for an error or any
stderr output, its last expression's value as partial credit, and full marks
otherwise. Read literally, that rule also gives full marks to a cell that
never ran (no output at all), to a cell whose first output is any
``execute_result`` (student code can emit one from an IPython hook before the
test's assertion fails), and crashes on partial credit above the maximum. The
grader scores from the outside, with facts the kernel cannot forge alone:

* a cell that did not run, or whose execute reply is not ``ok``, scores 0;
* any ``error`` output or any stderr text left after the course's ignore
  pattern scores 0;
* an ``execute_result`` counts only when the cell's own last statement is an
  expression, and only one; anything else is tampering;
* partial credit is clamped to ``[0, points]`` (nbgrader gives a negative
  value full marks; here it scores 0).

The release round trip (:mod:`autograder.roundtrip`) scores its test cells
with the same :func:`score_test_cell`, so the two can never disagree.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from nbformat import NotebookNode


@dataclass
class CellScore:
    score: float
    max_score: float
    reason: str = ""  # why it lost points, for the report
    tampered: bool = False


def ends_with_expression(source: str) -> bool:
    """True when the cell's last statement is an expression (nbgrader's partial-credit cells)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return True  # cannot tell (IPython syntax): allow one result, as nbgrader does
    return bool(tree.body) and isinstance(tree.body[-1], ast.Expr)


def partial_value(text: str, points: float) -> tuple[float, str]:
    """nbgrader's partial credit: a number in ``[0, points]``; not a number: full marks."""
    try:
        value = float(text)
    except ValueError:
        return points, ""
    if value != value:  # NaN
        return 0.0, "partial credit was NaN"
    if value < 0:
        return 0.0, f"partial credit {value:g} is negative (scored 0; nbgrader would give full marks)"
    if value > points:
        return points, f"partial credit {value:g} above the cell's {points:g} points (clamped)"
    return value, ""


def score_test_cell(cell: NotebookNode, points: float, status: str | None, ignore: str | None = None) -> CellScore:
    """Score one executed graded test cell; ``status`` is its execute reply (``ok``, ``error``...).

    ``ignore``: a regular expression; stderr outputs it matches are known noise (nbgrader's
    ``IgnorePattern``, which the class grader applies before scoring).
    """
    pattern = re.compile(ignore) if ignore else None
    if status in (None, "not-run", "died"):
        return CellScore(0.0, points, "did not run (the kernel had died or stopped)")
    outputs = cell.get("outputs", [])
    for out in outputs:
        if out.get("output_type") == "error":
            return CellScore(0.0, points, f"{out.get('ename', 'Error')}: {str(out.get('evalue', ''))[:200]}")
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            if pattern is not None and pattern.search(str(out.get("text", ""))):
                continue
            return CellScore(0.0, points, "wrote to stderr: " + str(out.get("text", "")).strip()[:200])
    if status != "ok":
        return CellScore(0.0, points, f"the cell's execution ended with status {status}")
    results = [out for out in outputs if out.get("output_type") == "execute_result"]
    if results:
        if len(results) > 1 or not ends_with_expression(cell.source):
            return CellScore(0.0, points, "a result appeared that this test cell cannot produce", tampered=True)
        text = results[0].get("data", {}).get("text/plain", "")
        text = "".join(text) if isinstance(text, list) else str(text)
        value, note = partial_value(text.strip(), points)
        return CellScore(value, points, note or ("" if value == points else f"partial credit {value:g}/{points:g}"))
    return CellScore(points, points)
