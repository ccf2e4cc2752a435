"""Full-mode figures of lesson 07's neural language model: the LSTM LM on lesson 02's Brown split.

Trains exactly the model the lesson trains in full mode (``seqnlp.lm.BROWN_LM["full"]``, through
``seqnlp.lm``'s data, model, training and evaluation functions), and writes
``benchmarks/results/07_lstm_gru_lm.json``:

* held-out perplexity over the 121,652 tokens lesson 02 scores (every word and every ``</s>``),
  target: below the Kneser-Ney trigram's 213.8;
* the training time as the budget counts it (CPU time / threads on a CPU: the seconds the run
  would take on that many cores of its own; the budget is 600 s), the wall time, and tokens/s.

    .venv/bin/python benchmarks/bench_07_lm.py            # full mode (10 CPU-minutes of training)
    .venv/bin/python benchmarks/bench_07_lm.py --fast     # smoke test in fast mode; writes nothing
"""

from __future__ import annotations

import argparse
import os
import time


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="fast-mode settings; print the rows, write nothing")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for PyTorch (default 1: on a shared machine two threads spin-wait for each "
                        "other; the budget is then 10 minutes of ONE core's CPU time, within the 2-core target)")
    return parser.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else parse_args([])
os.environ["SEQNLP_MODE"] = "fast" if ARGS.fast else "full"  # decided before seqnlp is imported
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)  # before NumPy/PyTorch load their thread pools

import torch  # noqa: E402
from common import ResultRows  # noqa: E402  (benchmarks/common.py)

import seqnlp  # noqa: E402
from seqnlp import lm as slm  # noqa: E402

TRIGRAM_KN = 213.8  # lesson 02, benchmarks/results/02_ngram_language_models.json (order 3, d = 0.75)


def main() -> None:
    cfg = seqnlp.setup(seed=0)
    torch.set_num_threads(ARGS.threads)
    settings = slm.BROWN_LM[cfg.mode]
    device_name = f"cuda ({torch.cuda.get_device_name(0)})" if cfg.device.type == "cuda" else \
        f"cpu ({ARGS.threads} threads, shared machine)"
    rows = ResultRows("07_lstm_gru", device_name, width=78)

    start = time.perf_counter()
    train_raw, heldout = slm.brown_split(cfg.seed, settings["categories"])
    itos = slm.lm_vocab(train_raw)
    stoi = {w: i for i, w in enumerate(itos)}
    train_ids = slm.encode_stream(train_raw[: settings["train_sentences"]], stoi)
    heldout_ids = slm.encode_stream(heldout, stoi)
    n_heldout = sum(len(s) + 1 for s in heldout)
    assert len(heldout_ids) - 1 == n_heldout
    print(f"|V| = {len(itos):,}, {len(train_ids):,} training ids, {n_heldout:,} held-out tokens "
          f"({time.perf_counter() - start:.1f} s to prepare)", flush=True)

    torch.manual_seed(cfg.seed)
    model = slm.LSTMLanguageModel(len(itos), **settings["model"]).to(cfg.device)
    n_params = sum(p.numel() for p in model.parameters())
    history = slm.train_lm(model, train_ids, device=cfg.device, log_every=200, **settings["train"])
    start = time.perf_counter()
    ppl = slm.lm_perplexity(*slm.evaluate_lm(model, heldout_ids, device=cfg.device))
    eval_wall = time.perf_counter() - start

    m, t = settings["model"], settings["train"]
    what = (f"LSTM LM ({m['hidden_size']} units, embedding {m['embed_dim']}, adaptive softmax {list(m['cutoffs'])}, "
            f"{n_params / 1e6:.1f}M parameters; batch {t['batch_size']} x {t['seq_len']} steps)")
    budget = t.get("budget_s")
    rows.add(f"Brown held-out ({n_heldout:,} tokens): {what}", "perplexity", ppl, history["seconds"],
             target=TRIGRAM_KN, anchor="KN trigram of lesson 02", higher_is_better=False)
    clock = "wall" if cfg.device.type == "cuda" else f"CPU time / {ARGS.threads} threads"
    rows.add(f"LSTM LM training: {history['steps']:,} updates, {history['epochs']:.2f} epochs ({clock}"
             + (f", budget {budget:.0f} s)" if budget else ")"), "training seconds", history["seconds"],
             history["seconds"], target=budget, higher_is_better=False)
    rows.add("LSTM LM training, wall clock on the shared machine (pessimistic)", "wall seconds",
             history["wall_seconds"], history["wall_seconds"])
    rows.add("LSTM LM training throughput (per second of the budget's clock)", "tokens/s",
             history["tokens"] / max(history["seconds"], 1e-9), history["seconds"])
    rows.add("LSTM LM training throughput (per wall second, shared machine)", "tokens/s",
             history["tokens"] / max(history["wall_seconds"], 1e-9), history["wall_seconds"])
    rows.add(f"LSTM LM evaluation: {n_heldout:,} held-out tokens, batch 1", "tokens/s", n_heldout / eval_wall,
             eval_wall)
    print("training loss (nats per token) by update:", [(s, round(v, 3)) for s, v in history["losses"]])
    if not ARGS.fast:
        rows.write("07_lstm_gru_lm")


if __name__ == "__main__":
    main()
