"""The nbgrader gradebook side of grading: lessons in, grades out.

* :func:`prepare_lessons` registers each lesson in a gradebook exactly the way
  ``nbgrader generate_assignment`` does (same preprocessors, same course
  configuration) and returns the released notebook, i.e. what students got.
* Each worker grades into its own copy of that gradebook; :func:`merge_into`
  copies the results of a run into the class gradebook (``graded/gradebook.db``),
  which stays the source of truth: :func:`export_csv` writes ``grades.csv``
  from it (also after hand grading: ``python -m autograder export``).
  Re-running updates the same rows (nbgrader's ``update_or_create``), keeps any
  manual score an instructor gave, and never duplicates a row.
* Written questions are nbgrader *manually graded answer* cells (``grade`` and
  ``solution``): no automatic score, ``needs_manual_grade`` for Formgrader
  (an answer left as the released stub: nbgrader's automatic 0).
  :func:`score_split` separates a submission's automatic part (test cells)
  from its written part (graded by hand).
* A small extra table, ``seqnlp_grading``, stores each submission's status
  (``ok``, ``timeout``, ...) next to nbgrader's tables in the same file.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import functools
import logging
import os
import shutil
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from .lessons import REPO_ROOT

CSV_COLUMNS = ("student", "name", "lesson", "score", "max_score", "auto_score", "auto_max_score", "manual_score",
               "manual_max_score", "manual_pending", "timestamp", "late_penalty", "status")
STATUS_TABLE = """CREATE TABLE IF NOT EXISTS seqnlp_grading (
    student TEXT NOT NULL, lesson TEXT NOT NULL, status TEXT NOT NULL, detail TEXT,
    notebook_sha256 TEXT, PRIMARY KEY (student, lesson))"""

log = logging.getLogger("autograder")


def ensure_venv_on_path() -> None:
    """nbgrader creates a gradebook by running ``alembic``: our environment's bin/ must come first on PATH."""
    bindir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if not parts or parts[0] != bindir:
        os.environ["PATH"] = os.pathsep.join([bindir, *[p for p in parts if p != bindir]])


@functools.lru_cache(maxsize=1)
def _alembic_head() -> str:
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    heads = ScriptDirectory(ALEMBIC_DIR).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"nbgrader's migrations have {len(heads)} heads")
    return heads[0]


def fast_gradebook_creation() -> None:
    """Create gradebooks without nbgrader's ``alembic heads`` subprocess (seconds each).

    nbgrader asks ``alembic`` for the schema version whenever it creates a new
    gradebook; we read the same head revision from nbgrader's migration scripts
    in-process, once. (PATH is set as well, for nbgrader code that still calls it.)
    """
    import nbgrader.api

    ensure_venv_on_path()
    nbgrader.api.get_alembic_version = _alembic_head


