"""Grading a class on a Dask distributed cluster (``grade --scheduler tcp://HOST:8786`` or ``--cluster local:N``).

The local pool (:func:`autograder.grade._run_pool`) forks workers that share the
client's disk. Here the workers are Dask workers, possibly on other machines,
and nothing but the course itself is shared:

* :class:`GraderPlugin` is registered on every worker (and on every worker that
  joins later). On its own machine it checks the course (the same source
  notebooks, the same ``seqnlp`` package as the client's), then the sandbox
  layers (:func:`autograder.sandbox.detect_layers`). A worker that passes
  advertises the resource :data:`RESOURCE` (one unit: one sandbox at a time per
  worker process, whatever its thread count); a worker that does not refuses,
  and says why. Grading tasks need the resource, so a refusing worker never
  gets one. ``--unsafe`` lets workers with an incomplete sandbox grade.
* A submission travels as bytes (:func:`grade_remote`); the worker grades it
  with the same pipeline as the local pool (:func:`autograder.pipeline.grade_submission`)
  into a private folder and sends back plain data: the report entry, the
  gradebook rows of that submission, and the files Formgrader and the students
  need (autograded notebook, feedback page). The client writes the files and
  merges the rows into the one class gradebook exactly as the local pool does.
* Faults: a worker that dies has its task rescheduled by Dask. The scheduler is
  told to allow one such failure (``allowed_failures = 1``); a task that was
  running on two workers that died is a submission that kills its worker: it
  is ``error`` with that reason. An innocent task that only waited beside one
  is graded again on its own.
* Every result is journalled in ``<out>/.journal/`` as it arrives: an
  interrupted client re-run grades only what is not there, and what was not
  graded (``error``) again (``--fresh`` starts over).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import pickle
import shutil
import socket
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .sandbox import Layers, SandboxUnavailable, detect_layers, sandbox_uid, unsafe_layers

RESOURCE = "seqnlp-sandbox"  # advertised by a worker that may grade: one unit, one sandbox at a time
PLUGIN = "seqnlp-grader"
EVENTS = "seqnlp-grader"  # the scheduler's event topic: workers ready or refusing, gradings started
JOURNAL = ".journal"
ATTEMPTS = 3  # task submissions per submission at most (a crash beside a crashing one is forgiven once)

try:  # the worker plugin's base class; the module stays importable without distributed installed
    from distributed import WorkerPlugin as _PluginBase
except ImportError:  # pragma: no cover
    _PluginBase = object


class ClusterError(RuntimeError):
    """The cluster cannot be used as asked; the message says what to do."""


def parse_local(spec: str) -> int:
    """``local:N`` -> N (workers of a local Dask cluster)."""
    kind, _, count = spec.partition(":")
    if kind != "local" or not count.isdigit() or int(count) < 1:
        raise ValueError(f"expected local:N with N >= 1, got {spec!r}")
    return int(count)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# --------------------------------------------------------------------------- worker side

_STATE: dict[str, dict] = {}  # run id -> this worker process's grading state
_LOCK = threading.Lock()  # one grading at a time per worker process (the sandbox uid is the pid's)


def _worker_identity(worker) -> dict:
    return {"worker": worker.address, "name": str(worker.name), "host": socket.gethostname(), "pid": os.getpid()}


def _check_worker(job: dict) -> tuple[Layers | None, str]:
    """(layers to grade with, "") or (None, why this worker refuses)."""
    from .helperbuild import source_hash

    for lesson, (path, digest) in job["course"].items():
        p = Path(path)
        if not p.is_file():
            return None, (f"the course is not on this machine: {p} (lesson {lesson}) does not exist; give the workers "
                          "the course at the same path (a shared filesystem or the same container image, "
                          "docs/GRADING.md 'Grading on a cluster')")
        if file_sha256(p) != digest:
            return None, (f"{p} (lesson {lesson}) differs from the client's copy: workers must have the same "
                          "course as the client")
    if source_hash() != job["seqnlp"]:
        return None, ("this worker's seqnlp package differs from the client's: install the same version of the "
                      "course repository on every worker")
    layers = detect_layers(job["limits"])
    if not layers.complete:
        if not job["unsafe"]:
            return None, "the sandbox is incomplete on this machine:\n" + layers.describe()
        return unsafe_layers(layers), ""
    return layers, ""


def prepare_worker(job: dict) -> dict:
    """This worker process's grading state for one run (see :class:`GraderPlugin`)."""
    layers, refusal = _check_worker(job)
    state = {"ok": layers is not None, "refusal": refusal, "layers": layers, "unsafe": False}
    if layers is None:
        return state
    from .feedback import FeedbackWriter
    from .grade import _quiet_warnings
    from .gradebook import fast_gradebook_creation

    _quiet_warnings()
    context = pickle.loads(job["context"])
    fast_gradebook_creation()
    scratch = Path(tempfile.mkdtemp(prefix="seqnlp-worker-"))
    db = scratch / "gradebook.db"
    db.write_bytes(context["template"])
    writer = None
    if context["feedback"]:
        writer = FeedbackWriter(context["config"])
        writer.warm_up()
    state.update(scratch=scratch, db=db, lessons=context["lessons"], config=context["config"],
                 limits=job["limits"], feedback=writer, unsafe=not layers.complete)
    return state


