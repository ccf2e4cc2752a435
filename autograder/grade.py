"""Grading a class: find submissions, grade them in parallel sandboxes, merge, report.

nbgrader cannot autograde in parallel (its issue #174): its gradebook is one
SQLite file and its apps grade one submission at a time. Here every worker
process grades into its own copy of the lesson gradebook; when all are done,
the results are merged into the class gradebook ``<out>/gradebook.db`` and
``grades.csv`` is exported from it. Scores cannot depend on the number of
workers: every kernel gets the same environment, seed and thread count.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from .lessons import LESSONS, source_notebook
from .sandbox import Layers, Limits, SandboxUnavailable, detect_layers, sandbox_uid, unsafe_layers
from .submissions import LessonNames, Submission, SubmissionsError, collect


class GradingError(RuntimeError):
    """The class cannot be graded as asked; the message says what to do."""


@dataclass
class GradeOptions:
    submissions: Path
    out: Path = Path("graded")
    lessons: list[str] | None = None
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    limits: Limits = field(default_factory=Limits)
    unsafe: bool = False
    source: Path | None = None  # a course's source folder; default: the repository's solutions/
    fresh: bool = False
    progress: bool = True
    feedback: bool = True
    prestart: bool = True  # each worker starts its next submission's kernel while the current one runs
    export: tuple[str, ...] = ()  # LMS import files to write beside grades.csv: "canvas", "moodle"
    duedates: dict = field(default_factory=dict)  # {lesson: due date (naive UTC)} stored in the gradebook
    scheduler: str | None = None  # a Dask scheduler's address (tcp://HOST:8786): grade on its workers
    cluster: int | None = None  # workers of a local Dask cluster started for this run (--cluster local:N)

    @property
    def on_cluster(self) -> bool:
        return bool(self.scheduler or self.cluster)


@dataclass
class GradeRun:
    results: list[dict]
    rows: list[dict]
    skipped: list[tuple[str, str]]
    layers: Layers
    wall_seconds: float
    workers: int
    report_path: Path
    csv_path: Path


def course_sources(source: Path | None) -> dict[str, Path]:
    """``{lesson: source notebook}`` for the course (the repository's, or a folder of ``<name>/<name>.ipynb``).

    The class grader grades one notebook per assignment: an assignment folder of ``source``
    with several notebooks is refused with a message naming it (nbgrader's own
    ``autograde`` grades those).
    """
    if source is None:
        return {lesson: source_notebook(lesson) for lesson in LESSONS if source_notebook(lesson).is_file()}
    source = Path(source)
    if not source.is_dir():
        raise GradingError(f"course source folder {source} does not exist")
    found = {}
    for d in sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith(".")):
        notebooks = sorted(p.name for p in d.glob("*.ipynb") if p.is_file())
        if len(notebooks) > 1:
            raise GradingError(
                f"assignment folder {d} has {len(notebooks)} notebooks ({', '.join(notebooks)}): the class grader "
                f"grades one notebook per assignment, named {d.name}.ipynb. Grade multi-notebook assignments with "
                "nbgrader's own `nbgrader autograde` (docs/GRADING.md, 'Other courses')")
        if notebooks == [f"{d.name}.ipynb"]:
            found[d.name] = d / notebooks[0]
        elif notebooks:
            raise GradingError(f"assignment folder {d} holds {notebooks[0]}: name it {d.name}.ipynb "
                               "(the notebook of an assignment is named after its folder)")
    if not found:
        raise GradingError(f"{source} holds no assignment folder <name>/<name>.ipynb: nothing to grade")
    return found


# --------------------------------------------------------------------------- workers

_WORKER: dict = {}


def _quiet_warnings() -> None:
    """nbgrader's gradebook code triggers SQLAlchemy warnings that mean nothing to an instructor."""
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)


def _worker_init(template: str, scratch: str, shared: dict) -> None:
    from multiprocessing.util import Finalize

    from .gradebook import new_worker_gradebook
    from .pipeline import KernelPool, WorkerContext

    db = new_worker_gradebook(Path(template), Path(scratch) / f"worker-{os.getpid()}.db")
    ctx = WorkerContext(
        lessons=shared["lessons"], db=db, out_dir=shared["out"], layers=shared["layers"],
        limits=shared["limits"], config=shared["config"],
    )
    ctx.feedback = shared["feedback"]  # built and warmed up once, before the workers forked
    if shared["prestart"]:
        ctx.kernels = KernelPool(ctx)
        Finalize(ctx.kernels, ctx.kernels.close, exitpriority=10)  # a kernel started ahead never outlives its worker
    _WORKER["ctx"] = ctx


