"""GPU check: lesson 08's BiLSTM and lesson 04's SGNS on CUDA, and every seqnlp model and training helper on it.

For a machine with a CUDA GPU where only PyTorch, NumPy, pandas and scikit-learn are installed, even
offline. From the repository root (a copy of the working tree is enough: no ``.venv``, no ``datasets/``)::

    python benchmarks/gpu_check.py              # or: make gpu-check (also rebuilds RESULTS.md)
    python benchmarks/run_all.py --table-only   # RESULTS.md from the rows (standard library only)
    python benchmarks/gpu_check.py --out /elsewhere/gpu.json   # then copy it to benchmarks/results/gpu.json

What it does, in this order, on ``--device`` (default ``cuda``; limit 8 minutes on one GPU):

1. reads ``benchmarks/data/gpu_check.npz`` (9.0 MB, committed; built from ``datasets/`` by
   ``--prepare``), the lessons' data already tokenized and encoded: lesson 08's IMDB split
   (22,500 training and 2,500 validation reviews, vocabulary of 40,000, each review cut to its
   first 100 + last 300 tokens) and the first 1,000,000 tokens of lesson 04's corpus (IMDB
   train + unsup, words seen 10 times or more) with that corpus' counts and words;
2. device checks: every public model of ``seqnlp.models``, ``.train``, ``.sentiment``, ``.lm`` and
   ``.embeddings`` (an ``nn.Module``) and every training helper (a function that takes a
   ``model``, an ``rnn`` or a ``device``) gets a tiny forward/backward or training call on the
   device; its parameters and outputs must be on that device, and results computed on the GPU
   must match the same computation on the CPU;
3. lesson 08's model (``seqnlp.sentiment.SentimentRNN``, BiLSTM 64, masked max + mean pooling,
   dropout 0.3, Adam 2e-3, clipping 5, batches of 64 by length) trained for one epoch with
   ``seqnlp.train.fit``, embeddings from scratch (the course vectors need gensim);
4. lesson 04's skip-gram with negative sampling for 3 passes over the 1,000,000-token slice
   (batches of 16,384 pairs from ``seqnlp.embeddings.skipgram_batches``, window 5, 5 negatives
   from ``unigram_table``, subsampling): words/s. The lesson's loop ``seqnlp.embeddings.train_sgns``
   (sparse SGD, negatives shared by groups of pairs) where seqnlp has it; otherwise the notebook's
   first loop, its ``SkipGramNS`` cell (read from ``solutions/04_word2vec/04_word2vec.ipynb``)
   with SparseAdam. The row names the loop it timed;
5. writes the rows (``benchmarks/common.py`` format) to ``benchmarks/results/gpu.json``.

Only PyTorch, NumPy, pandas and tqdm are imported (never TensorFlow, Keras, gensim, NLTK,
matplotlib or scikit-learn: ``tests/test_gpu_check.py`` blocks them), so the Keras twins and
gensim's helpers are listed as not checked. The one small wheel beyond the preinstalled four,
tqdm 4.70.1 (80 kB, pure Python, no dependencies; ``seqnlp.train`` imports it), comes along in
``benchmarks/data/wheels/``: when tqdm is not installed the script imports it from that wheel
(``pip install tqdm==4.70.1`` works as well). ``--device cuda`` without CUDA stops with a message.
``--device cpu --quick`` (small slices, writes only where ``--out`` says) is the smoke run of the
tests; a CPU or ``--quick`` run writes nothing unless ``--out`` is given, so ``gpu.json`` only ever
holds the rows of a full GPU run. A part that fails (an error in the BiLSTM epoch, say) is reported
as a failed check and the run goes on, so the rows of the other parts are still written.

    python benchmarks/gpu_check.py --device cpu --quick --out /tmp/gpu.json
    .venv/bin/python benchmarks/gpu_check.py --prepare     # rebuild the data file from datasets/
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
DATA_FILE = BENCH / "data" / "gpu_check.npz"
RESULTS_FILE = BENCH / "results" / "gpu.json"
WHEELS = BENCH / "data" / "wheels"  # pure-Python wheels used when the machine lacks the package (tqdm)
SGNS_NOTEBOOK = REPO / "solutions" / "04_word2vec" / "04_word2vec.ipynb"
SGNS_CELL = "ex_sgns_model"  # grade_id of the notebook cell that defines SkipGramNS
BUDGET_S = 480.0  # the issue: within 8 minutes on one GPU
FORMAT = 1

# How --prepare builds the file: lesson 08's and lesson 04's full-mode settings.
IMDB_PREP = {"test_size": 0.1, "random_state": 0, "min_freq": 2, "max_vocab": 40_000, "maxlen": 400, "head": 100}
SGNS_PREP = {"splits": ["train", "unsup"], "min_count": 10, "tokens": 1_000_000}
# Lesson 08's model and training settings (benchmarks/bench_08_sentiment_analysis.py: MODEL, LR, BATCH, CLIP).
BILSTM = {"embed_dim": 100, "hidden_size": 64, "cell": "lstm", "dropout": 0.3}
BILSTM_TRAIN = {"lr": 2e-3, "batch_size": 64, "clip_norm": 5.0}
# Lesson 04's PyTorch SGNS loop (the notebook's training cell).
SGNS = {"dim": 100, "batch_size": 16_384, "lr_start": 0.01, "lr_end": 0.0001, "passes": 3,
        "group": 64, "max_repeats": 32}  # group, max_repeats: the training cell's train_sgns arguments
QUICK = {"train_reviews": 96, "val_reviews": 64, "maxlen": 48, "sgns_tokens": 10_000, "passes": 1,
         "sgns_batch_size": 2048, "table_size": 100_000}

MODULES = ("seqnlp.models", "seqnlp.train", "seqnlp.sentiment", "seqnlp.lm", "seqnlp.embeddings")
HEAVY = ("tensorflow", "keras", "gensim", "nltk", "matplotlib", "sklearn", "scipy")
NOT_CHECKED = {  # public names that need a library the GPU machine does not have
    "seqnlp.sentiment.keras_sentiment_model": "Keras/TensorFlow (TensorFlow places it on the GPU itself)",
    "seqnlp.sentiment.keras_batches": "TensorFlow's tf.data",
    "seqnlp.embeddings.course_vectors": "gensim (CPU only)",
    "seqnlp.embeddings.evaluate_vectors": "gensim (CPU only)",
    "seqnlp.embeddings.vectors_from_matrix": "gensim (CPU only)",
    "seqnlp.lm.brown_split": "NLTK's Brown corpus (datasets/)",
}


class CheckError(RuntimeError):
    """The check cannot run here (no CUDA, no data file): the message says what to do."""


def use_bundled_wheels() -> list[str]:
    """Make each package of ``benchmarks/data/wheels`` importable from its wheel when it is not installed.

    A pure-Python wheel is a zip file that Python imports from directly (``zipimport``); returns the
    names of the packages taken from a wheel.
    """
    import importlib

    used = []
    for wheel in sorted(WHEELS.glob("*.whl")):
        name = wheel.name.split("-")[0]
        try:
            importlib.import_module(name)
        except ImportError:
            sys.path.append(str(wheel))
            importlib.invalidate_caches()
            importlib.import_module(name)
            used.append(name)
            print(f"gpu_check: {name} is not installed; using {wheel.relative_to(REPO)}", flush=True)
    return used


# --------------------------------------------------------------------------- the prepared data


def _text_bytes(words: list[str]):
    import numpy as np

    return np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8)


def _words(array) -> list[str]:
    return bytes(array).decode("utf-8").split("\n")


def _ragged(ids, lengths) -> list:
    """Flat ids and lengths -> one int64 list per document."""
    import numpy as np

    flat = ids.astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return [flat[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


def prepare(path: Path = DATA_FILE) -> Path:
    """Build the data file from ``datasets/`` with the course's loaders (full mode; about two minutes)."""
    os.environ["SEQNLP_MODE"] = "full"
    if "seqnlp" in sys.modules and sys.modules["seqnlp"].MODE != "full":
        raise CheckError("--prepare needs full mode: run it in a fresh process with SEQNLP_MODE unset or full")
    import numpy as np
    from sklearn.model_selection import train_test_split

    import seqnlp
    from seqnlp.data import dataset_path, sha256_of
    from seqnlp.embeddings import imdb_corpus
    from seqnlp.sentiment import truncate_head_tail
    from seqnlp.text import Vocab, clean_text

    started = time.perf_counter()
    p = IMDB_PREP
    imdb = seqnlp.load_imdb("train")
    train, val = train_test_split(imdb, test_size=p["test_size"], stratify=imdb.label, random_state=p["random_state"])
    frames = (("train", train), ("val", val))
    tokens = {name: [clean_text(text).split() for text in frame.text] for name, frame in frames}
    vocab = Vocab(tokens["train"], min_freq=p["min_freq"], max_size=p["max_vocab"])
    arrays = {"imdb_itos": _text_bytes(vocab.itos)}
    for name, frame in frames:
        ids = [truncate_head_tail(vocab.encode(t), p["maxlen"], p["head"]) or [vocab.unk_index] for t in tokens[name]]
        arrays[f"imdb_{name}_ids"] = np.concatenate([np.asarray(i, dtype=np.uint16) for i in ids])
        arrays[f"imdb_{name}_lengths"] = np.array([len(i) for i in ids], dtype=np.int32)
        arrays[f"imdb_{name}_labels"] = frame.label.to_numpy().astype(np.uint8)
        arrays[f"imdb_{name}_rows"] = frame.index.to_numpy().astype(np.int32)  # rows of datasets/imdb/train.csv.gz

    s = SGNS_PREP
    corpus = imdb_corpus(tuple(s["splits"])).without_rare(s["min_count"])
    n_docs = int(np.searchsorted(np.cumsum(corpus.lengths), s["tokens"], side="left")) + 1
    piece = corpus.head(n_docs)
    if len(corpus.itos) > np.iinfo(np.uint16).max:
        raise CheckError(f"{len(corpus.itos):,} words do not fit uint16 ids")
    arrays.update(sgns_ids=piece.ids.astype(np.uint16), sgns_lengths=piece.lengths.astype(np.int32),
                  sgns_counts=corpus.counts.astype(np.int64), sgns_itos=_text_bytes(corpus.itos))
    sources = ["imdb/train.csv.gz", "imdb/unsup.csv.gz"]
    meta = {
        "format": FORMAT, "created": dt.date.today().isoformat(), "imdb": p, "sgns": {**s, "documents": n_docs},
        "sources": {rel: sha256_of(dataset_path(rel)) for rel in sources},
        "built_by": "benchmarks/gpu_check.py --prepare",
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.0f} s: "
          f"IMDB {len(train):,} + {len(val):,} reviews ({len(vocab):,} words), "
          f"SGNS {piece.n_tokens:,} tokens of {n_docs:,} reviews ({len(corpus.itos):,} words)")
    return path


