"""Full-mode figures of lesson 08 (sentiment analysis end to end).

Writes ``benchmarks/results/08_sentiment_analysis.json``, one row per figure, with the
issue's target and the anchor it competes with:

* IMDB (22,500 training reviews, 2,500 for early stopping, the 25,000 test reviews):
  Embedding -> BiLSTM -> masked max+mean pooling -> Linear (``seqnlp.sentiment.SentimentRNN``),
  reviews cut to their first 100 + last 300 tokens, length-bucketed batches, with
  the embeddings learned from scratch, lesson 04's course vectors frozen, and fine-tuned;
  test accuracy, training time and seconds per epoch;
* IMDB ensemble (part ``imdb``): lesson 03's NBSVM with uni-, bi- and trigrams trained on the same
  22,500 reviews, and the convex combination of its log-odds with the fine-tuned BiLSTM's, the
  weight chosen on the 2,500 validation reviews (``seqnlp.sentiment.choose_blend_weight``), never
  on the test reviews; test accuracy of NBSVM-tri and of the ensemble, the weight and its
  validation accuracy in the row's task;
* UIT-VSFC (3 classes): the same model on syllables, class-weighted loss; accuracy and macro-F1;
* the same architecture in Keras (TensorFlow backend) on both datasets (``keras-vsfc``: UIT-VSFC
  only), seeded as the lesson seeds it (``seqnlp.config.reproducible_keras``: thread pools of
  ``--threads`` fixed before TensorFlow starts, deterministic operations, seeded layers), so two
  runs print the same checksum of the test logits and the lesson reproduces the rows.

    .venv/bin/python benchmarks/bench_08_sentiment_analysis.py              # everything (see RESULTS.md for times)
    .venv/bin/python benchmarks/bench_08_sentiment_analysis.py --only imdb  # the fine-tuned IMDB model only
    .venv/bin/python benchmarks/bench_08_sentiment_analysis.py --fast       # smoke test on fast slices, writes nothing

On a GPU machine the PyTorch models run on CUDA (``SEQNLP_DEVICE=cpu`` forces the CPU) and
the rows say so in ``device``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
LESSON = "08_sentiment_analysis"
PARTS = ("imdb", "imdb-variants", "vsfc", "keras", "keras-vsfc")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS),
                        help="parts to run (default: all): imdb = the fine-tuned IMDB model, imdb-variants = "
                        "embeddings from scratch and frozen, vsfc = UIT-VSFC, keras = both datasets in Keras, "
                        "keras-vsfc = UIT-VSFC only in Keras")
    parser.add_argument("--fast", action="store_true", help="fast-mode slices; print the rows, write nothing")
    parser.add_argument("--save-scores", type=Path, default=None,
                        help="also save the IMDB val/test log-odds of the BiLSTM and NBSVM-tri and the labels (.npz), "
                             "to study other combinations without training again")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for PyTorch and TensorFlow (default 2)")
    return parser.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else parse_args([])
os.environ["SEQNLP_MODE"] = "fast" if ARGS.fast else "full"  # decided before seqnlp is imported
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from common import ResultRows  # noqa: E402  (benchmarks/common.py)
from sklearn.model_selection import train_test_split  # noqa: E402
from torch import nn  # noqa: E402

import seqnlp  # noqa: E402
from seqnlp.config import reproducible_keras  # noqa: E402
from seqnlp.embeddings import course_vectors, embedding_matrix  # noqa: E402
from seqnlp.features import nbsvm_pipeline, tfidf_logreg_pipeline  # noqa: E402
from seqnlp.metrics import accuracy, macro_f1  # noqa: E402
from seqnlp.sentiment import (  # noqa: E402
    SentimentRNN,
    blend_log_odds,
    bucketed_loader,
    choose_blend_weight,
    keras_batches,
    keras_sentiment_model,
    log_odds,
)
from seqnlp.text import Vocab, clean_text  # noqa: E402
from seqnlp.train import fit, predict  # noqa: E402

torch.set_num_threads(ARGS.threads)

# The lesson's full-mode settings.
IMDB = {"maxlen": 400, "head": 100, "max_vocab": 40_000, "min_freq": 2, "epochs": 4, "patience": 1}
VSFC = {"min_freq": 2, "epochs": 10, "patience": 2}
MODEL = {"embed_dim": 100, "hidden_size": 64, "cell": "lstm", "dropout": 0.3}
LR, BATCH, CLIP = 2e-3, 64, 5.0
ANCHOR_IMDB = ("d2l BiLSTM + GloVe 86.1; notes LSTM 80.4, SimpleRNN 80.7; "
               "lesson 03 TF-IDF + LR 90.9; NBSVM-bi 91.22 (Wang & Manning 2012)")


def tokenize(texts) -> list[list[str]]:
    return [clean_text(text).split() for text in texts]


def load_data() -> dict:
    """Tokenized IMDB (train/val/test) and UIT-VSFC (train/val/test) with labels."""
    started = time.perf_counter()
    imdb = seqnlp.load_imdb("train")
    train, val = train_test_split(imdb, test_size=0.1, stratify=imdb.label, random_state=0)
    test = seqnlp.load_imdb("test")
    data = {"imdb": {name: (tokenize(frame.text), frame.label.to_numpy())
                     for name, frame in [("train", train), ("val", val), ("test", test)]}}
    data["imdb_text"] = {name: list(frame.text) for name, frame in [("train", train), ("val", val), ("test", test)]}
    data["vsfc"] = {split: (tokenize(frame.sentence), frame.sentiment.to_numpy())
                    for split in ("train", "val", "test") for frame in [seqnlp.load_uit_vsfc(split)]}
    data["seconds"] = time.perf_counter() - started
    return data


def train_torch(name, splits, vocab, num_classes, device, embeddings=None, freeze=False, epochs=4, patience=1,
                maxlen=None, head=0, loss_fn=None) -> dict:
    """Train SentimentRNN with seqnlp.train.fit; return test metrics and timings."""
    ids = {split: [vocab.encode(tokens) for tokens in tokens_] for split, (tokens_, _) in splits.items()}
    loaders = {split: bucketed_loader(ids[split], splits[split][1], batch_size=BATCH if split == "train" else 256,
                                      shuffle=split == "train", seed=0, maxlen=maxlen, head=head) for split in ids}
    torch.manual_seed(0)
    cpu_started, load_before = time.process_time(), os.getloadavg()[0]
    model = SentimentRNN(len(vocab), num_classes, embeddings=embeddings, freeze=freeze, **MODEL)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=LR)
    history = fit(model, loaders["train"], loaders["val"], loss_fn or nn.CrossEntropyLoss(), optimizer,
                  epochs=epochs, device=device, patience=patience, clip_norm=CLIP, progress=False)
    for row in history.rows:
        print(f"    {name} epoch {row['epoch']}: train loss {row['train_loss']:.4f}, val loss {row['val_loss']:.4f}, "
              f"val accuracy {row['val_accuracy']:.4f} ({row['seconds']:.0f} s)", flush=True)
    cpu_seconds, load = time.process_time() - cpu_started, (load_before + os.getloadavg()[0]) / 2
    started = time.perf_counter()
    y, y_hat, test_probs = predict(model, loaders["test"], device)
    test_seconds = time.perf_counter() - started
    probs = {"test": in_order(test_probs, loaders["test"])}
    if "val" in loaders:
        probs["val"] = in_order(predict(model, loaders["val"], device)[2], loaders["val"])
    return {"accuracy": accuracy(y, y_hat), "macro_f1": macro_f1(y, y_hat, num_classes=num_classes),
            "train_seconds": history.seconds, "epoch_seconds": history.seconds / len(history),
            "epochs": len(history), "best_epoch": history.best_epoch, "cpu_seconds": cpu_seconds, "load": load,
            "test_seconds": test_seconds, "probs": probs}


ENSEMBLE_TASK = ("IMDB test: ensemble, convex combination of NBSVM-tri and BiLSTM log-odds, the weight chosen on the "
                 "2,500 validation reviews by log-loss")
BILSTM_TIME_TASK = "IMDB: training time of that model (BiLSTM, course vectors fine-tuned)"


def in_order(values: np.ndarray, loader) -> np.ndarray:
    """Rows of a bucketed (unshuffled) loader's predictions put back in the order of its dataset."""
    order = np.concatenate([np.asarray(batch) for batch in loader.batch_sampler])
    out = np.empty_like(values)
    out[order] = values
    return out


