"""Full-mode figures of lesson 06's Keras section: the notes' SimpleRNN and LSTM on IMDB, and three fixes.

The notes (Chollet, *Deep Learning with Python*) train ``Embedding(10000, 16) -> SimpleRNN(16)`` (or
``LSTM(16)``) ``-> Dense(1, sigmoid)`` with RMSprop, batch 512, 4 epochs, on IMDB reviews post-padded
and post-truncated to 100 tokens, and report 80.7% (SimpleRNN) and 80.4% (LSTM) test accuracy. This
script trains the same models on the course's IMDB (``seqnlp.load_imdb``, the course's tokens, the
10,000 most frequent words of the training set), then the same models with the padding handled:

- ``mask_zero=True``: the RNN skips the padding steps, so its last state is the one after the last word;
- pre-padding (the padding first, the words last), with post- and with pre-truncation;
- pooling over time: ``GlobalMaxPooling1D`` over the RNN's states (``return_sequences=True``), and the
  masked ``GlobalAveragePooling1D`` (the mean of the states after the real tokens).

Each model is trained once per seed (``--seeds``, default 0 and 1); the rows give the mean, the
first row of each model the seeds' values too: one run of these small models moves by a few points.

For each model it also reports the accuracy on the test reviews shorter than 100 tokens (padded)
and on the longer ones (truncated), and how much the prediction moves when the first 10 or the last
10 real tokens of a review are replaced by ``<unk>`` (what the readout still remembers of them).
Rows go to ``benchmarks/results/06_keras_rnn.json`` (lesson ``06_recurrent_neural_networks``).

    .venv/bin/python benchmarks/bench_06_keras_rnn.py              # 4 epochs, seeds 0, 1: 51 min on 2 loaded cores
    .venv/bin/python benchmarks/bench_06_keras_rnn.py --seeds 0    # one seed: about half of that
    .venv/bin/python benchmarks/bench_06_keras_rnn.py --fast       # smoke test on a slice: prints, writes nothing
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
from common import ResultRows  # noqa: E402  (benchmarks/common.py)

LESSON = "06_recurrent_neural_networks"
MAXLEN, VOCAB_SIZE, DIM = 100, 10_000, 16  # the notes' max_DocLen, max_unique_tokens and sizes
ANCHORS = {"SimpleRNN": 80.7, "LSTM": 80.4}  # the notes' test accuracies (%)
VARIANTS = {  # name -> (padding, truncating, mask_zero, pooling)
    "post-padded, post-truncated (the notes)": ("post", "post", False, None),
    "post-padded + mask_zero=True": ("post", "post", True, None),
    "pre-padded, post-truncated (same words)": ("pre", "post", False, None),
    "pre-padded, pre-truncated (last 100 tokens)": ("pre", "pre", False, None),
    "post-padded, max pooling over the states": ("post", "post", False, "max"),
    "post-padded + mask_zero=True, average pooling over the states": ("post", "post", True, "average"),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4, help="epochs per model (the notes: 4)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="one run per seed; rows give the mean")
    parser.add_argument("--fast", action="store_true", help="a slice of the data; print the rows, write nothing")
    return parser.parse_args(argv)


def load(fast: bool):
    """Token ids of the shuffled training reviews and of the test reviews, labels, the vocabulary."""
    os.environ["SEQNLP_MODE"] = "fast" if fast else "full"
    import seqnlp
    from seqnlp.embeddings import tokenize
    from seqnlp.text import Vocab

    train = seqnlp.load_imdb("train").sample(frac=1.0, random_state=0).reset_index(drop=True)
    test = seqnlp.load_imdb("test")
    train_tokens = [tokenize(text) for text in train.text]
    test_tokens = [tokenize(text) for text in test.text]
    vocab = Vocab(train_tokens, max_size=VOCAB_SIZE)  # <pad> = 0, <unk> = 1, then the 9,998 most frequent words
    encode = vocab.encode
    return (
        [encode(t) for t in train_tokens],
        train.label.to_numpy(),
        [encode(t) for t in test_tokens],
        test.label.to_numpy(),
        vocab,
    )


def notes_rnn(keras, cell: str, mask_zero: bool = False, pooling: str | None = None):
    """The notes' model, Embedding(10000, 16) -> cell(16) -> Dense(1, sigmoid), optionally masked or pooled."""
    layer = getattr(keras.layers, cell)(DIM, return_sequences=pooling is not None)
    stack = [
        keras.Input(shape=(MAXLEN,), dtype="int32"),
        keras.layers.Embedding(VOCAB_SIZE, DIM, mask_zero=mask_zero),
        layer,
    ]
    if pooling == "max":
        stack.append(keras.layers.GlobalMaxPooling1D())  # padding states take part (the layer ignores masks)
    elif pooling == "average":
        stack.append(keras.layers.GlobalAveragePooling1D())  # averages the unmasked (real) steps only
    stack.append(keras.layers.Dense(1, activation="sigmoid"))
    model = keras.Sequential(stack)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def replace_tokens(P: np.ndarray, lengths: np.ndarray, padding: str, which: str, k: int = 10) -> np.ndarray:
    """A copy of the padded ids with the first (or last) k real tokens of each row replaced by <unk> (id 1)."""
    out = P.copy()
    n = np.minimum(lengths, MAXLEN)
    for row in range(len(out)):
        start = 0 if padding == "post" else MAXLEN - n[row]  # where the real tokens begin
        lo = start if which == "first" else start + n[row] - min(k, n[row])
        out[row, lo : lo + min(k, n[row])] = 1
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started_all = time.perf_counter()
    train_ids, y_train, test_ids, y_test, vocab = load(args.fast)
    import keras

    from seqnlp.text import pad_sequences

    test_lengths = np.array([len(ids) for ids in test_ids])
    short = test_lengths < MAXLEN
    print(
        f"{len(train_ids):,} training and {len(test_ids):,} test reviews; {short.mean():.1%} of the test "
        f"reviews are shorter than {MAXLEN} tokens (padded), the others are truncated; "
        f"data ready in {time.perf_counter() - started_all:.0f} s",
        flush=True,
    )
    probe = np.random.default_rng(0).choice(len(test_ids), size=min(5000, len(test_ids)), replace=False)
    rows = ResultRows(LESSON, f"cpu ({os.cpu_count()} shared cores)", width=78)
    for cell in ("SimpleRNN", "LSTM"):
        for name, (padding, truncating, mask_zero, pooling) in VARIANTS.items():
            P_train = pad_sequences(train_ids, maxlen=MAXLEN, padding=padding, truncating=truncating)
            P_test = pad_sequences(test_ids, maxlen=MAXLEN, padding=padding, truncating=truncating)
            runs = []  # per seed: accuracy, accuracy on short and on long reviews, |change of p| first/last, seconds
            for seed in args.seeds:
                keras.utils.set_random_seed(seed)
                model = notes_rnn(keras, cell, mask_zero=mask_zero, pooling=pooling)
                started = time.perf_counter()
                model.fit(P_train, y_train, epochs=args.epochs, batch_size=512, verbose=0)
                p = model.predict(P_test, batch_size=1024, verbose=0).ravel()
                seconds = time.perf_counter() - started
                right = (p > 0.5) == y_test
                moved = [
                    np.abs(
                        model.predict(
                            replace_tokens(P_test[probe], test_lengths[probe], padding, which),
                            batch_size=1024,
                            verbose=0,
                        ).ravel()
                        - p[probe]
                    ).mean()
                    for which in ("first", "last")
                ]
                accuracies = [100 * right.mean(), 100 * right[short].mean(), 100 * right[~short].mean()]
                runs.append([*accuracies, *moved, seconds])
                print(f"    seed {seed}: {runs[-1][0]:.2f}% ({seconds:.0f} s)", flush=True)
            runs = np.array(runs)
            mean = runs.mean(axis=0)
            each = ", ".join(f"{v:.1f}" for v in runs[:, 0])
            task = f"IMDB, Keras {cell}(16), {name}, {args.epochs} epochs"
            anchor = f"the notes {ANCHORS[cell]}" if "(the notes)" in name else None
            rows.add(f"{task} (mean of {len(runs)} seeds: {each})", "test accuracy %", mean[0], mean[5], anchor=anchor)
            rows.add(f"{task}: reviews < {MAXLEN} tokens ({short.sum():,}, padded)", "test accuracy %", mean[1], None)
            rows.add(
                f"{task}: reviews >= {MAXLEN} tokens ({(~short).sum():,}, truncated)", "test accuracy %", mean[2], None
            )
            for which, value in zip(("first", "last"), mean[3:5], strict=True):
                rows.add(f"{task}: {which} 10 real tokens -> <unk>", "mean |change of p|", value, None)
    total = time.perf_counter() - started_all
    models = f"{2 * len(VARIANTS)} models x {len(args.seeds)} seeds"
    rows.add(f"whole benchmark ({args.epochs} epochs per model, {models})", "seconds", total, total)
    if not args.fast:
        rows.write(name="06_keras_rnn")
    return 0


if __name__ == "__main__":
    sys.exit(main())
