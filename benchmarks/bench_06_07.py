"""Full-mode figures of lessons 06 (recurrent neural networks) and 07 (LSTM and GRU).

Writes ``benchmarks/results/06_recurrent_neural_networks.json`` and
``benchmarks/results/07_lstm_gru.json``, one row per figure:

* the lessons' from-scratch NumPy implementations (the solution cells of the
  source notebooks, executed as they are) against ``torch.nn.RNN``/``LSTM``/``GRU``
  with the same weights: maximum absolute difference (float64) and CPU time
  ratio, plus BPTT against autograd and a numerical gradient check;
* each notebook executed end to end in full mode (its wall time, the UIT-VSFC
  vanilla-RNN classifier's test accuracy and macro-F1, the long-range task's
  accuracy per cell and sequence length), read from the notebook's own
  ``results`` / ``long_range`` variables.

    .venv/bin/python benchmarks/bench_06_07.py                 # everything (about 10 minutes on 2 shared cores)
    .venv/bin/python benchmarks/bench_06_07.py --lesson 07      # one lesson
    .venv/bin/python benchmarks/bench_06_07.py --skip-notebooks # only the cell comparisons (under a minute)
    .venv/bin/python benchmarks/bench_06_07.py --fast           # smoke test in fast mode; writes nothing
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
L06, L07 = "06_recurrent_neural_networks", "07_lstm_gru"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", choices=["06", "07", "all"], default="all")
    parser.add_argument("--fast", action="store_true", help="fast-mode notebooks; print the rows, write nothing")
    parser.add_argument("--skip-notebooks", action="store_true", help="only compare the cells with torch.nn")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for PyTorch and NumPy's BLAS (default 1: on a shared machine, several "
                        "threads spin-wait for each other and small recurrent models get much slower)")
    return parser.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else parse_args([])
os.environ["SEQNLP_MODE"] = "fast" if ARGS.fast else "full"  # decided before seqnlp is imported
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)  # before NumPy/PyTorch load their thread pools; kernels inherit it

import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from common import ResultRows  # noqa: E402  (benchmarks/common.py)
from nbclient import NotebookClient  # noqa: E402
from torch import nn  # noqa: E402

import seqnlp  # noqa: E402

torch.set_num_threads(ARGS.threads)


# --------------------------------------------------------------------------- the lessons' own code


def solution_namespace(lesson: str) -> dict:
    """Execute a source notebook's setup cell and solution cells (not its tests or demos)."""
    nb = nbformat.read(REPO / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
    namespace: dict = {"__name__": f"lesson_{lesson[:2]}"}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("grade_id") == "setup" or meta.get("solution")):
            exec(compile(cell.source, f"<{lesson}:{meta['grade_id']}>", "exec"), namespace)  # noqa: S102
    torch.set_num_threads(ARGS.threads)  # the setup cell may have changed it
    return namespace


