"""Finding the submissions in what an instructor collected.

Accepted inputs (``SUBMISSIONS`` on the command line):

* nbgrader's layout: ``<student>/<lesson>/<lesson>.ipynb`` (``<lesson>`` may be
  the folder name ``04_word2vec`` or its number ``04``), with nbgrader's
  ``timestamp.txt`` beside the notebook read as the submission time;
* a flat folder of ``<student>_<lesson>.ipynb`` files (again folder name or number);
* a Canvas download: ``<name>_[late_]<user id>_<submission id>_<file name>``;
* a Moodle download: ``<Full Name>_<participant id>_assignsubmission_file_/<file>``
  folders (or the same prefix on a flat file name);
* a ``.zip`` of any of these, as an LMS download gives it (a single wrapping
  folder such as ``submitted/`` or ``class-download/`` is looked through).

In an LMS download the lesson is read from the notebook's name; when only one
lesson is graded (``--lessons 04``) any notebook name is that lesson's.

Any name a student or an LMS uses is accepted: :func:`student_id` derives a
stable, filesystem-safe id from it (a transliterated slug plus a short hash of
the exact name, so "Nguyễn An" and "Nguyen An" never share one) and the
original name travels beside it as :attr:`Submission.name`.

Nothing is followed and nothing is silent: symbolic links (files, student
folders, lesson folders, zip entries) are never followed, and every entry of
the input that is not graded is listed in ``skipped`` with its reason. Zip
archives are unpacked defensively: no absolute paths or ``..``, no links,
bounded size and file count.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from anyascii import anyascii

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
IGNORED = {"__MACOSX", ".ipynb_checkpoints", ".DS_Store", "__pycache__"}
ZIP_MAX_BYTES = 2 * 2**30
ZIP_MAX_FILES = 20000
NOTEBOOK_MAX_BYTES = 100 * 2**20
NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")  # read beside a notebook, never graded
CANVAS_FILE = re.compile(r"^(?P<name>[^_/]+?)_(?P<late>late_)?(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$", re.I)
MOODLE_PREFIX = re.compile(r"^(?P<name>.+?)_(?P<user>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<rest>.*)$")
CANVAS_COPY = re.compile(r"^(?P<stem>.+?)-\d+$")  # Canvas renames a resubmitted file to name-1.ipynb


def student_id(name: str) -> str:
    """A stable, filesystem-safe id for the name a student or an LMS uses.

    A name that is already a safe id (``alice``, ``bob.smith``) is its own id.
    Any other is transliterated (``anyascii``: "Nguyễn Văn An" -> "nguyen-van-an")
    and given the first 8 hex digits of the SHA-256 of its NFC form, so two names
    that differ in any character, a diacritic included, get different ids.
    """
    name = unicodedata.normalize("NFC", name.strip())
    if STUDENT_ID.match(name):
        return name
    slug = re.sub(r"[^a-z0-9]+", "-", anyascii(name).lower()).strip("-")[:48].strip("-") or "student"
    return f"{slug}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"


class SubmissionsError(ValueError):
    """The submissions path cannot be used at all."""


@dataclass(frozen=True)
class Submission:
    student: str  # the safe id (student_id of the name)
    lesson: str
    path: Path
    origin: str  # how it was found, relative to the input, for messages
    name: str = ""  # the name the student or the LMS used; the id when empty
    timestamp: str | None = None  # when it was submitted (nbgrader's timestamp.txt text), if known
    lms: tuple[tuple[str, str], ...] = ()  # what the LMS download says: (("format", "canvas"), ("user_id", ...))

    @property
    def display_name(self) -> str:
        return self.name or self.student

    @property
    def lms_info(self) -> dict[str, str]:
        return dict(self.lms)

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


def safe_extract(archive: Path, dest: Path) -> list[tuple[str, str]]:
    """Unpack ``archive`` into ``dest`` refusing traversal, links and zip bombs.

    Returns ``(entry, reason)`` for every entry that was not written.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as err:
        raise SubmissionsError(f"{archive} is not a readable zip file: {err}") from err
    dropped: list[tuple[str, str]] = []
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
            origin = f"{archive.name}:{info.filename}"
            if stat.S_ISLNK(mode):
                dropped.append((origin, "a symbolic link in the zip: never followed"))
                continue
            target = (root / name).resolve()
            if not str(target).startswith(str(root) + "/"):
                dropped.append((origin, "points outside the archive (absolute path or ..): not unpacked"))
                continue
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            if target.exists():
                dropped.append((origin, "a second entry with the same path: the first was kept"))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    return dropped


def _visible(path: Path) -> bool:
    return path.name not in IGNORED and not path.name.startswith(".")


