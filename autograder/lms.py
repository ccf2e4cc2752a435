"""Grade files in the shape an LMS gradebook imports (``grade ... --export canvas|moodle``).

* **Canvas** (Grades > Import): one CSV for the class, columns ``Student``, ``ID``,
  ``SIS User ID``, ``SIS Login ID``, ``Section`` and then one column per lesson, with the
  ``Points Possible`` row Canvas's own export has. Canvas matches rows on ``ID`` (its user
  id, read from the download's file names) or the SIS ids; a student graded from another
  layout has no Canvas id, so their ``ID`` is empty and the docs say to fill it in.
  Written file: ``canvas-grades.csv``.
* **Moodle** (assignment > Grading action > Upload grading worksheet): one CSV per lesson,
  the columns of Moodle's "Download grading worksheet", matched on ``Identifier``
  (``Participant <id>``, read from the download's folder names). Written files:
  ``moodle-<lesson>.csv``.

The grade exported is the total of ``grades.csv`` (automatic plus what was graded by hand)
less the late penalty nbgrader's policy gave, if any.
"""

from __future__ import annotations

import csv
from pathlib import Path

FORMATS = ("canvas", "moodle")
CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_COLUMNS = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                  "Grade can be changed", "Last modified (submission)", "Last modified (grade)", "Feedback comments"]


def people_of(entries) -> dict[str, dict]:
    """``{student id: {"name", "lms", "timestamps"}}`` from graded submissions or ``report.json`` entries."""
    out: dict[str, dict] = {}
    for e in entries:
        if not isinstance(e, dict):
            e = {"student": e.student, "lesson": e.lesson, "name": e.display_name, "lms": e.lms_info,
                 "timestamp": e.timestamp}
        entry = out.setdefault(e["student"], {"name": e.get("name") or e["student"], "lms": {}, "timestamps": {}})
        entry["lms"].update(e.get("lms") or {})
        entry["timestamps"][e["lesson"]] = e.get("timestamp")
    return out


def final_score(row: dict) -> str:
    """``score - late_penalty`` of a ``grades.csv`` row, written as grades.csv writes numbers."""
    penalty = float(row.get("late_penalty") or 0.0)
    if not penalty:
        return row["score"]
    value = max(float(row["score"]) - penalty, 0.0)
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8-sig") as fh:  # a BOM, so spreadsheets read UTF-8 names
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    tmp.replace(path)
    return path


def write_canvas(grade_rows: list[dict], submissions, out: Path) -> Path:
    people = people_of(submissions)
    lessons = sorted({r["lesson"] for r in grade_rows})
    maxima = {r["lesson"]: r["max_score"] for r in grade_rows}
    scores: dict[str, dict[str, str]] = {}
    for r in grade_rows:
        scores.setdefault(r["student"], {})[r["lesson"]] = final_score(r)
    rows = [["Points Possible", "", "", "", "", *[maxima[lesson] for lesson in lessons]]]
    for student in sorted(scores, key=lambda s: (people.get(s, {}).get("name") or s).casefold()):
        person = people.get(student, {"name": student, "lms": {}})
        canvas_id = person["lms"].get("user_id", "") if person["lms"].get("format") == "canvas" else ""
        rows.append([person["name"], canvas_id, "", "", "", *[scores[student].get(lesson, "") for lesson in lessons]])
    return _write(Path(out) / "canvas-grades.csv", CANVAS_FIXED + lessons, rows)


def write_moodle(grade_rows: list[dict], submissions, out: Path) -> list[Path]:
    people = people_of(submissions)
    paths = []
    for lesson in sorted({r["lesson"] for r in grade_rows}):
        rows = []
        for r in sorted((r for r in grade_rows if r["lesson"] == lesson), key=lambda r: r["student"]):
            person = people.get(r["student"], {"name": r["student"], "lms": {}, "timestamps": {}})
            participant = person["lms"].get("user_id", "") if person["lms"].get("format") == "moodle" else ""
            stamp = person.get("timestamps", {}).get(lesson) or ""
            rows.append([f"Participant {participant}" if participant else "", person["name"], "",
                         f"graded: {r.get('status', '')}", final_score(r), r["max_score"], "Yes", stamp, "", ""])
        paths.append(_write(Path(out) / f"moodle-{lesson}.csv", MOODLE_COLUMNS, rows))
    return paths


def export(kind: str, grade_rows: list[dict], submissions, out: Path) -> list[Path]:
    """Write the ``kind`` export of ``grade_rows`` (``grades.csv``'s rows) into ``out``.

    ``submissions``: the graded :class:`~autograder.submissions.Submission` objects, or
    ``report.json``'s entries (which carry each student's name and LMS ids).
    """
    if kind == "canvas":
        return [write_canvas(grade_rows, submissions, out)]
    if kind == "moodle":
        return write_moodle(grade_rows, submissions, out)
    raise ValueError(f"unknown export {kind!r}: choose one of {', '.join(FORMATS)}")
