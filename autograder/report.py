"""``report.json`` (every submission, every cell, timings) and the end-of-run summary."""

from __future__ import annotations

import json
import platform
from collections import Counter
from datetime import UTC, datetime

from nbgrader import __version__ as nbgrader_version


def lesson_stats(results: list[dict]) -> dict[str, dict]:
    """Per lesson: submissions, mean total and automatic scores, maxima, written answers still to grade by hand."""
    stats: dict[str, dict] = {}
    for r in results:
        entry = stats.setdefault(r["lesson"], {"submissions": 0, "score_sum": 0.0, "auto_sum": 0.0,
                                               "max_score": r["max_score"],
                                               "auto_max_score": r.get("auto_max_score", r["max_score"]),
                                               "manual_max_score": r.get("manual_max_score", 0.0),
                                               "pending": 0, "statuses": Counter()})
        entry["submissions"] += 1
        entry["score_sum"] += float(r["score"])
        entry["auto_sum"] += float(r.get("auto_score", r["score"]))
        entry["pending"] += int(r.get("manual_pending") or 0)
        entry["statuses"][r["status"]] += 1
    return {
        lesson: {
            "submissions": e["submissions"],
            "mean_score": round(e["score_sum"] / e["submissions"], 3),
            "max_score": e["max_score"],
            "mean_auto_score": round(e["auto_sum"] / e["submissions"], 3),
            "auto_max_score": e["auto_max_score"],
            "manual_max_score": e["manual_max_score"],
            "manual_pending": e["pending"],
            "statuses": dict(sorted(e["statuses"].items())),
        }
        for lesson, e in sorted(stats.items())
    }


def write_report(run, options, lessons) -> None:
    results = run.results
    graded = [r for r in results if r.get("seconds")]
    report = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "submissions_path": str(options.submissions),
        "workers": run.workers,
        "wall_seconds": round(run.wall_seconds, 2),
        "seconds_per_notebook": round(run.wall_seconds / len(results), 3) if results else None,
        "mean_overhead_seconds": round(sum(r["overhead_seconds"] for r in graded) / len(graded), 3) if graded else None,
        "sandbox": {"mode": run.layers.mode, "active": run.layers.active, "missing": run.layers.missing},
        "limits": options.limits.as_dict(),
        "platform": {"python": platform.python_version(), "nbgrader": nbgrader_version, "machine": platform.machine()},
        "lessons": lesson_stats(results),
        "skipped": [{"path": path, "reason": why} for path, why in run.skipped],
        "submissions": results,
    }
    tmp = run.report_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=1, default=str))
    tmp.replace(run.report_path)


def print_summary(run, lessons) -> None:
    results = run.results
    statuses = Counter(r["status"] for r in results)
    problems = {s: n for s, n in statuses.items() if s != "ok"}
    lines = [
        "",
        f"graded {len(results)} submission(s) in {run.wall_seconds:.1f} s with {run.workers} worker(s)"
        + (f" ({run.wall_seconds / len(results):.2f} s per notebook)" if results else ""),
        f"  ok: {statuses.get('ok', 0)}; with a problem: {sum(problems.values())}"
        + (" (" + ", ".join(f"{s} {n}" for s, n in sorted(problems.items())) + ")" if problems else ""),
    ]
    for lesson, st in lesson_stats(results).items():
        written = (f" (automatic {st['mean_auto_score']:g} / {st['auto_max_score']:g}; written answers to grade "
                   f"by hand in Formgrader: {st['manual_pending']})" if st["manual_max_score"] else "")
        lines.append(f"  {lesson}: mean {st['mean_score']:g} / {st['max_score']:g}{written} "
                     f"over {st['submissions']} submission(s)")
    if run.skipped:
        lines.append(f"  skipped {len(run.skipped)} path(s) (also in report.json):")
        lines += [f"    {path}: {why}" for path, why in run.skipped]
    lines.append(f"  sandbox: {run.layers.mode}; layers: {', '.join(run.layers.active)}"
                 + (f"; MISSING: {', '.join(run.layers.missing)}" if run.layers.missing else ""))
    lines.append(f"  wrote {run.csv_path}, {run.report_path}, feedback in {run.csv_path.parent / 'feedback'}")
    from .formgrader import formgrader_note

    lines.append(formgrader_note(run.csv_path.parent))
    print("\n".join(lines), flush=True)


def refresh_report(path, results_by_key: dict) -> int:
    """Update an existing ``report.json``'s scores from ``{(student, lesson): split}``; return entries updated."""
    from .gradebook import SPLIT_FIELDS

    report = json.loads(path.read_text())
    updated = 0
    for entry in report.get("submissions", []):
        split = results_by_key.get((entry.get("student"), entry.get("lesson")))
        if split is None:
            continue
        entry.update({key: split[key] for key in SPLIT_FIELDS})
        for cell in entry.get("cells", []):
            if cell.get("written") and cell.get("grade_id") in split["written"]:
                written = split["written"][cell["grade_id"]]
                cell.update(points=written["score"], needs_manual_grade=written["needs_manual_grade"])
        updated += 1
    report["lessons"] = lesson_stats(report.get("submissions", []))
    report["exported"] = datetime.now(UTC).isoformat(timespec="seconds")
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=1, default=str))
    tmp.replace(path)
    return updated