class GraderPlugin(_PluginBase):
    """Checks a worker before it takes work, and holds what its gradings share (one run of the client)."""

    name = PLUGIN

    def __init__(self, run_id: str, job: dict):
        self.run_id = run_id
        self.job = job

    async def setup(self, worker) -> None:
        for old in [key for key in _STATE if key != self.run_id]:  # an earlier run's state on this worker
            shutil.rmtree(_STATE.pop(old).get("scratch") or "/nonexistent", ignore_errors=True)
        try:
            state = await asyncio.to_thread(prepare_worker, self.job)
        except Exception as err:  # noqa: BLE001 - a refusal with the reason, never a silent worker
            state = {"ok": False, "refusal": f"the worker could not prepare grading: {type(err).__name__}: {err}",
                     "layers": None, "unsafe": False}
        state.update(_worker_identity(worker))
        _STATE[self.run_id] = state
        await worker.set_resources(**{RESOURCE: 1 if state["ok"] else 0})
        worker.log_event(EVENTS, {"run": self.run_id, "event": "ready" if state["ok"] else "refused",
                                  **_public_status(state)})

    async def teardown(self, worker) -> None:
        state = _STATE.pop(self.run_id, None)
        if state and state.get("scratch"):
            shutil.rmtree(state["scratch"], ignore_errors=True)
        await worker.set_resources(**{RESOURCE: 0})


def _public_status(state: dict) -> dict:
    layers = state.get("layers")
    return {"worker": state.get("worker"), "name": state.get("name"), "host": state.get("host"),
            "pid": state.get("pid"), "ok": state["ok"],
            "refusal": state.get("refusal", ""), "unsafe": state.get("unsafe", False),
            "layers": None if layers is None else {"mode": layers.mode, "active": list(layers.active),
                                                   "missing": dict(layers.missing)}}


def worker_status(run_id: str, dask_worker=None) -> dict:
    """For ``Client.run``: this worker's check for the run (None until the plugin has run here)."""
    state = _STATE.get(run_id)
    return None if state is None else _public_status(state)


def plain_grades(db: Path, student: str, lesson: str) -> dict:
    """One submission's rows of a gradebook as plain data (:func:`autograder.gradebook.plain_rows`)."""
    from nbgrader.api import Gradebook

    from .gradebook import db_url, plain_rows

    with Gradebook(db_url(db)) as gb:
        return plain_rows(gb.find_submission_notebook(lesson, lesson, student))


def _grade_locally(sub, ctx) -> dict:
    """The pipeline, as the local pool runs it (a separate function so that tests can replace it on workers)."""
    from .pipeline import grade_submission

    return grade_submission(sub, ctx, slot_uid=sandbox_uid())


