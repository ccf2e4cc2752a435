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
"""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path

from nbformat import NotebookNode
from nbformat.v4 import new_output
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

    def write(self, nb: NotebookNode, resources: dict, lesson: LessonInfo, target: Path) -> Path:
        from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
        from nbgrader.preprocessors import GetGrades

        nb = copy.deepcopy(nb)
        resources = copy.deepcopy(resources)
        resources["config_dir"] = "/nonexistent"  # no custom.css from anyone's ~/.jupyter
        for cell in nb.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            info = lesson.cells.get(grade_id) if grade_id else None
            if info is not None and info.is_test:
                scrub_test_cell(cell, info)
        nb, resources = GetGrades(config=self.config).preprocess(nb, resources)
        nb, resources = CSSHTMLHeaderPreprocessor(config=self.config).preprocess(nb, resources)
        body, _ = self.exporter.from_notebook_node(nb, resources=resources)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
        return target


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
