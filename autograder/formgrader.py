"""What nbgrader's Formgrader needs from a grading run, where its configuration says.

Formgrader (the instructor's page for manual grading and feedback) reads the
class gradebook at ``CourseDirectory.db_url`` and shows each submission from
its *autograded notebook*,
``<autograded_directory>/<student>/<lesson>/<lesson>.ipynb``. The course's
nbgrader configuration points both into the grader's output folder
(``graded/`` unless ``$SEQNLP_GRADED`` names another), so that what
``make grade`` writes is what Formgrader shows:

* ``graded/gradebook.db``: the class gradebook (see :mod:`autograder.gradebook`);
* ``graded/autograded/<student>/<lesson>/<lesson>.ipynb``: the executed, scored
  notebook, hidden tests included (instructor-only, never sent to students),
  its HTML sanitised (Formgrader shows it in the instructor's browser),
  written by :func:`save_autograded`; a submission that could not be run at all
  gets the released notebook with a note (:func:`save_missing_autograded`);
* nbgrader's ``timestamp.txt`` and ``submission_secret.txt`` of a submission
  collected from the exchange are kept beside the autograded notebook and the
  feedback page: Formgrader matches the timestamp with the gradebook's, and
  ``nbgrader release_feedback`` needs both.

:class:`HideHiddenTests` makes nbgrader's own ``generate_feedback`` (and
Formgrader's "Generate Feedback" button) as safe as the grader's feedback: it
is configured into ``GenerateFeedback.preprocessors``.
"""

from __future__ import annotations

import copy
import os
import re
import warnings
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell
from nbgrader import utils as nbgrader_utils
from nbgrader.preprocessors.base import NbGraderPreprocessor

from .feedback import mark_written_answers, neutralize_script_links, scrub_for_students, written_grades
from .gradebook import CellInfo, LessonInfo
from .lessons import REPO_ROOT
from .submissions import read_small

GRADED_ENV = "SEQNLP_GRADED"
NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")
_FILE_MAX_BYTES = 1024
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,512}$")


def graded_dir(environ: dict[str, str] | None = None) -> Path:
    """The grading output Formgrader reads: ``$SEQNLP_GRADED`` (relative to the repository) or ``graded/``."""
    value = (os.environ if environ is None else environ).get(GRADED_ENV, "").strip()
    return (REPO_ROOT / Path(value).expanduser()).resolve() if value else REPO_ROOT / "graded"


def autograded_path(out_dir: Path, student: str, lesson: str) -> Path:
    """Where nbgrader (``autograded_directory``) expects ``student``'s autograded ``lesson``."""
    return Path(out_dir) / "autograded" / student / lesson / f"{lesson}.ipynb"


def feedback_dir(out_dir: Path, student: str, lesson: str) -> Path:
    return Path(out_dir) / "feedback" / student / lesson


def _read_small(path: Path) -> str | None:
    return read_small(path, _FILE_MAX_BYTES)


def parse_timestamp(text: str | None):
    """nbgrader's reading of a ``timestamp.txt`` (naive UTC datetime), or None if it is not one."""
    if not text:
        return None
    try:
        return nbgrader_utils.parse_utc(text)
    except (ValueError, OverflowError, TypeError):
        return None


def submission_files(sub) -> dict[str, str]:
    """nbgrader's ``timestamp.txt``/``submission_secret.txt`` beside a submission in nbgrader's layout.

    Only a notebook in ``<student>/<lesson>/`` has them (``nbgrader collect``
    writes that layout); a flat folder of notebooks has none. Both files come
    from the student's side, so each is taken only if it is small and well formed.
    """
    folder = Path(sub.path).parent
    lesson_number = sub.lesson.split("_", 1)[0]
    named_for_lesson = folder.name == sub.lesson or (
        folder.name.isdigit() and lesson_number.isdigit() and int(folder.name) == int(lesson_number))
    if folder.parent.name not in (sub.student, getattr(sub, "name", "")) or not named_for_lesson:
        return {}
    found = {}
    stamp = _read_small(folder / "timestamp.txt")
    if parse_timestamp(stamp) is not None:
        found["timestamp.txt"] = stamp
    secret = _read_small(folder / "submission_secret.txt")
    if secret and _SECRET.match(secret):
        found["submission_secret.txt"] = secret
    return found


def _write_files(files: dict[str, str], *folders: Path) -> None:
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")


def _sanitized(nb: NotebookNode) -> NotebookNode:
    """A copy whose Markdown and outputs hold no script or active markup.

    Formgrader renders the autograded notebook as HTML in the instructor's
    browser, logged in to the instructor's Jupyter server: what a student's
    code displayed must not run there.
    """
    from nbconvert.preprocessors.sanitize import SanitizeHTML

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":  # Markdown's own links are not HTML: bleach lets them through
            cell.source = neutralize_script_links(str(cell.get("source", "")))
    nb, _ = SanitizeHTML().preprocess(nb, {})
    return nb