def grade_remote(run_id: str, task: dict) -> dict:
    """Grade one submission sent as bytes; return plain data: ``{"result", "gradebook", "files", "worker"}``.

    ``task``: ``notebook`` (bytes), ``student``, ``lesson``, ``origin``, ``name``, ``timestamp``, ``lms``,
    ``nbgrader_files`` ({file name: text} of nbgrader's files beside the notebook), ``key`` (for the start event).
    """
    from distributed import get_worker

    from .pipeline import WorkerContext
    from .submissions import Submission

    worker = get_worker()
    state = _STATE.get(run_id)
    if state is None or not state["ok"]:
        why = "the grading plugin has not run here" if state is None else state["refusal"]
        raise ClusterError(f"worker {worker.address} refuses to grade: {why}")
    with _LOCK:
        worker.log_event(EVENTS, {"run": run_id, "event": "start", "key": task["key"], "worker": worker.address,
                                  "pid": os.getpid()})
        work = Path(tempfile.mkdtemp(prefix="sub-", dir=state["scratch"]))
        try:
            folder = work / "in" / task["student"] / task["lesson"]
            folder.mkdir(parents=True)
            path = folder / f"{task['lesson']}.ipynb"
            path.write_bytes(task["notebook"])
            for name, text in task["nbgrader_files"].items():
                (folder / Path(name).name).write_text(text, encoding="utf-8")
            sub = Submission(student=task["student"], lesson=task["lesson"], path=path, origin=task["origin"],
                             name=task["name"], timestamp=task["timestamp"], lms=tuple(task["lms"]))
            out = work / "out"
            out.mkdir()
            ctx = WorkerContext(lessons=state["lessons"], db=state["db"], out_dir=out, layers=state["layers"],
                                limits=state["limits"], config=state["config"], feedback=state["feedback"])
            result = _grade_locally(sub, ctx)
            gradebook = None
            if result.get("db"):
                try:
                    gradebook = plain_grades(state["db"], sub.student, sub.lesson)
                except Exception:  # noqa: BLE001 - no rows: merged as zero, like the local pool's failures
                    gradebook = None
            result["db"] = ""
            files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
            return {"result": result, "gradebook": gradebook, "files": files, "worker": worker.address}
        finally:
            shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- scheduler side


def _set_allowed_failures(value: int, dask_scheduler=None) -> int:
    old = dask_scheduler.allowed_failures
    dask_scheduler.allowed_failures = value
    return old


def _task_states(keys: list[str], dask_scheduler=None) -> dict[str, str]:
    return {k: dask_scheduler.tasks[k].state for k in keys if k in dask_scheduler.tasks}


# --------------------------------------------------------------------------- client side


def _safe_relative(name: str) -> Path | None:
    rel = Path(name)
    if rel.is_absolute() or not rel.parts or any(part in ("", ".", "..") for part in rel.parts):
        return None
    if rel.parts[0] not in ("feedback", "autograded"):
        return None
    return rel


def write_files(out: Path, files: dict[str, bytes]) -> list[str]:
    """Write a worker's output files under ``out`` (only feedback/ and autograded/, no escaping paths)."""
    written = []
    for name, data in files.items():
        rel = _safe_relative(name)
        if rel is None:
            continue
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)
        written.append(str(rel))
    return written


def lesson_fingerprint(lesson) -> str:
    """What a journalled grade depends on in the lesson: its cells, sources (hidden tests included) and points."""
    cells = [(c.grade_id, c.cell_type, c.points, c.full_source, c.released_source, c.locked, c.grade, c.solution)
             for c in (lesson.cells[g] for g in lesson.order)]
    return hashlib.sha256(json.dumps(cells).encode()).hexdigest()


def manual_marks(template: Path, keys: list[tuple[str, str]]) -> dict[tuple[str, str], list]:
    """The hand-graded scores and comments seeded for each (student, lesson): a journalled page shows them."""
    from .gradebook import hand_marks

    marks = hand_marks(template, keys)
    return {key: sorted([*scores.items(), *notes.items()]) for key, (scores, notes) in marks.items()}


@dataclass
class Journal:
    """``<out>/.journal/<student>/<lesson>.json``: each graded submission, written as its result arrives."""

    root: Path

    def path(self, student: str, lesson: str) -> Path:
        return self.root / student / f"{lesson}.json"

    def get(self, student: str, lesson: str, stamp: dict, out: Path) -> dict | None:
        path = self.path(student, lesson)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if entry.get("stamp") != stamp or not all((out / f).is_file() for f in entry.get("files", [])):
            return None
        return entry

    def put(self, student: str, lesson: str, stamp: dict, result: dict, gradebook, files: list[str]) -> None:
        path = self.path(student, lesson)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(json.dumps({"stamp": stamp, "result": result, "gradebook": gradebook, "files": files},
                                  default=str), encoding="utf-8")
        tmp.replace(path)


