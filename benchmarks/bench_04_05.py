"""Full-mode figures of lessons 04 (word embeddings and Word2Vec) and 05 (neural networks for text).

Runs each lesson's solution notebook in full mode, top to bottom in one kernel, exactly as a student
would, then reads the ``results`` list the notebook fills as it measures (task, metric, value,
target, anchor, seconds) and writes ``benchmarks/results/04_word2vec.json`` and
``benchmarks/results/05_neural_networks_for_text.json`` in the course's row format.

    .venv/bin/python benchmarks/bench_04_05.py                # both lessons (about 95 min on 2 cores, 80 of them 04)
    .venv/bin/python benchmarks/bench_04_05.py --lesson 05
    .venv/bin/python benchmarks/bench_04_05.py --fresh-cache  # retrain the course vectors in a new cache folder
    .venv/bin/python benchmarks/bench_04_05.py --fast         # smoke test in fast mode: prints the rows, writes nothing

Lesson 05 loads lesson 04's course vectors (``seqnlp.embeddings.course_vectors``), training them
first if they are not cached. Accuracies are reported in percent.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from common import ResultRows  # benchmarks/common.py
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
LESSONS = {"04": "04_word2vec", "05": "05_neural_networks_for_text"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", choices=["04", "05", "all"], default="all")
    parser.add_argument("--fast", action="store_true", help="fast mode; print the rows, write nothing")
    parser.add_argument("--fresh-cache", action="store_true", help="train the course vectors again in a new cache")
    parser.add_argument("--save-notebooks", type=Path, default=None, help="folder for the executed notebooks")
    return parser.parse_args(argv)


def run_notebook(lesson: str, env: dict[str, str], save_to: Path | None) -> tuple[list[dict], float]:
    """Execute the lesson's solution notebook; return its ``results`` rows and the total seconds."""
    path = REPO / "solutions" / lesson / f"{lesson}.ipynb"
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=None, kernel_name="python3", allow_errors=False, resources={"metadata": {"path": str(path.parent)}}
    )
    started = time.perf_counter()
    with client.setup_kernel(env=env):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            cell_started = time.perf_counter()
            client.execute_cell(cell, index)
            print(f"  [{lesson}] cell {index:2d} {time.perf_counter() - cell_started:7.1f} s", flush=True)
        probe = nbformat.v4.new_code_cell("import json as _json\nprint(_json.dumps(results, default=float))")
        nb.cells.append(probe)
        client.execute_cell(probe, len(nb.cells) - 1)
        nb.cells.pop()
    seconds = time.perf_counter() - started
    if save_to is not None:
        save_to.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, save_to / f"{lesson}_{'fast' if env['SEQNLP_MODE'] == 'fast' else 'full'}.ipynb")
    text = "".join(o.get("text", "") for o in probe.outputs if o.output_type == "stream" and o.name == "stdout")
    return json.loads(text.strip().splitlines()[-1]), seconds


def add_row(rows: ResultRows, result: dict) -> None:
    """One notebook result as a row of the course's format; accuracies in percent."""
    value, target, anchor = result["value"], result.get("target"), result.get("anchor")
    metric = result["metric"]
    if "accuracy" in metric and "/" not in metric:
        metric = metric.replace("accuracy", "accuracy %")
        value = None if value is None else 100 * value
        target = None if target is None else 100 * target
        anchor = round(100 * anchor, 6) if isinstance(anchor, (int, float)) else anchor
    rows.add(result["task"], metric, value, result.get("seconds"), target=target, anchor=anchor)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = dict(os.environ)
    env["SEQNLP_MODE"] = "fast" if args.fast else "full"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if args.fresh_cache:
        env["SEQNLP_CACHE"] = tempfile.mkdtemp(prefix="seqnlp-bench-cache-")
        print(f"fresh cache: {env['SEQNLP_CACHE']}")
    import torch

    device = f"{'cuda' if torch.cuda.is_available() else 'cpu'} ({os.cpu_count()} cores)"
    for key in ["04", "05"] if args.lesson == "all" else [args.lesson]:
        lesson = LESSONS[key]
        print(f"{lesson}: executing the notebook in {env['SEQNLP_MODE']} mode", flush=True)
        results, seconds = run_notebook(lesson, env, args.save_notebooks)
        rows = ResultRows(lesson, device, width=72)
        for result in results:
            add_row(rows, result)
        rows.add(f"whole notebook, {env['SEQNLP_MODE']} mode", "seconds", seconds, seconds)
        if not args.fast:
            rows.write()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
