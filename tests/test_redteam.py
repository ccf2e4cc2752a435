"""The grader's own red team (autograder/redteam.py), graded beside honest students.

The whole catalogue runs on the tiny fixture lesson (seconds per notebook);
a fixed sample runs on the real lesson 01 (tests/test_grader_lesson01.py). ``make redteam`` runs the whole
catalogue on 01, 04 and 08 and commits its report (benchmarks/results/redteam.md);
lessons 04 and 08 take a minute or two per graded class in fast mode, so they
are left to it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.grade import GradeOptions, grade
from autograder.gradebook import prepare_lessons
from autograder.redteam import CATALOGUE, build_class, judge, report_markdown
from autograder.sandbox import Limits, detect_layers

pytestmark = [pytest.mark.notebook]

COURSE = Path(__file__).parent / "fixtures" / "grader" / "course"
TINY = "01_tiny"


def require_sandbox() -> None:
    layers = detect_layers()
    if not layers.complete:
        (pytest.fail if os.environ.get("CI") else pytest.skip)("the sandbox is incomplete here: " + layers.describe())


def _grade(tmp: Path, sources: dict[str, Path], attacks, limits: Limits, course: Path | None = None):
    lessons = prepare_lessons(sources, tmp / "lessons.db")
    roles = build_class(tmp / "class", lessons, sources, attacks)
    grade(GradeOptions(submissions=tmp / "class", out=tmp / "out", workers=2, progress=False, limits=limits,
                       source=course))
    return judge(tmp / "out", roles, lessons)


def test_catalogue_is_large_and_named():
    assert len(CATALOGUE) >= 25
    assert len({a.name for a in CATALOGUE}) == len(CATALOGUE)
    assert {a.kind for a in CATALOGUE} >= {"hooks", "builtins", "modules", "values", "leak", "flood", "markup"}


def test_whole_catalogue_on_the_tiny_lesson(tmp_path):
    require_sandbox()
    verdicts = _grade(tmp_path, {TINY: COURSE / TINY / f"{TINY}.ipynb"}, list(CATALOGUE),
                      Limits(cell_timeout=8, notebook_timeout=90, memory_mb=1024, processes=96, tmp_mb=64,
                             output_mb=2.0, cell_output_mb=0.5), course=COURSE)
    print("\n" + report_markdown(verdicts))
    failed = [v for v in verdicts if not v.held]
    assert not failed, report_markdown(failed)
