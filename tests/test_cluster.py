"""The class grader on a Dask cluster, over loopback: a ``dask scheduler`` and two ``dask worker`` processes.

One mixed class (honest, stub, wrong and hostile notebooks of the fixture course) is graded by the
local pool and on the cluster: the same grades.csv, report.json (timings aside) and feedback pages.
Then a worker is SIGKILLed mid-run (nothing lost, nothing twice), a client interrupted with Ctrl-C
goes on where it stopped when run again, a submission that kills two workers is ``error`` while the
others are graded, and a worker whose sandbox is incomplete refuses with a message naming it (and
grades with ``--unsafe``). The faults are simulated on the test's workers by tests/cluster_hooks.py
(a worker preload), never in the grader's own check.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from autograder.classgen import make_class, solution_sources, submission, write
from autograder.cluster import EVENTS, JOURNAL, parse_local, refusal_message
from autograder.grade import GradeOptions, grade
from autograder.gradebook import prepare_lessons
from autograder.sandbox import Limits, SandboxUnavailable, detect_layers

pytestmark = [pytest.mark.xdist_group("grader_cluster"), pytest.mark.notebook]

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOOKS = Path(__file__).with_name("cluster_hooks.py")
COURSE = Path(__file__).parent / "fixtures" / "grader" / "course"
SOURCES = {name: COURSE / name / f"{name}.ipynb" for name in ("01_tiny", "02_tiny")}
LIMITS = Limits(cell_timeout=20, notebook_timeout=120, memory_mb=1024, processes=96, tmp_mb=64)
TIMINGS = {"seconds", "execute_seconds", "overhead_seconds", "kernel_start_seconds", "probe_seconds", "phases",
           "resources", "db", "generated", "wall_seconds", "seconds_per_notebook", "mean_overhead_seconds", "log"}

HOSTILE_GRADEBOOK = '''import glob, sqlite3
for path in glob.glob("/tmp/**/*.db", recursive=True) + glob.glob("/home/**/*.db", recursive=True):
    try:
        with sqlite3.connect(path) as con:
            con.execute("UPDATE grade SET auto_score = 99")
    except Exception:
        pass
def count(tokens, word):
    return sum(1 for t in tokens if t == word)'''
HOSTILE_PATCH = ("import builtins\nimport numpy as np\nimport numpy.testing\n"
                 "np.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
                 "builtins.abs = lambda x: 0\ndef count(tokens, word):\n    return 0")


def require_sandbox(limits=None) -> None:
    """Skip where the machine cannot sandbox (a developer laptop); fail under CI, where it must."""
    layers = detect_layers(limits)
    if not layers.complete:
        (pytest.fail if os.environ.get("CI") else pytest.skip)("the sandbox is incomplete here: " + layers.describe())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dask:
    """A loopback Dask cluster of the venv's ``dask scheduler`` and ``dask worker`` processes, stopped by pid."""

    def __init__(self, tmp: Path):
        self.tmp, self.procs = tmp, []
        port = _free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        self._start("scheduler", [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], {})
        from distributed import Client

        deadline = time.monotonic() + 90
        while True:
            try:
                self.client = Client(self.address, timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def _start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - kept open while the process runs
        proc = subprocess.Popen(argv, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **env})
        self.procs.append(proc)
        return proc

    def add_worker(self, name: str, **env: str) -> None:
        before = len(self.client.scheduler_info()["workers"])
        self._start(name, [str(BIN / "dask"), "worker", self.address, "--nthreads", "1", "--host", "127.0.0.1",
                           "--no-dashboard", "--name", name, "--preload", str(HOOKS),
                           "--local-directory", str(self.tmp / "dask-scratch")], env)
        self.client.wait_for_workers(before + 1, timeout=120)

    def events(self) -> list[dict]:
        return [msg for _, msg in self.client.get_events(EVENTS) if isinstance(msg, dict)]

    def starts(self) -> list[dict]:
        return [e for e in self.events() if e.get("event") == "start"]

    def stop(self) -> None:
        self.client.close()
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)  # the process group this test started, by its id
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    require_sandbox(LIMITS)
    tmp = tmp_path_factory.mktemp("cluster")
    lessons = prepare_lessons(SOURCES, tmp / "lessons.db")
    kinds = make_class(lessons, SOURCES, students=2, out=tmp / "class", seed=5)
    sol = solution_sources(SOURCES["01_tiny"])
    for student, grade_id, source in (("mallory", "ex_count", HOSTILE_GRADEBOOK),
                                      ("eve", "ex_count", HOSTILE_PATCH)):
        nb = submission(lessons["01_tiny"], sol)
        _cell(nb, grade_id).source = source
        write(nb, tmp / "class" / student / "01_tiny" / "01_tiny.ipynb")
        kinds[(student, "01_tiny")] = "hostile"
    dask = Dask(tmp)
    try:
        for name in ("w1", "w2"):
            dask.add_worker(name, SEQNLP_TEST_CRASH_STUDENT="crasher")
        grade(GradeOptions(submissions=tmp / "class", out=tmp / "pool", workers=2, limits=LIMITS, source=COURSE,
                           progress=False))
        yield {"tmp": tmp, "kinds": kinds, "dask": dask, "lessons": lessons}
    finally:
        dask.stop()


