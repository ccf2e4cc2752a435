"""Feedback HTML for students, without the hidden tests (nbgrader issue #917).

nbgrader's own ``generate_feedback`` renders the autograded notebook, whose
test cells hold the hidden tests restored from the gradebook, so students read
them in their feedback. Here every graded test cell is cut back to its
released (public) source before rendering, and its outputs are rewritten so
that no hidden line, value or message leaks through a traceback:

* an error raised by a public assert keeps its type and message (the author
  wrote that message for students) but loses the traceback (which quotes the
  surrounding source);
* an error raised in the hidden part, or one we cannot place, becomes
  "a hidden test failed";
* text printed by a cell that has hidden tests is dropped.

Everything else a kernel sent is untrusted too, so every cell's outputs are
cut to a size budget, every line that quotes a hidden test is removed from
every output, outputs of the student's own cells that ran after the first
hidden test are not shown at all (student code called by a hidden test could
have read it and printed it later, encoded), and the HTML is sanitised with
nbconvert's ``SanitizeHTML`` (bleach) before rendering: no script, no
student markup.

Written answers (nbgrader's manually graded answer cells) are shown as the
student wrote them (sanitised like every cell), each followed by a line with
its hand-graded score, or "graded by hand: pending" (:func:`mark_written_answers`);
the model answer and rubric exist only in ``solutions/`` and never reach a page.
"""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path

from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell, new_output
from traitlets.config import Config

from .gradebook import CellInfo, LessonInfo

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
CELL_LINE = re.compile(r"(?:Cell In\s*\[\d*\]|Input In\s*\[\d*\]|<ipython-input-[^>]*>),? line (\d+)")
BEGIN, END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
HIDDEN_FAILURE = (
    "HiddenTestFailed",
    "a hidden test of this cell failed: your code gives a wrong result (or an error) on inputs "
    "other than the public ones; check edge cases",
)


def hidden_lines(source: str) -> set[int]:
    """1-based line numbers of ``source`` that belong to hidden-test regions (markers included)."""
    lines, inside = set(), False
    for number, line in enumerate(source.split("\n"), start=1):
        if BEGIN in line:
            inside = True
        if inside:
            lines.add(number)
        if END in line:
            inside = False
    return lines


def failing_line(traceback: list[str]) -> int | None:
    """The line of the test cell an IPython traceback points at (its outermost frame)."""
    for entry in traceback:
        match = CELL_LINE.search(ANSI.sub("", entry))
        if match:
            return int(match.group(1))
    return None


MAX_ERROR_CHARS = 2000
MAX_TEXT_CHARS = 20000
MAX_PAGE_BYTES = 4 << 20
HIDDEN_NOTE = "[a line that quoted a hidden test was removed]"
LATER_NOTE = ("[outputs of your own cells that ran after the first hidden test are not shown in feedback; "
              "run your notebook to see them]")


def hidden_texts(lesson: LessonInfo) -> list[str]:
    """The lesson's hidden-test lines worth looking for in outputs (stripped, at least 12 characters).

    A line that the released notebook shows anyway (a public assert, a demo cell) is no secret.
    """
    public = "\n".join(" ".join(str(cell.get("source", "")).split()) for cell in lesson.released.cells)
    found = set()
    for info in lesson.cells.values():
        if not info.is_test:
            continue
        source = info.full_source.split("\n")
        for number in hidden_lines(info.full_source):
            line = source[number - 1].strip()
            if len(line) >= 12 and BEGIN not in line and END not in line and " ".join(line.split()) not in public:
                found.add(line)
    return sorted(found, key=len, reverse=True)


def _scrub_text(text: str, secrets: list[str], limit: int) -> str:
    if len(text) > limit:
        text = text[:limit] + f"\n[... {len(text) - limit} more characters cut]"
    if not secrets:
        return text
    lines = text.split("\n")
    squeezed = [" ".join(line.split()) for line in lines]
    out = []
    for line, flat in zip(lines, squeezed, strict=True):
        if any(secret in line or " ".join(secret.split()) in flat for secret in secrets):
            out.append(HIDDEN_NOTE)
        else:
            out.append(line)
    return "\n".join(out)


