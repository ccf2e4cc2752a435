"""Grading one submission, start to finish, inside a worker process.

Grading is a short list of named steps (:data:`STEPS`), each a small class
with one ``run(grading)`` method, composed the way nbgrader composes its
preprocessors. They pass one :class:`Grading` along and fill in its
:class:`SubmissionResult`:

``read``      the notebook, or ``invalid-notebook`` (zero, a problem page);
``sandbox``   the sandbox and its kernel, which boots while the next steps run (or was
              started ahead, while the worker's previous submission ran: :class:`KernelPool`);
``restore``   the lesson's nbgrader cells as released: unknown or duplicated
              metadata stripped, missing cells put back (``cells-missing``),
              edited or re-typed locked cells noted (``cells-restored``);
``sanitize``  nbgrader's ``ClearOutput``, ``OverwriteKernelspec``,
              ``OverwriteCells`` (the gradebook's source, hidden tests
              included, replaces every locked cell), ``CheckCellMetadata``;
``guards``    integrity probes (:mod:`autograder.probes`), the kernel guard's
              arm cell and a hook reset before every test
              (:mod:`autograder.kernel_guard`);
``execute``   the notebook in the sandbox (:mod:`autograder.execution`);
``judge``     the probes' verdict; probes out; tests that never ran marked;
``score``     nbgrader's ``IgnorePattern`` and ``LimitOutput``, strict scores
              (:mod:`autograder.scoring`);
``save``      nbgrader's ``SaveAutoGrades`` into this worker's gradebook (a
              written answer, i.e. a manually graded answer cell, gets
              nbgrader's rule: ``needs_manual_grade``, or 0 if left as the
              released stub), and the autograded notebook for Formgrader;
``decide``    the status and its one-line detail;
``feedback``  the student's page (:mod:`autograder.feedback`).
"""

from __future__ import annotations

import copy
import json
import logging
import time
import traceback
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

from . import probes
from .execution import FLOOD_FACTOR, GradingExecutor, start_kernel, stop_kernel
from .feedback import FeedbackWriter, write_problem_page
from .gradebook import SPLIT_FIELDS, LessonInfo, db_url, submission_scores
from .helperbuild import lesson_build
from .sandbox import ALTERNATE_UID, Layers, Limits, Sandbox, sandbox_uid
from .scoring import CellScore, score_test_cell
from .submissions import NOTEBOOK_MAX_BYTES, Submission

# the order in which a submission's problems decide its status
STATUS_ORDER = (
    "error", "invalid-notebook", "tampered", "memory", "processes", "timeout", "kernel-died",
    "cells-missing", "cells-restored", "output-limit", "ok",
)
WATCHDOG_MISSES = 10  # consecutive failed samples (a second unwatched) that make a sandbox degraded
PROCESS_ERRORS = ("Resource temporarily unavailable", "can't start new thread", "fork")


@dataclass
class WorkerContext:
    lessons: dict[str, LessonInfo]
    db: Path
    out_dir: Path
    layers: Layers
    limits: Limits
    config: object
    feedback: FeedbackWriter | None = None
    kernels: KernelPool | None = None  # a worker's kernel started ahead (None: every kernel starts on demand)


def new_sandbox(ctx: WorkerContext, sub: Submission, uid: int | None) -> Sandbox:
    """The sandbox ``sub`` is graded in: its notebook, its lesson's helper package and files, the run's limits."""
    return Sandbox(ctx.layers, ctx.limits, notebook=sub.path, slot_uid=uid, helper_dir=lesson_build(sub.lesson),
                   assignment_files=ctx.lessons[sub.lesson].files)


