"""Finding the submissions in what an instructor collected.

Accepted inputs (``SUBMISSIONS`` on the command line):

* nbgrader's layout: ``<student>/<lesson>/<lesson>.ipynb`` (``<lesson>`` may be
  the folder name ``04_word2vec`` or its number ``04``);
* a flat folder of ``<student>_<lesson>.ipynb`` files (again folder name or number);
* a ``.zip`` of either, as an LMS download gives it (a single wrapping folder
  such as ``submitted/`` or ``class-download/`` is looked through).

Anything else is listed as skipped with the reason, never silently dropped.
Zip archives are unpacked defensively: no absolute paths or ``..``, no links,
bounded size and file count.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
IGNORED = {"__MACOSX", ".ipynb_checkpoints", ".DS_Store", "__pycache__"}
ZIP_MAX_BYTES = 2 * 2**30
ZIP_MAX_FILES = 20000
NOTEBOOK_MAX_BYTES = 100 * 2**20


class SubmissionsError(ValueError):
    """The submissions path cannot be used at all."""


@dataclass(frozen=True)
class Submission:
    student: str
    lesson: str
    path: Path
    origin: str  # how it was found, relative to the input, for messages

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with open(self.path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


@dataclass
class Found:
    submissions: list[Submission] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (origin, reason)
    layout: str = ""


class LessonNames:
    """Resolves ``04`` / ``4`` / ``04_word2vec`` to a lesson folder name of the course."""

    def __init__(self, lessons: list[str]):
        self.lessons = list(lessons)

    def resolve(self, name: str) -> str | None:
        key = name.strip().rstrip("/")
        if key in self.lessons:
            return key
        if key.isdigit():
            for lesson in self.lessons:
                prefix = lesson.split("_", 1)[0]
                if prefix.isdigit() and int(prefix) == int(key):
                    return lesson
        return None

    def split_flat(self, stem: str) -> tuple[str, str] | None:
        """``alice_smith_04_word2vec`` -> (``alice_smith``, ``04_word2vec``); also ``alice_04``."""
        best = None
        for lesson in self.lessons:
            if stem.endswith("_" + lesson) and len(stem) > len(lesson) + 1:
                if best is None or len(lesson) > len(best[1]):
                    best = (stem[: -len(lesson) - 1], lesson)
        if best:
            return best
        match = re.match(r"^(?P<student>.+)_(?P<num>\d{1,2})$", stem)
        if match:
            lesson = self.resolve(match["num"])
            if lesson:
                return match["student"], lesson
        return None


def safe_extract(archive: Path, dest: Path) -> None:
    """Unpack ``archive`` into ``dest`` refusing traversal, links and zip bombs."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as err:
        raise SubmissionsError(f"{archive} is not a readable zip file: {err}") from err
    with zf:
        infos = zf.infolist()
        if len(infos) > ZIP_MAX_FILES:
            raise SubmissionsError(f"{archive} holds {len(infos)} files (limit {ZIP_MAX_FILES})")
        if sum(i.file_size for i in infos) > ZIP_MAX_BYTES:
            raise SubmissionsError(f"{archive} unpacks to more than {ZIP_MAX_BYTES >> 30} GiB")
        root = dest.resolve()
        for info in infos:
            name = info.filename.replace("\\", "/")
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                continue
            target = (root / name).resolve()
            if not str(target).startswith(str(root) + "/"):
                continue  # absolute path or ../ : never written
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)


def _visible(path: Path) -> bool:
    return path.name not in IGNORED and not path.name.startswith(".")


def _origin(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def discover(root: Path, names: LessonNames, base: Path | None = None) -> Found:
    """Every submission under folder ``root`` (nbgrader layout and/or flat files)."""
    base = base or root
    found = Found()
    entries = sorted(p for p in root.iterdir() if _visible(p))
    dirs = [p for p in entries if p.is_dir() and not p.is_symlink()]
    files = [p for p in entries if p.is_file() and not p.is_symlink()]
    # a lone wrapping folder (LMS download, zip of a folder, nbgrader's submitted/)
    if not files and len(dirs) == 1 and not any(names.resolve(d.name) for d in dirs[0].iterdir() if d.is_dir()):
        inner = discover(dirs[0], names, base)
        if inner.submissions:
            return inner
    layouts = set()
    for f in files:
        if f.suffix != ".ipynb":
            found.skipped.append((_origin(f, base), "not a notebook (.ipynb)"))
            continue
        split = names.split_flat(f.stem)
        if split is None:
            found.skipped.append((_origin(f, base), "name is not <student>_<lesson>.ipynb for a known lesson"))
            continue
        student, lesson = split
        found.submissions.append(Submission(student, lesson, f, _origin(f, base)))
        layouts.add("flat")
    for student_dir in dirs:
        lesson_dirs = [d for d in sorted(student_dir.iterdir()) if d.is_dir() and _visible(d)]
        matched = False
        for lesson_dir in lesson_dirs:
            lesson = names.resolve(lesson_dir.name)
            if lesson is None:
                continue
            matched = True
            preferred = [lesson_dir / f"{lesson}.ipynb", lesson_dir / f"{lesson_dir.name}.ipynb"]
            notebook = next((p for p in preferred if p.is_file() and not p.is_symlink()), None)
            if notebook is None:
                others = [p for p in sorted(lesson_dir.glob("*.ipynb")) if _visible(p) and not p.is_symlink()]
                if len(others) == 1:
                    notebook = others[0]
                else:
                    why = "no notebook" if not others else f"{len(others)} notebooks, none named {lesson}.ipynb"
                    found.skipped.append((_origin(lesson_dir, base), why))
                    continue
            found.submissions.append(Submission(student_dir.name, lesson, notebook, _origin(notebook, base)))
            layouts.add("nbgrader")
        if not matched:
            found.skipped.append((_origin(student_dir, base), "folder holds no <lesson>/ folder of a known lesson"))
    found.layout = "+".join(sorted(layouts)) or "none"
    return found


def collect(path: Path, lessons: list[str], scratch: Path) -> Found:
    """Submissions in folder or zip ``path``; a zip is unpacked under ``scratch``."""
    path = Path(path)
    names = LessonNames(lessons)
    if not path.exists():
        raise SubmissionsError(f"{path} does not exist: give a folder or a .zip of submissions")
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise SubmissionsError(f"{path} is a file but not a .zip: give a folder or a .zip of submissions")
        target = scratch / "unzipped"
        target.mkdir(parents=True, exist_ok=True)
        safe_extract(path, target)
        found = discover(target, names)
        found.layout = f"zip/{found.layout}"
    else:
        found = discover(path, names)
    unique: dict[tuple[str, str], Submission] = {}
    kept = []
    for sub in found.submissions:
        if not STUDENT_ID.match(sub.student):
            why = f"student id {sub.student!r} has characters other than A-Z a-z 0-9 . _ @ + -"
            found.skipped.append((sub.origin, why))
            continue
        key = (sub.student, sub.lesson)
        if key in unique:
            found.skipped.append((sub.origin, f"second submission of {sub.lesson} by {sub.student} "
                                              f"(graded: {unique[key].origin})"))
            continue
        unique[key] = sub
        kept.append(sub)
    found.submissions = sorted(kept, key=lambda s: (s.student, s.lesson))
    return found