def _on_cluster(course, out: str, **extra):
    return grade(GradeOptions(submissions=course["tmp"] / extra.pop("submissions", "class"), out=course["tmp"] / out,
                              workers=2, limits=LIMITS, source=COURSE, progress=False,
                              scheduler=course["dask"].address, **extra))


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in TIMINGS}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _report(out: Path) -> dict:
    report = json.loads((out / "report.json").read_text())
    report.pop("submissions_path")
    return _plain(report)


def _feedback(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted((out / "feedback").rglob("*")) if p.is_file()}


def _rows(out: Path) -> dict[tuple[str, str], dict]:
    return {(r["student"], r["lesson"]): r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}


@pytest.fixture(scope="module")
def cluster_run(course):
    run = _on_cluster(course, "cluster")
    return {"run": run, "starts": len(course["dask"].starts())}


def test_cluster_grades_like_the_local_pool(course, cluster_run):
    pool, on = course["tmp"] / "pool", course["tmp"] / "cluster"
    assert (on / "grades.csv").read_text() == (pool / "grades.csv").read_text()
    assert _report(on) == _report(pool)
    assert _feedback(on) == _feedback(pool) and len(_feedback(on)) == len(course["kinds"])
    autograded = sorted(str(p.relative_to(on)) for p in (on / "autograded").rglob("*.ipynb"))
    assert autograded == sorted(str(p.relative_to(pool)) for p in (pool / "autograded").rglob("*.ipynb"))
    rows = _rows(on)
    assert rows[("mallory", "01_tiny")]["auto_score"] == "5", "a hostile notebook cannot reach a gradebook"
    assert rows[("eve", "01_tiny")]["status"] == "tampered" and rows[("eve", "01_tiny")]["score"] == "0"
    for key, kind in course["kinds"].items():
        if kind == "stub":
            assert rows[key]["score"] == "0", key
        elif kind == "solution":
            assert rows[key]["auto_score"] == rows[key]["auto_max_score"], key
    assert cluster_run["run"].workers == 2


