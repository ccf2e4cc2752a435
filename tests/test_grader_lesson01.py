"""The grader on the real lesson 01, one class graded once for all the tests of this module.

The class: the solution, the untouched release, a fixed sample of the red team (autograder/redteam.py;
``make redteam`` runs the whole catalogue on 01, 04 and 08) and a student who imports the answers from
``seqnlp`` and searches the mounted package for them. One ``grade`` call on 2 workers grades all of it.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.classgen import solution_sources, submission, write
from autograder.grade import GradeOptions, grade
from autograder.gradebook import LessonInfo, prepare_lessons
from autograder.helperbuild import declarations, lesson_build
from autograder.lessons import released_notebook, source_notebook
from autograder.redteam import build_class, by_name, judge, report_markdown
from autograder.sandbox import Limits, detect_layers
from tests.test_helperbuild import outside_declarations

pytestmark = [pytest.mark.notebook,
              pytest.mark.skipif(not source_notebook("01_text_preprocessing").is_file(),
                                 reason="lesson 01 has no source notebook yet")]

LESSON = "01_text_preprocessing"
SAMPLE = ["lookalike", "ast_assert_pass", "history_leak"]  # red-team attacks graded in make test
MIN_CHARS = 25

# Runs inside the sandbox, in the importer's first solution cell: search every file of the
# mounted package for the lines of the answers.
GREP = '''
import json as _json, pathlib as _pathlib, seqnlp as _seqnlp
_root = _pathlib.Path(_seqnlp.__file__).parent
_lines = _json.loads({lines!r})
_text = "\\n".join(p.read_text(errors="replace") for p in sorted(_root.rglob("*")) if p.is_file())
_hits = [l for l in _lines if l in _text]
print(f"MOUNTED {{_root}} FILES {{sum(1 for p in _root.rglob('*') if p.is_file())}} "
      f"CHECKED {{len(_lines)}} HITS {{len(_hits)}} {{_hits[:3]}}")
'''


def require_sandbox(limits=None) -> None:
    """Skip where the machine cannot sandbox (a developer laptop); fail under CI, where it must."""
    layers = detect_layers(limits)
    if not layers.complete:
        (pytest.fail if os.environ.get("CI") else pytest.skip)("the sandbox is incomplete here: " + layers.describe())


def answer_lines(solutions: dict[str, str]) -> list[str]:
    """Telling lines of lesson 01's solution cells and of seqnlp's copies of them."""
    lines = set()
    for source in solutions.values():
        body = source.split("### BEGIN SOLUTION", 1)[-1].split("### END SOLUTION", 1)[0]
        lines |= {line.strip() for line in body.splitlines() if len("".join(line.split())) >= MIN_CHARS}
    for decl in declarations():
        if decl.lesson == LESSON:
            text = decl.path.read_text(encoding="utf-8").splitlines()[decl.first_line : decl.last_line]
            lines |= {line.strip() for line in text if len("".join(line.split())) >= MIN_CHARS}
    # minus the lines the student has anyway: the released notebook (signatures), and what code every
    # build keeps repeats (argument checks shared with seqnlp.train ...)
    kept = "\n".join(outside_declarations(path) for path in {d.path for d in declarations()})
    kept += released_notebook(LESSON).read_text(encoding="utf-8")
    return sorted(line for line in lines if line not in kept)


@dataclass
class GradedClass:
    out: Path
    info: LessonInfo
    roles: dict[tuple[str, str], str]
    lines: list[str]  # the answer lines the importer searched for

    def rows(self) -> dict[str, dict]:
        return {r["student"]: r for r in csv.DictReader(open(self.out / "grades.csv", encoding="utf-8"))}

    def report(self) -> dict[str, dict]:
        return {r["student"]: r for r in json.loads((self.out / "report.json").read_text())["submissions"]}

    def page_text(self, student: str) -> str:
        page = (self.out / "feedback" / student / LESSON / f"{LESSON}.html").read_text(encoding="utf-8")
        return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> GradedClass:
    require_sandbox()
    tmp = tmp_path_factory.mktemp("lesson01-class")
    source = source_notebook(LESSON)
    lessons = prepare_lessons({LESSON: source}, tmp / "lessons.db")
    info = lessons[LESSON]
    root = tmp / "class"
    roles = build_class(root, lessons, {LESSON: source}, by_name(SAMPLE))  # honest, stub, the attacks
    solutions = solution_sources(source)
    imports = {}
    for decl in declarations():
        if decl.lesson == LESSON:
            imports.setdefault(decl.grade_id, []).append(f"from seqnlp.{decl.module} import {decl.name}")
    assert set(imports) == set(solutions), "every lesson 01 exercise has a twin in seqnlp"
    answers = {gid: "\n".join(names) for gid, names in imports.items()}
    lines = answer_lines(solutions)
    answers[next(iter(solutions))] += "\n" + GREP.format(lines=json.dumps(lines))
    write(submission(info, answers), root / "importer" / LESSON / f"{LESSON}.ipynb")
    grade(GradeOptions(submissions=root, out=tmp / "out", workers=2, progress=False,
                       limits=Limits(cell_timeout=120, notebook_timeout=600)))
    return GradedClass(tmp / "out", info, roles, lines)


def test_red_team_sample_holds(graded):
    verdicts = judge(graded.out, graded.roles, {LESSON: graded.info})
    print("\n" + report_markdown(verdicts))
    failed = [v for v in verdicts if not v.held]
    assert not failed, report_markdown(failed)


def test_solution_full_marks_and_stub_zero(graded):
    rows, report = graded.rows(), graded.report()
    why = {s: (r["status"], r["detail"], [c for c in r["cells"] if c.get("reason")]) for s, r in report.items()}
    # full marks: the automatic maximum (written answers, if any, are left as released: nbgrader's 0)
    sol = rows["honest"]
    assert sol["status"] == "ok" and sol["auto_score"] == sol["auto_max_score"], why
    assert float(sol["auto_max_score"]) == graded.info.auto_max_score > 0
    assert float(sol["manual_max_score"]) == graded.info.manual_max_score and sol["manual_pending"] == "0"
    assert rows["stub"]["status"] == "ok" and rows["stub"]["score"] == "0", why
    text = graded.page_text("honest")
    assert "BEGIN HIDDEN TESTS" not in text
    for cell in graded.info.cells.values():
        if cell.has_hidden_tests:
            hidden = cell.full_source.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
            for line in hidden.strip().splitlines():
                if len(line.strip()) > 25:
                    assert line.strip() not in text, f"hidden test line of {cell.grade_id} in the feedback"


def test_answers_imported_from_seqnlp_score_zero_and_cannot_be_read(graded):
    """Grading lesson 01 mounts the lesson 01 build of seqnlp: its answers cannot be imported or read."""
    rows, report = graded.rows(), graded.report()
    assert rows["importer"]["score"] == "0" and float(rows["importer"]["max_score"]) > 0, report["importer"]
    text = graded.page_text("importer")
    assert "seqnlp.text.clean_text is exercise ex_clean_text of lesson 01: write it in your notebook" in text
    assert "seqnlp.text.Vocab is exercise ex_vocab of lesson 01: write it in your notebook" in text
    found = re.search(r"MOUNTED (\S+) FILES (\d+) CHECKED (\d+) HITS (\d+)", text)
    assert found, "the probe in the first solution cell printed nothing"
    mounted, files, checked, hits = found[1], int(found[2]), int(found[3]), int(found[4])
    assert mounted == str(lesson_build(LESSON) / "seqnlp") and files >= 10
    assert checked >= 40 and hits == 0, f"{hits} answer lines readable inside the sandbox"