class KernelPool:
    """A worker's kernel started ahead: at most one, for the submission the worker grades next.

    While a notebook runs, the worker starts the sandbox and kernel of its next submission, so
    that the kernel's start (and the imports the kernel guard makes before its first reply) cost
    the next notebook nothing. What makes that safe:

    * the kernel is fresh: nothing has run in it but the kernel guard's start-up, and it serves
      exactly one notebook, the one it was started for (same notebook copy, lesson build, files,
      limits and layers as a kernel started on demand: :func:`new_sandbox`); a kernel started
      for another submission is killed unused;
    * it runs in a sandbox of its own (its own namespaces, root file system and run directory)
      and as the worker's other uid (:func:`~autograder.sandbox.sandbox_uid`): the kernel grading
      now cannot see it, signal it, or use up the process limit of its uid;
    * its notebook clock starts when its notebook does (``Watchdog.restart_clock``).
    """

    def __init__(self, ctx: WorkerContext):
        self.ctx = ctx
        self._ready: tuple[tuple, Sandbox, object] | None = None
        self.started = self.used = self.discarded = 0
        self.errors: list[str] = []

    @staticmethod
    def key(sub: Submission) -> tuple:
        return sub.student, sub.lesson, str(sub.path)

    @staticmethod
    def other_uid(uid: int | None, base: int | None) -> int:
        """The uid a kernel started next to one running as ``uid`` gets (the worker has two)."""
        base = sandbox_uid() if base is None else base
        return base + ALTERNATE_UID if uid == base else base

    def take(self, sub: Submission) -> tuple[Sandbox, object] | None:
        """The kernel started for ``sub``, its clock reset; None if there is none (any other one is killed)."""
        ready, self._ready = self._ready, None
        if ready is None:
            return None
        key, box, km = ready
        if key != self.key(sub):
            self._stop(box, km)
            return None
        box.watchdog.restart_clock()
        self.used += 1
        return box, km

    def prepare(self, sub: Submission | None, uid: int) -> None:
        """Start the sandbox and kernel of ``sub`` now, as ``uid`` (a failure only means it starts on demand)."""
        if sub is None or sub.lesson not in self.ctx.lessons:
            return
        if self._ready is not None and self._ready[0] == self.key(sub):
            return
        self.discard()
        try:
            if sub.path.stat().st_size > NOTEBOOK_MAX_BYTES:
                return  # refused unread ("read"): no kernel for it
        except OSError:
            return
        box = None
        try:
            box = new_sandbox(self.ctx, sub, uid)
            km = start_kernel(box)
        except Exception as err:  # noqa: BLE001 - the submission's own kernel will be started when it is graded
            self.errors.append(f"{sub.student}/{sub.lesson}: {type(err).__name__}: {err}"[:300])
            if box is not None:
                box.cleanup()
            return
        self._ready = (self.key(sub), box, km)
        self.started += 1

    def discard(self, sub: Submission | None = None) -> None:
        """Kill the kernel started ahead (only if it is ``sub``'s, when given)."""
        if self._ready is None or (sub is not None and self._ready[0] != self.key(sub)):
            return
        _, box, km = self._ready
        self._ready = None
        self._stop(box, km)

    def _stop(self, box: Sandbox, km) -> None:
        self.discarded += 1
        stop_kernel(km)
        box.cleanup()

    close = discard


def executor_config(ctx: WorkerContext):
    """The course configuration with this run's limits (nbconvert re-reads config when it executes,
    so limits must live in the config, not in constructor arguments)."""
    from traitlets.config import Config

    cfg = Config()
    cfg.merge(ctx.config)
    cfg.Execute.timeout = max(1, int(round(ctx.limits.cell_timeout)))
    cfg.Execute.interrupt_on_timeout = True
    cfg.Execute.startup_timeout = 120
    cfg.Execute.iopub_timeout = 10
    cfg.Execute.raise_on_iopub_timeout = False
    cfg.Execute.allow_errors = True
    return cfg


class InvalidNotebook(ValueError):
    pass


def _quiet_logger(records: list[str]) -> logging.Logger:
    logger = logging.getLogger(f"autograder.submission.{id(records)}")
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    logger.handlers.clear()

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage()[:300])

    logger.addHandler(Keep())
    return logger


def read_notebook(path: Path) -> NotebookNode:
    """The submission as a v4 notebook, or :class:`InvalidNotebook` saying what is wrong."""
    size = path.stat().st_size
    if size == 0:
        raise InvalidNotebook("the file is empty")
    if size > NOTEBOOK_MAX_BYTES:
        raise InvalidNotebook(f"the file is {size >> 20} MiB (limit {NOTEBOOK_MAX_BYTES >> 20} MiB)")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise InvalidNotebook(f"the file is not UTF-8 text ({err.reason} at byte {err.start})") from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidNotebook(f"the file is not valid JSON ({err.msg}, line {err.lineno} column {err.colno})") from err
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise InvalidNotebook("the file is JSON but not a Jupyter notebook (no cells)")
    with warnings.catch_warnings():  # nbformat warns about what it repairs (duplicate ids...)
        warnings.simplefilter("ignore")
        try:
            nb = nbformat.reads(text, as_version=4)
        except Exception as err:  # nbformat raises many kinds
            raise InvalidNotebook(f"the file is not a readable notebook ({type(err).__name__}: {err})"[:300]) from err
        _repair(nb)
        try:
            nbformat.validate(nb)
        except nbformat.ValidationError as err:
            raise InvalidNotebook(f"the notebook does not follow the notebook format ({err.message})"[:300]) from err
    if not isinstance(nb.get("cells"), list):
        raise InvalidNotebook("the notebook has no list of cells")
    return nb