def db_url(path: Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def course_config() -> Config:
    """The course's nbgrader configuration (autograder/nbgrader_config.py) as a traitlets Config."""
    loader = PyFileConfigLoader("nbgrader_config.py", path=str(REPO_ROOT / "autograder"))
    return loader.load_config()


@dataclass
class CellInfo:
    """One nbgrader cell of a lesson, as released and as stored in the gradebook."""

    grade_id: str
    cell_type: str
    locked: bool
    grade: bool
    solution: bool
    points: float
    released_source: str
    full_source: str  # what the gradebook holds (hidden tests included)
    metadata: dict

    @property
    def is_test(self) -> bool:
        return self.grade and not self.solution and self.cell_type == "code"

    @property
    def is_written(self) -> bool:
        """A manually graded answer cell (a written question): graded by hand in Formgrader."""
        return self.grade and self.solution

    @property
    def has_hidden_tests(self) -> bool:
        return self.full_source != self.released_source and self.is_test


@dataclass
class LessonInfo:
    name: str
    released: NotebookNode
    cells: dict[str, CellInfo] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # grade ids in released order
    files: list[Path] = field(default_factory=list)  # shipped beside the notebook (data, images, modules)

    @property
    def max_score(self) -> float:
        """All the lesson's points: automatic (test cells) and written (graded by hand)."""
        return sum(c.points for c in self.cells.values() if c.grade)

    @property
    def auto_max_score(self) -> float:
        return sum(c.points for c in self.cells.values() if c.grade and not c.is_written)

    @property
    def manual_max_score(self) -> float:
        return sum(c.points for c in self.cells.values() if c.is_written)


def _generate(source: Path, lesson: str, url: str, config: Config) -> NotebookNode:
    """Run nbgrader generate_assignment's preprocessors on ``source``; return the released notebook."""
    from nbgrader.api import Gradebook
    from nbgrader.converters.generate_assignment import GenerateAssignment

    with Gradebook(url) as gb:
        gb.update_or_create_assignment(lesson)
    nb = nbformat.read(source, as_version=4)
    resources = {
        "nbgrader": {"db_url": url, "assignment": lesson, "notebook": lesson},
        "metadata": {"path": str(source.parent)},
    }
    quiet = logging.getLogger("autograder.nbgrader")
    for cls in GenerateAssignment.class_traits()["preprocessors"].default():
        pre = cls(config=config, log=quiet)
        if getattr(pre, "enabled", True):
            nb, resources = pre.preprocess(nb, resources)
    return nb


def assignment_files(folder: Path, ignore: list[str]) -> list[Path]:
    from .sandbox import assignment_files as files_beside

    return files_beside(folder, ignore)


def prepare_lessons(sources: dict[str, Path], db: Path, config: Config | None = None) -> dict[str, LessonInfo]:
    """Register every lesson in gradebook ``db`` (created if needed) and describe its cells.

    Raises ``RuntimeError`` (from nbgrader) when a lesson gained or lost cells
    while the gradebook already holds submissions for it.
    """
    from nbgrader.api import Gradebook

    fast_gradebook_creation()
    config = config or course_config()
    url = db_url(db)
    infos = {}
    for lesson, source in sources.items():
        released = _generate(source, lesson, url, config)
        info = LessonInfo(lesson, released)
        info.files = assignment_files(Path(source).parent, list(config.CourseDirectory.ignore))
        with Gradebook(url) as gb:
            stored = {c.name: c for c in gb.find_notebook(lesson, lesson).source_cells}
        for cell in released.cells:
            meta = cell.metadata.get("nbgrader", {})
            grade_id = meta.get("grade_id")
            if not grade_id or grade_id not in stored:
                continue
            info.order.append(grade_id)
            info.cells[grade_id] = CellInfo(
                grade_id=grade_id,
                cell_type=cell.cell_type,
                locked=bool(meta.get("locked")),
                grade=bool(meta.get("grade")),
                solution=bool(meta.get("solution")),
                points=float(meta.get("points", 0) or 0),
                released_source=cell.source,
                full_source=stored[grade_id].source,
                metadata=copy.deepcopy(dict(meta)),
            )
        infos[lesson] = info
    with sqlite3.connect(db) as con:
        con.execute(STATUS_TABLE)
    return infos


_SCRATCH: set[str] = set()  # gradebook files of this process whose commits need not reach the disk


def scratch_gradebook(path: Path) -> Path:
    """Mark ``path`` as a scratch gradebook: SQLite stops waiting for the disk on each of its commits.

    A run's template and each worker's copy of it live in the run's scratch folder and are
    thrown away at its end; what counts is merged into the class gradebook, whose commits
    stay durable. nbgrader commits after every row (a submission makes a dozen commits), and
    each durable commit waits for the disk (about 20 ms here): ``synchronous=OFF`` leaves the
    writes to the operating system, which keeps them if the grading process dies (only a power
    cut could lose them, and the run with them). The journal stays on, so a worker that dies
    in the middle of a write leaves its gradebook readable for the merge.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not _SCRATCH:
        event.listen(Engine, "connect", _scratch_pragmas)
    _SCRATCH.add(str(Path(path).resolve()))
    return path


def _scratch_pragmas(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    try:
        files = {row[2] for row in dbapi_connection.execute("PRAGMA database_list")}
        if files & _SCRATCH:
            dbapi_connection.execute("PRAGMA synchronous=OFF")
    except sqlite3.Error:
        pass


@contextlib.contextmanager
def one_transaction(gb):
    """Inside the block, nbgrader's helpers (which commit after every row) only flush; the block commits once."""
    session = gb.db
    session.commit = session.flush  # shadows the session's own commit for nbgrader's calls
    try:
        yield gb
    except BaseException:
        del session.commit
        session.rollback()
        raise
    del session.commit
    session.commit()


def new_worker_gradebook(template: Path, path: Path) -> Path:
    shutil.copyfile(template, path)
    return scratch_gradebook(path)


def copy_gradebook(template: Path, path: Path) -> Path:
    """A new gradebook ``path`` as a durable copy of ``template`` (what :func:`prepare_lessons` would write there)."""
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    shutil.copyfile(template, tmp)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    tmp.replace(path)
    return path


def set_status(db: Path, student: str, lesson: str, status: str, detail: str, sha256: str) -> None:
    set_statuses(db, [(student, lesson, status, detail, sha256)])


def set_statuses(db: Path, rows: list[tuple[str, str, str, str, str]]) -> None:
    """(student, lesson, status, detail, sha256) of many submissions, in one transaction."""
    with contextlib.closing(sqlite3.connect(db)) as con, con:
        con.execute(STATUS_TABLE)
        con.executemany(
            "INSERT INTO seqnlp_grading (student, lesson, status, detail, notebook_sha256) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(student, lesson) DO UPDATE SET status=excluded.status, detail=excluded.detail, "
            "notebook_sha256=excluded.notebook_sha256",
            rows,
        )


def plain_rows(notebook) -> dict:
    """A submitted notebook's automatic grades and comments as plain data (what :func:`merge_into` copies)."""
    return {"grades": [{"name": g.name, "auto_score": g.auto_score, "needs_manual_grade": bool(g.needs_manual_grade)}
                       for g in notebook.grades],
            "comments": [{"name": c.name, "auto_comment": c.auto_comment} for c in notebook.comments]}


def merge_into(target: Path, results: list[dict]) -> None:
    """Copy each result's grades from the worker gradebook it was written to into ``target``.

    A result may carry its rows as plain data instead (``result["gradebook"]``, :func:`plain_rows`:
    a cluster worker's, see :mod:`autograder.cluster`); a result with neither (the grader itself
    failed on it) is recorded with zero points, so that every submission has its row. The whole
    class is one transaction (one wait for the disk, not a few per submission).
    """
    from nbgrader.api import Gradebook

    from .formgrader import submission_fields

    with sqlite3.connect(target) as con:
        con.execute(STATUS_TABLE)
        before = {(st, ls): sha for st, ls, sha in con.execute(
            "SELECT student, lesson, notebook_sha256 FROM seqnlp_grading")}
    by_db: dict[str, list[dict]] = {}
    for result in results:
        by_db.setdefault(result.get("db") or "", []).append(result)
    with Gradebook(db_url(target)) as dst, one_transaction(dst):
        for db, items in sorted(by_db.items()):
            src = Gradebook(db_url(Path(db))) if db else None
            try:
                for r in items:
                    student, lesson = r["student"], r["lesson"]
                    same_file = bool(r.get("sha256")) and before.get((student, lesson)) == r.get("sha256")
                    dst.update_or_create_student(student)
                    dst.update_or_create_submission(lesson, student, **submission_fields(r))
                    dst_nb = dst.find_submission_notebook(lesson, lesson, student)
                    plain = r.get("gradebook")  # rows sent as plain data (a cluster worker's)
                    if plain is None and src is not None:
                        plain = plain_rows(src.find_submission_notebook(lesson, lesson, student))
                    if plain is None:
                        for mine in dst_nb.grades:
                            mine.auto_score = 0.0
                            mine.needs_manual_grade = mine.manual_score is not None
                    else:
                        for grade in plain["grades"]:
                            mine = dst.find_grade(grade["name"], lesson, lesson, student)
                            mine.auto_score = grade["auto_score"]
                            if mine.manual_score is not None and same_file:
                                continue  # graded by hand, and the same notebook again: nothing new to review
                            # nbgrader's rule: no automatic score, or a manual one given before: review it
                            mine.needs_manual_grade = bool(grade["needs_manual_grade"] or mine.manual_score is not None)
                        for comment in plain["comments"]:
                            mine = dst.find_comment(comment["name"], lesson, lesson, student)
                            mine.auto_comment = comment["auto_comment"]
                    dst_nb.flagged = r["status"] != "ok"
                    dst.db.flush()
            finally:
                if src is not None:
                    src.close()
    set_statuses(target, [(r["student"], r["lesson"], r["status"], r.get("detail", ""), r.get("sha256", ""))
                          for r in results])


def hand_marks(db: Path, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[dict, dict]]:
    """``{(student, lesson): ({grade id: manual score}, {comment id: manual comment})}`` in gradebook ``db``."""
    from nbgrader.api import Gradebook, MissingEntry

    found = {}
    with Gradebook(db_url(db)) as gb:
        for student, lesson in keys:
            try:
                nb = gb.find_submission_notebook(lesson, lesson, student)
            except MissingEntry:
                continue
            found[(student, lesson)] = ({g.name: g.manual_score for g in nb.grades if g.manual_score is not None},
                                        {c.name: c.manual_comment for c in nb.comments if c.manual_comment})
    return found


def seed_manual_grades(class_db: Path, template: Path, keys: list[tuple[str, str]]) -> int:
    """Copy the instructor's manual scores and comments of ``keys`` (student, lesson) into ``template``.

    Workers grade into copies of ``template``: seeded, their feedback pages and totals already count
    what was graded by hand before this run (:func:`merge_into` keeps the class gradebook's own).
    Returns the number of manual scores copied.
    """
    from nbgrader.api import Gradebook

    if not Path(class_db).is_file():
        return 0
    found = {key: marks for key, marks in hand_marks(class_db, keys).items() if marks[0] or marks[1]}
    if not found:
        return 0
    with Gradebook(db_url(template)) as dst:
        for (student, lesson), (scores, notes) in found.items():
            dst.update_or_create_student(student)
            dst.update_or_create_submission(lesson, student)
            for name, value in scores.items():
                dst.find_grade(name, lesson, lesson, student).manual_score = value
            for name, text in notes.items():
                dst.find_comment(name, lesson, lesson, student).manual_comment = text
        dst.db.commit()
    return sum(len(scores) for scores, _ in found.values())


def _fmt(value: float) -> str:
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def score_split(submission) -> dict:
    """The scores of one nbgrader ``SubmittedAssignment``, automatic and written parts apart.

    ``score``/``max_score``: nbgrader's total (every cell; an answer still waiting for hand grading
    counts 0). ``auto_*``: the graded test cells (an instructor's override in Formgrader included).
    ``manual_*``: the written answers (manually graded answer cells); ``manual_score`` is None
    while ``manual_pending`` of them have no score yet. ``cells``: each written answer's
    ``{"score", "max_score", "needs_manual_grade"}``.
    """
    auto = auto_max = manual = manual_max = 0.0
    pending = 0
    cells = {}
    for nb in submission.notebooks:
        written = {cell.name for cell in nb.notebook.solution_cells}
        for grade in nb.grades:
            most = float(grade.max_score or 0.0)
            # nbgrader's Grade.score reads 0 for a grade with neither an automatic nor a manual score
            score = None if grade.auto_score is None and grade.manual_score is None else float(grade.score or 0.0)
            if grade.name in written:
                manual_max += most
                cells[grade.name] = {"score": score, "max_score": most,
                                     "needs_manual_grade": bool(grade.needs_manual_grade)}
                if score is None:
                    pending += 1
                else:
                    manual += score
            else:
                auto_max += most
                auto += score or 0.0
    return {
        "score": float(submission.score or 0.0), "max_score": float(submission.max_score or 0.0),
        "auto_score": auto, "auto_max_score": auto_max,
        "manual_score": None if pending else manual, "manual_max_score": manual_max,
        "manual_pending": pending, "written": cells,
    }


def submission_scores(db: Path, student: str, lesson: str) -> dict:
    """:func:`score_split` of ``student``'s ``lesson`` in gradebook ``db``."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url(db)) as gb:
        return score_split(gb.find_submission(lesson, student))


def grade_rows(db: Path) -> list[dict]:
    """One row per (student, lesson) in the gradebook, with its status (the columns of :data:`CSV_COLUMNS`)."""
    from nbgrader.api import Gradebook

    with sqlite3.connect(db) as con:
        con.execute(STATUS_TABLE)
        query = "SELECT student, lesson, status FROM seqnlp_grading"
        statuses = {(s, lesson): st for s, lesson, st in con.execute(query)}
    rows = []
    with Gradebook(db_url(db)) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                student = sub.student.id
                split = score_split(sub)
                row = {"student": student, "name": sub.student.last_name or student, "lesson": assignment.name}
                for key in ("score", "max_score", "auto_score", "auto_max_score", "manual_max_score"):
                    row[key] = _fmt(split[key])
                row["manual_score"] = "" if split["manual_score"] is None else _fmt(split["manual_score"])
                row["manual_pending"] = str(split["manual_pending"])
                row["timestamp"] = sub.timestamp.isoformat(sep=" ") if sub.timestamp else ""
                penalty = sum(nb.late_submission_penalty or 0.0 for nb in sub.notebooks)
                row["late_penalty"] = _fmt(penalty) if sub.timestamp and sub.total_seconds_late > 0 else ""
                row["status"] = statuses.get((student, assignment.name), "ok")
                rows.append(row)
    rows.sort(key=lambda r: (r["student"], r["lesson"]))
    return rows


SPLIT_FIELDS = ("score", "max_score", "auto_score", "auto_max_score", "manual_score", "manual_max_score",
                "manual_pending", "written")


def refresh_results(db: Path, results: list[dict]) -> None:
    """Each report entry's scores as the class gradebook holds them (manual scores kept from earlier included)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url(db)) as gb:
        for r in results:
            try:
                split = score_split(gb.find_submission(r["lesson"], r["student"]))
            except MissingEntry:
                continue
            r.update({key: split[key] for key in SPLIT_FIELDS})


def set_student_names(db: Path, names: dict[str, str]) -> None:
    """Keep each student's name (as the input spelled it) beside their id in the gradebook.

    Formgrader shows it as the student's last name; an id that is the name itself is left nameless.
    """
    from nbgrader.api import Gradebook

    with Gradebook(db_url(db)) as gb, one_transaction(gb):
        for student, name in names.items():
            if name and name != student:
                gb.update_or_create_student(student, last_name=name)


def apply_late_policy(db: Path, config, duedates: dict | None = None) -> dict[tuple[str, str], float]:
    """nbgrader's late-submission policy over the class gradebook.

    ``duedates`` (``{lesson: naive UTC datetime}``) are stored as the assignments' due
    dates first (Formgrader can set them too). Every submission with a timestamp after
    its due date gets the penalty of nbgrader's ``LateSubmissionPlugin`` as the course
    configures it (``c.LateSubmissionPlugin.penalty_method``: ``none``, the default, or
    ``zero``), kept like ``AssignLatePenalties`` keeps it. Returns ``{(student, lesson):
    seconds late}`` for the late ones.
    """
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.plugins import LateSubmissionPlugin

    plugin = LateSubmissionPlugin(config=config)
    late = {}
    with Gradebook(db_url(db)) as gb:
        for lesson, due in (duedates or {}).items():
            try:
                gb.find_assignment(lesson).duedate = due
            except MissingEntry:
                continue
        gb.db.commit()
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                seconds = sub.total_seconds_late if sub.timestamp is not None else 0
                for nb in sub.notebooks:
                    nb.late_submission_penalty = None
                    if seconds > 0:
                        penalty = plugin.late_submission_penalty(sub.student.id, nb.score, seconds)
                        if penalty is not None:
                            nb.late_submission_penalty = min(max(float(penalty), 0.0), float(nb.score))
                if seconds > 0:
                    late[(sub.student.id, assignment.name)] = float(seconds)
        gb.db.commit()
    return late


def export_csv(db: Path, path: Path) -> list[dict]:
    """Write ``grades.csv`` (exactly :data:`CSV_COLUMNS`) from the gradebook; return its rows."""
    rows = grade_rows(db)
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)
    return rows
