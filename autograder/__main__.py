"""Command line: ``python -m autograder grade SUBMISSIONS [options]`` (also ``make grade``).

``python -m autograder check`` only reports which sandbox layers work here.
``python -m autograder export [--out graded]`` writes ``grades.csv`` (and the scores in
``report.json``) again from the gradebook, e.g. after grading written answers by hand in Formgrader.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path


def _lessons(value: str) -> list[str]:
    return [part for part in value.replace(" ", ",").split(",") if part]


def build_parser() -> argparse.ArgumentParser:
    from .sandbox import Limits

    d = Limits()  # every limit's default comes from the one Limits object
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="grade a class's submissions in parallel sandboxes")
    g.add_argument("submissions", type=Path,
                   help="folder (nbgrader layout <student>/<lesson>/<lesson>.ipynb or flat <student>_<lesson>.ipynb) "
                        "or a .zip of either")
    g.add_argument("--lessons", type=_lessons, default=None, help="only these lessons, e.g. 01,03 or 04_word2vec")
    g.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel workers (default: cores)")
    g.add_argument("--out", type=Path, default=Path("graded"), help="output folder (default: graded/)")
    g.add_argument("--timeout-cell", type=float, default=d.cell_timeout, metavar="S",
                   help=f"wall-clock seconds per cell (default {d.cell_timeout:g}); CPU per cell: twice that")
    g.add_argument("--timeout-notebook", type=float, default=d.notebook_timeout, metavar="S",
                   help=f"wall-clock seconds per notebook (default {d.notebook_timeout:g}); CPU: twice that")
    g.add_argument("--memory-mb", type=int, default=d.memory_mb, metavar="M",
                   help=f"memory of all the notebook's processes together, MiB (default {d.memory_mb})")
    g.add_argument("--processes", type=int, default=d.processes, metavar="N",
                   help=f"processes and threads a notebook may have (default {d.processes})")
    g.add_argument("--output-mb", type=float, default=d.output_mb, metavar="M",
                   help=f"outputs kept per notebook, MiB, every message type counted (default {d.output_mb:g})")
    g.add_argument("--unsafe", action="store_true",
                   help="grade even if a sandbox layer is missing on this machine (student code less isolated)")
    g.add_argument("--fresh", action="store_true", help="start a new gradebook in --out instead of updating it")
    g.add_argument("--source", type=Path, default=None,
                   help="course source folder of <lesson>/<lesson>.ipynb (default: solutions/)")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument("--duedate", action="append", type=_duedate, default=[], metavar="LESSON=WHEN",
                   help="the lesson's due date (e.g. 01='2026-12-01 23:59 UTC'); submissions with a later timestamp "
                        "get nbgrader's late penalty (LateSubmissionPlugin.penalty_method in nbgrader_config.py)")
    g.add_argument("--export", action="append", choices=("canvas", "moodle"), default=[],
                   help="also write the grades as the LMS's gradebook import expects (repeatable)")
    where = g.add_mutually_exclusive_group()
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="grade on the workers of this Dask scheduler (tcp://HOST:8786); each worker checks its "
                            "own sandbox (docs/GRADING.md, 'Grading on a cluster')")
    where.add_argument("--cluster", type=_local_cluster, default=None, metavar="local:N",
                       help="grade on a local Dask cluster of N workers started for this run")
    sub.add_parser("check", help="report which sandbox layers work on this machine")
    e = sub.add_parser("export", help="write grades.csv and report.json's scores again from the gradebook "
                                      "(after grading by hand in Formgrader)")
    e.add_argument("--out", type=Path, default=Path("graded"), help="the grading output folder (default: graded/)")
    e.add_argument("--lms", action="append", choices=("canvas", "moodle"), default=[],
                   help="also write the LMS's gradebook import file (repeatable)")
    return parser


def _local_cluster(text: str) -> int:
    from .cluster import parse_local

    try:
        return parse_local(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def _duedate(text: str) -> tuple[str, object]:
    from nbgrader.utils import parse_utc

    lesson, sep, when = text.partition("=")
    if not sep or not lesson.strip():
        raise argparse.ArgumentTypeError(f"expected LESSON=WHEN, got {text!r}")
    try:
        return lesson.strip(), parse_utc(when.strip())
    except (ValueError, OverflowError, TypeError) as err:
        raise argparse.ArgumentTypeError(f"{when!r} is not a date and time ({err})") from err


def export(out: Path, lms: tuple[str, ...] = ()) -> int:
    """``grades.csv`` and ``report.json``'s scores from ``out/gradebook.db``, as they stand now."""
    from .gradebook import export_csv, score_split

    db = out / "gradebook.db"
    if not db.is_file():
        print(f"error: {db} does not exist: grade the class first (python -m autograder grade ... --out {out})",
              file=sys.stderr)
        return 2
    from nbgrader.api import Gradebook

    from .gradebook import db_url

    rows = export_csv(db, out / "grades.csv")
    with Gradebook(db_url(db)) as gb:
        splits = {(sub.student.id, a.name): score_split(sub) for a in gb.assignments for sub in a.submissions}
    updated = 0
    if (out / "report.json").is_file():
        from .report import refresh_report

        updated = refresh_report(out / "report.json", splits)
    if lms:
        import json

        from .lms import export as lms_export

        report = out / "report.json"
        entries = json.loads(report.read_text())["submissions"] if report.is_file() else []
        for kind in lms:
            for path in lms_export(kind, rows, entries, out):
                print(f"wrote {path} ({kind} import)")
    pending = sum(s["manual_pending"] for s in splits.values())
    print(f"wrote {out / 'grades.csv'} ({len(rows)} row(s))"
          + (f" and the scores of {updated} submission(s) in {out / 'report.json'}" if updated else "")
          + f"; written answers still to grade by hand: {pending}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .gradebook import ensure_venv_on_path

    ensure_venv_on_path()
    from .sandbox import Limits, SandboxUnavailable, detect_layers

    if args.command == "export":
        from .grade import _quiet_warnings

        _quiet_warnings()
        return export(args.out, tuple(args.lms))
    if args.command == "check":
        layers = detect_layers()
        print(layers.describe())
        return 0 if layers.complete else 2
    from .cluster import ClusterError
    from .grade import GradeOptions, GradingError, grade

    limits = Limits(cell_timeout=args.timeout_cell, notebook_timeout=args.timeout_notebook,
                    memory_mb=args.memory_mb, processes=args.processes, output_mb=args.output_mb)
    options = GradeOptions(
        submissions=args.submissions, out=args.out, lessons=args.lessons, workers=max(1, args.workers),
        limits=limits, unsafe=args.unsafe, source=args.source, fresh=args.fresh, progress=not args.no_progress,
        export=tuple(args.export), duedates=dict(args.duedate), scheduler=args.scheduler, cluster=args.cluster,
    )
    interrupted: list[int] = []

    def on_interrupt(signum, frame):  # Ctrl-C: remembered, so that it is never lost (130 whatever happens next)
        interrupted.append(signum)
        raise KeyboardInterrupt

    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.default_int_handler:
        signal.signal(signal.SIGINT, on_interrupt)
    try:
        run = grade(options)
    except SandboxUnavailable as err:
        print(err, file=sys.stderr)
        return 3
    except (GradingError, ClusterError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if options.on_cluster:
            print(f"interrupted: what was graded is kept in {args.out / '.journal'}; the same command goes on "
                  "from there", file=sys.stderr)
        return 130
    finally:
        if previous is signal.default_int_handler:
            signal.signal(signal.SIGINT, previous)
    if interrupted:  # it came as the run finished, and was swallowed on the way: every grade is written
        print("interrupted as the run finished: every grade is written", file=sys.stderr)
        return 130
    if not run.results:
        print("no submissions found to grade", file=sys.stderr)
        return 1
    return 1 if any(r["status"] == "error" for r in run.results) else 0


if __name__ == "__main__":
    sys.exit(main())