def _worker_grade(sub: Submission, next_sub: Submission | None = None) -> dict:
    """Grade ``sub``; ``next_sub`` is what this worker gets next (its kernel is started during ``sub``)."""
    from .pipeline import grade_submission

    return grade_submission(sub, _WORKER["ctx"], slot_uid=sandbox_uid(), next_sub=next_sub)


# --------------------------------------------------------------------------- orchestration


def _say(message: str, progress) -> None:
    if progress is not None:
        progress.write(message)
    else:
        print(message, flush=True)


def grade(options: GradeOptions) -> GradeRun:
    """Grade every submission under ``options.submissions``; see the module docstring."""
    from .gradebook import (
        apply_late_policy,
        copy_gradebook,
        export_csv,
        merge_into,
        prepare_lessons,
        refresh_results,
        scratch_gradebook,
        seed_manual_grades,
        set_student_names,
    )
    from .gradebook import course_config as load_config

    _quiet_warnings()
    started = time.monotonic()
    sources = course_sources(options.source)
    if not sources:
        raise GradingError("no lesson has a source notebook (solutions/<lesson>/<lesson>.ipynb): nothing to grade")
    names = LessonNames(list(sources))
    selected = list(sources)
    if options.lessons:
        selected = []
        for name in options.lessons:
            lesson = names.resolve(name)
            if lesson is None:
                raise GradingError(f"unknown lesson {name!r}: use a number or one of {', '.join(sources)}")
            selected.append(lesson)

    scratch = Path(tempfile.mkdtemp(prefix="seqnlp-grade-"))
    try:
        try:
            found = collect(Path(options.submissions), list(sources), scratch,
                            only=selected[0] if len(selected) == 1 else None)
        except SubmissionsError as err:
            raise GradingError(str(err)) from err
        subs = [s for s in found.submissions if s.lesson in selected]
        skipped = list(found.skipped) + [(s.origin, f"lesson {s.lesson} not selected (--lessons)")
                                         for s in found.submissions if s.lesson not in selected]

        config = load_config()
        needed = sorted({s.lesson for s in subs})
        # the lessons' template gradebook (scratch) is written while a throw-away sandbox checks this machine's
        # layers (on a cluster, student code runs on the workers only: each one checks its own sandbox)
        # ... and the feedback templates are compiled (seconds of imports) while that sandbox runs
        with ThreadPoolExecutor(1) as checker:
            checking = None if options.on_cluster else checker.submit(_local_layers, options)
            lessons = prepare_lessons({name: sources[name] for name in needed},
                                      scratch_gradebook(scratch / "template.db"), config)
            writer = _feedback_writer(config) if options.feedback and subs and not options.on_cluster else None
            layers = Layers(mode="cluster") if checking is None else checking.result()

        out = Path(options.out)
        out.mkdir(parents=True, exist_ok=True)
        class_db = out / "gradebook.db"
        if options.fresh:
            for stale in (class_db, out / "grades.csv", out / "report.json"):
                stale.unlink(missing_ok=True)
            shutil.rmtree(out / "feedback", ignore_errors=True)
        try:
            if class_db.exists():
                prepare_lessons({name: sources[name] for name in needed}, class_db, config)
            else:  # what prepare_lessons would write into a new one: the template as it is now
                copy_gradebook(scratch / "template.db", class_db)
        except RuntimeError as err:
            raise GradingError(f"{class_db} was graded with a different version of a lesson ({err}); "
                               "grade into a new --out folder or pass --fresh") from err

        # what was graded by hand before counts in this run's feedback pages and totals
        seed_manual_grades(class_db, scratch / "template.db", [(s.student, s.lesson) for s in subs])
        workers = min(options.workers, max(1, len(subs)))
        if options.on_cluster and subs:
            from .cluster import run_cluster

            on = run_cluster(subs, options, lessons, {name: sources[name] for name in needed}, config, scratch, out,
                             lambda message: _say(message, None))
            results, layers, workers = on.results, on.layers, on.workers
        else:
            results = _run_pool(subs, options, lessons, layers, config, scratch, out, writer)
        from .formgrader import save_missing_autograded

        save_missing_autograded(out, subs, results, lessons)  # Formgrader lists every submission
        for sub, result in zip(subs, results, strict=True):  # the names and LMS ids the input used
            result.update(name=sub.display_name, lms=sub.lms_info, timestamp=result.get("timestamp") or sub.timestamp)
        merge_into(class_db, results)
        for result in results:  # a cluster's plain-data gradebook rows are in the class gradebook now
            result.pop("gradebook", None)
        set_student_names(class_db, {s.student: s.display_name for s in subs})
        duedates = {}
        for name, when in options.duedates.items():
            lesson = names.resolve(name)
            if lesson is None:
                raise GradingError(f"--duedate names unknown lesson {name!r}: use one of {', '.join(sources)}")
            duedates[lesson] = when
        late = apply_late_policy(class_db, config, duedates)
        for result in results:
            result["seconds_late"] = late.get((result["student"], result["lesson"]), 0.0)
        refresh_results(class_db, results)  # report.json says what grades.csv says (manual scores kept included)
        rows = export_csv(class_db, out / "grades.csv")
        for kind in options.export:
            from .lms import export as lms_export

            for path in lms_export(kind, rows, subs, out):
                print(f"wrote {path} ({kind} import)")
        from .classreport import write_class_report
        from .similarity import similarity_for_run

        # the two reports for the instructor are written side by side (a forked child draws the class
        # report's plots), and neither may ever cost the grades already saved
        class_report = _report_in_child("class report", write_class_report, results, lessons, out)
        _report("similarity report", similarity_for_run, [(s.student, s.lesson, s.path) for s in subs], lessons,
                out, sources)
        _wait_for_report(class_report)
        wall = time.monotonic() - started
        run = GradeRun(results, rows, skipped, layers, wall, workers, out / "report.json", out / "grades.csv")
        from .report import print_summary, write_report

        write_report(run, options, lessons)
        print_summary(run, lessons)
        return run
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _report(what: str, write, *args) -> bool:
    """Write one of the instructor's reports; a failure is a warning, never the end of the run."""
    try:
        write(*args)
        return True
    except Exception as err:  # noqa: BLE001
        print(f"warning: the {what} could not be written ({type(err).__name__}: {err})", file=sys.stderr,
              flush=True)
        return False


