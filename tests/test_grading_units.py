"""The grader's pure functions, one at a time: scoring, probe and reset verdicts, the status decision,
cell restoration and feedback scrubbing. No kernel, no sandbox."""

from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace

import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder import probes
from autograder.execution import CellRun, ExecutionLog
from autograder.feedback import HIDDEN_NOTE, LATER_NOTE, _scrub_text, hidden_texts, scrub_outputs
from autograder.gradebook import prepare_lessons
from autograder.pipeline import decide_status, restore_cells
from autograder.roundtrip import cell_score
from autograder.scoring import CellScore, partial_value, score_test_cell
from autograder.settings import STDERR_IGNORE_PATTERN

COURSE = Path(__file__).parent / "fixtures" / "grader" / "course"
TINY = COURSE / "01_tiny" / "01_tiny.ipynb"


def _test_cell(source="assert f(1) == 2", points=2, outputs=()):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t", "points": points, "locked": True}
    cell.outputs = list(outputs)
    return cell


# --------------------------------------------------------------------------- scoring


def test_partial_values():
    assert partial_value("1.5", 2) == (1.5, "")
    assert partial_value("abc", 2) == (2, "")  # not a number: nbgrader's full marks
    assert partial_value("-1", 2)[0] == 0.0  # stricter than nbgrader (documented)
    assert partial_value("nan", 2)[0] == 0.0
    assert partial_value("7", 2)[0] == 2  # clamped


def test_score_test_cell_rules():
    assert score_test_cell(_test_cell(), 2, "ok").score == 2
    assert score_test_cell(_test_cell(), 2, None).score == 0
    assert score_test_cell(_test_cell(), 2, "error").score == 0
    err = new_output("error", ename="AssertionError", evalue="no", traceback=[])
    assert score_test_cell(_test_cell(outputs=[err]), 2, "ok").score == 0
    noise = new_output("stream", name="stderr", text="oneDNN custom operations are on\n")
    real = new_output("stream", name="stderr", text="Traceback: something\n")
    assert score_test_cell(_test_cell(outputs=[noise]), 2, "ok", ignore=STDERR_IGNORE_PATTERN).score == 2
    assert score_test_cell(_test_cell(outputs=[real]), 2, "ok", ignore=STDERR_IGNORE_PATTERN).score == 0
    result = new_output("execute_result", data={"text/plain": "1.0"}, execution_count=1)
    assert score_test_cell(_test_cell("score = 1.0\nscore", outputs=[result]), 2, "ok").score == 1.0
    faked = score_test_cell(_test_cell("assert True", outputs=[result]), 2, "ok")
    assert faked.score == 0 and faked.tampered


def test_round_trip_and_class_grader_use_one_scorer():
    for value in ("-1", "0.5", "3", "x"):
        cell = _test_cell("s = 0\ns", outputs=[new_output("execute_result", data={"text/plain": value},
                                                           execution_count=1)])
        assert cell_score(copy.deepcopy(cell)) == (score_test_cell(cell, 2, "ok").score, 2.0)
    err = new_output("error", ename="E", evalue="", traceback=[])
    assert cell_score(_test_cell(outputs=[err])) == (0.0, 2.0)


# --------------------------------------------------------------------------- probes and resets


def _probe(kind, nonce, evalue, status="error"):
    cell = new_code_cell("...")
    cell.metadata[probes.PROBE_KEY] = {"nonce": nonce, "kind": kind}
    cell.outputs = [new_output("error", ename="AssertionError", evalue=evalue, traceback=[])]
    return cell, CellRun(0, status=status)


def _verdict(*cells_runs):
    nb = new_notebook(cells=[c for c, _ in cells_runs])
    return probes.evaluate(nb, {i: r for i, (_, r) in enumerate(cells_runs)})


def test_probe_and_reset_verdicts():
    assert not _verdict(_probe("sound", "n1", "n1 ok")).tampered
    v = _verdict(_probe("reset", "n2", "n2 ok; reset: display formatter text/html, recursion limit"))
    assert not v.tampered and v.resets == ["display formatter text/html", "recursion limit"]
    v = _verdict(_probe("reset", "n3", "n3 integrity: ast_transformers were changed"))
    assert v.tampered and "ast_transformers" in v.reasons[0]
    assert _verdict(_probe("reset", "n4", "n5 ok")).tampered  # someone else's nonce
    assert _verdict(_probe("arm", "n6", "n6 ok", status="ok")).tampered  # the error was hidden
    cell, run = _probe("sound", "n7", "n7 ok; reset: x")  # only reset cells may report resets
    assert _verdict((cell, run)).tampered


def test_reset_cells_name_what_the_next_test_reads():
    setup = new_code_cell("import numpy as np\nimport seqnlp")
    setup.metadata["nbgrader"] = {"locked": True, "grade": False, "solution": False, "grade_id": "setup"}
    test = _test_cell("assert len(f([1])) == 1\nassert np.all(np.asarray([1]) == 1)")
    nb = new_notebook(cells=[setup, new_code_cell("def f(x): return x"), test])
    probes.insert_resets(nb, [test], [setup], seed=1)
    kinds = [c.metadata.get(probes.PROBE_KEY, {}).get("kind") for c in nb.cells]
    assert kinds == ["arm", None, None, "reset", None, "reset"]
    reset = nb.cells[3].source
    assert "['len']" in reset and "{'np': 'numpy'}" in reset
    after = nb.cells[5].source
    assert probes.cell_file_name(test.source) in after and after.count("[") >= 3


# --------------------------------------------------------------------------- status


def _box(reason=None, degraded=(), failures=0):
    return SimpleNamespace(watchdog=SimpleNamespace(reason=reason, detail="d", peak={"processes": 1},
                                                    failures=failures, last_error="e"),
                           limits=SimpleNamespace(memory_mb=1, processes=99, cell_timeout=1.0, output_mb=1.0),
                           degraded=list(degraded), log_tail=lambda n: "")


