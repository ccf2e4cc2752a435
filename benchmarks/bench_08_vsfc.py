"""UIT-VSFC sentiment (3 classes) on syllables and on pyvi's words: linear model, BiLSTM, ensemble.

Writes ``benchmarks/results/08_uit_vsfc.json``. Every choice is made on the validation split
(1,583 sentences) and the test split (3,166) is read once per model, at the end:

* the corpus as shipped (syllables) and word-segmented by ``seqnlp.vietnamese`` (pyvi);
* lesson 03's TF-IDF + logistic regression on uni+bigrams, its ``C`` chosen on validation;
* lesson 08's BiLSTM + masked max/mean pooling, class-weighted loss (``seqnlp.sentiment.SentimentRNN``
  trained with ``seqnlp.train.fit``, the settings of ``bench_08_sentiment_analysis.py``), one per seed;
* an ensemble: the mean of the BiLSTMs' class probabilities mixed with the linear model's,
  ``p = w * p_bilstm + (1 - w) * p_linear``, with ``w`` chosen on validation (macro-F1), and the same
  ensemble with the probability of the rare neutral class scaled by a factor chosen on validation.

Accuracy, macro-F1 and weighted F1 (the papers report weighted F1) for each.

    .venv/bin/python benchmarks/bench_08_vsfc.py            # full run (a few minutes on two idle cores)
    .venv/bin/python benchmarks/bench_08_vsfc.py --fast     # fast-mode slices, prints the rows, writes nothing
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

PARTS = ("syllables", "words")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="fast-mode slices; print the rows, write nothing")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for PyTorch (default 2)")
    parser.add_argument("--seeds", type=int, default=3, help="BiLSTMs per representation (default 3)")
    return parser.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else parse_args([])
os.environ["SEQNLP_MODE"] = "fast" if ARGS.fast else "full"  # decided before seqnlp is imported
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from common import ResultRows  # noqa: E402  (benchmarks/common.py)
from sklearn.metrics import f1_score  # noqa: E402
from torch import nn  # noqa: E402

import seqnlp  # noqa: E402
from seqnlp.features import tfidf_logreg_pipeline  # noqa: E402
from seqnlp.metrics import accuracy, macro_f1  # noqa: E402
from seqnlp.sentiment import SentimentRNN, bucketed_loader  # noqa: E402
from seqnlp.text import Vocab, clean_text  # noqa: E402
from seqnlp.train import fit, predict  # noqa: E402
from seqnlp.vietnamese import segment_texts, segmenter_name  # noqa: E402

torch.set_num_threads(ARGS.threads)

LESSON = "08_sentiment_analysis"
RESULT_NAME = "08_uit_vsfc"
# lesson 08's full-mode settings (bench_08_sentiment_analysis.py)
VSFC = {"min_freq": 2, "epochs": 10, "patience": 2}
MODEL = {"embed_dim": 100, "hidden_size": 64, "cell": "lstm", "dropout": 0.3}
LR, BATCH, CLIP = 2e-3, 64, 5.0
C_GRID = (3.0, 10.0, 30.0)
MIX_GRID = np.round(np.linspace(0.0, 1.0, 11), 2)
NEUTRAL_GRID = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0)  # scale of the neutral class's probability (the rare class)
TARGET_ACCURACY, TARGET_MACRO_F1 = 91.0, 0.78
ANCHOR = ("Nguyen et al. 2019 BiLSTM 92.0 (weighted F1); Huynh et al. 2020 ensemble 92.79; "
          "lesson 08 syllable BiLSTM 89.61 / 0.762")


def scores(y: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    y_hat = probs.argmax(axis=1)
    return {"accuracy": 100 * accuracy(y, y_hat), "macro_f1": macro_f1(y, y_hat, num_classes=3),
            "weighted_f1": float(f1_score(y, y_hat, average="weighted"))}


def show(s: dict[str, float]) -> str:
    return f"accuracy {s['accuracy']:.2f}, macro-F1 {s['macro_f1']:.4f}, weighted F1 {s['weighted_f1']:.4f}"


def load_splits() -> tuple[dict, float]:
    """``{representation: {split: (token lists, labels)}}`` and the segmenter's seconds (model loading included)."""
    out: dict = {"syllables": {}, "words": {}}
    seconds = 0.0
    for split in ("train", "val", "test"):
        frame = seqnlp.load_uit_vsfc(split)
        started = time.perf_counter()
        words = segment_texts(frame.sentence)  # not cached: the time is the segmenter's
        seconds += time.perf_counter() - started
        labels = frame.sentiment.to_numpy()
        out["syllables"][split] = ([clean_text(t).split() for t in frame.sentence], labels)
        out["words"][split] = ([clean_text(t).split() for t in words], labels)
    return out, seconds


