"""``class-report.html``: what a class got right and wrong, for the instructor.

Written beside ``grades.csv`` after every ``grade`` run, from the same results
that make ``report.json``. One section per lesson:

* the distribution of the automatic score, and each exercise's mean share of its points;
* the share of the class passing each test cell;
* per exercise, the most frequent failing assertion messages: the tests' messages
  name the mistake ("forget gate uses tanh instead of sigmoid?"), so their counts say
  what to re-teach;
* the submissions that need a look: every status other than ``ok``.

Plots are matplotlib PNGs embedded in the page; every student-supplied string
(names, messages) is escaped. The page is for the instructor only: messages may
quote hidden tests.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections import Counter, defaultdict
from pathlib import Path

TOP_MESSAGES = 5
MESSAGE_CHARS = 200


def exercise_of_tests(lesson) -> dict[str, str]:
    """``{test grade_id: exercise grade_id}``: each test cell belongs to the solution cell before it."""
    out, current = {}, None
    for grade_id in lesson.order:
        cell = lesson.cells[grade_id]
        if cell.solution and not cell.grade and cell.cell_type == "code":
            current = grade_id
        elif cell.is_test:
            out[grade_id] = current or grade_id
    return out


def failure_message(entry: dict) -> str:
    """What a failed test cell said: its error message (first line), else the error's name or the reason."""
    message = (entry.get("message") or "").strip().splitlines()
    text = message[0] if message else ""
    name = entry.get("error") or ""
    if text:
        text = f"{name}: {text}" if name and not text.startswith(name) else text
    else:
        text = name or entry.get("reason") or entry.get("status") or "lost points"
    text = re.sub(r"0x[0-9a-f]{6,}", "0x…", text)  # object addresses differ between students
    return text[:MESSAGE_CHARS]


def summarise(results: list[dict], lessons: dict) -> dict[str, dict]:
    """Per lesson: scores, per-exercise shares, per-test pass rates, top failures and submissions to look at."""
    out: dict[str, dict] = {}
    for lesson_name in sorted({r["lesson"] for r in results}):
        lesson = lessons.get(lesson_name)
        rows = [r for r in results if r["lesson"] == lesson_name]
        owner = exercise_of_tests(lesson) if lesson else {}
        tests = [gid for gid in (lesson.order if lesson else []) if lesson.cells[gid].is_test]
        passed, seen = Counter(), Counter()
        ex_points, ex_max = defaultdict(float), defaultdict(float)
        failures: dict[str, Counter] = defaultdict(Counter)
        for r in rows:
            if r.get("status") != "ok":
                continue  # tampered, timed out, broken: counted under "needs a look", not in the test shares
            for entry in r.get("cells", []):
                gid = entry.get("grade_id")
                if gid not in owner or entry.get("max_points") is None:
                    continue
                seen[gid] += 1
                points, most = float(entry.get("points") or 0.0), float(entry["max_points"])
                ex_points[owner[gid]] += points
                ex_max[owner[gid]] += most
                if points >= most:
                    passed[gid] += 1
                else:
                    failures[owner[gid]][failure_message(entry)] += 1
        exercises = list(dict.fromkeys(owner[t] for t in tests)) if tests else sorted(ex_max)
        out[lesson_name] = {
            "submissions": len(rows),
            "auto_scores": [float(r.get("auto_score", r.get("score", 0.0)) or 0.0) for r in rows],
            "auto_max": float(rows[0].get("auto_max_score", rows[0].get("max_score", 0.0)) or 0.0) if rows else 0.0,
            "exercise_share": {ex: (ex_points[ex] / ex_max[ex] if ex_max[ex] else None) for ex in exercises},
            "test_pass": {t: (passed[t] / seen[t] if seen[t] else None) for t in tests},
            "top_failures": {ex: failures[ex].most_common(TOP_MESSAGES) for ex in exercises if failures[ex]},
            "needs_look": [
                {"student": r.get("name") or r["student"], "id": r["student"], "status": r.get("status", ""),
                 "detail": str(r.get("detail", ""))[:300]}
                for r in rows if r.get("status") != "ok"
            ],
        }
    return out


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _plots(name: str, s: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = []
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.6))
    scores, top = s["auto_scores"], max(s["auto_max"], 1.0)
    axes[0].hist(scores, bins=min(20, max(5, int(top) + 1)), range=(0, top), color="#4477aa", edgecolor="white")
    axes[0].set(title=f"{name}: automatic score", xlabel=f"points (of {s['auto_max']:g})", ylabel="submissions")
    shares = {k: v for k, v in s["exercise_share"].items() if v is not None}
    axes[1].barh(list(shares)[::-1], [100 * v for v in list(shares.values())[::-1]], color="#66aa55")
    axes[1].set(title="mean share of each exercise's points", xlabel="%", xlim=(0, 100))
    passes = {k: v for k, v in s["test_pass"].items() if v is not None}
    axes[2].barh(list(passes)[::-1], [100 * v for v in list(passes.values())[::-1]], color="#cc7733")
    axes[2].set(title="share of the class passing each test cell", xlabel="%", xlim=(0, 100))
    fig.tight_layout()
    images.append(_png(fig))
    plt.close(fig)
    return images


def render(summary: dict[str, dict], title: str = "Class report") -> str:
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;"
        "text-align:left;vertical-align:top}th{background:#f3f3f3}img{max-width:100%}"
        ".n{text-align:right}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        "<p>For the instructor only: failure messages may quote hidden tests. Shares count the submissions graded "
        "<code>ok</code>; the others are listed under <em>needs a look</em>.</p>",
    ]
    for name, s in summary.items():
        scores = s["auto_scores"]
        mean = sum(scores) / len(scores) if scores else 0.0
        parts.append(f"<h2 id='{esc(name)}'>{esc(name)}</h2>")
        parts.append(f"<p>{s['submissions']} submission(s); mean automatic score {mean:.2f} of "
                     f"{s['auto_max']:g}.</p>")
        for image in _plots(name, s):
            parts.append(f"<img alt='score distribution and pass rates of {esc(name)}' src='{image}'>")
        parts.append("<h3>Most frequent failures per exercise</h3>")
        if not s["top_failures"]:
            parts.append("<p>No test failed.</p>")
        else:
            parts.append("<table><tr><th>exercise</th><th class='n'>submissions</th><th>message</th></tr>")
            for ex, messages in s["top_failures"].items():
                for i, (message, count) in enumerate(messages):
                    label = esc(ex) if i == 0 else ""
                    parts.append(f"<tr><td>{label}</td><td class='n'>{count}</td>"
                                 f"<td><code>{esc(message)}</code></td></tr>")
            parts.append("</table>")
        parts.append("<h3>Needs a look</h3>")
        if not s["needs_look"]:
            parts.append("<p>Every submission graded <code>ok</code>.</p>")
        else:
            parts.append("<table><tr><th>student</th><th>id</th><th>status</th><th>detail</th></tr>")
            for row in s["needs_look"]:
                parts.append(f"<tr><td>{esc(row['student'])}</td><td>{esc(row['id'])}</td>"
                             f"<td>{esc(row['status'])}</td><td>{esc(row['detail'])}</td></tr>")
            parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_class_report(results: list[dict], lessons: dict, out: Path) -> Path:
    """Write ``out/class-report.html`` and return its path."""
    path = Path(out) / "class-report.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render(summarise(results, lessons)), encoding="utf-8")
    tmp.replace(path)
    return path
