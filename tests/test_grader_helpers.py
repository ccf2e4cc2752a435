"""Grading lesson 01 mounts the lesson 01 build of seqnlp: its answers cannot be imported or read."""

from __future__ import annotations

import csv
import html
import json
import re

import pytest

from autograder.classgen import solution_sources, submission, write
from autograder.grade import GradeOptions, grade
from autograder.gradebook import prepare_lessons
from autograder.helperbuild import declarations, lesson_build
from autograder.lessons import released_notebook, source_notebook
from autograder.sandbox import Limits
from tests.test_grader_lesson01 import require_sandbox
from tests.test_helperbuild import outside_declarations

pytestmark = [pytest.mark.xdist_group("grader_lesson01"), pytest.mark.notebook]

LESSON = "01_text_preprocessing"
MIN_CHARS = 25

# Runs inside the sandbox, in the student's first solution cell: search every file of the
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


@pytest.mark.skipif(not source_notebook(LESSON).is_file(), reason="lesson 01 has no source notebook yet")
def test_answers_imported_from_seqnlp_score_zero_and_cannot_be_read(tmp_path):
    require_sandbox()
    source = source_notebook(LESSON)
    info = prepare_lessons({LESSON: source}, tmp_path / "lesson.db")[LESSON]
    solutions = solution_sources(source)
    lines = answer_lines(solutions)
    imports = {}
    for decl in declarations():
        if decl.lesson == LESSON:
            imports.setdefault(decl.grade_id, []).append(f"from seqnlp.{decl.module} import {decl.name}")
    assert set(imports) == set(solutions), "every lesson 01 exercise has a twin in seqnlp"
    answers = {gid: "\n".join(names) for gid, names in imports.items()}
    first = next(iter(solutions))
    answers[first] += "\n" + GREP.format(lines=json.dumps(lines))
    root = tmp_path / "class"
    write(submission(info, answers), root / "importer" / LESSON / f"{LESSON}.ipynb")
    grade(GradeOptions(submissions=root, out=tmp_path / "out", workers=1, progress=False,
                       limits=Limits(cell_timeout=120, notebook_timeout=600)))
    rows = {r["student"]: r for r in csv.DictReader(open(tmp_path / "out" / "grades.csv"))}
    report = {r["student"]: r for r in json.loads((tmp_path / "out" / "report.json").read_text())["submissions"]}
    assert rows["importer"]["score"] == "0" and float(rows["importer"]["max_score"]) > 0, report["importer"]
    page = (tmp_path / "out" / "feedback" / "importer" / LESSON / f"{LESSON}.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "seqnlp.text.clean_text is exercise ex_clean_text of lesson 01: write it in your notebook" in text
    assert "seqnlp.text.Vocab is exercise ex_vocab of lesson 01: write it in your notebook" in text
    found = re.search(r"MOUNTED (\S+) FILES (\d+) CHECKED (\d+) HITS (\d+)", text)
    assert found, "the probe in the first solution cell printed nothing"
    mounted, files, checked, hits = found[1], int(found[2]), int(found[3]), int(found[4])
    assert mounted == str(lesson_build(LESSON) / "seqnlp") and files >= 10
    assert checked >= 40 and hits == 0, f"{hits} answer lines readable inside the sandbox"