def _repair(nb: NotebookNode) -> None:
    """Fix what editors commonly get wrong and does not matter for grading."""
    cells = nb.get("cells")
    if not isinstance(cells, list):
        return
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
        cell.setdefault("metadata", {})
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cell.pop("attachments", None) if cell.get("cell_type") == "code" else None
    try:
        nbformat.validator.normalize(nb)
    except Exception:
        pass


def _retype(cell: NotebookNode, cell_type: str) -> NotebookNode:
    fresh = new_code_cell(cell.source) if cell_type == "code" else new_markdown_cell(cell.source)
    fresh.metadata = cell.metadata
    if "id" in cell:
        fresh["id"] = cell["id"]
    return fresh


def restore_cells(nb: NotebookNode, lesson: LessonInfo) -> tuple[list[str], list[str], list[str]]:
    """Make the nbgrader cells of ``nb`` those of the released lesson.

    Returns (missing, edited, stripped) grade ids. Missing cells are put back
    (released version) after the nearest earlier cell that is present.
    """
    seen: dict[str, NotebookNode] = {}
    edited, stripped = [], []
    cells = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            cells.append(cell)
            continue
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        info = lesson.cells.get(grade_id) if isinstance(grade_id, str) else None
        if info is None or grade_id in seen:
            del cell.metadata["nbgrader"]
            stripped.append(str(grade_id))
            cells.append(cell)
            continue
        if cell.cell_type != info.cell_type:
            edited.append(grade_id)
            cell = _retype(cell, info.cell_type)
        elif (info.locked or info.is_test) and cell.source.rstrip() != info.released_source.rstrip():
            edited.append(grade_id)  # nbgrader restores test cells whatever their metadata says: so do we
        cell.metadata["nbgrader"] = copy.deepcopy(info.metadata)
        seen[grade_id] = cell
        cells.append(cell)
    missing = [gid for gid in lesson.order if gid not in seen]
    released = {c.metadata["nbgrader"]["grade_id"]: c for c in lesson.released.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") in lesson.cells}
    for gid in missing:
        position = lesson.order.index(gid)
        anchor = next((seen[g] for g in reversed(lesson.order[:position]) if g in seen), None)
        fresh = copy.deepcopy(released[gid])
        if fresh.cell_type == "code":
            fresh.outputs, fresh.execution_count = [], None
        index = 0 if anchor is None else next(i for i, c in enumerate(cells) if c is anchor) + 1
        cells.insert(index, fresh)
        seen[gid] = fresh
    nb.cells = cells
    return missing, edited, stripped


def _is_graded_test(cell: NotebookNode) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _mark(cell: NotebookNode, ename: str, evalue: str) -> None:
    cell.outputs = list(cell.get("outputs", [])) + [
        new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])
    ]


class StrictSaveAutoGrades:
    """nbgrader's ``SaveAutoGrades`` writing scores decided by :mod:`autograder.scoring`."""

    def __new__(cls, scores: dict[str, CellScore], **kwargs):
        from nbgrader.preprocessors import SaveAutoGrades

        class _Save(SaveAutoGrades):
            def _add_score(self, cell, resources):
                grade = self.gradebook.find_grade(
                    cell.metadata["nbgrader"]["grade_id"], self.notebook_id, self.assignment_id, self.student_id)
                decided = scores.get(cell.metadata["nbgrader"]["grade_id"])
                if decided is None:  # not a test cell (manually graded answer): nbgrader's own rule
                    return super()._add_score(cell, resources)
                grade.auto_score = decided.score
                grade.needs_manual_grade = grade.manual_score is not None
                self.gradebook.db.commit()

        return _Save(**kwargs)


def _zero_submission(ctx: WorkerContext, sub: Submission) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(db_url(ctx.db)) as gb:
        gb.update_or_create_student(sub.student)
        gb.update_or_create_submission(sub.lesson, sub.student)
        nb = gb.find_submission_notebook(sub.lesson, sub.lesson, sub.student)
        for grade in nb.grades:
            grade.auto_score = 0.0
            grade.needs_manual_grade = False
        gb.db.commit()