def scrub_outputs(cell: NotebookNode, secrets: list[str]) -> None:
    """Cap and scrub every text an output carries (streams, data of every mimetype, errors)."""
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            text = out.get("text", "")
            out["text"] = _scrub_text("".join(text) if isinstance(text, list) else str(text), secrets, MAX_TEXT_CHARS)
        elif kind == "error":
            out["ename"] = str(out.get("ename", "Error"))[:200]
            out["evalue"] = _scrub_text(str(out.get("evalue", "")), secrets, MAX_ERROR_CHARS)
            tb = [str(t) for t in out.get("traceback", [])][-12:]
            out["traceback"] = [_scrub_text(t, secrets, MAX_ERROR_CHARS) for t in tb]
        elif kind in ("display_data", "execute_result"):
            data = out.get("data", {})
            for key in list(data):
                value = data[key]
                if key.startswith("image/"):
                    if len(str(value)) > 2 * MAX_TEXT_CHARS * 10:
                        del data[key]
                    continue
                if isinstance(value, list):
                    value = "".join(value)
                if isinstance(value, str):
                    data[key] = _scrub_text(value, secrets, MAX_TEXT_CHARS)
                else:
                    del data[key]  # JSON payloads: not needed for feedback


# a script URL however a student spells it in Markdown: entities decoded first, any non-word between letters
_SCRIPT_SCHEME = re.compile(r"(?i)(j\W*a\W*v\W*a|v\W*b)\W*s\W*c\W*r\W*i\W*p\W*t\W*:")
_URL_ATTR = re.compile(r"""(?i)(?<=[\s"'/])(href|src|action|formaction|xlink:href|poster|background)"""
                       r"""\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")
_SAFE_URL = re.compile(r"(?i)^(https?:|mailto:|#|/|\.|data:image/(png|jpeg|gif|webp|svg\+xml);|[^:/?#]*([/?#]|$))")


def neutralize_script_links(source: str) -> str:
    """Markdown ``source`` with every ``javascript:``/``vbscript:`` URL made inert.

    SanitizeHTML (bleach) escapes a student's HTML but not Markdown's own links
    (``[x](javascript:...)``), which the notebook renderer turns into live links.
    """
    decoded = html.unescape(source)
    if not _SCRIPT_SCHEME.search(decoded):
        return source
    return _SCRIPT_SCHEME.sub("blocked-script-url:", decoded)


def inert_urls(body: str) -> str:
    """The rendered page with every URL attribute that is not http(s), mailto, relative or an inline image inert."""

    def fix(match: re.Match) -> str:
        value = match.group(2).strip("\"'")
        squeezed = re.sub(r"[\x00-\x20]", "", html.unescape(value))
        return match.group(0) if _SAFE_URL.match(squeezed) else f'{match.group(1)}="#blocked-url"'

    return _URL_ATTR.sub(fix, body)


def scrub_for_students(nb: NotebookNode, lesson: LessonInfo) -> None:
    """Everything a student may see of a graded notebook, in place: public tests, scrubbed outputs.

    Test cells are cut back to their released source; the outputs of the student's own cells after
    the first hidden test are replaced by a note; every output is capped and loses every line that
    quotes a hidden test. (HTML sanitising comes after, with nbconvert's ``SanitizeHTML``.)
    """
    secrets = hidden_texts(lesson)
    after_hidden = False
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        info = lesson.cells.get(grade_id) if grade_id else None
        if info is not None and info.is_test:
            scrub_test_cell(cell, info)
            after_hidden = after_hidden or info.has_hidden_tests
        elif cell.cell_type == "code" and after_hidden and cell.get("outputs"):
            cell.outputs = [new_output("stream", name="stdout", text=LATER_NOTE)]
        if cell.cell_type == "code":
            scrub_outputs(cell, secrets)
        elif cell.cell_type == "markdown":  # a written answer, or any Markdown a student added
            cell.source = neutralize_script_links(str(cell.get("source", "")))


def scrub_test_cell(cell: NotebookNode, info: CellInfo) -> None:
    """Public source only; outputs that cannot reveal the hidden tests."""
    hidden = hidden_lines(info.full_source)
    outputs = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "error":
            line = failing_line(out.get("traceback", []))
            if not hidden:
                outputs.append(out)
            elif line is None or line in hidden or out.get("ename") in ("NotRun", "Untrusted"):
                if out.get("ename") in ("NotRun", "Untrusted", "CellTimeoutError"):
                    outputs.append(new_output("error", ename=out["ename"], evalue=out.get("evalue", ""),
                                              traceback=[f"{out['ename']}: {out.get('evalue', '')}"]))
                else:
                    ename, evalue = HIDDEN_FAILURE
                    outputs.append(new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]))
            else:
                ename, evalue = out.get("ename", "Error"), out.get("evalue", "")
                outputs.append(new_output("error", ename=ename, evalue=evalue,
                                          traceback=[f"{ename}: {evalue} (line {line} of the test cell)"]))
        elif kind == "stream" and hidden:
            continue
        elif kind in ("display_data", "execute_result") and hidden:
            data = out.get("data", {})
            if kind == "execute_result" and "text/plain" in data:
                outputs.append(new_output("execute_result", data={"text/plain": data["text/plain"]},
                                          execution_count=out.get("execution_count")))
        else:
            outputs.append(out)
    cell.source = info.released_source
    cell.outputs = outputs


WRITTEN_PENDING = "**Graded by hand: pending** ({points} point{s}): your instructor reads this answer."
WRITTEN_SCORED = "**Graded by hand: {score} / {points}**"
WRITTEN_EMPTY = "**Graded by hand: 0 / {points}**: no answer was written here."


def _fmt(value: float) -> str:
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def is_written_answer(cell: NotebookNode) -> bool:
    """A manually graded answer cell (nbgrader ``grade`` and ``solution``): a written question's answer."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and bool(meta.get("solution"))


def written_grades(resources: dict) -> dict[str, tuple[float | None, float | None]]:
    """``{grade_id: (auto_score, manual_score)}`` of the submission's written answers, from its gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    info = resources.get("nbgrader", {})
    if not all(info.get(k) for k in ("db_url", "assignment", "notebook", "student")):
        return {}
    with Gradebook(info["db_url"]) as gb:
        try:
            nb = gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
        except MissingEntry:
            return {}
        written = {cell.name for cell in nb.notebook.solution_cells}
        return {g.name: (g.auto_score, g.manual_score) for g in nb.grades if g.name in written}


def mark_written_answers(nb: NotebookNode, grades: dict[str, tuple[float | None, float | None]]) -> None:
    """After each written answer, a line with its hand-graded score or "pending" (in place).

    A pending answer loses its ``grade`` flag in this copy, so that the feedback template does not
    print nbgrader's "Score: 0 / k" for it.
    """
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if not is_written_answer(cell):
            continue
        meta = cell.metadata["nbgrader"]
        points = float(meta.get("points") or 0)
        auto, manual = grades.get(meta.get("grade_id"), (None, None))
        if manual is not None:
            note = WRITTEN_SCORED.format(score=_fmt(manual), points=_fmt(points))
        elif auto is not None:  # nbgrader's automatic 0 for an answer left as released
            note = WRITTEN_EMPTY.format(points=_fmt(points))
        else:
            note = WRITTEN_PENDING.format(points=_fmt(points), s="" if points == 1 else "s")
            meta["grade"] = False
        cells.append(new_markdown_cell(note))
    nb.cells = cells


class FeedbackWriter:
    """Renders feedback with nbgrader's feedback template (one exporter per worker)."""

    def __init__(self, config: Config):
        import os

        import nbgrader
        from nbconvert import HTMLExporter

        base = os.path.dirname(nbgrader.__file__)
        c = Config()
        c.merge(config)
        c.HTMLExporter.template_name = "feedback"
        c.HTMLExporter.extra_template_basedirs = [os.path.join(base, "server_extensions", "formgrader", "templates")]
        c.HTMLExporter.extra_template_paths = [
            os.path.join(base, "server_extensions", "formgrader", "static", "node_modules", "bootstrap", "dist", "css")
        ]
        self.config = c
        self.exporter = HTMLExporter(config=c)

    def warm_up(self) -> None:
        """Load and compile the templates once, before the first submission is timed."""
        from nbformat.v4 import new_code_cell, new_notebook

        self.exporter.from_notebook_node(new_notebook(cells=[new_code_cell("1")]),
                                         resources={"nbgrader": {"score": 0, "max_score": 0, "late_penalty": 0,
                                                                 "notebook": "warm-up"}})

    def write(self, nb: NotebookNode, resources: dict, lesson: LessonInfo, target: Path, status: str = "ok",
              detail: str = "") -> Path:
        body = with_status_notice(self.render(nb, resources, lesson), status, detail, lesson)
        if len(body.encode("utf-8")) > MAX_PAGE_BYTES:  # still too big: only the tests' verdicts
            lean = copy.deepcopy(nb)
            for cell in lean.cells:
                meta = cell.get("metadata", {}).get("nbgrader", {})
                if cell.cell_type == "code" and not (meta.get("grade") and not meta.get("solution")):
                    cell.outputs = []
            body = with_status_notice(self.render(lean, resources, lesson), status, detail, lesson)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
        return target

    def render(self, nb: NotebookNode, resources: dict, lesson: LessonInfo) -> str:
        """The feedback page: test cells cut back to public, every output scrubbed and sanitised."""
        from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
        from nbconvert.preprocessors.sanitize import SanitizeHTML
        from nbgrader.preprocessors import GetGrades

        nb = copy.deepcopy(nb)
        resources = copy.deepcopy(resources)
        resources["config_dir"] = "/nonexistent"  # no custom.css from anyone's ~/.jupyter
        scrub_for_students(nb, lesson)
        nb, resources = SanitizeHTML(config=self.config).preprocess(nb, resources)
        nb, resources = GetGrades(config=self.config).preprocess(nb, resources)
        mark_written_answers(nb, written_grades(resources))
        nb, resources = CSSHTMLHeaderPreprocessor(config=self.config).preprocess(nb, resources)
        body, _ = self.exporter.from_notebook_node(nb, resources=resources)
        return inert_urls(body)


STATUS_NOTE = {
    "tampered": "The grader found code that changes how the tests run or report, so every point was withheld.",
    "timeout": "A cell ran out of time; the cells after it did not run and score nothing.",
    "memory": "A cell ran out of memory; the tests it stopped score nothing.",
    "processes": "The notebook started more processes than grading allows.",
    "output-limit": "The notebook printed more output than grading allows; cells were cut short.",
    "kernel-died": "The notebook's kernel died; the tests after that point score nothing.",
    "cells-missing": "Cells of the released notebook were missing; the grader put them back from the lesson.",
    "cells-restored": "Locked cells had been edited; the grader put them back as released.",
    "error": "The grader could not grade this submission reliably; your instructor has been told.",
}


def public_detail(detail: str, lesson: LessonInfo) -> str:
    """``detail`` for the student: any name that only the hidden tests use becomes "(a hidden name)"."""
    public = {w for cell in lesson.released.cells for w in _WORD.findall(str(cell.get("source", "")))}
    hidden = {w for info in lesson.cells.values() if info.is_test for w in _code_names(info.full_source)}
    secret = hidden - public
    return _WORD.sub(lambda m: "(a hidden name)" if m.group(0) in secret else m.group(0), detail)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _code_names(source: str) -> set[str]:
    """The names a cell's code uses (not the words of its strings and comments)."""
    import io
    import tokenize

    try:
        return {t.string for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.NAME}
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return set(_WORD.findall(source))


def with_status_notice(body: str, status: str, detail: str, lesson: LessonInfo) -> str:
    """The page with a notice under its score when the submission was not graded normally (``status`` not ok).

    Without it a tampered or timed-out submission shows 0 points and no reason. The detail is the
    grader's own one-line reason (what grades.csv says), escaped, without names of the hidden tests.
    """
    if status == "ok":
        return body
    text = public_detail(str(detail or ""), lesson)[:2000]
    notice = (f'<div class="alert alert-danger" role="alert" id="grading-status"><strong>Graded as '
              f'{html.escape(status)}.</strong> {html.escape(STATUS_NOTE.get(status, ""))}'
              f'<br><small>{html.escape(text)}</small></div>\n')
    for marker in ('<div class="panel-body">', "<body>"):
        at = body.find(marker)
        if at >= 0:
            at += len(marker) if marker == "<body>" else 0
            return body[:at] + notice + body[at:]
    return notice + body


def write_problem_page(target: Path, student: str, lesson: str, status: str, detail: str, max_score: float) -> Path:
    """Feedback for a submission that could not be graded at all (e.g. not a notebook)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>"
        f"{html.escape(lesson)}: feedback</title></head><body>\n"
        f"<h1>{html.escape(lesson)}: 0 / {max_score:g}</h1>\n"
        f"<p>Student: {html.escape(student)}</p>\n"
        f"<p><strong>Your submission could not be graded ({html.escape(status)}).</strong></p>\n"
        f"<p>{html.escape(detail)}</p>\n"
        "<p>Start again from the released notebook in <code>lessons/</code>, copy your answers into it, "
        "save it from Jupyter and submit that file.</p>\n</body></html>\n",
        encoding="utf-8",
    )
    return target