def load_data(path: Path = DATA_FILE) -> dict:
    """The data file as plain arrays and lists, checked (:func:`validate`)."""
    import numpy as np

    if not path.is_file():
        raise CheckError(f"{path} is missing: it is committed (git checkout -- {path.relative_to(REPO)}), "
                         "or rebuild it where datasets/ is: .venv/bin/python benchmarks/gpu_check.py --prepare")
    with np.load(path, allow_pickle=False) as npz:
        data = {key: npz[key] for key in npz.files}
    data["meta"] = json.loads(bytes(data["meta"]).decode("utf-8"))
    data["imdb_itos"] = _words(data["imdb_itos"])
    data["sgns_itos"] = _words(data["sgns_itos"])
    validate(data, path)
    return data


def validate(data: dict, path: Path = DATA_FILE) -> None:
    """Raise :class:`CheckError` naming the first thing of the data file that is not as ``--prepare`` writes it."""
    def need(ok: bool, what: str) -> None:
        if not ok:
            raise CheckError(f"{path}: {what}; rebuild it: .venv/bin/python benchmarks/gpu_check.py --prepare")

    meta = data.get("meta", {})
    need(meta.get("format") == FORMAT, f"format {meta.get('format')!r}, expected {FORMAT}")
    for split in ("train", "val"):
        ids, lengths, labels = (data.get(f"imdb_{split}_{k}") for k in ("ids", "lengths", "labels"))
        need(ids is not None and lengths is not None and labels is not None, f"no imdb_{split} arrays")
        need(len(lengths) == len(labels) > 0 and int(lengths.sum()) == len(ids),
             f"imdb_{split}: lengths and ids differ")
        need(int(lengths.min()) >= 1 and int(lengths.max()) <= meta["imdb"]["maxlen"], f"imdb_{split}: lengths")
        need(int(ids.max()) < len(data["imdb_itos"]), f"imdb_{split}: an id beyond the vocabulary")
        need(set(labels.tolist()) <= {0, 1}, f"imdb_{split}: labels other than 0 and 1")
    need(data["imdb_itos"][:2] == ["<pad>", "<unk>"], "imdb_itos does not start with <pad>, <unk>")
    need(len(data["sgns_itos"]) == len(data["sgns_counts"]), "sgns_itos and sgns_counts differ in length")
    need(int(data["sgns_lengths"].sum()) == len(data["sgns_ids"]) >= meta["sgns"]["tokens"], "sgns: lengths and ids")
    need(int(data["sgns_ids"].max()) < len(data["sgns_itos"]), "sgns: an id beyond the vocabulary")
    need(bool((data["sgns_counts"][:-1] >= data["sgns_counts"][1:]).all()), "sgns_counts are not in decreasing order")