def feedback_path(out_dir: Path, sub: Submission) -> Path:
    return out_dir / "feedback" / sub.student / sub.lesson / f"{sub.lesson}.html"


@dataclass
class SubmissionResult:
    """What grading one submission found: one entry of report.json (see :meth:`as_dict`)."""

    student: str
    lesson: str
    origin: str
    sha256: str
    db: str
    max_score: float  # all points; score: nbgrader's total (a written answer not graded yet counts 0)
    auto_max_score: float = 0.0  # the test cells' points (graded here)
    manual_max_score: float = 0.0  # the written answers' points (graded by hand in Formgrader)
    status: str = "ok"
    detail: str = ""
    score: float = 0.0
    auto_score: float = 0.0
    manual_score: float | None = None  # None while written answers wait for hand grading
    manual_pending: int = 0
    written: dict = field(default_factory=dict)  # grade id: {score, max_score, needs_manual_grade}
    seconds: float = 0.0
    execute_seconds: float = 0.0
    overhead_seconds: float = 0.0
    kernel_start_seconds: float = 0.0
    probe_seconds: float = 0.0
    cells: list = field(default_factory=list)
    probes: dict = field(default_factory=dict)
    resets: list = field(default_factory=list)
    resources: dict = field(default_factory=dict)
    restored: dict = field(default_factory=dict)
    phases: dict = field(default_factory=dict)
    log: list = field(default_factory=list)
    timestamp: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


class Finished(Exception):
    """A step decided the submission's result: the remaining steps are skipped."""


@dataclass
class Grading:
    """One submission on its way through :data:`STEPS`: what each step reads and leaves for the next."""

    sub: Submission
    ctx: WorkerContext
    lesson: LessonInfo
    result: SubmissionResult
    slot_uid: int | None = None
    logger: logging.Logger | None = None
    next_sub: Submission | None = None  # what this worker grades next: its kernel starts during this one's
    attempt: int = 1
    nb: NotebookNode | None = None
    resources: dict = field(default_factory=dict)
    box: Sandbox | None = None
    km: object = None
    missing: list = field(default_factory=list)
    edited: list = field(default_factory=list)
    quiet: set = field(default_factory=set)
    execlog: object = None
    verdict: object = None
    kept: list = field(default_factory=list)
    scores: dict = field(default_factory=dict)

    def preprocess(self, *classes) -> None:
        """Run nbgrader preprocessors over the notebook, in order."""
        for cls in classes:
            self.nb, self.resources = cls(config=self.ctx.config, log=self.logger).preprocess(self.nb, self.resources)


# --------------------------------------------------------------------------- the steps


class ReadNotebook:
    """The submission as a v4 notebook; ``invalid-notebook`` (zero, a problem page) if it is not one."""

    name = "read"

    def run(self, g: Grading) -> None:
        try:
            g.nb = read_notebook(g.sub.path)
        except InvalidNotebook as err:
            _zero_submission(g.ctx, g.sub)
            g.result.status, g.result.detail = "invalid-notebook", f"{g.sub.origin}: {err}"
            write_problem_page(feedback_path(g.ctx.out_dir, g.sub), g.sub.student, g.sub.lesson,
                               "invalid-notebook", g.result.detail, g.lesson.max_score)
            raise Finished from None


class StartSandbox:
    """A sandbox with the lesson's helper package; the kernel boots while the next steps prepare."""

    name = "sandbox"

    def run(self, g: Grading) -> None:
        started = g.ctx.kernels.take(g.sub) if g.ctx.kernels is not None and g.attempt == 1 else None
        if started is not None:
            g.box, g.km = started
            return
        g.box = new_sandbox(g.ctx, g.sub, g.slot_uid)
        g.km = start_kernel(g.box)


class RestoreCells:
    """The lesson's nbgrader cells as released (see :func:`restore_cells`), and the gradebook's rows."""

    name = "restore"

    def run(self, g: Grading) -> None:
        from nbgrader.api import Gradebook

        g.missing, g.edited, stripped = restore_cells(g.nb, g.lesson)
        g.result.restored = {"missing": g.missing, "edited": g.edited, "stripped_metadata": stripped}
        with Gradebook(db_url(g.ctx.db)) as gb:
            gb.update_or_create_student(g.sub.student)
            gb.update_or_create_submission(g.sub.lesson, g.sub.student)
        g.resources = {
            "nbgrader": {"db_url": db_url(g.ctx.db), "assignment": g.sub.lesson, "notebook": g.sub.lesson,
                         "student": g.sub.student},
            "metadata": {"path": str(g.box.dir)},
        }