def _write_notebook(nb: NotebookNode, path: Path) -> Path:
    nb = _sanitized(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nbformat.write(nb, str(tmp))
    tmp.replace(path)
    return path


def save_autograded(nb: NotebookNode, sub, out_dir: Path) -> str | None:
    """Write the graded notebook where Formgrader looks; return the submission's timestamp (ISO) if known.

    ``nb`` is the executed notebook right after its scores were saved, hidden
    tests included. nbgrader's files of the submission (if any) go beside it
    and beside the feedback page.
    """
    path = autograded_path(out_dir, sub.student, sub.lesson)
    try:
        _write_notebook(nb, path)
    except (OSError, ValueError, TypeError):  # never costs the grade: the placeholder replaces it
        path.unlink(missing_ok=True)
    files = submission_files(sub)
    _write_files(files, autograded_path(out_dir, sub.student, sub.lesson).parent,
                 feedback_dir(out_dir, sub.student, sub.lesson))
    stamp = parse_timestamp(files.get("timestamp.txt"))
    return stamp.isoformat() if stamp is not None else None


NOT_RUN = ("invalid-notebook", "error")  # statuses whose submission has no graded notebook of this run


def save_missing_autograded(out_dir: Path, subs: list, results: list[dict], lessons: dict) -> None:
    """Give every submission this run could not grade (not a notebook, grader error) an autograded notebook.

    It is the released lesson with a first cell saying why, so that Formgrader
    lists the submission with its zero scores and its status (instead of a
    stale notebook from an earlier run, or an offer to autograde it outside
    the sandbox). Also for any result whose notebook is missing for another
    reason; the others keep what :func:`save_autograded` wrote.
    """
    by_key = {(s.student, s.lesson): s for s in subs}
    for result in results:
        sub = by_key.get((result["student"], result["lesson"]))
        if sub is None or sub.lesson not in lessons:
            continue
        path = autograded_path(out_dir, sub.student, sub.lesson)
        if result["status"] not in NOT_RUN and path.is_file():
            continue
        nb = copy.deepcopy(lessons[sub.lesson].released)
        note = (f"**Not graded: `{result['status']}`.** {result.get('detail', '')}\n\n"
                f"This is the released lesson, not the submission (`{sub.origin}`): every cell scores zero.")
        nb.cells.insert(0, new_markdown_cell(note))
        _write_notebook(nb, path)
        files = submission_files(sub)
        _write_files(files, path.parent, feedback_dir(out_dir, sub.student, sub.lesson))
        stamp = parse_timestamp(files.get("timestamp.txt"))
        result["timestamp"] = stamp.isoformat() if stamp is not None else None


def formgrader_note(out_dir: Path) -> str:
    """One line for the grading summary: how to see this run in Formgrader."""
    out = Path(out_dir).resolve()
    if out == graded_dir().resolve():
        return f"  Formgrader (make instructor-lab) shows these grades: {out / 'gradebook.db'}, {out / 'autograded'}"
    return (f"  Formgrader reads {graded_dir()}: to see this run there, SEQNLP_GRADED={out} make instructor-lab")


def submission_fields(result: dict) -> dict:
    """Extra fields of nbgrader's ``SubmittedAssignment`` for a result (its timestamp, when known)."""
    stamp = parse_timestamp(result.get("timestamp"))
    return {"timestamp": stamp} if stamp is not None else {}


def released_source(source: str, begin: str = "BEGIN HIDDEN TESTS", end: str = "END HIDDEN TESTS") -> str:
    """A test cell's source without its hidden-test regions, as ``ClearHiddenTests`` releases it."""
    lines, inside = [], False
    for line in source.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif not inside:
            lines.append(line)
    return "\n".join(lines)


def lesson_of(nb: NotebookNode, name: str = "") -> LessonInfo:
    """The lesson's cells as an autograded notebook holds them (test cells with their hidden tests)."""
    lesson = LessonInfo(name, nb)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if not grade_id or grade_id in lesson.cells:
            continue
        is_test = cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")
        lesson.order.append(grade_id)
        lesson.cells[grade_id] = CellInfo(
            grade_id=grade_id, cell_type=cell.cell_type, locked=bool(meta.get("locked")),
            grade=bool(meta.get("grade")), solution=bool(meta.get("solution")),
            points=float(meta.get("points", 0) or 0),
            released_source=released_source(cell.source) if is_test else cell.source,
            full_source=cell.source, metadata=dict(meta),
        )
    return lesson


class HideHiddenTests(NbGraderPreprocessor):
    """The student's view of an autograded notebook, as the grader's feedback pages show it.

    For ``nbgrader generate_feedback`` (and Formgrader's button): the autograded
    notebook it renders holds the hidden tests (nbgrader issue #917). The same
    steps as :meth:`autograder.feedback.FeedbackWriter.render`: test cells cut
    back to their public part, outputs of the student's cells after the first
    hidden test withheld, every output scrubbed of hidden-test lines and capped,
    each written answer followed by its hand-graded score (or "pending"), the
    HTML sanitised.
    """

    def preprocess(self, nb, resources):
        from nbconvert.preprocessors.sanitize import SanitizeHTML

        lesson = lesson_of(nb, resources.get("nbgrader", {}).get("assignment", ""))
        scrub_for_students(nb, lesson)
        mark_written_answers(nb, written_grades(resources))  # hand-graded scores (GetGrades ran first)
        resources["config_dir"] = "/nonexistent"  # no custom.css from anyone's ~/.jupyter
        return SanitizeHTML(config=self.config).preprocess(nb, resources)