@dataclass
class ClusterRun:
    """What the cluster run adds to a :class:`autograder.grade.GradeRun`."""

    results: list[dict]
    layers: Layers
    workers: int
    address: str = ""
    refused: list[dict] = field(default_factory=list)
    resumed: int = 0
    regraded: list[str] = field(default_factory=list)  # submissions graded again after a worker died


def connect(options):
    """(client, local cluster or None) for ``options.scheduler`` / ``options.cluster``."""
    import dask
    from distributed import Client, LocalCluster

    dask.config.set({"distributed.scheduler.allowed-failures": 1})
    if options.cluster:
        cluster = LocalCluster(n_workers=int(options.cluster), threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=40)
        return Client(cluster), cluster
    try:
        return Client(options.scheduler, timeout=30), None
    except (OSError, TimeoutError) as err:
        raise ClusterError(f"cannot reach the Dask scheduler at {options.scheduler}: {err}; start it with "
                           "`dask scheduler` (docs/GRADING.md 'Grading on a cluster')") from err


def _describe(status: dict) -> str:
    name = status.get("name")
    named = f"{name} at " if name and name != status.get("worker") else ""
    return f"worker {named}{status.get('worker')} (host {status.get('host')}, pid {status.get('pid')})"


def refusal_message(refused: list[dict], any_ready: bool) -> str:
    lines = []
    for status in refused:
        reason = (status.get("refusal") or "").replace("\n", "\n    ")
        lines.append(f"  {_describe(status)} refuses to grade: {reason}")
    if any_ready:
        return "these Dask workers refuse to grade (the others grade):\n" + "\n".join(lines)
    return ("REFUSING TO GRADE: no Dask worker can grade.\n" + "\n".join(lines)
            + "\nStudent code would run with the worker's rights. Fix the missing layers on the workers' machines "
              "(docs/GRADING.md, 'Grading on a cluster'), or pass --unsafe to grade anyway (only for code you trust).")


