"""Which helpers of ``seqnlp`` are the answers of a lesson's exercises.

Every function or class of ``seqnlp`` that a lesson asks students to write carries
one declaration, the decorator :func:`exercise`::

    @exercise("01_text_preprocessing", "ex_clean_text")
    def clean_text(text: str) -> str:
        ...

The decorator changes nothing at run time. ``autograder/helperbuild.py`` reads the
declarations from the source and writes, per lesson, a copy of the package without
the answers of that lesson and of every later one: each removed definition becomes
:func:`removed_exercise`, a stand-in that raises :class:`ExerciseRemovedError` naming
the exercise when it is called. Library code that uses a removed helper still
imports; it raises the same error only when it reaches the missing helper.

In the student kit a stand-in can use the student's own answer instead: when
``SEQNLP_OWN_ANSWERS`` names the kit's ``lessons/`` folder and the notebook being run
belongs to a later lesson, the stand-in runs the solution cell of the student's
notebook of the earlier lesson and uses what it defines.
"""

from __future__ import annotations

import ast
import json
import os
import re
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["EXERCISES", "ExerciseRemovedError", "exercise", "removed_exercise"]

T = TypeVar("T")
LESSON_RE = re.compile(r"^\d\d_[a-z0-9_]+$")

# "module.qualname" -> (lesson folder, solution cell grade_id), filled as modules import
EXERCISES: dict[str, tuple[str, str]] = {}


class ExerciseRemovedError(NotImplementedError):
    """A helper that is the answer of an exercise the current lesson has not reached yet."""


def exercise(lesson: str, grade_id: str):
    """Declare the decorated function or class as the answer of solution cell ``grade_id`` of ``lesson``."""
    if not LESSON_RE.match(lesson) or not grade_id.startswith("ex_"):
        raise ValueError(f"exercise({lesson!r}, {grade_id!r}): use a lesson folder (01_text_preprocessing) "
                         "and a solution cell's grade_id (ex_...)")

    def declare(obj: T) -> T:
        EXERCISES[f"{obj.__module__}.{obj.__qualname__}"] = (lesson, grade_id)
        return obj

    return declare


def _message(qualname: str, lesson: str, grade_id: str) -> str:
    return f"{qualname} is exercise {grade_id} of lesson {lesson[:2]}: write it in your notebook"


def _current_lesson() -> str | None:
    """The lesson folder of the notebook being run (a kernel's working directory), if any."""
    name = os.environ.get("SEQNLP_LESSON") or Path.cwd().name
    return name if LESSON_RE.match(name) else None


def _own_answer(module: str, name: str, lesson: str, grade_id: str) -> Any | None:
    """The student's own ``name`` from the solution cell ``grade_id`` of their notebook of ``lesson``.

    Only in the student kit (``SEQNLP_OWN_ANSWERS`` set), and only for a lesson before the one
    being run: a lesson's own exercises always raise.
    """
    folder = os.environ.get("SEQNLP_OWN_ANSWERS")
    current = _current_lesson()
    if not folder or current is None or lesson[:2] >= current[:2]:
        return None
    notebook = Path(folder) / lesson / f"{lesson}.ipynb"
    if not notebook.is_file():
        return None
    cells = {}
    for cell in json.loads(notebook.read_text(encoding="utf-8")).get("cells", []):
        source = cell.get("source", "")
        cells[cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")] = (
            "".join(source) if isinstance(source, list) else source)
    if grade_id not in cells:
        return None
    namespace: dict[str, Any] = {"__name__": module}
    # What the earlier notebook's setup cell provides: its imports and constants (never its other work).
    setup = ast.parse(cells.get("setup", ""))
    setup.body = [node for node in setup.body if isinstance(node, (ast.Import, ast.ImportFrom))
                  or isinstance(node, ast.Assign) and isinstance(node.value, (ast.Constant, ast.Tuple))]
    exec(compile(setup, str(notebook), "exec"), namespace)  # noqa: S102
    exec(compile(cells[grade_id], str(notebook), "exec"), namespace)  # noqa: S102
    return namespace.get(name)


def removed_exercise(module: str, name: str, lesson: str, grade_id: str, kind: str = "function") -> Any:
    """The stand-in a lesson build puts where the answer ``module.name`` was removed."""
    qualname = f"{module}.{name}"
    message = _message(qualname, lesson, grade_id)
    cache: dict[str, Any] = {}

    def resolve() -> Any:
        if "own" not in cache:
            cache["own"] = _own_answer(module, name, lesson, grade_id)
        if cache["own"] is None:
            raise ExerciseRemovedError(message)
        return cache["own"]

    if kind == "class":

        class _Missing(type):
            def __getattr__(cls, attr: str) -> Any:
                if attr.startswith("__"):
                    raise AttributeError(attr)
                return getattr(resolve(), attr)

        def __new__(cls, *args, **kwargs):  # noqa: N807
            return resolve()(*args, **kwargs)

        def __init_subclass__(cls, **kwargs):  # noqa: N807
            raise ExerciseRemovedError(message)

        return _Missing(name, (), {"__new__": __new__, "__init_subclass__": classmethod(__init_subclass__),
                                   "__module__": module, "__doc__": message + "."})

    def stand_in(*args, **kwargs):
        return resolve()(*args, **kwargs)

    stand_in.__name__ = stand_in.__qualname__ = name
    stand_in.__module__ = module
    stand_in.__doc__ = message + "."
    return stand_in