class Sanitize:
    """nbgrader's own steps: clear outputs, the course kernel, locked cells (hidden tests) from the gradebook."""

    name = "sanitize"

    def run(self, g: Grading) -> None:
        from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, OverwriteCells, OverwriteKernelspec

        g.preprocess(ClearOutput, OverwriteKernelspec, OverwriteCells, CheckCellMetadata)


class InsertGuards:
    """Integrity probes around the tests, the guard's arm cell first and a hook reset before every test."""

    name = "guards"

    def run(self, g: Grading) -> None:
        graded = [c for c in g.nb.cells if _is_graded_test(c)]
        probes.insert_probes(g.nb, graded)
        locked = [c for c in g.nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("locked")
                  and not c.metadata["nbgrader"].get("solution")]
        probes.insert_resets(g.nb, graded, locked)
        g.quiet = {i for i, c in enumerate(g.nb.cells) if probes.is_probe(c)}


class Execute:
    """Run the notebook in the sandbox (:class:`~autograder.execution.GradingExecutor`)."""

    name = "execute"

    def run(self, g: Grading) -> None:
        graded_index = {i for i, c in enumerate(g.nb.cells) if _is_graded_test(c) or probes.is_probe(c)}
        pool = g.ctx.kernels

        def start_next() -> None:  # the kernel of this notebook answered: start the next one's now
            if pool is not None and g.next_sub is not None:
                pool.prepare(g.next_sub, KernelPool.other_uid(g.box.uid, g.slot_uid))

        executor = GradingExecutor(g.box, graded_index, g.quiet, on_ready=start_next, config=executor_config(g.ctx),
                                   log=g.logger)
        with _env(NBGRADER_EXECUTION="autograde"):
            g.execlog = executor.run(g.nb, g.resources, km=g.km)
        g.result.kernel_start_seconds = g.execlog.kernel_start_s
        g.result.probe_seconds = round(sum(r.seconds for i, r in g.execlog.cells.items() if i in g.quiet), 3)


class JudgeProbes:
    """The probes' and resets' verdict; probes taken out; tests that never ran (or ran untrusted) marked."""

    name = "judge"

    def run(self, g: Grading) -> None:
        runs = g.execlog.cells
        g.verdict = probes.evaluate(g.nb, runs)
        untrusted_after = g.verdict.untrusted_from
        kept = []
        for i, cell in enumerate(g.nb.cells):
            run = runs.get(i)
            if probes.is_probe(cell):
                continue
            if _is_graded_test(cell):
                if run is None or run.status in ("not-run", "died"):
                    _mark(cell, "NotRun", "this test did not run: the kernel had stopped (see the status)")
                elif untrusted_after is not None and i > untrusted_after:
                    _mark(cell, "Untrusted", "not graded: the kernel stopped responding before this test")
            kept.append((cell, run))
        g.kept = kept
        g.nb.cells = [cell for cell, _ in kept]
        v = g.verdict
        g.result.probes = {"checked": v.checked, "tampered": v.tampered, "reasons": v.reasons}
        g.result.resets = list(dict.fromkeys(v.resets or []))


class Score:
    """nbgrader's ``IgnorePattern`` and ``LimitOutput``, then every test cell scored strictly."""

    name = "score"

    def run(self, g: Grading) -> None:
        from nbgrader.preprocessors import IgnorePattern, LimitOutput

        g.preprocess(IgnorePattern, LimitOutput)
        executed = 0.0
        for index, (cell, run) in enumerate(g.kept):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            entry = {"index": index, "grade_id": meta.get("grade_id"), "cell_type": cell.cell_type,
                     "status": run.status if run else ("markdown" if cell.cell_type != "code" else "not-run"),
                     "seconds": run.seconds if run else 0.0}
            if run:
                executed += run.seconds
            if _is_graded_test(cell):
                scored = score_test_cell(cell, float(meta.get("points", 0)), run.status if run else None)
                g.scores[meta["grade_id"]] = scored
                entry.update(points=scored.score, max_points=scored.max_score, reason=scored.reason)
            elif meta.get("grade") and meta.get("solution"):  # a written answer: graded by hand (see "save")
                entry.update(written=True, points=None, max_points=float(meta.get("points", 0)))
            if run and run.ename:
                entry["error"] = run.ename
                entry["message"] = run.evalue[:300]  # for the instructor's class report (report.json only)
            g.result.cells.append(entry)
        g.result.execute_seconds = round(executed, 3)
        if g.verdict.tampered or any(s.tampered for s in g.scores.values()):
            for s in g.scores.values():
                s.score = 0.0