def _report_in_child(what: str, write, *args):
    """:func:`_report` in a forked child, so that it runs beside the parent's next report; ``None``: run here."""
    try:
        child = multiprocessing.get_context("fork").Process(target=_report_child, args=(what, write, *args),
                                                             name=f"seqnlp {what}", daemon=True)
        child.start()
    except (OSError, ValueError):  # no fork here (or no room for one): write it in this process
        _report(what, write, *args)
        return None
    return what, child


def _report_child(what: str, write, *args) -> None:
    sys.exit(0 if _report(what, write, *args) else 1)


def _wait_for_report(started) -> None:
    if started is None:
        return
    what, child = started
    child.join()
    if child.exitcode not in (0, 1):  # 1: the child printed its own warning
        print(f"warning: the {what} could not be written (its process ended with {child.exitcode})",
              file=sys.stderr, flush=True)


def _feedback_writer(config):
    """The feedback pages' writer, its templates loaded and compiled (before workers fork: they share it)."""
    from .feedback import FeedbackWriter

    writer = FeedbackWriter(config)
    writer.warm_up()
    return writer


def _local_layers(options: GradeOptions) -> Layers:
    """The sandbox layers of this machine, or :class:`SandboxUnavailable` (unless ``--unsafe``)."""
    layers = detect_layers(options.limits)
    if not layers.complete:
        if not options.unsafe:
            raise SandboxUnavailable(
                "REFUSING TO GRADE: the sandbox is incomplete on this machine.\n" + layers.describe()
                + "\nStudent code would run with your rights. Fix the missing layers (docs/GRADING.md), "
                "or pass --unsafe to grade anyway (only for code you trust)."
            )
        layers = unsafe_layers(layers)
        print("!" * 78 + "\nWARNING: grading with --unsafe; student code is NOT fully isolated.\n"
              + layers.describe() + "\n" + "!" * 78, file=sys.stderr, flush=True)
    return layers