# --------------------------------------------------------------------------- device checks

CHECKS: list[tuple[tuple[str, ...], Callable]] = []
OPTIONAL: set[str] = set()  # checks of helpers that not every version of seqnlp has: skipped when absent


def covers(*names: str, optional: bool = False) -> Callable:
    """Register a device check of the public names ``names`` (``seqnlp.module.name``)."""
    def register(fn: Callable) -> Callable:
        CHECKS.append((names, fn))
        if optional:
            OPTIONAL.add(fn.__name__)
        return fn
    return register


def _exists(name: str) -> bool:
    import importlib

    module, _, attr = name.rpartition(".")
    return attr in getattr(importlib.import_module(module), "__all__", ())


def covered_names() -> set[str]:
    return {name for names, _ in CHECKS for name in names}


def required_names() -> set[str]:
    """Every public model (an ``nn.Module``) and training helper (a function with a parameter ``model``,
    ``rnn``, ``device`` or ``optimizer``, or one named ``..._weight``: a parameter table it updates)."""
    import importlib

    from torch import nn

    required = set()
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type):
                if issubclass(obj, nn.Module):
                    required.add(f"{module_name}.{name}")
            elif callable(obj):
                try:
                    params = set(inspect.signature(obj).parameters)
                except (TypeError, ValueError):  # pragma: no cover - builtins
                    continue
                if params & {"model", "rnn", "device", "optimizer"} or any(p.endswith("_weight") for p in params):
                    required.add(f"{module_name}.{name}")
    return required


def _same_device(a, b) -> bool:
    import torch

    a, b = torch.device(a), torch.device(b)
    return a.type == b.type and (a.index is None or b.index is None or a.index == b.index)


def on_device(device, *things) -> None:
    """Every tensor, and every parameter and buffer of every module, of ``things`` is on ``device``."""
    import torch
    from torch import nn

    for thing in things:
        tensors = list(thing.parameters()) + list(thing.buffers()) if isinstance(thing, nn.Module) else [thing]
        for tensor in tensors:
            assert isinstance(tensor, torch.Tensor), f"expected a tensor, got {type(tensor).__name__}"
            assert _same_device(tensor.device, device), f"a tensor is on {tensor.device}, expected {device}"


def grads_on_device(device, module) -> None:
    trained = [p for p in module.parameters() if p.requires_grad]
    assert trained and all(p.grad is not None for p in trained), "a parameter got no gradient"
    on_device(device, *[p.grad for p in trained])


def close(a, b, tol: float = 5e-3) -> None:
    """``a`` (any device) equals ``b`` within ``tol`` (cuDNN may use TF32)."""
    a, b = a.detach().float().cpu(), b.detach().float().cpu()
    assert a.shape == b.shape, f"shapes {tuple(a.shape)} and {tuple(b.shape)}"
    worst = float((a - b).abs().max()) if a.numel() else 0.0
    assert worst <= tol * (1 + float(b.abs().max())), f"the device and the CPU differ by {worst:.2e}"


