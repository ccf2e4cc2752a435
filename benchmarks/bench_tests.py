"""Wall time of the tests of ``make test`` on this machine -> ``benchmarks/results/ci.json``.

Runs the command of ``make test`` without its set-up steps (the venv and the kernel must exist:
``make kernel``): pytest with ``-n`` workers (default: the number of cores) over ``tests/`` and
``solutions/`` in fast mode, nbval on every solution notebook. Rows (``benchmarks/common.py``
format, lesson ``ci``):

* the wall time of that pytest run, target 720 s (issue 15: the tests of ``make test`` within
  12 minutes on 2 cores), with the number of tests that passed and failed in its anchor;
* the summed time of all tests divided by the workers: the wall time a perfect split would give,
  so the gap to the first row is time lost to an uneven split;
* the five slowest tests (setup, call and teardown together).

    .venv/bin/python benchmarks/bench_tests.py            # about 11 minutes on 2 cores
    .venv/bin/python benchmarks/bench_tests.py --workers 1
    .venv/bin/python benchmarks/bench_tests.py --junit run.xml --wall 876   # rows of a run made by hand
    .venv/bin/python benchmarks/bench_tests.py --junit ci.xml --wall 692 --label "a clean clone's .ci/run"
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))

from common import ResultRows  # noqa: E402  (benchmarks/common.py)

TARGET_S = 720.0
SLOWEST = 5


def summarise(junit: Path) -> dict:
    """Tests, failures and times from pytest's JUnit XML (each testcase's time covers its setup and teardown)."""
    root = ET.parse(junit).getroot()
    cases = []
    failed = 0
    for case in root.iter("testcase"):
        problems = [child.tag for child in case if child.tag in ("failure", "error")]
        skipped = any(child.tag == "skipped" for child in case)
        failed += bool(problems)
        name = f"{case.get('classname', '')}::{case.get('name', '')}".lstrip(":")
        cases.append({"name": name, "seconds": float(case.get("time") or 0.0), "failed": bool(problems),
                      "skipped": skipped})
    cases.sort(key=lambda c: -c["seconds"])
    return {
        "tests": len(cases),
        "failed": failed,
        "skipped": sum(c["skipped"] for c in cases),
        "passed": sum(not c["failed"] and not c["skipped"] for c in cases),
        "summed_seconds": sum(c["seconds"] for c in cases),
        "slowest": cases[:SLOWEST],
    }


def command(workers: int, junit: Path) -> list[str]:
    from autograder.settings import NBVAL_CELL_TIMEOUT

    return [sys.executable, "-m", "pytest", "-n", str(workers), "--nbval-lax",
            f"--nbval-cell-timeout={NBVAL_CELL_TIMEOUT}", "-q", "-p", "no:cacheprovider",
            f"--junitxml={junit}", "tests", "solutions"]


def rows_for(summary: dict, wall: float, workers: int, load: float, rows: ResultRows, label: str = "") -> None:
    """The rows of one run; a ``label`` (another run beside the benchmark's own) names the run in
    each task and leaves out the slowest tests."""
    outcome = f"{summary['passed']} passed, {summary['failed']} failed, {summary['skipped']} skipped"
    suffix = f", {label}" if label else ""
    rows.add(f"the tests of make test (pytest -n {workers} over tests/ and solutions/, fast mode){suffix}", "seconds",
             wall, wall, target=TARGET_S, higher_is_better=False,
             anchor=f"{outcome}; load average {load:.1f}; issue 15: within 12 minutes on 2 cores")
    if summary["failed"]:
        rows.rows[-1]["met"] = False
    rows.add(f"the same tests: summed test time / {workers} workers (a perfect split){suffix}", "seconds",
             summary["summed_seconds"] / workers, summary["summed_seconds"])
    for case in [] if label else summary["slowest"]:
        rows.add(f"slowest test: {case['name']}", "seconds", case["seconds"], case["seconds"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--no-write", action="store_true", help="print the rows, write no results file")
    parser.add_argument("--junit", type=Path, help="the JUnit XML of a run of the same command made earlier "
                        "(with --wall, its wall seconds): summarise it instead of running pytest")
    parser.add_argument("--wall", type=float, help="with --junit: that run's wall seconds")
    parser.add_argument("--load", type=float, default=0.0, help="with --junit: that run's load average")
    parser.add_argument("--label", default="", help="with --junit: name that run in its rows (\"a clean clone's "
                        ".ci/run\") and keep the rows already in results/ci.json beside them")
    args = parser.parse_args(argv)
    if args.junit:
        if args.wall is None:
            parser.error("--junit needs --wall")
        rows = ResultRows("ci", f"cpu ({os.cpu_count()} cores, {platform.machine()})", width=70)
        rows_for(summarise(args.junit), args.wall, args.workers, args.load, rows, args.label)
        if not args.no_write:
            rows.write(keep_others=bool(args.label))
        return 0
    env = {**os.environ, "SEQNLP_MODE": "fast", "CI": os.environ.get("CI", "true")}
    with tempfile.TemporaryDirectory(prefix="bench-tests-") as tmp:
        junit = Path(tmp) / "junit.xml"
        load0 = os.getloadavg()[0]
        started = time.perf_counter()
        proc = subprocess.run(command(args.workers, junit), cwd=REPO, env=env)
        wall = time.perf_counter() - started
        load = (load0 + os.getloadavg()[0]) / 2
        if not junit.is_file():
            print(f"bench_tests: pytest wrote no report (exit code {proc.returncode})", file=sys.stderr)
            return proc.returncode or 1
        summary = summarise(junit)
    rows = ResultRows("ci", f"cpu ({os.cpu_count()} cores, {platform.machine()})", width=70)
    rows_for(summary, wall, args.workers, load, rows)
    if not args.no_write:
        rows.write()
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