def _run_pool(subs: list[Submission], options: GradeOptions, lessons, layers, config, scratch: Path,
              out: Path, writer=None) -> list[dict]:
    if not subs:
        return []
    workers = max(1, min(options.workers, len(subs)))
    if options.feedback and writer is None:
        writer = _feedback_writer(config)
    shared = {"lessons": lessons, "out": out, "layers": layers, "limits": options.limits, "config": config,
              "feedback": writer, "prestart": options.prestart}
    progress = None
    if options.progress:
        from tqdm.auto import tqdm

        progress = tqdm(total=len(subs), unit="nb", desc=f"grading ({workers} workers)", dynamic_ncols=True)
    results: dict[tuple[str, str], dict] = {}
    initargs = (str(scratch / "template.db"), str(scratch), shared)

    def done(sub: Submission, result: dict) -> None:
        results[(sub.student, sub.lesson)] = result
        if progress is not None:
            progress.update(1)
            progress.set_postfix_str(f"{sub.student}/{sub.lesson}: {result['status']}")
        if result["status"] != "ok":
            _say(f"  {sub.student} {sub.lesson}: {result['status']} "
                 f"({result['score']:g}/{result['max_score']:g}) {result['detail']}"[:300], progress)

    try:
        todo = list(subs)
        suspects: list[Submission] = []
        while todo:  # a crashed worker breaks the pool: its in-flight submissions become suspects
            crashed = _pool_round(todo, workers, initargs, done)
            suspects += crashed
            todo = [s for s in todo if (s.student, s.lesson) not in results and s not in crashed]
            if crashed:
                _say(f"  a grading worker died while grading {', '.join(f'{s.student}/{s.lesson}' for s in crashed)}"
                     "; they are graded again one at a time, the others go on", progress)
        for sub in suspects:  # alone in a fresh worker: a second crash is that submission's own
            if not _pool_round([sub], 1, initargs, done):
                continue
            done(sub, {
                "student": sub.student, "lesson": sub.lesson, "origin": sub.origin, "db": "", "status": "error",
                "detail": "this submission crashed the grading worker twice (once alone); the other "
                          "submissions were graded", "score": 0.0, "max_score": lessons[sub.lesson].max_score,
                "auto_score": 0.0, "auto_max_score": lessons[sub.lesson].auto_max_score,
                "manual_score": None, "manual_max_score": lessons[sub.lesson].manual_max_score, "manual_pending": 0,
                "written": {},
                "seconds": 0.0, "execute_seconds": 0.0, "overhead_seconds": 0.0, "cells": [],
            })
    finally:
        if progress is not None:
            progress.close()
    return [results[(s.student, s.lesson)] for s in subs]


def _pool_round(todo: list[Submission], workers: int, initargs: tuple, done) -> list[Submission]:
    """Grade ``todo`` with at most ``workers`` submissions in flight; return those in flight when a worker died.

    Each submission handed to a worker comes with the one that worker gets next (``next_sub``,
    taken from the queue then), so that it can start that one's kernel while it grades: a
    *lane*. When a worker finishes, it is the only idle one, so the lane's next submission is
    the task it picks up. (Should two workers finish at once and swap lanes, each kills the
    kernel it started ahead and starts the right one: slower, never wrong.)
    """
    ctx = multiprocessing.get_context("fork")
    pending = list(todo)
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init, initargs=initargs) as pool:
        running: dict = {}
        lanes: list[Submission] = []  # the next submission of each lane whose worker is idle

        def submit(sub: Submission) -> None:
            after = pending.pop(0) if pending else None
            running[pool.submit(_worker_grade, sub, after)] = (sub, after)

        try:
            while pending and len(running) < workers:
                submit(pending.pop(0))
            while running:
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in finished:
                    result = future.result()  # raises BrokenProcessPool when a worker died
                    sub, after = running.pop(future)
                    done(sub, result)
                    if after is not None:
                        lanes.append(after)
                while lanes:
                    submit(lanes.pop(0))
        except BrokenProcessPool:
            return [sub for sub, _ in running.values()]
    return []