def _toy_batches(n: int = 24, vocab: int = 50, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    seqs = [rng.integers(2, vocab, size=int(rng.integers(1, 12))).tolist() for _ in range(n)]
    labels = (np.array([sum(s) % 2 for s in seqs])).astype(np.int64)
    return seqs, labels


@covers("seqnlp.models.RecurrentClassifier", "seqnlp.models.set_gate_bias")
def check_recurrent_classifier(device) -> None:
    import torch

    from seqnlp.models import RecurrentClassifier, set_gate_bias

    ids = torch.tensor([[3, 4, 5, 0], [6, 7, 0, 0], [8, 9, 10, 11]])
    lengths = torch.tensor([3, 2, 4])
    for cell, bidirectional, layers in (("rnn", False, 1), ("lstm", True, 2), ("gru", True, 1)):
        torch.manual_seed(0)
        model = RecurrentClassifier(20, 8, 6, num_classes=3, cell=cell, bidirectional=bidirectional,
                                    num_layers=layers, gate_bias=None if cell == "rnn" else 1.0)
        reference = model(ids, lengths)
        model.to(device)
        out = model(ids.to(device), lengths.to(device))
        out.sum().backward()
        on_device(device, model, out)
        grads_on_device(device, model)
        close(out, reference)
        if cell != "rnn":
            set_gate_bias(model.rnn, 5.0)
            on_device(device, model)
            assert float(model.rnn.bias_hh_l0.detach()[6:12].min()) == 5.0, "set_gate_bias did not set the gate's bias"


@covers("seqnlp.train.fit", "seqnlp.train.evaluate", "seqnlp.train.predict", "seqnlp.train.move_to",
        "seqnlp.train.sequence_loader", "seqnlp.train.pad_collate", "seqnlp.train.SequenceDataset",
        "seqnlp.train.History")
def check_fit_evaluate_predict(device) -> None:
    import torch
    from torch import nn

    from seqnlp.models import RecurrentClassifier
    from seqnlp.train import evaluate, fit, move_to, predict, sequence_loader

    nested = move_to({"a": [torch.zeros(2), (torch.ones(1), 3)]}, device)
    on_device(device, nested["a"][0], nested["a"][1][0])
    assert nested["a"][1][1] == 3, "move_to changed a non-tensor"
    seqs, labels = _toy_batches()
    train = sequence_loader(seqs, labels, batch_size=8, shuffle=True, seed=0)
    val = sequence_loader(seqs, labels, batch_size=16)
    for classes, loss_fn in ((2, nn.CrossEntropyLoss()), (1, nn.BCEWithLogitsLoss())):
        torch.manual_seed(0)
        model = RecurrentClassifier(50, 8, 8, num_classes=classes, cell="gru")  # built on the CPU
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.5)
        history = fit(model, train, val, loss_fn, optimizer, epochs=2, device=str(device), patience=None,
                      clip_norm=1.0, scheduler=scheduler)
        on_device(device, model)  # fit moved it, and restore_best kept it there
        for state in optimizer.state.values():
            on_device(device, *[v for v in state.values() if isinstance(v, torch.Tensor) and v.dim() > 0])
        assert len(history) == 2 and history.best_epoch in (1, 2), f"fit's history: {history!r}"
        scores = evaluate(model, val, loss_fn, device)
        assert 0.0 <= scores["accuracy"] <= 1.0 and scores["loss"] == scores["loss"], f"evaluate gave {scores}"
        y, y_hat, probs = predict(model, val, device)
        assert len(y) == len(y_hat) == len(probs) == len(seqs), "predict lost examples"
        assert abs(float(probs.sum(-1).mean() if probs.ndim == 2 else 1.0) - 1.0) < 1e-4, "probabilities"
        model.cpu()
        y_cpu, _, probs_cpu = predict(model, val, "cpu")
        close(torch.from_numpy(probs), torch.from_numpy(probs_cpu))
        fit(model, train, None, loss_fn, optimizer, epochs=1, device="cpu")  # device="cpu" keeps it there
        on_device("cpu", model)


@covers("seqnlp.sentiment.masked_max_mean", "seqnlp.sentiment.reverse_within_length",
        "seqnlp.sentiment.bidirectional_outputs")
