"""The nbgrader gradebook side of grading: lessons in, grades out.

* :func:`prepare_lessons` registers each lesson in a gradebook exactly the way
  ``nbgrader generate_assignment`` does (same preprocessors, same course
  configuration) and returns the released notebook, i.e. what students got.
* Each worker grades into its own copy of that gradebook; :func:`merge_into`
  copies the results of a run into the class gradebook (``graded/gradebook.db``),
  which stays the source of truth: :func:`export_csv` writes ``grades.csv``
  from it. Re-running updates the same rows (nbgrader's ``update_or_create``),
  keeps any manual score an instructor gave, and never duplicates a row.
* A small extra table, ``seqnlp_grading``, stores each submission's status
  (``ok``, ``timeout``, ...) next to nbgrader's tables in the same file.
"""

from __future__ import annotations

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

CSV_COLUMNS = ("student", "lesson", "score", "max_score", "status")
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
    def has_hidden_tests(self) -> bool:
        return self.full_source != self.released_source and self.is_test


@dataclass
class LessonInfo:
    name: str
    released: NotebookNode
    cells: dict[str, CellInfo] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # grade ids in released order

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.cells.values() if c.grade)


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


def new_worker_gradebook(template: Path, path: Path) -> Path:
    shutil.copyfile(template, path)
    return path


def set_status(db: Path, student: str, lesson: str, status: str, detail: str, sha256: str) -> None:
    with sqlite3.connect(db) as con:
        con.execute(STATUS_TABLE)
        con.execute(
            "INSERT INTO seqnlp_grading (student, lesson, status, detail, notebook_sha256) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(student, lesson) DO UPDATE SET status=excluded.status, detail=excluded.detail, "
            "notebook_sha256=excluded.notebook_sha256",
            (student, lesson, status, detail, sha256),
        )


def merge_into(target: Path, results: list[dict]) -> None:
    """Copy each result's grades from the worker gradebook it was written to into ``target``.

    A result without a worker gradebook (the grader itself failed on it) is
    recorded with zero points, so that every submission has its row.
    """
    from nbgrader.api import Gradebook

    from .formgrader import submission_fields

    by_db: dict[str, list[dict]] = {}
    for result in results:
        by_db.setdefault(result.get("db") or "", []).append(result)
    with Gradebook(db_url(target)) as dst:
        for db, items in sorted(by_db.items()):
            src = Gradebook(db_url(Path(db))) if db else None
            try:
                for r in items:
                    student, lesson = r["student"], r["lesson"]
                    dst.update_or_create_student(student)
                    dst.update_or_create_submission(lesson, student, **submission_fields(r))
                    dst_nb = dst.find_submission_notebook(lesson, lesson, student)
                    if src is None:
                        for mine in dst_nb.grades:
                            mine.auto_score = 0.0
                            mine.needs_manual_grade = mine.manual_score is not None
                    else:
                        src_nb = src.find_submission_notebook(lesson, lesson, student)
                        for grade in src_nb.grades:
                            mine = dst.find_grade(grade.name, lesson, lesson, student)
                            mine.auto_score = grade.auto_score
                            mine.needs_manual_grade = bool(grade.needs_manual_grade or mine.manual_score is not None)
                        for comment in src_nb.comments:
                            mine = dst.find_comment(comment.name, lesson, lesson, student)
                            mine.auto_comment = comment.auto_comment
                    dst_nb.flagged = r["status"] != "ok"
                    dst.db.commit()
            finally:
                if src is not None:
                    src.close()
    for r in results:
        set_status(target, r["student"], r["lesson"], r["status"], r.get("detail", ""), r.get("sha256", ""))


def _fmt(value: float) -> str:
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def grade_rows(db: Path) -> list[dict]:
    """One row per (student, lesson) in the gradebook, with its status."""
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
                rows.append(
                    {
                        "student": student,
                        "lesson": assignment.name,
                        "score": _fmt(sub.score or 0.0),
                        "max_score": _fmt(sub.max_score or 0.0),
                        "status": statuses.get((student, assignment.name), "ok"),
                    }
                )
    rows.sort(key=lambda r: (r["student"], r["lesson"]))
    return rows


def export_csv(db: Path, path: Path) -> list[dict]:
    """Write ``grades.csv`` (exactly :data:`CSV_COLUMNS`) from the gradebook; return its rows."""
    rows = grade_rows(db)
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)
    return rows