def best_time(fn, repeats: int = 5) -> float:
    """Fastest of a few runs, in seconds (the least disturbed by other jobs on the machine)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def params64(layer: nn.Module) -> dict[str, np.ndarray]:
    return {name: p.detach().double().numpy() for name, p in layer.named_parameters()}


def compare_rnn(rows: ResultRows, ns: dict) -> None:
    """Lesson 06: rnn_forward / rnn_backward against nn.RNN and autograd."""
    B, T, D, H = 32, 50, 64, 128
    for nonlinearity in ("tanh", "relu"):
        torch.manual_seed(0)
        layer = nn.RNN(D, H, nonlinearity=nonlinearity, batch_first=True).double()
        w = params64(layer)
        b = w["bias_ih_l0"] + w["bias_hh_l0"]
        X = torch.randn(B, T, D, dtype=torch.float64)
        start = time.perf_counter()
        with torch.no_grad():
            want = layer(X)[0].numpy()
        got = ns["rnn_forward"](X.numpy(), None, w["weight_ih_l0"], w["weight_hh_l0"], b, nonlinearity)[0]
        rows.add(f"rnn_forward vs torch.nn.RNN ({nonlinearity}; B={B}, T={T}, D={D}, H={H}; float64)",
                 "max_abs_diff", float(np.abs(got - want).max()), time.perf_counter() - start,
                 target=1e-6, anchor="torch.nn.RNN (oracle)", higher_is_better=False)
    ours = best_time(lambda: ns["rnn_forward"](X.numpy(), None, w["weight_ih_l0"], w["weight_hh_l0"], b))
    layer32 = nn.RNN(D, H, batch_first=True)
    X32 = X.float()
    with torch.no_grad():
        theirs = best_time(lambda: layer32(X32))
    rows.add(f"rnn_forward (NumPy float64) / nn.RNN (float32) forward time, CPU, {ARGS.threads} thread(s)",
             "time_ratio", ours / theirs, ours + theirs,
             anchor=f"NumPy {ours * 1e3:.1f} ms, torch {theirs * 1e3:.1f} ms (B={B}, T={T}, D={D}, H={H})")

    # BPTT: autograd and a numerical gradient check
    torch.manual_seed(1)
    B, T, D, H = 4, 20, 8, 16
    layer = nn.RNN(D, H, batch_first=True).double()
    X = torch.randn(B, T, D, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(1, B, H, dtype=torch.float64, requires_grad=True)
    G = torch.randn(B, T, H, dtype=torch.float64)
    start = time.perf_counter()
    out, _ = layer(X, h0)
    (out * G).sum().backward()
    w = params64(layer)
    grads = ns["rnn_backward"](G.numpy(), X.detach().numpy(), h0[0].detach().numpy(), out.detach().numpy(),
                               w["weight_ih_l0"], w["weight_hh_l0"])
    want = {"dX": X.grad, "dh0": h0.grad[0], "dW_xh": layer.weight_ih_l0.grad, "dW_hh": layer.weight_hh_l0.grad,
            "db": layer.bias_ih_l0.grad}
    diff = max(float(np.abs(grads[k] - v.numpy()).max()) for k, v in want.items())
    rows.add(f"rnn_backward vs autograd (B={B}, T={T}, D={D}, H={H}; all five gradients)", "max_abs_diff", diff,
             time.perf_counter() - start, target=1e-6, anchor="torch.autograd (oracle)", higher_is_better=False)

    start = time.perf_counter()
    rng = np.random.default_rng(2)
    B, T, D, H = 2, 8, 3, 5
    inputs = {"X": rng.normal(size=(B, T, D)), "h0": rng.normal(size=(B, H)) * 0.5,
              "W_xh": rng.normal(size=(H, D)) * 0.5, "W_hh": rng.normal(size=(H, H)) * 0.5}
    b = rng.normal(size=H) * 0.1
    G = rng.normal(size=(B, T, H))

    def loss() -> float:
        return float(np.sum(G * ns["rnn_forward"](inputs["X"], inputs["h0"], inputs["W_xh"], inputs["W_hh"], b)[0]))

    H_all = ns["rnn_forward"](inputs["X"], inputs["h0"], inputs["W_xh"], inputs["W_hh"], b)[0]
    grads = ns["rnn_backward"](G, inputs["X"], inputs["h0"], H_all, inputs["W_xh"], inputs["W_hh"])
    worst = 0.0
    for name, value in inputs.items():
        numeric = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            old = value[i]
            value[i] = old + 1e-6
            up = loss()
            value[i] = old - 1e-6
            down = loss()
            value[i] = old
            numeric[i] = (up - down) / 2e-6
        analytic = grads["d" + name]
        worst = max(worst, np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic) + np.linalg.norm(numeric)))
    rows.add(f"rnn_backward gradient check (central differences, float64; B={B}, T={T})", "relative_error", worst,
             time.perf_counter() - start, target=1e-6, anchor="issue #6: relative error < 1e-6",
             higher_is_better=False)


def compare_gated(rows: ResultRows, ns: dict) -> None:
    """Lesson 07: recurrent_forward (built on lstm_cell / gru_cell) against nn.LSTM / nn.GRU."""
    B, T, D, H = 32, 50, 64, 128
    for kind, module in (("lstm", nn.LSTM), ("gru", nn.GRU)):
        for layers, bidirectional in ((1, False), (2, True)):
            torch.manual_seed(layers)
            layer = module(D, H, num_layers=layers, bidirectional=bidirectional, batch_first=True).double()
            X = torch.randn(B, T, D, dtype=torch.float64)
            start = time.perf_counter()
            with torch.no_grad():
                want = layer(X)
            got = ns["recurrent_forward"](X.numpy(), params64(layer), kind, layers, bidirectional)
            diffs = [np.abs(got[0] - want[0].numpy()).max()]
            if kind == "lstm":
                diffs += [np.abs(got[1][0] - want[1][0].numpy()).max(), np.abs(got[1][1] - want[1][1].numpy()).max()]
            else:
                diffs.append(np.abs(got[1] - want[1].numpy()).max())
            rows.add(f"{kind} from scratch vs torch.nn.{module.__name__} ({layers} layer(s), "
                     f"{'bi' if bidirectional else 'uni'}directional; B={B}, T={T}, D={D}, H={H}; float64)",
                     "max_abs_diff", float(max(diffs)), time.perf_counter() - start, target=1e-6,
                     anchor=f"torch.nn.{module.__name__} (oracle): output and final states", higher_is_better=False)
        layer64 = module(D, H, batch_first=True).double()
        weights = params64(layer64)
        X = torch.randn(B, T, D, dtype=torch.float64)
        ours = best_time(lambda kind=kind, weights=weights, X=X: ns["recurrent_forward"](X.numpy(), weights, kind))
        layer32, X32 = module(D, H, batch_first=True), X.float()
        with torch.no_grad():
            theirs = best_time(lambda layer32=layer32, X32=X32: layer32(X32))
        rows.add(f"{kind} from scratch (NumPy float64) / nn.{module.__name__} (float32) forward time, CPU, "
                 f"{ARGS.threads} thread(s)", "time_ratio", ours / theirs, ours + theirs,
                 anchor=f"NumPy {ours * 1e3:.1f} ms, torch {theirs * 1e3:.1f} ms (B={B}, T={T}, D={D}, H={H})")


# --------------------------------------------------------------------------- the notebooks in full mode

REPORT = (
    "import json as _json\n"
    "_out = {'results': results}\n"
    "if 'long_range' in globals():\n"
    "    _out['long_range'] = long_range.to_dict('records')\n"
    "print('BENCH' + _json.dumps(_out, default=float))"
)


def run_notebook(lesson: str) -> tuple[dict, float]:
    """Execute a source notebook in this process's mode; return its results and its wall time."""
    nb = nbformat.read(REPO / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    client = NotebookClient(nb, timeout=-1, kernel_name="python3", resources={"metadata": {"path": str(REPO)}})
    print(f"executing solutions/{lesson} in {os.environ['SEQNLP_MODE']} mode ...", flush=True)
    start = time.perf_counter()
    with client.setup_kernel(env=env):
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
    seconds = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("name") == "stdout")
    line = next(line for line in text.splitlines() if line.startswith("BENCH"))
    return json.loads(line[len("BENCH"):]), seconds