def check_sentiment_pieces(device) -> None:
    import torch
    from torch import nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    from seqnlp.sentiment import bidirectional_outputs, masked_max_mean, reverse_within_length

    torch.manual_seed(0)
    x = torch.randn(3, 5, 4)
    lengths = torch.tensor([5, 2, 3])
    mask = torch.arange(5).unsqueeze(0) < lengths.unsqueeze(1)
    xd = x.to(device)
    reversed_ = reverse_within_length(xd, lengths)  # lengths on the CPU, as batches carry them
    on_device(device, reversed_)
    close(reversed_, reverse_within_length(x, lengths), tol=0)
    pooled = masked_max_mean(xd, mask.to(device))
    on_device(device, pooled)
    close(pooled, masked_max_mean(x, mask), tol=1e-6)
    for layer in (nn.LSTM, nn.GRU):
        rnn = layer(4, 3, batch_first=True, bidirectional=True)
        packed, _ = rnn(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
        reference, _ = pad_packed_sequence(packed, batch_first=True, total_length=5)
        rnn.to(device)
        out = bidirectional_outputs(rnn, xd, lengths)
        on_device(device, out)
        keep = mask.unsqueeze(-1).to(device)
        close(out * keep, reference.to(device) * keep)
        (out * keep).sum().backward()
        grads_on_device(device, rnn)


@covers("seqnlp.sentiment.SentimentRNN", "seqnlp.sentiment.predict_sentiment", "seqnlp.sentiment.ReviewDataset",
        "seqnlp.sentiment.collate_batch", "seqnlp.sentiment.BucketBatchSampler", "seqnlp.sentiment.bucketed_loader")
def check_sentiment_rnn(device) -> None:
    import numpy as np
    import torch
    from torch import nn

    from seqnlp.sentiment import SentimentRNN, bucketed_loader, predict_sentiment
    from seqnlp.text import Vocab
    from seqnlp.train import fit

    seqs, labels = _toy_batches()
    loader = bucketed_loader(seqs, labels, batch_size=8, shuffle=True, seed=0, maxlen=10, head=3)
    ids, lengths, mask, _ = next(iter(bucketed_loader(seqs, labels, batch_size=24)))
    for cell, packed, frozen in (("lstm", False, False), ("gru", True, True), ("lstm", True, False)):
        torch.manual_seed(0)
        weights = np.random.default_rng(0).normal(size=(50, 8)).astype(np.float32)
        model = SentimentRNN(50, 2, embed_dim=8, hidden_size=6, cell=cell, packed=packed, dropout=0.0,
                             embeddings=weights, freeze=frozen)
        model.eval()
        reference = model(ids, lengths, mask)
        model.to(device)
        out = model(ids.to(device), lengths, mask.to(device))
        on_device(device, model, out)
        close(out, reference)
        out_no_mask = model(ids.to(device), lengths)  # the mask rebuilt from the lengths, on the device
        close(out_no_mask, reference)
        model.train()
        optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
        history = fit(model, loader, loader, nn.CrossEntropyLoss(), optimizer, epochs=1, device=device, clip_norm=5.0)
        on_device(device, model)
        assert len(history) == 1, "fit ran no epoch"
        assert model.embedding.weight.requires_grad is not frozen, "freeze was not honoured"
    vocab = Vocab([["good", "film"], ["bad", "film"]])
    model = SentimentRNN(len(vocab), 2, embed_dim=4, hidden_size=3).to(device)
    names, probs = predict_sentiment(["Good film!", "", "bad"], model, vocab, ["neg", "pos"], batch_size=2)
    assert len(names) == 3 and probs.shape == (3, 2), f"predict_sentiment gave {names}, {probs.shape}"
    on_device(device, model)


@covers("seqnlp.lm.LSTMLanguageModel", "seqnlp.lm.train_lm", "seqnlp.lm.evaluate_lm", "seqnlp.lm.generate",
        "seqnlp.lm.training_clock", "seqnlp.lm.lm_batches", "seqnlp.lm.sample_next", "seqnlp.lm.lm_perplexity")
def check_language_model(device) -> None:
    import torch

    from seqnlp.lm import LSTMLanguageModel, evaluate_lm, generate, lm_perplexity, train_lm, training_clock

    itos = [f"w{i}" for i in range(28)] + ["<unk>", "</s>"]
    stream = torch.randint(0, 30, (400,), generator=torch.Generator().manual_seed(0))
    assert training_clock(device)() >= 0.0
    for cutoffs, dims in ((None, (8, 8)), ((10,), (6, 8))):  # tied full softmax; adaptive softmax
        torch.manual_seed(0)
        model = LSTMLanguageModel(30, *dims, cutoffs=cutoffs)
        reference_losses, _ = evaluate_lm(model, stream[:120], seq_len=40, device="cpu")
        log = train_lm(model, stream, batch_size=4, seq_len=10, max_steps=6, device=device, log_every=3)
        on_device(device, model)
        assert log["steps"] == 6 and log["losses"], f"train_lm: {log}"
        hidden, state = model(stream[:20].view(2, 10).to(device))
        nll = model.nll(hidden, stream[1:21].view(2, 10).to(device))
        on_device(device, hidden, *state, model.log_probs(hidden), nll)
        losses, counts = evaluate_lm(model, stream[:120], seq_len=40, device=device)
        assert lm_perplexity(losses, counts) > 1.0 and len(reference_losses) == len(losses)
        cpu_losses, _ = evaluate_lm(model, stream[:120], seq_len=40, device="cpu")
        on_device("cpu", model)  # device="cpu" moved it back
        model.to(device)
        close(torch.tensor(losses), torch.tensor(cpu_losses))
        words = generate(model, itos, temperature=1.0, generator=torch.Generator().manual_seed(0), max_words=5,
                         start=["w1"], device=device)
        assert words[:1] == ["w1"] and len(words) <= 6, f"generate gave {words}"


# --------------------------------------------------------------------------- lesson 04's SGNS


def _sgns_cells() -> list[dict]:
    cells = json.loads(SGNS_NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    return [c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == SGNS_CELL]


def has_notebook_model() -> bool:
    """Does lesson 04's notebook define ``SkipGramNS`` in its graded cell ``ex_sgns_model``?"""
    cells = _sgns_cells()
    return len(cells) == 1 and "class SkipGramNS" in "".join(cells[0]["source"])


def sgns_model_class():
    """``SkipGramNS`` from lesson 04's solution notebook (its graded cell), run with torch, nn and F."""
    import numpy as np
    import torch
    import torch.nn.functional as F
    from torch import nn

    source = _sgns_cells()
    if len(source) != 1:
        raise CheckError(f"{SGNS_NOTEBOOK.relative_to(REPO)} has {len(source)} cells with grade_id {SGNS_CELL}")
    namespace = {"torch": torch, "nn": nn, "F": F, "np": np, "__name__": "lesson04"}
    exec(compile("".join(source[0]["source"]), f"{SGNS_NOTEBOOK.name}:{SGNS_CELL}", "exec"), namespace)  # noqa: S102
    return namespace["SkipGramNS"]


@covers("seqnlp.embeddings.skipgram_batches", "seqnlp.embeddings.unigram_table",
        "seqnlp.embeddings.noise_distribution", "seqnlp.embeddings.keep_probability",
        "seqnlp.embeddings.TokenCorpus")
def check_sgns(device) -> None:
    import numpy as np
    import torch

    from seqnlp.embeddings import TokenCorpus, keep_probability, noise_distribution, skipgram_batches, unigram_table

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    corpus = TokenCorpus.from_tokens([[words[min(int(k), 39)] for k in rng.zipf(1.3, size=60)] for _ in range(20)])
    if not has_notebook_model():  # the helpers alone, as seqnlp.embeddings.train_sgns uses them
        table = torch.from_numpy(unigram_table(noise_distribution(corpus.counts), size=1000)).to(device)
        draws = table[torch.randint(len(table), (64, 5), device=device)]
        on_device(device, draws)
        batches = list(skipgram_batches(corpus, 5, keep_probability(corpus.counts, 1e-3), 256, rng))
        assert batches and int(draws.max()) < len(corpus.itos), "no skip-gram pairs, or a draw beyond the vocabulary"
        return
    sgns, info = train_sgns_notebook(corpus, device, passes=1, batch_size=256, dim=6, table_size=1000)
    on_device(device, sgns)
    assert info["batches"] >= 2 and np.isfinite(info["losses"]).all(), f"SGNS: {info}"
    center = torch.tensor([0, 1], device=device)
    loss = sgns(center, torch.tensor([2, 3], device=device), torch.tensor([[4, 5], [0, 2]], device=device))
    on_device(device, loss)
    assert loss.shape == (2,), f"SkipGramNS gave shape {tuple(loss.shape)}"


@covers("seqnlp.embeddings.sgns_sgd_step", optional=True)
def check_sgns_sgd_step(device) -> None:
    import torch

    from seqnlp.embeddings import sgns_sgd_step

    torch.manual_seed(0)
    center, context = 0.3 * torch.randn(30, 8), 0.3 * torch.randn(30, 8)
    pairs = torch.randint(0, 30, (2, 20))
    negatives = torch.randint(0, 30, (4, 5))  # shared by groups of 5 pairs
    on_cpu = [center.clone(), context.clone()]
    loss_cpu = sgns_sgd_step(*on_cpu, pairs[0], pairs[1], negatives, lr=0.1)
    on_gpu = [center.clone().to(device), context.clone().to(device)]
    loss = sgns_sgd_step(*on_gpu, pairs[0].to(device), pairs[1].to(device), negatives.to(device), lr=0.1)
    on_device(device, *on_gpu)
    assert not torch.equal(on_gpu[0].cpu(), center), "sgns_sgd_step did not update the center vectors in place"
    close(on_gpu[0], on_cpu[0])
    close(on_gpu[1], on_cpu[1])
    close(torch.tensor(float(loss)), torch.tensor(float(loss_cpu)))


@covers("seqnlp.embeddings.train_sgns", optional=True)
def check_train_sgns(device) -> None:
    import numpy as np

    from seqnlp.embeddings import TokenCorpus

    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(40)]
    corpus = TokenCorpus.from_tokens([[words[min(int(k), 39)] for k in rng.zipf(1.3, size=80)] for _ in range(30)])
    info = train_sgns_lesson(corpus, device, passes=1, batch_size=256)
    assert info["batches"] >= 2 and np.isfinite(info["losses"]).all(), f"train_sgns: {info}"


def train_sgns_notebook(corpus, device, passes: int, batch_size: int = SGNS["batch_size"], dim: int = SGNS["dim"],
                        table_size: int = 10_000_000):
    """Lesson 04's first PyTorch SGNS loop (the notebook's ``SkipGramNS``, SparseAdam, K negatives per pair)
    on ``corpus``; returns ``(model, facts)``. Used when ``seqnlp.embeddings`` has no ``train_sgns``."""
    import numpy as np
    import torch

    from seqnlp.embeddings import W2V_PARAMS, keep_probability, noise_distribution, skipgram_batches, unigram_table

    window, negatives_per_pair = W2V_PARAMS["window"], W2V_PARAMS["negative"]
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    sgns = sgns_model_class()(len(corpus.itos), dim).to(device)
    optimizer = torch.optim.SparseAdam(sgns.parameters(), lr=SGNS["lr_start"])
    table = torch.from_numpy(unigram_table(noise_distribution(corpus.counts), size=table_size)).to(device)
    keep = keep_probability(corpus.counts, W2V_PARAMS["sample"])
    total, losses = passes * corpus.n_tokens, []
    _sync(device)
    started = time.perf_counter()
    for epoch in range(passes):
        for centers, contexts, done in skipgram_batches(corpus, window, keep, batch_size, rng):
            progress = (epoch * corpus.n_tokens + done) / total
            optimizer.param_groups[0]["lr"] = SGNS["lr_start"] - (SGNS["lr_start"] - SGNS["lr_end"]) * progress
            c = torch.from_numpy(centers).to(device)
            o = torch.from_numpy(contexts).to(device)
            negatives = table[torch.randint(len(table), (len(c), negatives_per_pair), device=device)]
            loss = sgns(c, o, negatives).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    _sync(device)
    seconds = time.perf_counter() - started
    return sgns, {"seconds": seconds, "words_per_second": total / seconds, "batches": len(losses),
                  "batch_size": batch_size, "losses": np.array(losses), "tokens": corpus.n_tokens,
                  "loop": "the notebook's SkipGramNS + SparseAdam"}


def _sync(device) -> None:
    import torch

    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


# --------------------------------------------------------------------------- the timed runs


def bilstm_epoch(data: dict, device, quick: bool) -> dict:
    """Lesson 08's SentimentRNN for one epoch with seqnlp.train.fit; seconds and validation accuracy."""
    import torch
    from torch import nn

    from seqnlp.sentiment import SentimentRNN, bucketed_loader, truncate_head_tail
    from seqnlp.train import fit

    splits = {}
    for split in ("train", "val"):
        ids, lengths = data[f"imdb_{split}_ids"], data[f"imdb_{split}_lengths"]
        labels = data[f"imdb_{split}_labels"].astype("int64")
        if quick:
            n = QUICK[f"{split}_reviews"]
            ids, lengths, labels = ids[: int(lengths[:n].sum())], lengths[:n], labels[:n]
        seqs = _ragged(ids, lengths)
        if quick:
            seqs = [truncate_head_tail(s, QUICK["maxlen"], QUICK["maxlen"] // 4) for s in seqs]
        splits[split] = (seqs, labels)
    train = bucketed_loader(*splits["train"], batch_size=BILSTM_TRAIN["batch_size"], shuffle=True, seed=0)
    val = bucketed_loader(*splits["val"], batch_size=256)
    torch.manual_seed(0)
    model = SentimentRNN(len(data["imdb_itos"]), 2, **BILSTM)
    optimizer = torch.optim.Adam(model.parameters(), lr=BILSTM_TRAIN["lr"])
    history = fit(model, train, val, nn.CrossEntropyLoss(), optimizer, epochs=1, device=device, patience=None,
                  clip_norm=BILSTM_TRAIN["clip_norm"])
    on_device(device, model)
    row = history.rows[0]
    return {"seconds": row["seconds"], "val_accuracy": row["val_accuracy"], "train_loss": row["train_loss"],
            "reviews": len(splits["train"][0]), "val_reviews": len(splits["val"][0]),
            "tokens": int(sum(len(s) for s in splits["train"][0]))}


def sgns_slice(data: dict, device, quick: bool) -> dict:
    import numpy as np

    from seqnlp.embeddings import TokenCorpus

    ids, lengths = data["sgns_ids"], data["sgns_lengths"].astype(np.int64)
    if quick:
        n_docs = int(np.searchsorted(np.cumsum(lengths), QUICK["sgns_tokens"])) + 1
        ids, lengths = ids[: int(lengths[:n_docs].sum())], lengths[:n_docs]
    corpus = TokenCorpus(ids.astype(np.int32), lengths, data["sgns_itos"], data["sgns_counts"])
    passes = QUICK["passes"] if quick else SGNS["passes"]
    batch_size = QUICK["sgns_batch_size"] if quick else SGNS["batch_size"]
    if _exists("seqnlp.embeddings.train_sgns"):
        info = train_sgns_lesson(corpus, device, passes, batch_size)
    else:
        _, info = train_sgns_notebook(corpus, device, passes=passes, batch_size=batch_size,
                                      **({"table_size": QUICK["table_size"]} if quick else {}))
    losses = np.asarray(info["losses"], dtype=np.float64)
    return {**info, "passes": passes, "words": len(corpus.itos), "final_loss": float(np.mean(losses[-20:]))}


def train_sgns_lesson(corpus, device, passes: int, batch_size: int) -> dict:
    """Lesson 04's loop, ``seqnlp.embeddings.train_sgns`` (sparse SGD, negatives shared by groups of pairs), with
    the lesson's initial vectors (centers uniform in +-0.5/dim, contexts zero) on ``device``."""
    import torch

    from seqnlp.embeddings import train_sgns

    torch.manual_seed(0)
    dim = SGNS["dim"]
    center = ((torch.rand(len(corpus.itos), dim) - 0.5) / dim).to(device)
    context = torch.zeros(len(corpus.itos), dim, device=device)
    _sync(device)
    info = train_sgns(corpus, center, context, epochs=passes, batch_size=batch_size, group=SGNS["group"],
                      max_repeats=SGNS["max_repeats"], seed=0, progress=False)
    _sync(device)
    on_device(device, center, context)
    loop = f"seqnlp.embeddings.train_sgns, negatives shared by {SGNS['group']} pairs"
    return {**info, "batch_size": batch_size, "tokens": corpus.n_tokens, "loop": loop}


def run_device_checks(device) -> tuple[list[dict], float]:
    results = []
    started = time.perf_counter()
    for names, fn in CHECKS:
        if fn.__name__ in OPTIONAL and not all(_exists(name) for name in names):
            print(f"  {fn.__name__:<30} skipped: this seqnlp has no {', '.join(names)}", flush=True)
            continue
        t0 = time.perf_counter()
        try:
            fn(device)
            _sync(device)
            error = None
        except Exception as err:  # noqa: BLE001 - every failure is reported, the others still run
            error = f"{type(err).__name__}: {err}"
            traceback.print_exc()
        results.append({"check": fn.__name__, "covers": names, "ok": error is None, "error": error,
                        "seconds": time.perf_counter() - t0})
        status = "ok" if error is None else f"FAILED: {error}"
        print(f"  {fn.__name__:<30} {len(names):2d} names  {time.perf_counter() - t0:6.2f} s  {status}", flush=True)
    return results, time.perf_counter() - started


# --------------------------------------------------------------------------- rows


def describe_device(device) -> str:
    import torch

    if torch.device(device).type == "cuda":
        return (f"cuda ({torch.cuda.get_device_name(torch.device(device))}; torch {torch.__version__}, "
                f"CUDA {torch.version.cuda})")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"cpu ({torch.get_num_threads()} threads, {os.cpu_count()} cores, load average {load:.1f}, "
            f"{platform.machine()})")


def cpu_figure(lesson: str, task_start: str, metric: str) -> str | None:
    """The value of the first row of ``results/<lesson>.json`` whose task starts with ``task_start``."""
    path = BENCH / "results" / f"{lesson}.json"
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for row in rows:
        if str(row.get("task", "")).startswith(task_start) and row.get("metric") == metric and row.get("value"):
            return f"{row['value']:,.0f} on {row.get('device', 'the CPU')}"
    return None


def make_rows(device_name: str, checks: list[dict], bilstm: dict | None, sgns: dict | None, total: float,
              quick: bool):
    sys.path.insert(0, str(BENCH))
    from common import ResultRows  # benchmarks/common.py

    note = " (--quick slices)" if quick else ""
    rows = ResultRows("gpu_check", device_name, width=70)
    if bilstm is not None:
        rows.lesson = "08_sentiment_analysis"
        task = (f"GPU check{note}: SentimentRNN (BiLSTM 64, max+mean pooling) one epoch, {bilstm['reviews']:,} IMDB "
                f"reviews (<= 400 tokens, batches of 64), embeddings from scratch")
        cpu = cpu_figure("08_sentiment_analysis", "IMDB: seconds per epoch", "seconds")
        rows.add(task, "seconds per epoch", bilstm["seconds"], bilstm["seconds"],
                 anchor=f"CPU: {cpu} s" if cpu else None)
        rows.add(task, f"val accuracy % ({bilstm['val_reviews']:,} reviews)", 100 * bilstm["val_accuracy"],
                 bilstm["seconds"])
    if sgns is not None:
        rows.lesson = "04_word2vec"
        task = (f"GPU check{note}: lesson 04's PyTorch SGNS ({sgns['loop']}; 100-d, window 5, 5 negatives, "
                f"batches of {sgns['batch_size']:,}), {sgns['passes']} passes over {sgns['tokens']:,} tokens")
        cpu = cpu_figure("04_word2vec", "PyTorch SGNS", "words/s")
        gensim = cpu_figure("04_word2vec", "gensim skip-gram course vectors", "words/s")
        anchor = "; ".join(f"{who}: {fig}" for who, fig in (("CPU", cpu), ("gensim", gensim)) if fig) or None
        rows.add(task, "words/s", sgns["words_per_second"], sgns["seconds"], anchor=anchor)
    rows.lesson = "gpu_check"
    passed = sum(c["ok"] for c in checks)
    failed = [c["check"] for c in checks if not c["ok"]]
    names = len({n for c in checks for n in c["covers"]})
    task = (f"device checks: {names} public models and training helpers of seqnlp in {len(checks)} checks"
            + (f" (failed: {', '.join(failed)})" if failed else ""))
    rows.add(task, "checks passed", passed, sum(c["seconds"] for c in checks), target=len(checks), digits=2)
    rows.add(f"the whole GPU check{note} (data, device checks, BiLSTM epoch, SGNS slice)", "seconds", total, total,
             target=BUDGET_S, anchor="issue: within 8 minutes on one GPU", higher_is_better=False)
    return rows


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda (default), cuda:1, cpu")
    parser.add_argument("--quick", action="store_true", help="small slices (seconds on a CPU): the tests' smoke run")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"where to write the rows (default on CUDA: {RESULTS_FILE.relative_to(REPO)}; "
                        "on the CPU: nowhere)")
    parser.add_argument("--data", type=Path, default=DATA_FILE, help="the prepared data file")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads of PyTorch on --device cpu (default 1)")
    parser.add_argument("--prepare", action="store_true", help="build the data file from datasets/ and exit")
    return parser.parse_args(argv)


def resolve_device(requested: str):
    import torch

    device = torch.device(requested)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            build = "without CUDA" if torch.version.cuda is None else f"with CUDA {torch.version.cuda}"
            raise CheckError(f"--device {requested}: CUDA is not available on this machine (torch "
                             f"{torch.__version__}, built {build}); run it on a machine with a CUDA GPU, "
                             "or use --device cpu --quick for a smoke run")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise CheckError(f"--device {requested}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    elif device.type != "cpu":
        raise CheckError(f"--device {requested}: use cuda, cuda:N or cpu")
    return device


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))  # seqnlp from this checkout, installed or not
    use_bundled_wheels()
    try:
        if args.prepare:
            prepare(args.data)
            return 0
        return run(args)
    except CheckError as err:
        print(f"gpu_check: {err}", file=sys.stderr)
        return 2


