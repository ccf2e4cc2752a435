"""``seqnlp`` as a student of one lesson may have it.

A student of lesson NN may use every helper of earlier lessons, but not the answers of
lesson NN or of any later lesson. Those answers are declared once, in ``seqnlp``
itself, with ``@exercise("NN_topic", "ex_<name>")`` (:mod:`seqnlp.exercises`). The
build of lesson NN rewrites each module's source so that every declared definition of
lesson NN or later is replaced by a stand-in that raises
``ExerciseRemovedError("seqnlp.text.clean_text is exercise ex_clean_text of lesson 01:
write it in your notebook")`` when called; private helpers (``_name``) that only a
removed definition used go too, with the comment lines right above them. Modules
without removals (``checks``, ``config``, ``data`` ...) are copied byte for byte.

:func:`lesson_build` writes ``build/seqnlp-lessons/NN_topic/seqnlp/`` (cached by a hash
of the package's source) and returns the folder to put first on ``sys.path``.

Command line: ``python -m autograder.helperbuild 03`` prints the folder and what it removed.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .lessons import LESSONS, REPO_ROOT, resolve_lesson

PACKAGE = "seqnlp"
SOURCE_DIR = REPO_ROOT / PACKAGE
BUILD_ROOT = REPO_ROOT / "build" / "seqnlp-lessons"
FULL_BUILD = "all"  # a course lesson not in LESSONS (graded from another --source) keeps the whole package
HASH_FILE = ".buildhash"
STAND_IN_IMPORT = "from .exercises import removed_exercise as _removed_exercise"


@dataclass(frozen=True)
class Declaration:
    """One ``@exercise(lesson, grade_id)`` definition of the package."""

    module: str  # "text"
    name: str  # "clean_text"
    lesson: str  # "01_text_preprocessing"
    grade_id: str  # "ex_clean_text"
    kind: str  # "function" or "class"
    path: Path
    first_line: int  # 1-based, decorators included
    last_line: int

    @property
    def qualname(self) -> str:
        return f"{PACKAGE}.{self.module}.{self.name}"


class BuildError(RuntimeError):
    """A declaration is malformed, or the rewritten source does not compile."""


def _exercise_args(decorator: ast.expr, path: Path) -> tuple[str, str] | None:
    if not isinstance(decorator, ast.Call):
        return None
    func = decorator.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if name != "exercise":
        return None
    args = decorator.args
    if len(args) != 2 or decorator.keywords or not all(isinstance(a, ast.Constant) and isinstance(a.value, str)
                                                       for a in args):
        raise BuildError(f"{path}:{decorator.lineno}: write @exercise(\"NN_topic\", \"ex_name\") with two strings")
    return args[0].value, args[1].value


def module_declarations(path: Path, tree: ast.Module | None = None) -> list[Declaration]:
    """The ``@exercise`` definitions at the top level of one module."""
    tree = tree or ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        marks = [args for d in node.decorator_list if (args := _exercise_args(d, path))]
        if not marks:
            continue
        if len(marks) > 1:
            raise BuildError(f"{path}:{node.lineno}: {node.name} has more than one @exercise")
        lesson, grade_id = marks[0]
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        kind = "class" if isinstance(node, ast.ClassDef) else "function"
        found.append(Declaration(path.stem, node.name, lesson, grade_id, kind, path, first, node.end_lineno))
    return found


def declarations(source_dir: Path = SOURCE_DIR) -> list[Declaration]:
    """Every ``@exercise`` definition of the package, module by module."""
    return [d for path in sorted(source_dir.glob("*.py")) for d in module_declarations(path)]


def lesson_number(lesson: str) -> int:
    return int(lesson[:2])


# --------------------------------------------------------------------------- rewriting one module


def _defined_name(node: ast.stmt) -> str | None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            return targets[0].id
    return None


def _used_names(nodes: list[ast.stmt]) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _start_with_comments(lines: list[str], first: int) -> int:
    """Extend a 1-based start line upwards over the comment lines right above it."""
    while first > 1 and lines[first - 2].startswith("#"):
        first -= 1
    return first


def rewrite_module(path: Path, removed_from: int | None, imported_elsewhere: set[str]) -> tuple[str, list[str]]:
    """The source of ``path`` without the answers of lesson ``removed_from`` and later; and what went.

    ``imported_elsewhere``: names other modules import from this one (never pruned).
    """
    text = path.read_text(encoding="utf-8")
    if removed_from is None:
        return text, []
    tree = ast.parse(text, str(path))
    decls = {d.name: d for d in module_declarations(path, tree) if lesson_number(d.lesson) >= removed_from}
    if not decls:
        return text, []
    lines = text.split("\n")
    kept = [node for node in tree.body if _defined_name(node) not in decls]
    pruned: set[str] = set()
    while True:  # private helpers that only removed code used
        used = _used_names(kept)
        dead = [node for node in kept if (name := _defined_name(node)) and name.startswith("_")
                and not name.startswith("__") and name not in used and name not in imported_elsewhere]
        if not dead:
            break
        pruned |= {_defined_name(node) for node in dead}
        kept = [node for node in kept if node not in dead]
    cuts: list[tuple[int, int, list[str]]] = []
    for node in tree.body:
        name = _defined_name(node)
        if name in decls:
            d = decls[name]
            stand_in = (f'{name} = _removed_exercise(__name__, "{name}", "{d.lesson}", "{d.grade_id}", '
                        f'"{d.kind}")')
            cuts.append((_start_with_comments(lines, d.first_line), d.last_line, [stand_in]))
        elif name in pruned:
            first = min([node.lineno] + [dec.lineno for dec in getattr(node, "decorator_list", [])])
            cuts.append((_start_with_comments(lines, first), node.end_lineno, []))
    for first, last, replacement in sorted(cuts, reverse=True):
        lines[first - 1 : last] = replacement
    anchor = next((i for i, line in enumerate(lines) if line.startswith("from .exercises import")), None)
    if anchor is None:
        raise BuildError(f"{path}: a module with @exercise definitions must import it with `from .exercises import`")
    lines.insert(anchor + 1, STAND_IN_IMPORT)
    out = re.sub(r"\n{4,}", "\n\n\n", "\n".join(lines))
    try:
        compile(out, str(path), "exec")
    except SyntaxError as err:
        raise BuildError(f"{path}: the lesson build does not compile: {err}") from err
    return out, sorted(decls) + sorted(f"{n} (private helper)" for n in pruned)


def _imported_names(source_dir: Path) -> dict[str, set[str]]:
    """``{module: names other modules of the package import from it}``."""
    out: dict[str, set[str]] = {}
    for path in source_dir.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                out.setdefault(node.module, set()).update(a.name for a in node.names)
    return out


def write_package(dest: Path, removed_from: int | None, source_dir: Path = SOURCE_DIR) -> dict[str, list[str]]:
    """Write the package without the answers of lesson ``removed_from`` and later into ``dest/``."""
    imported = _imported_names(source_dir)
    removed: dict[str, list[str]] = {}
    dest.mkdir(parents=True)
    for path in sorted(source_dir.iterdir()):
        if path.name == "__pycache__" or path.name.startswith("."):
            continue
        if path.is_dir():
            shutil.copytree(path, dest / path.name, ignore=shutil.ignore_patterns("__pycache__"))
        elif path.suffix == ".py":
            text, gone = rewrite_module(path, removed_from, imported.get(path.stem, set()))
            (dest / path.name).write_text(text, encoding="utf-8")
            if gone:
                removed[path.stem] = gone
        else:
            shutil.copy2(path, dest / path.name)
    return removed


# --------------------------------------------------------------------------- cached builds


def source_hash(source_dir: Path = SOURCE_DIR) -> str:
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(source_dir.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(source_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def lesson_build(lesson: str, root: Path = BUILD_ROOT) -> Path:
    """The folder to put first on ``sys.path`` so that ``import seqnlp`` gives the package of ``lesson``.

    ``lesson`` is a course lesson (``"03"`` or ``"03_bag_of_words_tfidf"``): its build has no
    answer of that lesson or a later one. Any other name (a lesson of another course folder)
    gets the whole package. Rebuilt only when the package's source changed.
    """
    try:
        folder = resolve_lesson(lesson)
        removed_from: int | None = lesson_number(folder)
    except ValueError:
        folder, removed_from = FULL_BUILD, None
    target = root / folder
    key = f"{source_hash()}:{folder}"
    stamp = target / HASH_FILE
    if stamp.is_file() and stamp.read_text() == key:
        return target
    with _locked(root):
        if stamp.is_file() and stamp.read_text() == key:
            return target
        scratch = Path(tempfile.mkdtemp(prefix=f".{folder}-", dir=root))
        write_package(scratch / PACKAGE, removed_from)
        (REPO_ROOT / ".cache").mkdir(exist_ok=True)
        for name in ("datasets", ".cache"):  # seqnlp finds both next to the package
            (scratch / name).symlink_to(REPO_ROOT / name)
        (scratch / HASH_FILE).write_text(key)
        os.chmod(scratch, 0o755)
        if target.exists():
            old = root / f".old-{folder}-{os.getpid()}"
            target.rename(old)
            scratch.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            scratch.rename(target)
    return target


def lesson_env(lesson: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with the build of ``lesson`` first on ``PYTHONPATH``."""
    env = dict(os.environ if env is None else env)
    rest = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = str(lesson_build(lesson)) + (os.pathsep + rest if rest else "")
    return env


def all_lesson_builds() -> dict[str, Path]:
    return {lesson: lesson_build(lesson) for lesson in LESSONS}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m autograder.helperbuild LESSON [LESSON ...]   (e.g. 03)")
        return 2
    for name in args:
        lesson = resolve_lesson(name)
        path = lesson_build(lesson)
        gone = [d.qualname for d in declarations() if lesson_number(d.lesson) >= lesson_number(lesson)]
        print(f"{lesson}: {path} (without {len(gone)} answers: {', '.join(gone) or 'none'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