def test_status_decision_order():
    verdict = probes.ProbeVerdict(reasons=[], resets=[])
    kept = [(_test_cell(), CellRun(0, status="ok"))]
    assert decide_status(None, kept, ExecutionLog(), _box(), verdict, {}, [], [])[0] == "ok"
    assert decide_status(None, kept, ExecutionLog(), _box(), verdict, {}, ["x"], ["y"])[0] == "cells-missing"
    tampered = probes.ProbeVerdict(tampered=True, reasons=["r"], resets=[])
    status, detail = decide_status(None, kept, ExecutionLog(), _box("timeout"), tampered, {}, [], [])
    assert status == "tampered" and "also: timeout" in detail
    assert decide_status(None, kept, ExecutionLog(), _box(degraded=["no tmpfs"]), tampered, {}, [], [])[0] == "error"
    assert decide_status(None, kept, ExecutionLog(), _box(failures=12), verdict, {}, [], [])[0] == "error"
    assert decide_status(None, kept, ExecutionLog(), _box(failures=2), verdict, {}, [], [])[0] == "ok"
    scores = {"t": CellScore(0, 2, "fake result", tampered=True)}
    assert decide_status(None, kept, ExecutionLog(), _box(), verdict, scores, [], [])[0] == "tampered"


# --------------------------------------------------------------------------- restoration and feedback


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return prepare_lessons({"01_tiny": TINY}, tmp_path_factory.mktemp("units") / "l.db")["01_tiny"]


def test_restore_cells(tiny):
    nb = copy.deepcopy(tiny.released)
    test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_count")
    test.source = "pass"
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_normalize"]
    stray = new_code_cell("x = 1")
    stray.metadata["nbgrader"] = {"grade_id": "made_up", "grade": True, "points": 99}
    nb.cells.append(stray)
    missing, edited, stripped = restore_cells(nb, tiny)
    assert missing == ["test_normalize"] and edited == ["test_count"] and stripped == ["made_up"]
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    assert ids.index("test_normalize") == ids.index("ex_normalize") + 1


def test_feedback_scrubbing(tiny):
    secrets = hidden_texts(tiny)
    assert any("hidden: empty input" in s for s in secrets)
    line = next(s for s in secrets if "hidden: empty input" in s)
    assert _scrub_text(f"before\n  {line}  \nafter", secrets, 10_000) == f"before\n{HIDDEN_NOTE}\nafter"
    assert _scrub_text("x" * 50, [], 10).startswith("x" * 10 + "\n[... 40 more")
    cell = new_code_cell("print(1)")
    cell.outputs = [new_output("stream", name="stdout", text=line),
                    new_output("error", ename="E" * 500, evalue=line, traceback=["a"] * 50),
                    new_output("display_data", data={"text/html": f"<p>{line}</p>", "application/json": {"a": 1}})]
    scrub_outputs(cell, secrets)
    assert HIDDEN_NOTE in cell.outputs[0]["text"] and len(cell.outputs[1]["ename"]) == 200
    assert len(cell.outputs[1]["traceback"]) == 12 and HIDDEN_NOTE in cell.outputs[1]["evalue"]
    assert set(cell.outputs[2]["data"]) == {"text/html"} and line not in cell.outputs[2]["data"]["text/html"]
    assert "hidden test" in LATER_NOTE


def test_guard_verdicts_are_assertion_errors_shown_without_a_formatted_traceback():
    from autograder.kernel_guard import Verdict

    verdict = Verdict("0123 ok")
    assert isinstance(verdict, AssertionError) and type(verdict).__name__ == "AssertionError"
    assert verdict._render_traceback_() == ["AssertionError: 0123 ok"]


def _fails(path):
    raise OSError(f"disk full at {path}")


def _dies(path):
    import os

    os._exit(3)


def test_reports_written_in_a_child_warn_and_never_raise(tmp_path, capfd):
    from autograder.grade import _report_in_child, _wait_for_report

    _wait_for_report(_report_in_child("class report", lambda p: p.write_text("page"), tmp_path / "r.html"))
    assert (tmp_path / "r.html").read_text() == "page"
    _wait_for_report(_report_in_child("class report", _fails, tmp_path))
    _wait_for_report(_report_in_child("class report", _dies, tmp_path))
    err = capfd.readouterr().err
    assert "warning: the class report could not be written (OSError: disk full at" in err
    assert "warning: the class report could not be written (its process ended with 3)" in err


def test_a_page_not_graded_normally_says_why_without_markup_or_hidden_names(tiny):
    from autograder.feedback import with_status_notice

    page = '<html><body><div class="panel-heading">Score: 0</div><div class="panel-body">cells</div></body></html>'
    assert with_status_notice(page, "ok", "anything", tiny) == page
    tiny.cells["normalize_tests"] = copy.copy(next(i for i in tiny.cells.values() if i.is_test))
    hidden_name = "secret_helper_xyz"
    tiny.cells["normalize_tests"].full_source += f"\ndef {hidden_name}():\n    pass\n"
    try:
        out = with_status_notice(page, "tampered", "integrity check failed: the tests' own "
                                 f"{hidden_name} was rebound; kernel misreported <script>alert(1)</script>", tiny)
    finally:
        del tiny.cells["normalize_tests"]
    notice = out[out.index('id="grading-status"'):out.index('<div class="panel-body">')]
    assert "Graded as tampered." in notice and "every point was withheld" in notice
    assert "own (a hidden name) was rebound" in notice and hidden_name not in out
    assert "<script>" not in out and "&lt;script&gt;" in notice
    assert out.index("Score: 0") < out.index('id="grading-status"')
