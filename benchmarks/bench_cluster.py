"""The class grader on Dask: a 40-notebook class by the local pool and by a local Dask cluster, side by side.

Generates a class of the fixture course (20 students x 2 lessons: solutions, stubs, wrong answers
from ``mutants.py``, half-done notebooks), grades it with the local pool (2 workers) and then on a
local Dask cluster of 2 workers (``--cluster local:2``: scheduler and worker start-up included),
each into a fresh output folder, and writes ``benchmarks/results/cluster.json``:

* seconds per notebook of each run (wall time of the whole ``grade`` call / notebooks);
* the overhead ratio: wall(Dask) / wall(local pool), and whether the grades are identical;
  with ``--repeat N`` (default 3) the class is graded N times by each, alternating, and each
  keeps its fastest run (on a shared machine the fastest run is the least disturbed one);
* the client's CPU seconds per notebook on the cluster (sending, receiving, writing, merging, and
  here the local scheduler too): the serial part that bounds a very large cluster;
* a projection for 10,000 submissions on N nodes of 16 grading processes each: the measured
  grading seconds per notebook and worker process, divided over N x 16 processes, plus the
  cluster's start-up, and never faster than the client's serial part.

    .venv/bin/python benchmarks/bench_cluster.py
    .venv/bin/python benchmarks/bench_cluster.py --students 5 --repeat 1 --no-write   # a quick look

The figures depend on the machine being otherwise idle: the load average is recorded next to them
(on a loaded machine every figure is pessimistic, the projection included).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
FIXTURE = REPO / "tests" / "fixtures" / "grader" / "course"
SUBMISSIONS = 10_000
NODE_PROCESSES = 16


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20, help="students per lesson (2 lessons)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--repeat", type=int, default=3,
                        help="grade the class this many times with each, alternating, keep each one's fastest run "
                             "(on a shared machine the fastest run is the least disturbed one)")
    parser.add_argument("--no-write", action="store_true", help="print the rows, write no results file")
    return parser.parse_args(argv)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv=None) -> int:
    args = parse_args(argv)
    from common import ResultRows

    from autograder.classgen import make_class
    from autograder.grade import GradeOptions, course_sources, grade
    from autograder.gradebook import ensure_venv_on_path, prepare_lessons
    from autograder.sandbox import Limits

    ensure_venv_on_path()
    sources = course_sources(FIXTURE)
    tmp = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    limits = Limits(cell_timeout=120, notebook_timeout=900)
    runs = {}
    try:
        lessons = prepare_lessons(sources, tmp / "lessons.db")
        n = len(make_class(lessons, sources, args.students, tmp / "class", seed=0))

        def measure(kind: str, attempt: int) -> dict:
            load0, cpu0, started = os.getloadavg()[0], _cpu(), time.perf_counter()
            out = tmp / f"{kind}-{attempt}"
            run = grade(GradeOptions(submissions=tmp / "class", out=out, workers=args.workers, limits=limits,
                                     source=FIXTURE, progress=True,
                                     cluster=args.workers if kind == "dask" else None))
            wall = time.perf_counter() - started
            graded = sum(r["seconds"] for r in run.results)  # worker-process seconds spent grading
            return {"wall": wall, "graded": graded, "client_cpu": _cpu() - cpu0,
                    "load": (load0 + os.getloadavg()[0]) / 2, "csv": (out / "grades.csv").read_text(),
                    "statuses": sorted({r["status"] for r in run.results})}

        walls: dict[str, list[float]] = {"pool": [], "dask": []}
        csvs = set()
        for attempt in range(args.repeat):
            for kind in ("pool", "dask"):
                result = measure(kind, attempt)
                walls[kind].append(result["wall"])
                csvs.add(result["csv"])
                if kind not in runs or result["wall"] < runs[kind]["wall"]:
                    runs[kind] = result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    pool, dask = runs["pool"], runs["dask"]
    same = len(csvs) == 1  # every run of both gave the same grades
    spread = "; ".join(f"{kind} runs {', '.join(f'{w:.1f}' for w in ws)} s" for kind, ws in walls.items())
    device = f"cpu ({os.cpu_count()} cores, {platform.machine()})"
    rows = ResultRows("grader", device, width=78)
    label = f"{n} notebooks ({args.students} students x 2 lessons, fixture course)"
    rows.add(f"grade {label}, local pool, {args.workers} workers (load avg {pool['load']:.1f})",
             "seconds_per_notebook", pool["wall"] / n, pool["wall"], digits=1)
    rows.add(f"grade {label}, local Dask cluster, {args.workers} workers, start-up included "
             f"(load avg {dask['load']:.1f})", "seconds_per_notebook", dask["wall"] / n, dask["wall"], digits=1)
    ratio = dask["wall"] / pool["wall"]
    rows.add(f"grade {label}: Dask cluster / local pool, {args.workers} workers each", "overhead_ratio", ratio,
             pool["wall"] + dask["wall"], target=1.25, higher_is_better=False,
             anchor=("grades identical" if same else "GRADES DIFFER")
             + f"; the fastest of {args.repeat} alternating runs each ({spread}); shared machine, load average "
               f"{pool['load']:.1f} / {dask['load']:.1f}")
    client = dask["client_cpu"] / n
    rows.add(f"grade {label} on Dask: client CPU (send, receive, write, merge; the local scheduler too)",
             "client_cpu_s_per_notebook", client, dask["wall"], digits=1)
    per_worker = dask["graded"] / n  # seconds one worker process spends on one notebook
    startup = max(0.0, dask["wall"] - dask["graded"] / args.workers)  # what the run cost beyond grading
    for nodes in args.nodes:
        processes = nodes * NODE_PROCESSES
        seconds = max(SUBMISSIONS * per_worker / processes, SUBMISSIONS * client) + startup
        rows.add(f"projection: {SUBMISSIONS:,} submissions on {nodes} node(s) x {NODE_PROCESSES} worker processes "
                 f"({per_worker:.1f} s per notebook and process, measured here)", "projected_hours", seconds / 3600,
                 None, anchor=f"client serial part {SUBMISSIONS * client / 3600:.2f} h; measured under load: "
                              "pessimistic", digits=1)
    print(f"\nDask / local pool: {ratio:.2f}x; grades identical: {same}; statuses {dask['statuses']}")
    if not args.no_write:
        rows.write("cluster")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