def class_weights(labels: np.ndarray) -> np.ndarray:
    """1 / sqrt(class share), scaled to mean 1 (lesson 08's weighting)."""
    shares = np.bincount(labels, minlength=3) / len(labels)
    weights = 1 / np.sqrt(shares)
    return weights / weights.mean()


def linear_model(splits: dict) -> tuple[dict, float, float]:
    """TF-IDF uni+bigrams + logistic regression, ``C`` chosen on validation macro-F1; probabilities per split."""
    docs = {split: [" ".join(tokens) for tokens in splits[split][0]] for split in splits}
    started, best = time.perf_counter(), None
    for C in C_GRID:
        pipe = tfidf_logreg_pipeline(tokenizer=str.split, C=C)
        pipe.set_params(clf__solver="lbfgs", clf__dual=False, clf__max_iter=3000)  # liblinear is binary only
        pipe.fit(docs["train"], splits["train"][1])
        val = scores(splits["val"][1], pipe.predict_proba(docs["val"]))
        print(f"    TF-IDF + LR, C={C:g}: validation {show(val)}", flush=True)
        if best is None or val["macro_f1"] > best[0]:
            best = (val["macro_f1"], C, pipe)
    _, C, pipe = best
    probs = {split: pipe.predict_proba(docs[split]) for split in ("val", "test")}
    return probs, C, time.perf_counter() - started


def bilstm(splits: dict, seed: int) -> tuple[dict, dict]:
    """One class-weighted BiLSTM; class probabilities per split (in the split's order) and its history."""
    vocab = Vocab(splits["train"][0], min_freq=VSFC["min_freq"])
    loaders = {split: bucketed_loader([vocab.encode(t) for t in tokens], labels,
                                      batch_size=BATCH if split == "train" else 256, shuffle=split == "train",
                                      seed=seed)
               for split, (tokens, labels) in splits.items()}
    torch.manual_seed(seed)
    model = SentimentRNN(len(vocab), 3, **MODEL)
    loss = nn.CrossEntropyLoss(weight=torch.tensor(class_weights(splits["train"][1]), dtype=torch.float32))
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    history = fit(model, loaders["train"], loaders["val"], loss, optimizer, epochs=VSFC["epochs"], device="cpu",
                  patience=VSFC["patience"], clip_norm=CLIP)
    probs = {}
    for split in ("val", "test"):
        _, _, p = predict(model, loaders[split], "cpu")  # the loader sorts by length (stable): undo it
        order = np.argsort(loaders[split].dataset.lengths, kind="stable")
        probs[split] = np.empty_like(p)
        probs[split][order] = p
    return probs, {"epochs": len(history), "best_epoch": history.best_epoch, "seconds": history.seconds,
                   "vocab": len(vocab)}