def nbsvm_and_ensemble(texts: dict, splits: dict, rnn_probs: dict, rnn_seconds: float, rows) -> None:
    """Lesson 03's NBSVM with trigrams (its tokenizer, review_tokens, on the raw reviews) on the same 22,500
    reviews, then the convex combination of its log-odds and the BiLSTM's, the weight chosen on the 2,500
    validation reviews; rows for both on the test split."""
    labels = {split: np.asarray(splits[split][1]) for split in splits}
    started = time.perf_counter()
    nbsvm = nbsvm_pipeline(ngram_range=(1, 3)).fit(texts["train"], labels["train"])
    nb = {split: nbsvm.decision_function(texts[split]) for split in ("val", "test")}
    nb_seconds = time.perf_counter() - started
    features = len(nbsvm["counts"].vocabulary_)
    print(f"    NBSVM-tri: {features:,} n-grams, fitted and scored in {nb_seconds:.0f} s", flush=True)
    rows.add(f"IMDB test: NBSVM-tri (NB-weighted binary uni+bi+trigrams + LR, C=1; {features:,} n-grams), "
             "trained on the 22,500 reviews", "accuracy %", 100 * accuracy(labels["test"], (nb["test"] > 0) * 1),
             nb_seconds, anchor="Mesnil et al. 2015 NBSVM-tri 91.87; lesson 03 NBSVM-bi 91.47 (25,000 reviews)")
    rnn = {split: log_odds(rnn_probs[split]) for split in ("val", "test")}
    if ARGS.save_scores is not None:
        np.savez(ARGS.save_scores,
                 **{f"{model}_{split}": scores[split] for model, scores in (("nbsvm", nb), ("rnn", rnn))
                    for split in ("val", "test")},
                 **{f"labels_{split}": labels[split] for split in ("val", "test")})
        print(f"    saved the scores to {ARGS.save_scores}", flush=True)
    weight, curve = choose_blend_weight(nb["val"], rnn["val"], labels["val"])
    val_acc = curve["accuracy"][int(np.argmin(curve["log_loss"]))]
    test_acc = accuracy(labels["test"], (blend_log_odds(nb["test"], rnn["test"], weight) > 0) * 1)
    seconds = rnn_seconds + nb_seconds
    choice = (f"weight {weight:.2f} on NBSVM-tri, {1 - weight:.2f} on the BiLSTM, chosen on the 2,500 validation "
              f"reviews by log-loss (val accuracy {100 * val_acc:.2f}%, NBSVM-tri alone "
              f"{100 * curve['accuracy'][-1]:.2f}%, BiLSTM alone {100 * curve['accuracy'][0]:.2f}%)")
    # the task names stay the same from run to run (a partial run replaces its rows); what varies is in the anchor
    rows.add(ENSEMBLE_TASK, "accuracy %", 100 * test_acc, seconds, target=92.0,
             anchor=f"{choice}; Mesnil et al. 2015 NBSVM + paragraph vectors + RNN-LM ensemble 92.57; NBSVM-tri 91.87")
    rows.add("IMDB: training time of that ensemble (BiLSTM + NBSVM-tri + the weight's choice)", "seconds",
             seconds, seconds, target=900.0, anchor="issue: within 15 minutes on 2 CPU cores",
             higher_is_better=False)


