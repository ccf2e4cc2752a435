"""Run every lesson's benchmark and write the course results table, ``benchmarks/RESULTS.md``.

Each ``benchmarks/bench_*.py`` runs in turn (full mode, the real datasets), one at a time
under an exclusive lock (``--lock``, default ``/tmp/seqnlp_heavy.lock``) so that it does not
share the CPU with other heavy jobs that use the same lock; its output goes to the terminal
and to ``benchmarks/results/<script>.log``. Each benchmark writes its rows to
``benchmarks/results/<lesson>.json``; at the end every JSON file there becomes one row of
``RESULTS.md`` per result, with its target or anchor and whether the target was met.

    .venv/bin/python benchmarks/run_all.py                    # everything (hours on 2 CPU cores)
    .venv/bin/python benchmarks/run_all.py --only 08 03       # bench_08_*.py and bench_02_03.py
    .venv/bin/python benchmarks/run_all.py --skip grader      # all but bench_grader.py
    .venv/bin/python benchmarks/run_all.py --table-only       # only rebuild RESULTS.md from the JSON files
    .venv/bin/python benchmarks/run_all.py --list             # which benchmarks exist

Do not wrap this script in ``flock`` on the same lock file: it takes the lock itself for each
benchmark (``--no-lock`` runs without it).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import json
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
TABLE = BENCH_DIR / "RESULTS.md"
DEFAULT_LOCK = "/tmp/seqnlp_heavy.lock"
FIELDS = ("lesson", "task", "metric", "value", "target", "anchor", "seconds", "device", "date", "met")
# detailed reports with their own format beside the row files (their rows: mutation_summary.json)
REPORT_FILES = {"redteam.json", "mutation.json"}


# --------------------------------------------------------------------------- running


def benchmarks() -> list[Path]:
    """Every ``bench_*.py`` beside this script, in name order."""
    return sorted(BENCH_DIR.glob("bench_*.py"))


def _matches(script: Path, keys: list[str]) -> bool:
    """``08`` matches ``bench_08_sentiment_analysis.py``, ``03`` matches ``bench_02_03.py``, a stem matches itself."""
    stem = script.stem.removeprefix("bench_")
    parts = stem.split("_")
    return any(key in (script.stem, script.name, stem) or key in parts or stem.startswith(key) for key in keys)


def select(scripts: list[Path], only: list[str] | None, skip: list[str] | None) -> list[Path]:
    chosen = [s for s in scripts if not only or _matches(s, only)]
    return [s for s in chosen if not skip or not _matches(s, skip)]


@contextlib.contextmanager
def exclusive(lock_path: str | None) -> Iterator[None]:
    """Hold ``flock(lock_path)`` (the lock ``flock(1)`` takes) while the block runs; no lock for ``None``."""
    if lock_path is None:
        yield
        return
    with open(lock_path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"  waiting for {lock_path} (another heavy job holds it) ...", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _copy_lines(stream, log) -> None:
    """Copy a child's output to the terminal and the log, line by line."""
    for line in stream:
        sys.stdout.write(line)
        sys.stdout.flush()
        log.write(line)