def main() -> None:
    seqnlp.setup(seed=0)
    load_before = os.getloadavg()[0]
    device = f"cpu ({ARGS.threads} threads, {os.cpu_count()} shared cores, {platform.machine()})"
    print(f"UIT-VSFC benchmark: device {device}, segmenter {segmenter_name()}", flush=True)
    data, seg_seconds = load_splits()
    y = {split: data["words"][split][1] for split in ("val", "test")}
    print(f"loaded and segmented UIT-VSFC in {seg_seconds:.1f} s", flush=True)
    results: list[tuple[str, str, dict, float, float | None]] = []  # (representation, model, test scores, s, C/w)
    for name in PARTS:
        splits = data[name]
        tokens = sum(len(t) for t in splits["train"][0])
        print(f"{name}: {tokens / len(splits['train'][0]):.1f} tokens a sentence", flush=True)
        lin, C, lin_seconds = linear_model(splits)
        print(f"  TF-IDF + LR (C={C:g}): validation {show(scores(y['val'], lin['val']))}", flush=True)
        results.append((name, f"TF-IDF uni+bigrams + logistic regression (C={C:g} chosen on validation)",
                        scores(y["test"], lin["test"]), lin_seconds, None))
        runs, seconds = [], 0.0
        for seed in range(ARGS.seeds):
            probs, info = bilstm(splits, seed)
            seconds += info["seconds"]
            runs.append(probs)
            print(f"  BiLSTM seed {seed} ({info['epochs']} epochs, best {info['best_epoch']}, vocabulary "
                  f"{info['vocab']:,}, {info['seconds']:.0f} s): validation {show(scores(y['val'], probs['val']))}; "
                  f"test {show(scores(y['test'], probs['test']))}", flush=True)
        results.append((name, "BiLSTM + masked max/mean pooling, class-weighted, seed 0",
                        scores(y["test"], runs[0]["test"]), seconds / len(runs), None))
        mean = {split: np.mean([r[split] for r in runs], axis=0) for split in ("val", "test")}
        results.append((name, f"mean of {len(runs)} BiLSTMs (seeds 0-{len(runs) - 1})", scores(y["test"], mean["test"]),
                        seconds, None))
        mixes = {float(w): scores(y["val"], w * mean["val"] + (1 - w) * lin["val"]) for w in MIX_GRID}
        w = max(mixes, key=lambda k: (mixes[k]["macro_f1"], mixes[k]["accuracy"]))
        print(f"  ensemble: w={w:g} on validation, {show(mixes[w])}", flush=True)
        mixed = {split: w * mean[split] + (1 - w) * lin[split] for split in ("val", "test")}
        results.append((name, f"ensemble: {w:g} x BiLSTM mean + {1 - w:g} x TF-IDF LR (w chosen on validation)",
                        scores(y["test"], mixed["test"]), seconds + lin_seconds, w))
        boosts = {float(b): scores(y["val"], mixed["val"] * [1.0, b, 1.0]) for b in NEUTRAL_GRID}
        b = max(boosts, key=lambda k: (boosts[k]["macro_f1"], boosts[k]["accuracy"]))
        print(f"  ensemble, neutral x{b:g} on validation: {show(boosts[b])}", flush=True)
        results.append((name, f"ensemble, neutral probability x{b:g} (chosen on validation)",
                        scores(y["test"], mixed["test"] * [1.0, b, 1.0]), seconds + lin_seconds, b))

    load = (load_before + os.getloadavg()[0]) / 2
    rows = ResultRows(LESSON, f"{device}; load average {load:.1f}", width=90)
    headline = ("words", "ensemble")  # the val-chosen mix on words carries the targets
    for name, model, s, secs, _ in results:
        tokens = "pyvi words" if name == "words" else "syllables"
        task = f"UIT-VSFC test, {tokens}: {model}"
        is_headline = (name, model.split(":")[0]) == headline
        rows.add(task, "accuracy %", s["accuracy"], secs, target=TARGET_ACCURACY if is_headline else None,
                 anchor=ANCHOR if is_headline else None)
        rows.add(task, "macro-F1", s["macro_f1"], secs, target=TARGET_MACRO_F1 if is_headline else None,
                 anchor=ANCHOR if is_headline else None)
        rows.add(task, "weighted F1", s["weighted_f1"], secs,
                 anchor="Nguyen et al. 2019 BiLSTM 0.920" if is_headline else None)
    sentences = sum(len(data["words"][split][1]) for split in ("train", "val", "test"))
    rows.add(f"UIT-VSFC: word segmentation of the {sentences:,} sentences ({segmenter_name()}, one core, model "
             "loading included)", "seconds", seg_seconds, seg_seconds)
    if not ARGS.fast:
        rows.write(RESULT_NAME)


if __name__ == "__main__":
    sys.exit(main())
