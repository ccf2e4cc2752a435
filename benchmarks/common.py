"""What every benchmark script shares: result rows in the course's format.

Each script writes ``benchmarks/results/<name>.json``, a list of rows
``{lesson, task, metric, value, target, anchor, seconds, device, date, met}``;
``benchmarks/run_all.py`` turns them into ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


class ResultRows:
    """Collects result rows for one lesson and writes them as JSON."""

    def __init__(self, lesson: str, device: str, width: int = 62):
        self.lesson, self.device, self.width, self.rows = lesson, device, width, []

    def add(self, task, metric, value, seconds, target=None, anchor=None, higher_is_better=True, digits=1):
        """Record one figure; ``met`` compares it with ``target`` (None when there is no target)."""
        met = None
        if target is not None and value is not None:
            met = bool(value >= target) if higher_is_better else bool(value <= target)
        finite = value is not None and math.isfinite(value)
        row = {
            "lesson": self.lesson,
            "task": task,
            "metric": metric,
            "value": float(f"{value:.6g}") if finite else None,
            "target": target,
            "anchor": anchor,
            "seconds": None if seconds is None else round(float(seconds), digits),
            "device": self.device,
            "date": dt.date.today().isoformat(),
            "met": met,
        }
        self.rows.append(row)
        took = "" if seconds is None else f"  ({seconds:.1f} s)"
        flag = {True: "  met", False: "  MISSED", None: ""}[met]
        print(f"  {task:<{self.width}} {metric:<22} {row['value']!s:>12}{took}{flag}", flush=True)

    def write(self, name: str | None = None, keep_others: bool = False) -> Path:
        """Write ``results/<name or lesson>.json`` and return its path.

        ``keep_others=True`` (a benchmark that ran only some of its parts) keeps the rows of the
        existing file that this run did not measure again (same task and metric), in their place.
        """
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"{name or self.lesson}.json"
        rows = self.rows
        if keep_others and path.is_file():
            new = {(row["task"], row["metric"]): row for row in self.rows}
            old = json.loads(path.read_text(encoding="utf-8"))
            rows = [new.pop((row["task"], row["metric"]), row) for row in old] + list(new.values())
        path.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {path}")
        return path
