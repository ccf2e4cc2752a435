"""Wall time of every solution notebook run end to end in full mode -> ``benchmarks/results/course.json``.

Each lesson's source notebook (``solutions/NN_topic/NN_topic.ipynb``) runs the way a student runs
it in full mode: nbclient, the ``seqnlp`` kernel (``make kernel``), ``SEQNLP_MODE=full``
(``NBGRADER_EXECUTION`` removed), every cell in order, in a scratch folder that is the kernel's
working directory and is deleted afterwards (``--keep DIR`` saves the executed notebooks there;
nothing is ever written into the repository but the rows). One notebook at a time, each under the
heavy lock (``/tmp/seqnlp_heavy.lock``, the lock ``run_all.py`` takes; when ``run_all.py`` runs this
script it already holds the lock, and tells it so through ``SEQNLP_HEAVY_LOCK_HELD``).

Rows (``benchmarks/common.py`` format):

* one per lesson: ``whole notebook, full mode``, seconds from kernel start to the last cell's end,
  target 900 s (no lesson over 15 minutes); a notebook that fails is a missed row whose anchor
  says after how many seconds and why;
* ``lesson notebook, full mode: <dataset> test: <model> (<framework>)``: the accuracies (and the
  macro-F1 with 3 classes) a notebook computed itself in its ``results`` list (lesson 08's table,
  its IMDB ensemble with the issue's target of 92.0), read from the kernel after the last cell;
* ``course``: ``all 8 notebooks one after another, full mode, one run``, the sum of the eight,
  target 3,600 s, written only by a run that measured all eight without a failure;
* ``course``: ``all 8 notebooks, full mode: sum of each lesson's latest row (separate runs)``,
  target 3,600 s, written by a partial run (``--only``) once every lesson has a row; its anchor
  gives the dates of the runs it adds up. A complete run removes it.

A partial run (``--only 01 06``) replaces the rows of the lessons it ran and keeps the others' rows
from earlier runs. Lesson 04 trains the course word vectors (gensim, a few minutes) when they are not
cached in ``.cache/word2vec``: the row of the notebook that trained them says so in its anchor.
``make bench`` runs this script too (``run_all.py`` runs every ``bench_*.py``;
``--skip course`` leaves it out); ``make bench-course`` runs only this one, then rebuilds RESULTS.md.

    .venv/bin/python benchmarks/bench_course.py                 # all 8 lessons (about an hour on 2 cores)
    .venv/bin/python benchmarks/bench_course.py --only 01 06    # those two; the others keep their rows
    .venv/bin/python benchmarks/bench_course.py --mode fast --only 01 02 --out /tmp/course.json  # a dry run
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
RESULTS_FILE = BENCH / "results" / "course.json"
for _path in (str(REPO), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from common import ResultRows  # noqa: E402  (benchmarks/common.py)
from run_all import DEFAULT_LOCK, exclusive  # noqa: E402

from autograder.lessons import LESSONS, resolve_lesson, source_notebook  # noqa: E402

KERNEL = "seqnlp"
LESSON_TARGET_S = 900.0
COURSE_TARGET_S = 3600.0
LOCK_HELD_VAR = "SEQNLP_HEAVY_LOCK_HELD"


def notebook_task(mode: str) -> str:
    return f"whole notebook, {mode} mode (nbclient, kernel {KERNEL}, one notebook at a time)"


def course_task(mode: str) -> str:
    return f"all {len(LESSONS)} notebooks one after another, {mode} mode, one run"


def sum_task(mode: str) -> str:
    return f"all {len(LESSONS)} notebooks, {mode} mode: sum of each lesson's latest row (separate runs)"


def kernel_env(mode: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The kernel's environment: this one, in ``mode``, not looking like nbgrader or pytest."""
    env = dict(os.environ if environ is None else environ)
    for name in ("NBGRADER_EXECUTION", "PYTEST_CURRENT_TEST", "NBVAL"):
        env.pop(name, None)
    env["SEQNLP_MODE"] = mode
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def course_vectors_cached() -> bool:
    """Are the full-mode course word vectors in the cache (lesson 04 trains them otherwise)?"""
    from seqnlp.embeddings import cache_dir

    folders = (cache_dir(), Path(tempfile.gettempdir()) / "seqnlp-cache" / "word2vec")
    return any(p for folder in folders for p in folder.glob("imdb_sg_d100_e5_v*.kv") if "_fast" not in p.name)


