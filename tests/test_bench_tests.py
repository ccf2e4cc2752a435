"""benchmarks/bench_tests.py: what it reads from pytest's JUnit report and the rows it writes (no test suite runs)."""

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("bench_tests", REPO / "benchmarks" / "bench_tests.py")
bench_tests = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_tests)

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4">
 <testcase classname="tests.test_a" name="test_fast" time="0.5"/>
 <testcase classname="tests.test_a" name="test_slow" time="30.0"/>
 <testcase classname="tests.test_b" name="test_broken" time="2.0"><failure message="boom"/></testcase>
 <testcase classname="tests.test_b" name="test_skipped" time="0.0"><skipped message="no sandbox"/></testcase>
</testsuite></testsuites>
"""


def test_summary_counts_outcomes_and_orders_the_slowest(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT)
    summary = bench_tests.summarise(junit)
    assert (summary["tests"], summary["passed"], summary["failed"], summary["skipped"]) == (4, 2, 1, 1)
    assert summary["summed_seconds"] == 32.5
    assert [c["name"] for c in summary["slowest"][:2]] == ["tests.test_a::test_slow", "tests.test_b::test_broken"]


def test_a_failing_suite_misses_its_target_however_fast(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT)
    rows = bench_tests.ResultRows("ci", "cpu")
    bench_tests.rows_for(bench_tests.summarise(junit), 100.0, 2, 0.5, rows)
    first = rows.rows[0]
    assert first["target"] == 720.0 and first["met"] is False and "1 failed" in first["anchor"]
    assert rows.rows[1]["value"] == 16.25  # 32.5 s over 2 workers
    junit.write_text(JUNIT.replace('<failure message="boom"/>', ""))
    rows = bench_tests.ResultRows("ci", "cpu")
    bench_tests.rows_for(bench_tests.summarise(junit), 100.0, 2, 0.5, rows)
    assert rows.rows[0]["met"] is True
    rows = bench_tests.ResultRows("ci", "cpu")
    bench_tests.rows_for(bench_tests.summarise(junit), 800.0, 2, 0.5, rows)
    assert rows.rows[0]["met"] is False


def test_the_command_is_make_test_s():
    makefile = (REPO / "Makefile").read_text()
    cmd = bench_tests.command(2, Path("/tmp/j.xml"))
    assert cmd[1:4] == ["-m", "pytest", "-n"] and "--nbval-lax" in cmd and cmd[-2:] == ["tests", "solutions"]
    assert "--nbval-lax --nbval-cell-timeout=$(CELL_TIMEOUT)" in makefile and "tests solutions" in makefile


def test_a_labelled_run_is_named_in_its_rows_and_keeps_the_others(tmp_path, monkeypatch):
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT.replace('<failure message="boom"/>', ""))
    import json

    import common  # benchmarks/common.py, on sys.path once bench_tests is loaded

    monkeypatch.setattr(common, "RESULTS_DIR", tmp_path)
    assert bench_tests.main(["--junit", str(junit), "--wall", "900"]) == 0
    assert bench_tests.main(["--junit", str(junit), "--wall", "650", "--label", "a clean clone's .ci/run"]) == 0

    rows = json.loads((tmp_path / "ci.json").read_text())
    walls = {r["task"]: (r["value"], r["met"]) for r in rows if r["metric"] == "seconds" and "make test" in r["task"]}
    assert walls == {
        "the tests of make test (pytest -n 2 over tests/ and solutions/, fast mode)": (900.0, False),
        "the tests of make test (pytest -n 2 over tests/ and solutions/, fast mode), a clean clone's .ci/run": (650.0, True),
    }
    assert sum(r["task"].startswith("slowest test") for r in rows) == 4  # the unlabelled run's only