class SaveGrades:
    """The scores into this worker's gradebook (nbgrader's ``SaveAutoGrades``) and the autograded notebook."""

    name = "save"

    def run(self, g: Grading) -> None:
        from .formgrader import save_autograded

        g.nb, g.resources = StrictSaveAutoGrades(g.scores, config=g.ctx.config, log=g.logger).preprocess(
            g.nb, g.resources)
        g.result.timestamp = save_autograded(g.nb, g.sub, g.ctx.out_dir)  # what Formgrader shows
        split = submission_scores(g.ctx.db, g.sub.student, g.sub.lesson)
        for key in SPLIT_FIELDS:
            setattr(g.result, key, split[key])
        for entry in g.result.cells:
            if entry.get("written"):
                cell = split["written"].get(entry["grade_id"], {})
                entry.update(points=cell.get("score"), needs_manual_grade=cell.get("needs_manual_grade"))


class Decide:
    """The status (worst problem first) and its one-line detail."""

    name = "decide"

    def run(self, g: Grading) -> None:
        g.result.resources = dict(g.box.watchdog.peak)
        g.result.status, g.result.detail = decide_status(g.nb, g.kept, g.execlog, g.box, g.verdict, g.scores,
                                                         g.missing, g.edited)


class WriteFeedback:
    """The student's feedback page: public tests only, every output scrubbed and sanitised."""

    name = "feedback"

    def run(self, g: Grading) -> None:
        if g.ctx.feedback is not None:
            g.ctx.feedback.write(g.nb, g.resources, g.lesson, feedback_path(g.ctx.out_dir, g.sub),
                                 status=g.result.status, detail=g.result.detail)


STEPS = (ReadNotebook(), StartSandbox(), RestoreCells(), Sanitize(), InsertGuards(), Execute(), JudgeProbes(),
         Score(), SaveGrades(), Decide(), WriteFeedback())


def grade_submission(sub: Submission, ctx: WorkerContext, slot_uid: int | None = None, steps=STEPS,
                     next_sub: Submission | None = None) -> dict:
    """Grade ``sub`` into the worker's gradebook through ``steps``; return its report entry.

    ``next_sub``: what this worker grades next; with ``ctx.kernels``, its kernel is started while
    ``sub`` runs (:class:`KernelPool`).
    """
    started = time.monotonic()
    lesson = ctx.lessons[sub.lesson]
    for attempt in (1, 2):
        result = SubmissionResult(student=sub.student, lesson=sub.lesson, origin=sub.origin, sha256=sub.sha256(),
                                  db=str(ctx.db), max_score=lesson.max_score, auto_max_score=lesson.auto_max_score,
                                  manual_max_score=lesson.manual_max_score)
        g = Grading(sub, ctx, lesson, result, slot_uid, logger=_quiet_logger(result.log), next_sub=next_sub,
                    attempt=attempt)
        retry = False
        try:
            clock = time.monotonic()
            for step in steps:
                step.run(g)
                now = time.monotonic()
                result.phases[step.name] = round(now - clock, 3)
                clock = now
        except Finished:
            pass
        except Exception as err:  # a bug of ours must not stop the class
            # a kernel that dies before its first reply has run no student code: the machine's fault, once
            retry = attempt == 1 and "before replying to kernel_info" in str(err)
            result.status, result.detail = "error", f"the grader failed: {type(err).__name__}: {err}"[:500]
            result.log.append(traceback.format_exc()[-3000:])
            try:
                _zero_submission(ctx, sub)
            except Exception:
                result.db = ""
        finally:
            if g.box is not None:
                g.box.cleanup()
        if not retry:
            break
    result.seconds = round(time.monotonic() - started, 3)
    if ctx.kernels is not None:
        ctx.kernels.discard(sub)  # started for this submission and not used (e.g. not a notebook)
        if next_sub is not None:  # not started while this one ran (it never reached its kernel): now
            ctx.kernels.prepare(next_sub, KernelPool.other_uid(g.box.uid if g.box is not None else None, slot_uid))
    result.overhead_seconds = round(result.seconds - result.execute_seconds, 3)
    return result.as_dict()


