"""benchmarks/run_all.py: choosing benchmarks, the lock, and an honest RESULTS.md."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("run_all", REPO / "benchmarks" / "run_all.py")
run_all = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_all)


def row(lesson, task, value, target=None, met=None, **extra):
    return {"lesson": lesson, "task": task, "metric": "accuracy %", "value": value, "target": target,
            "anchor": extra.get("anchor"), "seconds": 12.3, "device": "cpu", "date": "2026-01-01", "met": met}


def test_select_by_lesson_number_or_name():
    scripts = [Path(f"bench_{name}.py") for name in ("02_03", "06_07", "08_sentiment_analysis", "grader")]
    names = lambda chosen: [s.stem for s in chosen]  # noqa: E731
    assert names(run_all.select(scripts, ["08"], None)) == ["bench_08_sentiment_analysis"]
    assert names(run_all.select(scripts, ["03", "grader"], None)) == ["bench_02_03", "bench_grader"]
    assert names(run_all.select(scripts, None, ["grader", "06_07"])) == ["bench_02_03", "bench_08_sentiment_analysis"]
    assert names(run_all.select(scripts, ["bench_06_07"], None)) == ["bench_06_07"]
    assert run_all.select(scripts, ["99"], None) == []


def test_every_benchmark_script_is_found():
    found = {p.name for p in run_all.benchmarks()}
    assert "bench_08_sentiment_analysis.py" in found and "run_all.py" not in found


def test_table_is_honest_about_missed_targets(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    rows = [row("08_x", "IMDB | test", 88.5, target=89.0, met=False, anchor="d2l 86.1"),
            row("08_x", "UIT-VSFC", 92.1, target=91.0, met=True), row("08_x", "seconds per epoch", 101.0)]
    (results / "08_x.json").write_text(json.dumps(rows))
    (results / "broken.json").write_text("{not json")
    table = tmp_path / "RESULTS.md"
    run_all.write_table(runs=[("bench_08_x.py", 0, 61.0)], path=table, results_dir=results)
    text = table.read_text()
    assert "3 rows, 2 with a target, 1 met, 1 missed" in text
    assert "## Missed targets" in text and "IMDB \\| test: accuracy % = 88.5, target 89" in text
    lines = [line for line in text.splitlines() if line.startswith("| 08_x")]
    assert len(lines) == 3
    assert lines[0].endswith("| target 89; d2l 86.1 | **MISSED** |")
    assert lines[1].endswith("| met |") and lines[2].endswith("| — | — |")
    assert "broken.json: not readable as JSON" in text
    assert "| bench_08_x.py | ok | 1.0 |" in text


def test_lock_is_exclusive(tmp_path):
    lock = tmp_path / "heavy.lock"
    probe = "import fcntl, sys; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)"
    with run_all.exclusive(str(lock)):
        busy = subprocess.run([sys.executable, "-c", probe, str(lock)], capture_output=True)
        assert busy.returncode != 0, "another process could take the lock while a benchmark held it"
    free = subprocess.run([sys.executable, "-c", probe, str(lock)], capture_output=True)
    assert free.returncode == 0


@pytest.mark.parametrize("value, text", [(90.932, "90.93"), (0.7512, "0.7512"), (1234.5, "1,234"), (None, "—"),
                                         (5.5e-16, "5.5e-16"), (12, "12")])
def test_number_format(value, text):
    assert run_all._number(value) == text


def test_partial_benchmark_run_keeps_the_other_rows(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_common", REPO / "benchmarks" / "common.py")
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    monkeypatch.setattr(common, "RESULTS_DIR", tmp_path)
    first = common.ResultRows("08_x", "cpu")
    first.add("IMDB", "accuracy %", 89.4, 245.0, target=89.0)
    first.add("UIT-VSFC", "accuracy %", 89.6, 15.0, target=91.0)
    first.write()
    again = common.ResultRows("08_x", "cpu")
    again.add("UIT-VSFC", "accuracy %", 91.2, 16.0, target=91.0)
    again.add("Keras", "accuracy %", 88.0, 300.0)
    rows = json.loads(again.write(keep_others=True).read_text())
    assert [(r["task"], r["value"], r["met"]) for r in rows] == [
        ("IMDB", 89.4, True), ("UIT-VSFC", 91.2, True), ("Keras", 88.0, None)]
    assert [r["task"] for r in json.loads(again.write().read_text())] == ["UIT-VSFC", "Keras"]
