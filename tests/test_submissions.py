"""Reading what instructors collect: real names, links, LMS downloads (Canvas, Moodle), nbgrader's submitted/."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

from autograder.submissions import collect, student_id

LESSONS = ["01_tiny", "02_tiny"]
EMPTY = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def _nb(path: Path, text: str = EMPTY) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _found(root: Path, tmp: Path, only: str | None = None):
    found = collect(root, LESSONS, tmp / "scratch", only=only)
    return {(s.student, s.lesson): s for s in found.submissions}, dict(found.skipped), found


def test_student_ids_are_safe_stable_and_never_collide():
    assert student_id("alice") == "alice" and student_id("bob.smith") == "bob.smith"  # safe names stay
    names = ["Nguyễn Văn An", "Nguyen Van An", "Nguyễn Văn Ân", "Anna Müller", "josé", "Zoë", "王小明", "bob smith", " "]
    ids = [student_id(n) for n in names]
    assert len(set(ids)) == len(ids), ids
    assert ids[0].startswith("nguyen-van-an-") and ids[3].startswith("anna-muller-") and ids[6].startswith("wangxiaoming-")
    for i in ids:
        assert all(c.isascii() and (c.isalnum() or c in "-._@+") for c in i), i
    # the same name, composed or decomposed, is one student
    assert student_id("Nguy\u1ec5n An") == student_id("Nguye\u0302\u0303n An")
    assert student_id("Zoë") == student_id("Zoë")  # stable across runs (no salt)


def test_real_names_are_graded_under_their_ids_with_the_name_kept(tmp_path):
    root = tmp_path / "class"
    for name in ("Anna Müller", "josé", "Zoë", "Nguyễn Văn An", "Nguyen Van An"):
        _nb(root / name / "01_tiny" / "01_tiny.ipynb")
    _nb(root / "bob smith_01_tiny.ipynb")
    subs, skipped, _ = _found(root, tmp_path)
    names = {s.name for s in subs.values()}
    assert names == {"Anna Müller", "josé", "Zoë", "Nguyễn Văn An", "Nguyen Van An", "bob smith"}, skipped
    assert len({s.student for s in subs.values()}) == 6
    assert not skipped


def test_a_safe_name_equal_to_a_derived_id_gets_its_own(tmp_path):
    root = tmp_path / "class"
    derived = student_id("Nguyễn An")
    _nb(root / "Nguyễn An" / "01_tiny" / "01_tiny.ipynb")
    _nb(root / derived / "01_tiny" / "01_tiny.ipynb")
    subs, _, _ = _found(root, tmp_path)
    assert len(subs) == 2 and {s.name for s in subs.values()} == {"Nguyễn An", derived}


def test_links_are_never_followed_and_always_listed(tmp_path):
    answers = _nb(tmp_path / "course" / "solutions" / "01_tiny" / "01_tiny.ipynb", '{"secret": 1}')
    root = tmp_path / "class"
    _nb(root / "alice" / "01_tiny" / "01_tiny.ipynb")
    (root / "mallory").mkdir()
    os.symlink(answers.parent, root / "mallory" / "01_tiny")  # a lesson folder that is a link
    os.symlink(root / "alice", root / "trudy")  # a student folder that is a link
    (root / "oscar" / "02_tiny").mkdir(parents=True)
    os.symlink(answers, root / "oscar" / "02_tiny" / "02_tiny.ipynb")  # a notebook that is a link
    os.symlink(answers, root / "peggy_01_tiny.ipynb")  # a flat file that is a link
    subs, skipped, _ = _found(root, tmp_path)
    assert set(subs) == {("alice", "01_tiny")}
    for path in ("mallory/01_tiny", "trudy", "oscar/02_tiny/02_tiny.ipynb", "peggy_01_tiny.ipynb"):
        assert "symbolic link" in skipped.get(path, ""), (path, skipped)


def test_every_entry_not_graded_is_listed(tmp_path):
    root = tmp_path / "class"
    _nb(root / "alice" / "01_tiny" / "01_tiny.ipynb")
    (root / "alice" / "01_tiny" / "timestamp.txt").write_text("2026-11-30 10:00:00.000000 UTC")
    (root / "alice" / "01_tiny" / "scratch.py").write_text("x = 1")
    _nb(root / "alice" / "01_tiny" / ".ipynb_checkpoints" / "01_tiny-checkpoint.ipynb")
    (root / "alice" / "notes.txt").write_text("hi")
    (root / ".DS_Store").write_text("")
    subs, skipped, _ = _found(root, tmp_path)
    assert set(subs) == {("alice", "01_tiny")}
    assert subs[("alice", "01_tiny")].timestamp == "2026-11-30 10:00:00.000000 UTC"
    assert set(skipped) == {"alice/01_tiny/scratch.py", "alice/01_tiny/.ipynb_checkpoints", "alice/notes.txt",
                            ".DS_Store"}


def test_zip_entries_that_are_dropped_are_listed(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("submitted/alice/01_tiny/01_tiny.ipynb", EMPTY)
        zf.writestr("../escaped_01_tiny.ipynb", EMPTY)
        zf.writestr("/absolute_01_tiny.ipynb", EMPTY)
        link = zipfile.ZipInfo("submitted/mallory/01_tiny/01_tiny.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    subs, skipped, found = _found(archive, tmp_path)
    assert set(subs) == {("alice", "01_tiny")}
    assert "outside the archive" in skipped["class.zip:../escaped_01_tiny.ipynb"]
    assert "outside the archive" in skipped["class.zip:/absolute_01_tiny.ipynb"]
    assert "symbolic link" in skipped["class.zip:submitted/mallory/01_tiny/01_tiny.ipynb"]


def test_canvas_download(tmp_path):
    # Canvas: <sortable name, lower case, no spaces>_[late_]<user id>_<submission id>_<file name as uploaded>
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("mulleranna_1001_552001_01_tiny.ipynb", EMPTY)
        zf.writestr("nguyenvanan_late_1002_552002_01_tiny-1.ipynb", EMPTY)  # late, renamed resubmission
        zf.writestr("smithbob_1003_552003_my work.ipynb", EMPTY)  # names no lesson
        zf.writestr("smithbob_1003_552004_report.pdf", EMPTY)
    subs, skipped, found = _found(archive, tmp_path)
    assert {(s.name, s.lesson) for s in subs.values()} == {("mulleranna", "01_tiny"), ("nguyenvanan", "01_tiny")}
    late = next(s for s in subs.values() if s.name == "nguyenvanan")
    assert late.lms_info == {"format": "canvas", "user_id": "1002", "submission_id": "552002", "late": "yes"}
    assert "smithbob_1003_552003_my work.ipynb" in skipped and "smithbob_1003_552004_report.pdf" in skipped
    assert found.layout == "zip/canvas"
    # graded as one lesson, a notebook of any name is that lesson's
    subs, skipped, _ = _found(archive, tmp_path / "again", only="01_tiny")
    assert ("smithbob", "01_tiny") in {(s.name, s.lesson) for s in subs.values()}


def test_moodle_download(tmp_path):
    # Moodle: "Download all submissions" gives <Full Name>_<participant id>_assignsubmission_<plugin>_/ folders
    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("Nguyễn Văn An_12345_assignsubmission_file_/01_tiny.ipynb", EMPTY)
        zf.writestr("Anna Müller_12346_assignsubmission_file_/homework.ipynb", EMPTY)
        zf.writestr("Anna Müller_12346_assignsubmission_onlinetext_/onlinetext.html", "<p>hi</p>")
        zf.writestr("José Pérez_12347_assignsubmission_file_02_tiny.ipynb", EMPTY)  # without folders
    subs, skipped, found = _found(archive, tmp_path, only=None)
    got = {(s.name, s.lesson): s.lms_info for s in subs.values()}
    assert got == {("Nguyễn Văn An", "01_tiny"): {"format": "moodle", "user_id": "12345"},
                   ("José Pérez", "02_tiny"): {"format": "moodle", "user_id": "12347"}}, skipped
    assert "Anna Müller_12346_assignsubmission_file_/homework.ipynb" in skipped
    assert "onlinetext" in skipped["Anna Müller_12346_assignsubmission_onlinetext_/onlinetext.html"]
    subs, _, _ = _found(archive, tmp_path / "again", only="01_tiny")
    assert ("Anna Müller", "01_tiny") in {(s.name, s.lesson) for s in subs.values()}


def test_nbgrader_submitted_layout_reads_timestamps(tmp_path):
    root = tmp_path / "submitted"
    _nb(root / "alice" / "01_tiny" / "01_tiny.ipynb")
    (root / "alice" / "01_tiny" / "timestamp.txt").write_text("2026-11-30 10:00:00.000000 UTC\n")
    _nb(root / "Zoë" / "02_tiny" / "02_tiny.ipynb")
    subs, skipped, found = _found(root, tmp_path)
    assert subs[("alice", "01_tiny")].timestamp == "2026-11-30 10:00:00.000000 UTC"
    assert subs[(student_id("Zoë"), "02_tiny")].timestamp is None
    assert found.layout == "nbgrader" and not skipped