def run_notebook(
    lesson: str, mode: str, timeout: float | None = None, keep: Path | None = None
) -> tuple[float, str | None]:
    """Execute ``solutions/<lesson>``; return ``(seconds, None)`` or ``(seconds until the failure, why)``."""
    import nbformat
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient import NotebookClient

    nb = nbformat.read(source_notebook(lesson), as_version=4)
    with tempfile.TemporaryDirectory(prefix=f"seqnlp-course-{lesson[:2]}-") as work:
        client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, allow_errors=False,
                                resources={"metadata": {"path": work}})
        started = time.perf_counter()
        error, figures = None, []
        last_code = max((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), default=-1)
        try:
            with client.setup_kernel(env=kernel_env(mode)):
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type != "code":
                        continue
                    cell_started = time.perf_counter()
                    client.execute_cell(cell, index)
                    took = time.perf_counter() - cell_started
                    if took >= 5:
                        print(f"  [{lesson[:2]}] cell {index:3d}: {took:7.1f} s", flush=True)
                    if index == last_code:
                        figures = read_figures(client)
        except NoSuchKernel:
            raise SystemExit(f"bench_course: no Jupyter kernel named {KERNEL!r}: run `make kernel` first") from None
        except Exception as err:  # noqa: BLE001 - a failing notebook is a row, the others still run
            first = str(err).strip().splitlines()
            error = f"{type(err).__name__}: {first[-1] if first else ''}"[:300]
        seconds = time.perf_counter() - started
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, keep / f"{lesson}_{mode}.ipynb")
    return seconds, error, figures


PROBE = """import json as _json, math as _math
def _plain(value):
    try:
        value = value.item()  # NumPy scalars
    except AttributeError:
        pass
    return None if isinstance(value, float) and _math.isnan(value) else value
_rows = globals().get("results")
print("SEQNLP_FIGURES " + _json.dumps([{k: _plain(v) for k, v in r.items()} for r in _rows
                                     if isinstance(r, dict) and "test accuracy" in r]
                                    if isinstance(_rows, list) else [], default=str))
"""


def read_figures(client) -> list[dict]:
    """The notebook's own ``results`` rows that carry a ``test accuracy`` (lesson 08's table), read from its
    kernel right after the last cell (a fraction of a second of the wall time)."""
    import nbformat

    cell = nbformat.v4.new_code_cell(PROBE)
    client.nb.cells.append(cell)  # nbclient stores each executed cell in its notebook
    try:
        client.execute_cell(cell, len(client.nb.cells) - 1, store_history=False)
    finally:
        client.nb.cells.pop()
    for output in cell.outputs:
        for line in str(output.get("text", "")).splitlines():
            if line.startswith("SEQNLP_FIGURES "):
                return json.loads(line.split(" ", 1)[1])
    return []


# the notebook figures that have a target of the course's issues: (lesson, dataset, framework) -> (target, anchor)
FIGURE_TARGETS = {
    ("08_sentiment_analysis", "IMDB", "ensemble"): (
        92.0, "issue 15: IMDB >= 92.0 from a model the course teaches, trained within 15 minutes; "
              "Mesnil et al. 2015 ensemble 92.57"),
    ("08_sentiment_analysis", "IMDB", "PyTorch"): (89.0, "lesson 08: IMDB >= 89.0"),
}


def figure_rows(lesson: str, figures: list[dict], rows) -> None:
    """Rows for the accuracies (and macro-F1 with more than 2 classes) the notebook computed itself."""
    for figure in figures:
        dataset, model, framework = figure.get("dataset"), figure.get("model"), figure.get("framework")
        accuracy = figure.get("test accuracy")
        if accuracy is None:
            continue
        target, anchor = FIGURE_TARGETS.get((lesson, dataset, framework), (None, None))
        if framework == "PyTorch" and "fine-tuned" not in str(model):
            target, anchor = None, None
        task = f"lesson notebook, full mode: {dataset} test: {model} ({framework})"
        rows.add(task, "accuracy %", 100 * float(accuracy), None, target=target, anchor=anchor)
        f1 = figure.get("macro-F1")
        if dataset != "IMDB" and f1 is not None:
            rows.add(task, "macro-F1", float(f1), None)


def merge(old: list[dict], new: list[dict], measured: set[str], mode: str) -> list[dict]:
    """``new`` rows, plus the rows of ``old`` for lessons not measured now (and not the course rows)."""
    course = {course_task(mode), sum_task(mode)}
    kept = [r for r in old if r.get("lesson") not in measured and r.get("task") not in course]
    kept_course = [r for r in old if r.get("task") == course_task(mode)]
    order = {lesson: i for i, lesson in enumerate(LESSONS)}
    lessons = sorted(kept + [r for r in new if r["lesson"] in order], key=lambda r: order.get(r["lesson"], 99))
    totals = [r for r in new if r["lesson"] not in order]
    if not any(r["task"] == course_task(mode) for r in totals):
        totals = kept_course + totals
    return lessons + totals