def train_keras(splits, vocab, num_classes, embeddings=None, epochs=4, patience=1, maxlen=None, head=0,
                class_weight=None) -> dict:
    """The same architecture in Keras, with EarlyStopping(restore_best_weights=True)."""
    import keras

    from seqnlp.sentiment import truncate_head_tail

    keras.utils.set_random_seed(0)
    ids = {split: [truncate_head_tail(vocab.encode(t), maxlen, head) or [vocab.unk_index] for t in tokens]
           for split, (tokens, _) in splits.items()}
    data = {split: keras_batches(ids[split], splits[split][1], batch_size=BATCH if split == "train" else 256,
                                 shuffle=split == "train", seed=0) for split in ids}
    model = keras_sentiment_model(len(vocab), num_classes, embeddings=embeddings, learning_rate=LR, **MODEL)
    stop = keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
    started = time.perf_counter()
    log = model.fit(data["train"], validation_data=data["val"], epochs=epochs, callbacks=[stop],
                    class_weight=class_weight, shuffle=False, verbose=2)
    seconds = time.perf_counter() - started
    y = np.asarray(splits["test"][1])[data["test"].order]
    probs = model.predict(data["test"], verbose=0)
    y_hat = probs.argmax(axis=1)
    # two runs with the same seed and threads print the same digits (the reproducibility check)
    checksum = float(np.sum(probs, dtype=np.float64))
    print(f"    Keras: {len(log.history['loss'])} epochs, sum of the test logits {checksum:.10f}", flush=True)
    return {"accuracy": accuracy(y, y_hat), "macro_f1": macro_f1(y, y_hat, num_classes=num_classes),
            "train_seconds": seconds, "epoch_seconds": seconds / len(log.history["loss"]),
            "epochs": len(log.history["loss"])}