def run_benchmark(script: Path, lock_path: str | None, timeout: float | None) -> tuple[int, float]:
    """Run one benchmark script with this interpreter; return ``(exit status, seconds)``."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS_DIR / f"{script.stem}.log"
    print(f"== {script.name} (log: {log_path.relative_to(BENCH_DIR.parent)})", flush=True)
    with exclusive(lock_path):
        started = time.perf_counter()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        if lock_path is not None:  # the child must not wait for the lock its parent holds (bench_course.py)
            env["SEQNLP_HEAVY_LOCK_HELD"] = lock_path
        with open(log_path, "w", encoding="utf-8") as log:
            proc = subprocess.Popen(
                [sys.executable, str(script)], cwd=BENCH_DIR.parent, env=env,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
            reader = threading.Thread(target=_copy_lines, args=(proc.stdout, log), daemon=True)
            reader.start()
            try:
                status = proc.wait(timeout=timeout)
            except (KeyboardInterrupt, subprocess.TimeoutExpired) as err:
                proc.terminate()
                proc.wait()
                status = 124 if isinstance(err, subprocess.TimeoutExpired) else 130
                print(f"stopped: {err!r}", file=log)
            reader.join()
    seconds = time.perf_counter() - started
    outcome = "ok" if status == 0 else f"FAILED (exit {status})"
    print(f"== {script.name}: {outcome} in {seconds / 60:.1f} min", flush=True)
    return status, seconds


# --------------------------------------------------------------------------- the table


def load_rows(results_dir: Path = RESULTS_DIR) -> tuple[list[dict], list[str]]:
    """All rows of ``results_dir/*.json`` (file order kept) and a message per unreadable file."""
    rows, problems = [], []
    for path in sorted(results_dir.glob("*.json")):
        if path.name in REPORT_FILES:
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            problems.append(f"{path.name}: not readable as JSON ({err})")
            continue
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            problems.append(f"{path.name}: expected a JSON list of row objects")
            continue
        for row in data:
            missing = [f for f in ("lesson", "task", "metric", "value") if f not in row]
            if missing:
                problems.append(f"{path.name}: a row without {missing}: {str(row)[:120]}")
                continue
            rows.append({**{f: row.get(f) for f in FIELDS}, "source": path.name})
    return rows, problems


def _number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
            return f"{value:.3g}"
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def status(row: dict) -> str:
    """``met``, ``**MISSED**`` or ``—`` (no target)."""
    if row.get("met") is True:
        return "met"
    if row.get("met") is False:
        return "**MISSED**"
    return "—"


def _target_anchor(row: dict) -> str:
    parts = []
    if row.get("target") is not None:
        parts.append(f"target {_number(row['target'])}")
    if row.get("anchor"):
        parts.append(str(row["anchor"]))
    return "; ".join(parts) or "—"


def render_table(rows: list[dict], problems: list[str], runs: list[tuple[str, int, float]] | None = None) -> str:
    """The Markdown of ``RESULTS.md``."""
    targeted = [r for r in rows if r.get("met") is not None]
    missed = [r for r in targeted if r.get("met") is False]
    lines = [
        "# Results",
        "",
        "Every figure the course's benchmarks measured, one row per result, generated by",
        "`benchmarks/run_all.py` from `benchmarks/results/*.json` (do not edit by hand: run",
        "`.venv/bin/python benchmarks/run_all.py --table-only` after a benchmark). Each row names the",
        "target it had to reach (from the lesson's issue) or the anchor it competes with (the notes' numbers,",
        "published results); **MISSED** marks a target that was not reached. Seconds are wall-clock time on",
        "the device named in the row, often a shared machine.",
        "",
        f"Generated {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} from {len({r['source'] for r in rows})} result "
        f"files: {len(rows)} rows, {len(targeted)} with a target, {len(targeted) - len(missed)} met, "
        f"{len(missed)} missed.",
        "",
    ]
    gpu_rows = sum(1 for r in rows if str(r.get("device") or "").startswith("cuda"))
    if gpu_rows:
        lines += [f"{gpu_rows} row{'s were' if gpu_rows != 1 else ' was'} measured on a GPU (device `cuda ...`; "
                  "`benchmarks/gpu_check.py`, `make gpu-check`, writes `results/gpu.json`); every other row is "
                  "from a CPU.", ""]
    else:
        lines += ["No GPU figure exists: `benchmarks/gpu_check.py` (`make gpu-check`) has not been run on a machine "
                  "with a CUDA GPU yet, so there is no `results/gpu.json`; every figure below is from a CPU.", ""]
    if missed:
        lines += ["## Missed targets", ""]
        lines += [f"- {_cell(r['lesson'])}: {_cell(r['task'])}: {_cell(r['metric'])} = {_number(r['value'])}, "
                  f"target {_number(r['target'])}" for r in missed]
        lines.append("")
    if runs:
        lines += ["## Last run", "", "| benchmark | exit status | minutes |", "|---|---|---|"]
        for name, code, sec in runs:
            lines.append(f"| {name} | {'ok' if code == 0 else f'FAILED ({code})'} | {sec / 60:.1f} |")
        lines.append("")
    if problems:
        lines += ["## Unreadable result files", ""] + [f"- {_cell(p)}" for p in problems] + [""]
    lines += [
        "## All results",
        "",
        "| lesson | task | metric | value | seconds | device | date | target / anchor | status |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append("| " + " | ".join([
            _cell(r["lesson"]), _cell(r["task"]), _cell(r["metric"]), _number(r["value"]), _number(r.get("seconds")),
            _cell(r.get("device") or "—"), _cell(r.get("date") or "—"), _cell(_target_anchor(r)), status(r),
        ]) + " |")
    return "\n".join(lines) + "\n"


def write_table(
    runs: list[tuple[str, int, float]] | None = None, path: Path = TABLE, results_dir: Path = RESULTS_DIR
) -> Path:
    """Write ``RESULTS.md`` from every JSON file in ``results_dir``."""
    rows, problems = load_rows(results_dir)
    path.write_text(render_table(rows, problems, runs), encoding="utf-8")
    missed = sum(1 for r in rows if r.get("met") is False)
    print(f"wrote {path} ({len(rows)} rows, {missed} missed target(s))")
    return path


# --------------------------------------------------------------------------- command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks (08, 06_07, grader, ...)")
    parser.add_argument("--skip", nargs="+", metavar="NAME", help="do not run these benchmarks")
    parser.add_argument("--table-only", action="store_true", help="run nothing; rebuild RESULTS.md from the JSON files")
    parser.add_argument("--list", action="store_true", help="list the benchmarks that would run, and exit")
    parser.add_argument("--lock", default=DEFAULT_LOCK, help=f"lock held while a benchmark runs ({DEFAULT_LOCK})")
    parser.add_argument("--no-lock", action="store_true", help="run without taking the lock")
    parser.add_argument("--timeout", type=float, default=None, help="stop a benchmark after this many seconds")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scripts = select(benchmarks(), args.only, args.skip)
    if args.list:
        print("\n".join(s.name for s in scripts) or "no benchmark matches")
        return 0
    if args.table_only:
        write_table()
        return 0
    if not scripts:
        print(f"no benchmark matches --only {args.only} --skip {args.skip}; see --list", file=sys.stderr)
        return 2
    runs = []
    for script in scripts:
        code, seconds = run_benchmark(script, None if args.no_lock else args.lock, args.timeout)
        runs.append((script.name, code, seconds))
        if code == 130:
            break
    write_table(runs)
    failed = [name for name, code, _ in runs if code != 0]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
