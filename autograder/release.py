"""Regenerate ``lessons/`` from ``solutions/``: ``python -m autograder.release [LESSON ...]``.

Each lesson is released by ``nbgrader generate_assignment`` in a scratch course
directory (so no gradebook appears in the repository) and copied over
``lessons/<lesson>/``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from .lessons import LESSONS_DIR, available_lessons, resolve_lesson
from .roundtrip import generate_release


def release(lessons: list[str] | None = None) -> list[Path]:
    """Release the given lessons (default: every lesson with a source notebook)."""
    names = [resolve_lesson(name) for name in lessons] if lessons else available_lessons()
    written = []
    for lesson in names:
        with tempfile.TemporaryDirectory(prefix="release-") as tmp:
            generated = generate_release(lesson, Path(tmp))
            target = LESSONS_DIR / lesson
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(generated, target)
            written.append(target)
            print(f"released {lesson} -> {target.relative_to(LESSONS_DIR.parent)}")
    return written


if __name__ == "__main__":
    release(sys.argv[1:])
