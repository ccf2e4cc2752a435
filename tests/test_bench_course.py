"""benchmarks/bench_course.py: which notebooks run, how rows merge, when the course total is written (no notebook runs)."""

import importlib.util
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("bench_course", REPO / "benchmarks" / "bench_course.py")
bench_course = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_course)
LESSONS = bench_course.LESSONS


class FakeRunner:
    """Stands in for run_notebook: lesson NN takes NN * 10 seconds; ``fail`` lessons fail."""

    def __init__(self, fail=()):
        self.calls, self.fail = [], set(fail)

    def __call__(self, lesson, mode, timeout, keep):
        self.calls.append((lesson, mode))
        if lesson[:2] in self.fail:
            return 3.0, "CellExecutionError: ZeroDivisionError: division by zero"
        return float(int(lesson[:2]) * 10), None


def run(tmp_path, *args, fail=()):
    out = tmp_path / "course.json"
    runner = FakeRunner(fail)
    code = bench_course.main([*args, "--out", str(out), "--no-lock"], runner=runner)
    return code, runner.calls, json.loads(out.read_text())


def by_lesson(rows):
    return {r["lesson"]: r for r in rows}


def test_a_complete_run_writes_every_lesson_and_the_course_total(tmp_path):
    code, calls, rows = run(tmp_path)
    assert code == 0 and [lesson for lesson, _ in calls] == list(LESSONS) and {m for _, m in calls} == {"full"}
    rows = by_lesson(rows)
    assert set(rows) == {*LESSONS, "course"}
    assert rows["01_text_preprocessing"]["target"] == 900.0 and rows["01_text_preprocessing"]["met"] is True
    total = rows["course"]
    assert total["task"] == bench_course.course_task("full") and total["value"] == sum(10 * i for i in range(1, 9))
    assert total["target"] == 3600.0 and total["met"] is True


def test_a_partial_run_keeps_the_other_lessons_and_adds_a_sum_of_runs(tmp_path):
    run(tmp_path)
    code, calls, rows = run(tmp_path, "--only", "6", "01", fail=["06"])
    assert code == 1 and [lesson for lesson, _ in calls] == ["01_text_preprocessing", "06_recurrent_neural_networks"]
    lessons = [r for r in rows if r["lesson"] in LESSONS]
    assert [r["lesson"] for r in lessons] == list(LESSONS), "one row per lesson, in course order"
    failed = by_lesson(lessons)["06_recurrent_neural_networks"]
    assert failed["value"] is None and failed["met"] is False and failed["anchor"].startswith("FAILED after 3 s")
    course = [r for r in rows if r["lesson"] == "course"]
    assert [r["task"] for r in course] == [bench_course.course_task("full")], (
        "the complete run's total stays; no sum while a lesson has no figure")
    code, _, rows = run(tmp_path, "--only", "06")
    course = {r["task"]: r for r in rows if r["lesson"] == "course"}
    assert set(course) == {bench_course.course_task("full"), bench_course.sum_task("full")}
    assert course[bench_course.sum_task("full")]["value"] == sum(10 * i for i in range(1, 9))
    code, _, rows = run(tmp_path)
    assert [r["task"] for r in rows if r["lesson"] == "course"] == [bench_course.course_task("full")]


def test_a_fast_dry_run_writes_nothing_unless_asked(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench_course, "RESULTS_FILE", tmp_path / "never.json")
    runner = FakeRunner()
    assert bench_course.main(["--mode", "fast", "--only", "01", "02", "--no-lock"], runner=runner) == 0
    assert runner.calls == [("01_text_preprocessing", "fast"), ("02_ngram_language_models", "fast")]
    assert not (tmp_path / "never.json").exists() and "no rows written" in capsys.readouterr().out


def test_the_kernel_runs_in_the_mode_asked_not_as_nbgrader():
    env = bench_course.kernel_env("full", {"NBGRADER_EXECUTION": "autograde", "SEQNLP_MODE": "fast", "CI": "1",
                                           "PYTEST_CURRENT_TEST": "x", "HOME": "/h"})
    assert env["SEQNLP_MODE"] == "full" and env["HOME"] == "/h"
    assert "NBGRADER_EXECUTION" not in env and "PYTEST_CURRENT_TEST" not in env
    from seqnlp.config import detect_mode

    assert detect_mode(env)[0] == "full"


def test_run_all_tells_its_child_that_it_holds_the_lock(tmp_path, monkeypatch):
    module = sys.modules["run_all"]  # benchmarks/run_all.py, as bench_course.py imported it
    monkeypatch.setattr(module, "BENCH_DIR", tmp_path / "benchmarks")
    monkeypatch.setattr(module, "RESULTS_DIR", tmp_path / "results")
    script = tmp_path / "bench_probe.py"
    script.write_text("import os\nprint('HELD=' + os.environ.get('SEQNLP_HEAVY_LOCK_HELD', ''))\n")
    lock = str(tmp_path / "heavy.lock")
    code, _ = module.run_benchmark(script, lock, timeout=120)
    assert code == 0 and f"HELD={lock}" in (tmp_path / "results" / "bench_probe.log").read_text()


def test_the_notebook_s_own_accuracies_become_rows_with_their_targets(tmp_path):
    figures = [{"dataset": "IMDB", "framework": "ensemble", "model": "0.49 x NBSVM-tri + 0.51 x BiLSTM",
                "test accuracy": 0.9201, "macro-F1": 0.9201},
               {"dataset": "IMDB", "framework": "PyTorch", "model": "BiLSTM, course vectors, fine-tuned",
                "test accuracy": 0.8948, "macro-F1": 0.8948},
               {"dataset": "UIT-VSFC", "framework": "Keras", "model": "BiLSTM, from scratch",
                "test accuracy": 0.9002, "macro-F1": 0.7671}]

    def runner(lesson, mode, timeout, keep):
        return 60.0, None, figures if lesson.startswith("08") else []

    out = tmp_path / "course.json"
    assert bench_course.main(["--only", "08", "--out", str(out), "--no-lock"], runner=runner) == 0
    rows = [r for r in json.loads(out.read_text()) if r["task"].startswith("lesson notebook")]
    by_task = {(r["task"], r["metric"]): r for r in rows}
    ensemble = by_task[("lesson notebook, full mode: IMDB test: 0.49 x NBSVM-tri + 0.51 x BiLSTM (ensemble)",
                        "accuracy %")]
    assert ensemble["value"] == 92.01 and ensemble["target"] == 92.0 and ensemble["met"] is True
    assert by_task[("lesson notebook, full mode: IMDB test: BiLSTM, course vectors, fine-tuned (PyTorch)",
                    "accuracy %")]["target"] == 89.0
    keras = [r for (task, _), r in by_task.items() if "UIT-VSFC" in task]
    assert {r["metric"] for r in keras} == {"accuracy %", "macro-F1"} and all(r["target"] is None for r in keras)
    assert all(r["lesson"] == "08_sentiment_analysis" for r in rows)


def test_the_probe_reads_results_from_a_real_kernel(tmp_path):
    """read_figures against a kernel that has a results list with NumPy values and NaN (fast, tiny notebook)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import numpy as np\nresults = [{'dataset': 'IMDB', 'test accuracy': np.float64(0.5), 'macro-F1': float('nan')},"
        " {'task': 'not a figure'}]")])
    client = NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel():
        client.execute_cell(nb.cells[0], 0)
        assert bench_course.read_figures(client) == [{"dataset": "IMDB", "test accuracy": 0.5, "macro-F1": None}]
    assert len(nb.cells) == 1, "the probe leaves the notebook as it ran"