def _origin(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def _lesson_of_file(stem: str, names: LessonNames, only: str | None) -> str | None:
    """The lesson an LMS file name stands for: its stem is the lesson (or ends in it), else ``only``."""
    for candidate in (stem, (CANVAS_COPY.match(stem) or {"stem": stem})["stem"]):
        lesson = names.resolve(candidate)
        if lesson:
            return lesson
        split = names.split_flat(candidate)
        if split:
            return split[1]
    return only


class _Walk:
    """One pass over an input folder, collecting submissions and every skipped entry."""

    def __init__(self, names: LessonNames, base: Path, only: str | None):
        self.names, self.base, self.only = names, base, only
        self.found = Found()
        self.layouts: set[str] = set()

    def skip(self, path: Path, why: str) -> None:
        self.found.skipped.append((_origin(path, self.base), why))

    def add(self, name: str, lesson: str, path: Path, layout: str, timestamp: str | None = None,
            lms: dict[str, str] | None = None) -> None:
        self.found.submissions.append(Submission(
            student_id(name), lesson, path, _origin(path, self.base), name=unicodedata.normalize("NFC", name),
            timestamp=timestamp, lms=tuple(sorted((lms or {}).items()))))
        self.layouts.add(layout)

    def entries(self, folder: Path) -> list[Path]:
        """The entries of ``folder`` worth looking at; links and system files are listed as skipped."""
        out = []
        for p in sorted(folder.iterdir()):
            if p.is_symlink():
                self.skip(p, "a symbolic link: never followed")
            elif not _visible(p):
                self.skip(p, "a system, hidden or checkpoint file: not graded")
            else:
                out.append(p)
        return out

    # -- the layouts

    def flat_file(self, f: Path) -> None:
        if f.suffix != ".ipynb":
            self.skip(f, "not a notebook (.ipynb)")
            return
        canvas = CANVAS_FILE.match(f.name)
        moodle = MOODLE_PREFIX.match(f.name)
        split = self.names.split_flat(f.stem)
        if moodle and moodle["plugin"] == "file":
            lesson = _lesson_of_file(Path(moodle["rest"]).stem, self.names, self.only)
            if lesson:
                self.add(moodle["name"], lesson, f, "moodle", lms={"format": "moodle", "user_id": moodle["user"]})
                return
        elif canvas:
            lesson = _lesson_of_file(Path(canvas["file"]).stem, self.names, self.only)
            if lesson:
                self.add(canvas["name"], lesson, f, "canvas", lms={
                    "format": "canvas", "user_id": canvas["user"], "submission_id": canvas["submission"],
                    "late": "yes" if canvas["late"] else "no"})
                return
        if split is None:
            self.skip(f, "name is not <student>_<lesson>.ipynb for a known lesson (nor a Canvas or Moodle file name "
                         "naming one; with one lesson, grade with --lessons NN)")
            return
        self.add(split[0], split[1], f, "flat")

    def moodle_folder(self, folder: Path, match: re.Match) -> None:
        if match["plugin"] != "file":
            for p in self.entries(folder):
                self.skip(p, f"Moodle {match['plugin']} submission: only uploaded notebooks are graded")
            return
        notebooks = []
        for p in self.entries(folder):
            if p.is_file() and p.suffix == ".ipynb":
                notebooks.append(p)
            else:
                self.skip(p, "not a notebook (.ipynb)" if p.is_file() else "a folder inside a Moodle submission")
        by_lesson: dict[str, list[Path]] = {}
        for nb in notebooks:
            lesson = _lesson_of_file(nb.stem, self.names, self.only if len(notebooks) == 1 else None)
            if lesson is None:
                self.skip(nb, "can't tell which lesson this notebook is: name it <lesson>.ipynb or use --lessons")
            else:
                by_lesson.setdefault(lesson, []).append(nb)
        for lesson, paths in by_lesson.items():
            self.add(match["name"], lesson, paths[0], "moodle", lms={"format": "moodle", "user_id": match["user"]})
            for extra in paths[1:]:
                self.skip(extra, f"a second notebook of {lesson} in one Moodle submission (graded: {paths[0].name})")

    def student_folder(self, student_dir: Path) -> None:
        children = sorted(student_dir.iterdir())
        if not any((p.is_dir() or p.is_symlink()) and self.names.resolve(p.name) for p in children):
            self.skip(student_dir, "folder holds no <lesson>/ folder of a known lesson")
            return
        lesson_dirs = []
        for p in self.entries(student_dir):
            if p.is_dir() and self.names.resolve(p.name):
                lesson_dirs.append(p)
            else:
                self.skip(p, "not a <lesson>/ folder of a known lesson")
        for lesson_dir in lesson_dirs:
            lesson = self.names.resolve(lesson_dir.name)
            files = self.entries(lesson_dir)
            preferred = [lesson_dir / f"{lesson}.ipynb", lesson_dir / f"{lesson_dir.name}.ipynb"]
            notebooks = [p for p in files if p.is_file() and p.suffix == ".ipynb"]
            notebook = next((p for p in preferred if p in notebooks), None)
            if notebook is None and len(notebooks) == 1:
                notebook = notebooks[0]
            if notebook is None:
                why = "no notebook" if not notebooks else f"{len(notebooks)} notebooks, none named {lesson}.ipynb"
                self.skip(lesson_dir, why)
                continue
            for p in files:
                if p != notebook and p.name not in NBGRADER_FILES:
                    self.skip(p, f"beside the notebook of {lesson}: only the notebook is graded")
            stamp = read_small(lesson_dir / "timestamp.txt")
            self.add(student_dir.name, lesson, notebook, "nbgrader", timestamp=stamp)

    def folder(self, root: Path) -> None:
        for p in self.entries(root):
            if p.is_file():
                self.flat_file(p)
            elif p.is_dir():
                moodle = MOODLE_PREFIX.match(p.name)
                if moodle:
                    self.moodle_folder(p, moodle)
                else:
                    self.student_folder(p)
            else:
                self.skip(p, "not a regular file or folder")


def discover(root: Path, names: LessonNames, base: Path | None = None, only: str | None = None) -> Found:
    """Every submission under folder ``root`` (nbgrader, flat, Canvas and Moodle layouts)."""
    base = base or root
    visible = [p for p in sorted(root.iterdir()) if _visible(p) and not p.is_symlink()]
    dirs = [p for p in visible if p.is_dir()]
    # a lone wrapping folder (LMS download, zip of a folder, nbgrader's submitted/)
    if len(visible) == 1 and dirs and not MOODLE_PREFIX.match(dirs[0].name) and not any(
        names.resolve(d.name) for d in dirs[0].iterdir() if d.is_dir() and not d.is_symlink()
    ):
        inner = discover(dirs[0], names, base, only)
        if inner.submissions:
            outside = _Walk(names, base, only)
            outside.entries(root)  # lists the links and system files beside the wrapping folder
            inner.skipped = outside.found.skipped + inner.skipped
            return inner
    walk = _Walk(names, base, only)
    walk.folder(root)
    walk.found.layout = "+".join(sorted(walk.layouts)) or "none"
    return walk.found


def read_small(path: Path, limit: int = 4096) -> str | None:
    """A small text file's stripped text; None for a link, a missing, large or undecodable file."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > limit:
            return None
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None


def collect(path: Path, lessons: list[str], scratch: Path, only: str | None = None) -> Found:
    """Submissions in folder or zip ``path``; a zip is unpacked under ``scratch``.

    ``only``: the one lesson being graded, if one is; an LMS file whose name
    names no lesson is taken to be that lesson's.
    """
    path = Path(path)
    names = LessonNames(lessons)
    if not path.exists():
        raise SubmissionsError(f"{path} does not exist: give a folder or a .zip of submissions")
    dropped: list[tuple[str, str]] = []
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise SubmissionsError(f"{path} is a file but not a .zip: give a folder or a .zip of submissions")
        target = scratch / "unzipped"
        target.mkdir(parents=True, exist_ok=True)
        dropped = safe_extract(path, target)
        found = discover(target, names, only=only)
        found.layout = f"zip/{found.layout}"
    else:
        found = discover(path, names, only=only)
    found.skipped = dropped + found.skipped
    unique: dict[tuple[str, str], Submission] = {}
    owners: dict[str, str] = {}  # id -> the name it was derived from
    kept = []
    for sub in sorted(found.submissions, key=lambda s: (s.display_name, s.lesson, s.origin)):
        owner = owners.setdefault(sub.student, sub.display_name)
        if owner != sub.display_name:  # a safe name equal to another name's derived id: give this one more digits
            longer = f"{sub.student}-{hashlib.sha256(sub.display_name.encode('utf-8')).hexdigest()[8:16]}"
            sub = Submission(longer, sub.lesson, sub.path, sub.origin, sub.name, sub.timestamp, sub.lms)
            owners.setdefault(longer, sub.display_name)
        key = (sub.student, sub.lesson)
        if key in unique:
            found.skipped.append((sub.origin, f"second submission of {sub.lesson} by {sub.display_name} "
                                              f"(graded: {unique[key].origin})"))
            continue
        unique[key] = sub
        kept.append(sub)
    found.submissions = sorted(kept, key=lambda s: (s.student, s.lesson))
    return found