def notebook_rows_06(rows06: ResultRows) -> None:
    out, seconds = run_notebook(L06)
    r = out["results"]
    rows06.add("whole notebook, full mode (nbclient, one kernel)", "seconds", seconds, seconds)
    n = int(r["uit_vsfc_train_sentences"])
    task = (f"UIT-VSFC sentiment, vanilla RNN (Embedding 100 -> RNN 128 -> Linear, packed), "
            f"{n:,} train sentences, best epoch {int(r['uit_vsfc_best_epoch'])}")
    rows06.add(task, "test_accuracy", r["uit_vsfc_test_accuracy"], r["uit_vsfc_train_seconds"], target=0.85,
               anchor="issue #6: >= 85% with the vanilla RNN")
    rows06.add(task, "test_macro_f1", r["uit_vsfc_test_macro_f1"], r["uit_vsfc_train_seconds"],
               anchor="3 classes; neutral is about 5% of the test split")
    rows06.add(task, "test_f1_neutral", r["uit_vsfc_neutral_f1"], r["uit_vsfc_train_seconds"])


def notebook_rows_07(rows07: ResultRows) -> None:
    out, seconds = run_notebook(L07)
    rows07.add("whole notebook, full mode (nbclient, one kernel)", "seconds", seconds, seconds)
    for run in out["long_range"]:
        gated = run["model"] != "RNN" and "default" not in run["model"]
        long = run["length"] >= 50
        target = 0.99 if gated else None
        anchor = "issue #7: LSTM/GRU learn the long-range task" if gated else (
            "issue #7: a same-size vanilla RNN does not (chance = 0.5)" if run["model"] == "RNN" and long else None)
        steps = run["updates to 99%"]
        rows07.add(f"first-token task, T={run['length']}, {run['model']}, 32 units "
                   f"({'solved after ' + str(int(steps)) + ' updates' if steps == steps and steps else 'not solved'})",
                   "test_accuracy", run["test accuracy"], run["seconds"], target=target, anchor=anchor)


def main() -> None:
    cfg = seqnlp.setup(seed=0)
    device = f"{cfg.device} ({ARGS.threads} thread(s), {os.cpu_count()} shared cores)"
    if ARGS.lesson in ("06", "all"):
        rows = ResultRows(L06, device, width=66)
        print("lesson 06: NumPy RNN vs torch.nn.RNN")
        compare_rnn(rows, solution_namespace(L06))
        if not ARGS.skip_notebooks:
            notebook_rows_06(rows)
        if not ARGS.fast:
            rows.write()
    if ARGS.lesson in ("07", "all"):
        rows = ResultRows(L07, device, width=66)
        print("lesson 07: NumPy LSTM/GRU vs torch.nn.LSTM/GRU")
        compare_gated(rows, solution_namespace(L07))
        if not ARGS.skip_notebooks:
            notebook_rows_07(rows)
        if not ARGS.fast:
            rows.write()


if __name__ == "__main__":
    sys.exit(main())