def run_cluster(subs, options, lessons, sources: dict[str, Path], config, scratch: Path, out: Path,
                say) -> ClusterRun:
    """Grade ``subs`` on the cluster; results in the order of ``subs`` (see the module docstring)."""
    from distributed import KilledWorker, wait

    from .formgrader import submission_files
    from .helperbuild import source_hash

    journal = Journal(out / JOURNAL)
    if options.fresh:
        shutil.rmtree(journal.root, ignore_errors=True)
    template = scratch / "template.db"
    marks = manual_marks(template, [(s.student, s.lesson) for s in subs]) if subs else {}
    prints = {name: lesson_fingerprint(info) for name, info in lessons.items()}
    limits_key = json.dumps(options.limits.as_dict(), sort_keys=True)

    def stamp(sub) -> dict:
        return {"sha256": sub.sha256(), "lesson": prints[sub.lesson], "limits": limits_key,
                "unsafe": bool(options.unsafe), "feedback": bool(options.feedback),
                "manual": json.dumps(marks.get((sub.student, sub.lesson), []), default=str),
                "origin": sub.origin, "name": sub.display_name}

    results: dict[tuple[str, str], dict] = {}
    stamps = {(s.student, s.lesson): stamp(s) for s in subs}
    for sub in subs:
        entry = journal.get(sub.student, sub.lesson, stamps[(sub.student, sub.lesson)], out)
        if entry is not None:
            result = entry["result"]
            result["gradebook"] = entry["gradebook"]
            results[(sub.student, sub.lesson)] = result
    resumed = len(results)
    todo = [s for s in subs if (s.student, s.lesson) not in results]

    client, cluster = connect(options)
    run_id = uuid.uuid4().hex[:12]
    old_failures = None
    try:
        address = client.scheduler.address
        old_failures = client.run_on_scheduler(_set_allowed_failures, 1)
        course = {name: (str(Path(src).resolve()), file_sha256(src)) for name, src in sources.items()
                  if name in lessons}
        context = pickle.dumps({"template": template.read_bytes(), "lessons": lessons, "config": config,
                                "feedback": bool(options.feedback)})
        job = {"course": course, "seqnlp": source_hash(), "limits": options.limits, "unsafe": bool(options.unsafe),
               "context": context}
        if not client.scheduler_info()["workers"]:
            say("waiting for Dask workers to connect to " + address)
            client.wait_for_workers(1, timeout=120)
        client.register_plugin(GraderPlugin(run_id, job), name=PLUGIN)
        statuses = [s for s in client.run(worker_status, run_id).values() if s is not None]
        ready = [s for s in statuses if s["ok"]]
        refused = [s for s in statuses if not s["ok"]]
        if refused:
            if ready:
                say(refusal_message(refused, True))
            else:
                raise SandboxUnavailable(refusal_message(refused, False))
        if not ready:
            raise ClusterError(f"no Dask worker at {address} answered the grading check")
        first = ready[0]["layers"]
        layers = Layers(active=list(first["active"]), missing=dict(first["missing"]), mode=first["mode"])
        unsafe = [s for s in ready if s["unsafe"]]
        if unsafe:
            print("!" * 78 + "\nWARNING: grading with --unsafe; student code is NOT fully isolated on:\n"
                  + "\n".join(f"  {_describe(s)}: missing {', '.join(s['layers']['missing'])}" for s in unsafe)
                  + "\n" + "!" * 78, file=sys.stderr, flush=True)
        if resumed:
            say(f"  resuming: {resumed} of {len(subs)} submission(s) already graded in {journal.root} "
                "(--fresh grades them again)")
        seen_refusals = {s["worker"] for s in refused}
        names: dict[str, str] = {}  # task key -> student/lesson
        progress = None
        if options.progress and todo:
            from tqdm.auto import tqdm

            progress = tqdm(total=len(todo), unit="nb", desc=f"grading on {address} ({len(ready)} workers)",
                            dynamic_ncols=True)

        def emit(message: str) -> None:
            say(message) if progress is None else progress.write(message)

        def finish(sub, result: dict, gradebook, files: list[str]) -> None:
            key = (sub.student, sub.lesson)
            if result["status"] != "error":  # not graded (a crash, a grader failure): a re-run tries again
                journal.put(sub.student, sub.lesson, stamps[key],
                            {k: v for k, v in result.items() if k != "gradebook"}, gradebook, files)
            result["gradebook"] = gradebook
            results[key] = result
            if progress is not None:
                progress.update(1)
                progress.set_postfix_str(f"{sub.student}/{sub.lesson}: {result['status']}")
            if result["status"] != "ok":
                emit(f"  {sub.student} {sub.lesson}: {result['status']} "
                     f"({result['score']:g}/{result['max_score']:g}) {result['detail']}"[:300])

        def task_of(sub, attempt: int) -> tuple[str, dict]:
            key = f"seqnlp-grade-{run_id}-{sub.student}-{sub.lesson}-{attempt}"
            names[key] = f"{sub.student}/{sub.lesson}"
            return key, {"notebook": Path(sub.path).read_bytes(), "student": sub.student, "lesson": sub.lesson,
                         "origin": sub.origin, "name": sub.name, "timestamp": sub.timestamp, "lms": list(sub.lms),
                         "nbgrader_files": submission_files(sub), "key": key}

        def starts() -> dict[str, list[str]]:
            found: dict[str, list[str]] = {}
            for _, msg in client.get_events(EVENTS):
                if isinstance(msg, dict) and msg.get("run") == run_id and msg.get("event") == "start":
                    found.setdefault(msg["key"], []).append(msg["worker"])
            return found

        def capacity() -> int:
            workers = client.scheduler_info(n_workers=-1)["workers"].values()
            return sum(1 for w in workers if (w.get("resources") or {}).get(RESOURCE, 0) >= 1)

        pending = [(sub, 1) for sub in todo]
        running: dict = {}  # future -> (submission, attempt)
        last_check = time.monotonic()
        waiting_said = False
        try:
            while pending or running:
                slots = capacity()
                if slots == 0 and not waiting_said:
                    emit(f"  no worker that may grade is connected to {address}: waiting for one")
                    waiting_said = True
                elif slots:
                    waiting_said = False
                while pending and len(running) < max(slots, 1):
                    sub, attempt = pending.pop(0)
                    key, task = task_of(sub, attempt)
                    future = client.submit(grade_remote, run_id, task, key=key, resources={RESOURCE: 1},
                                           pure=False, retries=0)
                    running[future] = (sub, attempt)
                try:
                    finished, _ = wait(list(running), timeout=2, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    finished = []
                for future in finished:
                    sub, attempt = running.pop(future)
                    if future.status == "finished":
                        reply = future.result()
                        files = write_files(out, reply["files"])
                        finish(sub, reply["result"], reply["gradebook"], files)
                        continue
                    err = future.exception()
                    name = f"{sub.student}/{sub.lesson}"
                    if isinstance(err, KilledWorker):
                        ran_on = starts().get(future.key, [])
                        if len(ran_on) >= 2 or attempt >= ATTEMPTS:
                            finish(sub, crash_result(sub, lessons, ran_on), None, [])
                        else:  # it only waited beside a crashing submission: graded again, alone
                            emit(f"  a grading worker died while {name} waited on it: it is graded again")
                            pending.insert(0, (sub, attempt + 1))
                    elif attempt < ATTEMPTS and "refuses to grade" in str(err):
                        pending.insert(0, (sub, attempt + 1))
                    else:
                        finish(sub, failure_result(sub, lessons, err), None, [])
                now = time.monotonic()
                if now - last_check > 5 and running:
                    last_check = now
                    for _, msg in client.get_events(EVENTS):  # workers that joined during the run
                        if isinstance(msg, dict) and msg.get("run") == run_id and msg.get("event") == "refused" \
                                and msg.get("worker") not in seen_refusals:
                            seen_refusals.add(msg["worker"])
                            emit(refusal_message([msg], True))
                    if capacity():  # all that could run them died: the scheduler keeps them waiting: resubmit
                        states = client.run_on_scheduler(_task_states, [f.key for f in running])
                        for future in [f for f in running if states.get(f.key) == "no-worker"]:
                            sub, attempt = running.pop(future)
                            future.cancel()
                            pending.insert(0, (sub, attempt + 1))
        finally:
            if progress is not None:
                progress.close()
        regraded = sorted({names[key] for key, workers in starts().items() if key in names and len(workers) > 1})
        crashed = {f"{r['student']}/{r['lesson']}" for r in results.values() if "crashed the grading worker" in
                   r.get("detail", "")}
        for name in regraded:
            if name not in crashed:
                say(f"  a grading worker died while grading {name}: it was graded again on another worker")
        return ClusterRun([results[(s.student, s.lesson)] for s in subs], layers, len(ready), address, refused,
                          resumed, regraded)
    finally:
        try:
            if old_failures is not None and cluster is None and old_failures != 1:
                client.run_on_scheduler(_set_allowed_failures, old_failures)
            try:
                client.unregister_worker_plugin(PLUGIN)
            except Exception:  # noqa: BLE001 - workers may be gone already
                pass
        finally:
            try:
                client.close()
            except Exception as err:  # noqa: BLE001 - e.g. a loop thread slow to stop after Ctrl-C: the
                # run's own outcome (its results, or the interrupt and its exit status 130) must not be hidden
                say(f"  the Dask client did not close cleanly ({type(err).__name__}: {err}); nothing was lost")
            if cluster is not None:
                cluster.close()


def _empty_result(sub, lessons, detail: str) -> dict:
    lesson = lessons[sub.lesson]
    return {
        "student": sub.student, "lesson": sub.lesson, "origin": sub.origin, "db": "", "status": "error",
        "detail": detail, "score": 0.0, "max_score": lesson.max_score,
        "auto_score": 0.0, "auto_max_score": lesson.auto_max_score,
        "manual_score": None, "manual_max_score": lesson.manual_max_score, "manual_pending": 0,
        "written": {}, "seconds": 0.0, "execute_seconds": 0.0, "overhead_seconds": 0.0, "cells": [],
    }


def crash_result(sub, lessons, workers: list[str]) -> dict:
    where = f" ({', '.join(workers)})" if workers else ""
    return _empty_result(sub, lessons, f"this submission crashed the grading worker twice{where}; the other "
                                       "submissions were graded")


def failure_result(sub, lessons, err: BaseException) -> dict:
    return _empty_result(sub, lessons, f"the grader failed on the cluster: {type(err).__name__}: {err}"[:500])