def _ctrl_c_as_in_a_terminal():
    """A job started in the background by a script ignores SIGINT, and so would the grader it starts."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_an_interrupted_client_goes_on_where_it_stopped(course, cluster_run):
    out, dask = course["tmp"] / "interrupted", course["dask"]
    argv = [sys.executable, "-m", "autograder", "grade", str(course["tmp"] / "class"), "--out", str(out),
            "--scheduler", dask.address, "--source", str(COURSE), "--no-progress", "--timeout-cell", "20",
            "--timeout-notebook", "120", "--memory-mb", "1024", "--processes", "96"]
    for attempt in range(3):  # a run that ends before the signal lands is tried again, from scratch
        shutil.rmtree(out, ignore_errors=True)
        proc = subprocess.Popen(argv, cwd=REPO, start_new_session=True, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, preexec_fn=_ctrl_c_as_in_a_terminal)
        deadline = time.monotonic() + 240
        while not list((out / JOURNAL).rglob("*.json")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        running = proc.poll() is None
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        said = proc.communicate(timeout=120)[0].decode()
        assert running, "the run ended before any result was journalled: " + said
        assert proc.returncode == 130, said  # even when the signal came as the run finished
        if "submission(s) in" not in said:  # the summary of a finished run
            break
        assert attempt < 2, "three runs ended before the signal could interrupt them: " + said
    assert "the same command goes on from there" in said
    done = {(p.parent.name, p.stem) for p in (out / JOURNAL).rglob("*.json")}
    assert 1 <= len(done) < len(course["kinds"])
    started = len(dask.starts())
    again = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"resuming: {len(done)} of {len(course['kinds'])} submission(s) already graded" in again.stdout
    regraded = {tuple(e["key"].split("-")[3:5]) for e in dask.starts()[started:]}
    assert regraded == set(course["kinds"]) - done, "what the journal held was not graded again"
    assert (out / "grades.csv").read_text() == (course["tmp"] / "pool" / "grades.csv").read_text()


def test_a_killed_worker_loses_nothing(course, cluster_run):
    dask = course["dask"]
    started = len(dask.starts())
    box: dict = {}
    thread = threading.Thread(target=lambda: box.update(run=_on_cluster(course, "killed", fresh=True)))
    thread.start()
    victim = None
    deadline = time.monotonic() + 240
    while victim is None and thread.is_alive() and time.monotonic() < deadline:
        new = dask.starts()[started:]
        if new:
            victim = new[0]
            os.kill(victim["pid"], signal.SIGKILL)  # the worker process grading that submission, mid-run
        time.sleep(0.2)
    thread.join(timeout=300)
    assert victim is not None and "run" in box
    out, pool = course["tmp"] / "killed", course["tmp"] / "pool"
    assert (out / "grades.csv").read_text() == (pool / "grades.csv").read_text()
    report = json.loads((out / "report.json").read_text())["submissions"]
    keys = [(r["student"], r["lesson"]) for r in report]
    assert sorted(keys) == sorted(course["kinds"]) and len(set(keys)) == len(keys)
    runs = [e["key"] for e in dask.starts()[started:]]
    assert runs.count(victim["key"]) == 2, "the killed worker's submission was graded again on another"
    dask.client.wait_for_workers(2, timeout=120)  # the nanny restarts the killed worker


def test_a_submission_that_kills_two_workers_is_an_error(course, cluster_run):
    tmp, lessons = course["tmp"], course["lessons"]
    sol = solution_sources(SOURCES["02_tiny"])
    for student in ("alice", "crasher", "bob"):
        write(submission(lessons["02_tiny"], sol), tmp / "crashy" / student / "02_tiny" / "02_tiny.ipynb")
    course["dask"].client.wait_for_workers(2, timeout=120)
    run = _on_cluster(course, "crashy-out", submissions="crashy")
    rows = _rows(tmp / "crashy-out")
    assert set(rows) == {(s, "02_tiny") for s in ("alice", "bob", "crasher")}
    assert rows[("alice", "02_tiny")]["status"] == rows[("bob", "02_tiny")]["status"] == "ok"
    assert rows[("alice", "02_tiny")]["score"] == "1"
    assert rows[("crasher", "02_tiny")]["status"] == "error" and rows[("crasher", "02_tiny")]["score"] == "0"
    crasher = next(r for r in run.results if r["student"] == "crasher")
    assert "crashed the grading worker twice" in crasher["detail"], crasher["detail"]
    crashed_on = [e["worker"] for e in course["dask"].starts() if "-crasher-" in e["key"]]
    assert len(crashed_on) == 2 and len(set(crashed_on)) == 2


def test_a_worker_without_a_full_sandbox_refuses(course, tmp_path):
    lessons = course["lessons"]
    write(submission(lessons["02_tiny"], {}), tmp_path / "one" / "alice" / "02_tiny" / "02_tiny.ipynb")
    other = Dask(tmp_path)
    try:
        other.add_worker("nosandbox", SEQNLP_TEST_SANDBOX_MISSING="simulated: no network namespace on this node")
        with pytest.raises(SandboxUnavailable) as err:
            grade(GradeOptions(submissions=tmp_path / "one", out=tmp_path / "out", limits=LIMITS, source=COURSE,
                               progress=False, scheduler=other.address))
        text = str(err.value)
        assert "REFUSING TO GRADE" in text
        assert "worker nosandbox at tcp://127.0.0.1:" in text and "refuses to grade" in text
        assert "MISSING network: simulated: no network namespace on this node" in text
        assert "--unsafe" in text
        assert not [e for e in other.events() if e.get("event") == "start"], "the refusing worker took no work"
        run = grade(GradeOptions(submissions=tmp_path / "one", out=tmp_path / "unsafe", limits=LIMITS, source=COURSE,
                                 progress=False, scheduler=other.address, unsafe=True))
        assert [r["status"] for r in run.results] == ["ok"]  # --unsafe: graded with the layers it has
        report = json.loads((tmp_path / "unsafe" / "report.json").read_text())
        assert "network" in report["sandbox"]["missing"] and "network" not in report["sandbox"]["active"]
    finally:
        other.stop()


def test_refusal_message_and_local_spec():
    one = {"worker": "tcp://10.0.0.5:4000", "name": "gpu-5", "host": "node5", "pid": 42,
           "refusal": "the sandbox is incomplete"}
    assert "worker gpu-5 at tcp://10.0.0.5:4000 (host node5, pid 42) refuses to grade" in refusal_message([one], False)
    assert "the others grade" in refusal_message([one], True)
    assert parse_local("local:3") == 3
    with pytest.raises(ValueError):
        parse_local("remote:2")


def test_ctrl_c_that_lands_as_the_run_finishes_still_exits_130(monkeypatch, tmp_path, capsys):
    """A KeyboardInterrupt swallowed on the way (a finaliser, a library) must not turn Ctrl-C into success."""
    import autograder.__main__ as cli
    import autograder.grade as grade_module

    def grade_that_swallows(options):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        except KeyboardInterrupt:
            pass  # what a finaliser does with an exception it cannot raise
        return grade_module.GradeRun([{"status": "ok"}], [], [], None, 0.0, 1, tmp_path / "r.json",
                                     tmp_path / "g.csv")

    monkeypatch.setattr(grade_module, "grade", grade_that_swallows)
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal (not a background job)
    try:
        assert cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--unsafe"]) == 130
        assert "interrupted as the run finished" in capsys.readouterr().err
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, "the handler is put back"
    finally:
        signal.signal(signal.SIGINT, inherited)
