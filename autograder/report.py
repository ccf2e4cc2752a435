"""``report.json`` (every submission, every cell, timings) and the end-of-run summary."""

from __future__ import annotations

import json
import platform
from collections import Counter
from datetime import UTC, datetime

from nbgrader import __version__ as nbgrader_version


def lesson_stats(results: list[dict]) -> dict[str, dict]:
    stats: dict[str, dict] = {}
    for r in results:
        entry = stats.setdefault(r["lesson"], {"submissions": 0, "score_sum": 0.0, "max_score": r["max_score"],
                                               "statuses": Counter()})
        entry["submissions"] += 1
        entry["score_sum"] += float(r["score"])
        entry["statuses"][r["status"]] += 1
    return {
        lesson: {
            "submissions": e["submissions"],
            "mean_score": round(e["score_sum"] / e["submissions"], 3),
            "max_score": e["max_score"],
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
        lines.append(f"  {lesson}: mean {st['mean_score']:g} / {st['max_score']:g} "
                     f"over {st['submissions']} submission(s)")
    if run.skipped:
        path, why = run.skipped[0]
        lines.append(f"  skipped {len(run.skipped)} path(s) (see report.json), e.g. {path}: {why}")
    lines.append(f"  sandbox: {run.layers.mode}; layers: {', '.join(run.layers.active)}"
                 + (f"; MISSING: {', '.join(run.layers.missing)}" if run.layers.missing else ""))
    lines.append(f"  wrote {run.csv_path}, {run.report_path}, feedback in {run.csv_path.parent / 'feedback'}")
    from .formgrader import formgrader_note

    lines.append(formgrader_note(run.csv_path.parent))
    print("\n".join(lines), flush=True)