def decide_status(nb, kept, execlog, box: Sandbox, verdict, scores, missing, edited) -> tuple[str, str]:
    """The submission's status (worst problem first, see :data:`STATUS_ORDER`) and a one-line detail."""
    problems: dict[str, str] = {}
    names = {i: (c.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {i + 1}")
             for i, (c, _) in enumerate(kept)}
    if verdict.tampered or any(s.tampered for s in scores.values()):
        reasons = list(dict.fromkeys(verdict.reasons)) + [
            f"{gid}: {s.reason}" for gid, s in scores.items() if s.tampered]
        problems["tampered"] = "integrity check failed, all points withheld: " + "; ".join(reasons)
    errors = [(i, o) for i, (c, _) in enumerate(kept) for o in c.get("outputs", []) if o.get("output_type") == "error"]
    watchdog = box.watchdog
    degraded = list(box.degraded)
    if watchdog.failures >= WATCHDOG_MISSES:
        degraded.append(f"the watchdog could not sample the sandbox {watchdog.failures} times in a row "
                        f"({watchdog.last_error})")
    if degraded:
        problems["error"] = "a sandbox layer did not hold, the grade cannot be trusted: " + "; ".join(degraded)
    if watchdog.reason:
        problems[watchdog.reason] = f"the sandbox was stopped: {watchdog.detail}"
    for i, out in errors:
        ename, evalue = str(out.get("ename", "")), str(out.get("evalue", ""))
        if ename.endswith("MemoryError"):
            problems.setdefault("memory", f"{names[i]} ran out of memory ({box.limits.memory_mb} MiB allowed)")
        if ename == "BlockingIOError" or (ename in ("OSError", "RuntimeError") and
                                          any(p in evalue for p in PROCESS_ERRORS)):
            problems.setdefault("processes", f"{names[i]} hit the process limit ({box.limits.processes})")
    if watchdog.peak.get("processes", 0) >= box.limits.processes - 2:
        problems.setdefault("processes", f"the notebook reached the process limit ({box.limits.processes})")
    for i, (_, run) in enumerate(kept):
        if run is not None and run.status == "timeout":
            problems.setdefault("timeout", f"{names[i]} ran longer than {box.limits.cell_timeout:g} s and was "
                                           "interrupted")
    if execlog.kernel_died_at is not None and not watchdog.reason:
        where = next((names[i] for i, (_, run) in enumerate(kept) if run is not None and run.status == "died"),
                     "the notebook")
        code = execlog.exit_code
        how = ""
        if code is not None and code >= 128:
            how = f": killed by signal {code - 128}"
        elif code is not None:
            how = f": it exited with status {code}"
        tail = [line for line in box.log_tail(600).splitlines() if line.startswith("sandbox:")]
        problems["kernel-died"] = f"the kernel died while running {where}{how}" + (f" ({tail[-1]})" if tail else "")
    if missing:
        problems["cells-missing"] = (f"cells missing from the submission were put back from the lesson and graded: "
                                     f"{', '.join(missing)}")
    if edited:
        problems["cells-restored"] = f"locked cells had been edited and were restored: {', '.join(edited)}"
    flooded = [names[i] for i, (_, run) in enumerate(kept) if run is not None and run.flooded]
    if flooded:  # interrupted for its output, whether or not the interrupt ended it with an error of its own
        problems["output-limit"] = (f"{flooded[0]} sent more than {FLOOD_FACTOR * box.limits.cell_output_mb:g} MiB "
                                    "of output and was interrupted")
    elif execlog.output_dropped:
        problems["output-limit"] = f"output beyond {box.limits.output_mb:g} MiB was dropped"
    for status in STATUS_ORDER:
        if status in problems:
            others = [s for s in STATUS_ORDER if s in problems and s != status]
            detail = problems[status] + (f" (also: {', '.join(others)})" if others else "")
            return status, detail
    return "ok", ""


class _env:
    """Set environment variables for the duration of a block (nbgrader's ``utils.setenv``)."""

    def __init__(self, **values: str):
        self.values = values

    def __enter__(self):
        import os

        self.saved = {k: os.environ.get(k) for k in self.values}
        os.environ.update(self.values)

    def __exit__(self, *exc):
        import os

        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