def rows_file(out: Path | None, device, quick: bool) -> Path | None:
    """Where the rows go: ``out`` when given; else ``results/gpu.json`` after a full run on CUDA, nowhere otherwise."""
    if out is not None:
        return out
    return RESULTS_FILE if device.type == "cuda" and not quick else None


def _timed_part(part: Callable, data: dict, device, quick: bool, checks: list[dict]) -> dict | None:
    """Run one timed part; a failure becomes a failed entry of ``checks`` (and no row), the rest still runs."""
    try:
        result = part(data, device, quick)
        _sync(device)
        return result
    except Exception as err:  # noqa: BLE001 - reported, and the run goes on to write what it measured
        traceback.print_exc()
        checks.append({"check": part.__name__, "covers": (), "ok": False, "error": f"{type(err).__name__}: {err}",
                       "seconds": 0.0})
        return None


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    import torch

    device = resolve_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    data = load_data(args.data)
    device_name = describe_device(device)
    print(f"GPU check on {device_name}{' (--quick)' if args.quick else ''}; data {args.data.name} "
          f"({args.data.stat().st_size / 1e6:.1f} MB) loaded in {time.perf_counter() - started:.1f} s", flush=True)
    unchecked = sorted(required_names() - covered_names() - set(NOT_CHECKED))
    print(f"device checks ({len(CHECKS)}):", flush=True)
    checks, _ = run_device_checks(device)
    if unchecked:
        print(f"  NOT CHECKED (no device check covers them): {', '.join(unchecked)}", flush=True)
        checks.append({"check": "unchecked: " + " ".join(unchecked), "covers": (), "ok": False,
                       "error": "no device check", "seconds": 0.0})
    for name, why in NOT_CHECKED.items():
        print(f"  not checked: {name} ({why})")
    print("lesson 08's BiLSTM, one epoch ...", flush=True)
    bilstm = _timed_part(bilstm_epoch, data, device, args.quick, checks)
    if bilstm is not None:
        print(f"  {bilstm['seconds']:.1f} s, validation accuracy {bilstm['val_accuracy']:.2%}", flush=True)
    print("lesson 04's SGNS on the slice ...", flush=True)
    sgns = _timed_part(sgns_slice, data, device, args.quick, checks)
    if sgns is not None:
        print(f"  {sgns['words_per_second']:,.0f} words/s ({sgns['seconds']:.1f} s, {sgns['batches']:,} batches, "
              f"final loss {sgns['final_loss']:.3f})", flush=True)
    total = time.perf_counter() - started
    rows = make_rows(device_name, checks, bilstm, sgns, total, args.quick)
    out = rows_file(args.out, device, args.quick)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(rows.rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {out}")
    else:
        print("a CPU or --quick run writes no rows (give --out PATH to keep them)")
    failed = [c for c in checks if not c["ok"]]
    print(f"GPU check: {len(checks) - len(failed)}/{len(checks)} device checks passed, {total:.0f} s in all "
          f"(limit {BUDGET_S:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