def sum_row(lesson_rows: list[dict], mode: str, device: str) -> dict | None:
    """The course row that adds up each lesson's latest figure, when every lesson has one that did not fail."""
    task = notebook_task(mode)
    latest = {r["lesson"]: r for r in lesson_rows if r.get("task") == task}
    if set(latest) != set(LESSONS) or any(r.get("value") is None for r in latest.values()):
        return None
    rows = ResultRows("course", device)
    dates = sorted({str(r.get("date")) for r in latest.values()})
    total = sum(r["value"] for r in latest.values())
    span = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    rows.add(sum_task(mode), "seconds", total, total, target=COURSE_TARGET_S, higher_is_better=False,
             anchor=f"runs of {span}; issue: the whole course within 3,600 s")
    return rows.rows[0]


def describe_machine(load_before: float, load_after: float) -> str:
    return (f"cpu ({os.cpu_count()} shared cores; load average {load_before:.1f} at the start, "
            f"{load_after:.1f} at the end)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NN",
                        help="run only these lessons (01 06, or folder names)")
    parser.add_argument("--mode", choices=("full", "fast"), default="full", help="SEQNLP_MODE of the notebooks (full)")
    parser.add_argument("--out", type=Path, default=None,
                        help="rows file (default in full mode: benchmarks/results/course.json; fast mode: none)")
    parser.add_argument("--keep", type=Path, default=None, help="save the executed notebooks in this folder")
    parser.add_argument("--timeout", type=float, default=None, help="seconds any one cell may take (default: no limit)")
    parser.add_argument("--lock", default=DEFAULT_LOCK, help=f"lock held while a notebook runs ({DEFAULT_LOCK})")
    parser.add_argument("--no-lock", action="store_true", help="run without taking the lock")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, runner=run_notebook) -> int:
    args = parse_args(argv)
    lessons = [resolve_lesson(key) for key in args.only] if args.only else list(LESSONS)
    lessons = [lesson for lesson in LESSONS if lesson in lessons]  # course order, no repeats
    held = os.environ.get(LOCK_HELD_VAR)
    lock = None if args.no_lock or (held and held == args.lock) else args.lock
    out = args.out if args.out is not None else (RESULTS_FILE if args.mode == "full" else None)
    print(f"bench_course: {len(lessons)} notebook(s) in {args.mode} mode: {' '.join(name[:2] for name in lessons)}"
          f"{'' if lock else ' (no lock taken)'}", flush=True)

    measured: list[tuple[str, float, str | None, str | None, str]] = []
    figures: dict[str, list[dict]] = {}
    for lesson in lessons:
        with exclusive(lock):
            load_before, cached_before = os.getloadavg()[0], course_vectors_cached()
            print(f"== {lesson} ({args.mode} mode, load average {load_before:.1f})", flush=True)
            seconds, error, *rest = runner(lesson, args.mode, args.timeout, args.keep)
            figures[lesson] = rest[0] if rest else []
            trained = not cached_before and course_vectors_cached()
            device = describe_machine(load_before, os.getloadavg()[0])
        note = "trained the course word vectors (not cached before)" if trained else None
        measured.append((lesson, seconds, error, note, device))
        print(f"== {lesson}: {'ok' if error is None else 'FAILED: ' + error} in {seconds:.1f} s", flush=True)

    rows = ResultRows("course", measured[-1][4] if measured else "cpu")
    for lesson, seconds, error, note, device in measured:
        rows.lesson, rows.device = lesson, device
        anchor = "issue: no lesson over 15 minutes" + (f"; {note}" if note else "")
        if error is not None:
            anchor = f"FAILED after {seconds:.0f} s: {error}"
        rows.add(notebook_task(args.mode), "seconds", None if error else seconds, seconds, target=LESSON_TARGET_S,
                 anchor=anchor, higher_is_better=False)
        if error is not None:
            rows.rows[-1]["met"] = False
        if error is None and args.mode == "full":
            figure_rows(lesson, figures.get(lesson, []), rows)
    failed = [lesson for lesson, _, error, _, _ in measured if error is not None]
    complete = len(measured) == len(LESSONS) and not failed
    if complete:
        total = sum(seconds for _, seconds, _, _, _ in measured)
        rows.lesson, rows.device = "course", measured[-1][4]
        rows.add(course_task(args.mode), "seconds", total, total, target=COURSE_TARGET_S, higher_is_better=False,
                 anchor="issue: the whole course within 3,600 s")
    if out is None:
        print("no rows written (fast mode: give --out PATH to keep them)")
    else:
        old = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else []
        merged = merge(old, rows.rows, set(lessons), args.mode)
        if not complete:
            extra = sum_row([r for r in merged if r.get("lesson") in LESSONS], args.mode, rows.device)
            if extra is not None:
                merged.append(extra)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(merged, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {out} ({len(merged)} rows)")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