def vsfc_class_weights(labels: np.ndarray) -> np.ndarray:
    """1 / sqrt(class share), scaled to mean 1."""
    shares = np.bincount(labels, minlength=3) / len(labels)
    weights = 1 / np.sqrt(shares)
    return weights / weights.mean()


def main() -> None:
    cfg = seqnlp.setup(seed=0)
    device = cfg.device
    if device.type == "cuda":
        device_name = f"cuda ({torch.cuda.get_device_name(0)})"
    else:
        threads = f"{ARGS.threads} thread{'s' if ARGS.threads != 1 else ''}"
        device_name = f"cpu ({threads}, {os.cpu_count()} shared cores, {platform.machine()})"
    rows = ResultRows(LESSON, device_name, width=70)
    print(f"lesson 08 benchmark: parts {ARGS.only}, device {device_name}", flush=True)

    data = load_data()
    print(f"tokenized IMDB and UIT-VSFC in {data['seconds']:.0f} s", flush=True)
    imdb, vsfc = data["imdb"], data["vsfc"]
    imdb_vocab = Vocab(imdb["train"][0], min_freq=IMDB["min_freq"], max_size=IMDB["max_vocab"])
    vsfc_vocab = Vocab(vsfc["train"][0], min_freq=VSFC["min_freq"])
    cut = {"maxlen": IMDB["maxlen"], "head": IMDB["head"]}

    weights = None
    if {"imdb", "imdb-variants", "keras"} & set(ARGS.only):
        started = time.perf_counter()
        vectors = course_vectors()
        weights = embedding_matrix(vectors, imdb_vocab.itos, vectors.vector_size)
        print(f"course vectors ready in {time.perf_counter() - started:.0f} s "
              f"(coverage of the IMDB vocabulary {embedding_matrix.last_coverage:.1%})", flush=True)

    if "imdb" in ARGS.only:
        r = train_torch("IMDB fine-tuned", imdb, imdb_vocab, 2, device, embeddings=weights, epochs=IMDB["epochs"],
                        patience=IMDB["patience"], **cut)
        task = "IMDB test: BiLSTM + masked max/mean pooling, course vectors fine-tuned (PyTorch)"
        rows.add(task, "accuracy %", 100 * r["accuracy"], r["train_seconds"], target=89.0, anchor=ANCHOR_IMDB)
        rows.add(BILSTM_TIME_TASK, "seconds", r["train_seconds"], r["train_seconds"], target=900.0,
                 anchor=f"{r['epochs']} epochs, best {r['best_epoch']}; {r['cpu_seconds']:.0f} s of CPU time; load "
                        f"average {r['load']:.1f} on {os.cpu_count()} cores; issue: within 15 minutes on 2 CPU cores",
                 higher_is_better=False)
        rows.add("IMDB: seconds per epoch, BiLSTM fine-tuned (22,500 reviews, <= 400 tokens)", "seconds",
                 r["epoch_seconds"], r["train_seconds"])
        nbsvm_and_ensemble(data["imdb_text"], imdb, r["probs"], r["train_seconds"], rows)

    if "imdb-variants" in ARGS.only:
        for name, emb, freeze in [("embeddings from scratch", None, False), ("course vectors frozen", weights, True)]:
            r = train_torch(f"IMDB {name}", imdb, imdb_vocab, 2, device, embeddings=emb, freeze=freeze,
                            epochs=IMDB["epochs"], patience=IMDB["patience"], **cut)
            rows.add(f"IMDB test: BiLSTM + masked max/mean pooling, {name} (PyTorch)", "accuracy %",
                     100 * r["accuracy"], r["train_seconds"], anchor="the fine-tuned row above")

    if "vsfc" in ARGS.only:
        loss = nn.CrossEntropyLoss(weight=torch.tensor(vsfc_class_weights(vsfc["train"][1]), dtype=torch.float32))
        r = train_torch("UIT-VSFC", vsfc, vsfc_vocab, 3, device, epochs=VSFC["epochs"], patience=VSFC["patience"],
                        loss_fn=loss.to(device))
        task = "UIT-VSFC test (3 classes): BiLSTM + masked max/mean pooling, class-weighted (PyTorch)"
        anchor = "Nguyen et al. 2018: MaxEnt 87.9 (F1, weighted); lesson 06 vanilla RNN"
        rows.add(task, "accuracy %", 100 * r["accuracy"], r["train_seconds"], target=91.0, anchor=anchor)
        rows.add(task, "macro-F1", r["macro_f1"], r["train_seconds"], target=0.78, anchor=anchor)  # issue 15
        rows.add("UIT-VSFC: seconds per epoch (11,426 sentences)", "seconds", r["epoch_seconds"], r["train_seconds"])
        started = time.perf_counter()
        pipe = tfidf_logreg_pipeline(tokenizer=str.split)
        pipe.set_params(clf__solver="lbfgs", clf__dual=False, clf__max_iter=3000)  # liblinear is binary only
        pipe.fit([" ".join(t) for t in vsfc["train"][0]], vsfc["train"][1])
        y_hat = pipe.predict([" ".join(t) for t in vsfc["test"][0]])
        task = "UIT-VSFC test: TF-IDF syllable uni+bigrams + logistic regression (baseline)"
        rows.add(task, "accuracy %", 100 * accuracy(vsfc["test"][1], y_hat), time.perf_counter() - started)
        rows.add(task, "macro-F1", macro_f1(vsfc["test"][1], y_hat, num_classes=3), time.perf_counter() - started)

    if {"keras", "keras-vsfc"} & set(ARGS.only):
        # the lesson's seeding: fixed thread pools (before TensorFlow starts), deterministic ops, seeded layers
        reproducible_keras(seed=0, threads=ARGS.threads)
        shares = np.bincount(vsfc["train"][1], minlength=3) / len(vsfc["train"][1])
        weights32 = torch.tensor(1 / np.sqrt(shares), dtype=torch.float32)  # computed as the lesson does, in float32
        weights32 /= weights32.mean()
        r = train_keras(vsfc, vsfc_vocab, 3, epochs=VSFC["epochs"], patience=VSFC["patience"],
                        class_weight=dict(enumerate(weights32.tolist())))
        task = "UIT-VSFC test: the same BiLSTM in Keras (TensorFlow backend, CPU)"
        rows.add(task, "accuracy %", 100 * r["accuracy"], r["train_seconds"], anchor="the PyTorch row")
        rows.add(task, "macro-F1", r["macro_f1"], r["train_seconds"], anchor="the PyTorch row")
    if "keras" in ARGS.only:
        r = train_keras(imdb, imdb_vocab, 2, embeddings=weights, epochs=IMDB["epochs"], patience=IMDB["patience"],
                        **cut)
        task = f"IMDB test: the same BiLSTM in Keras, course vectors fine-tuned ({r['epochs']} epochs)"
        rows.add(task, "accuracy %", 100 * r["accuracy"], r["train_seconds"], anchor="the PyTorch row")
        rows.add("IMDB: seconds per epoch, Keras BiLSTM (TensorFlow, CPU)", "seconds", r["epoch_seconds"],
                 r["train_seconds"])

    if not ARGS.fast:
        rows.write(keep_others=set(ARGS.only) != set(PARTS))  # a partial run updates its own rows


if __name__ == "__main__":
    sys.exit(main())
