"""Sentiment classification end to end (lesson 08): truncation, length-bucketed batches,
Embedding -> BiLSTM/BiGRU -> masked max+mean pooling -> classifier, predictions for raw text,
and the same model in Keras.

The pieces plug into :mod:`seqnlp.train` (``fit``, ``evaluate``, ``predict``): a batch is
``(ids, lengths, mask, labels)`` and the model is called as ``model(ids, lengths, mask)``::

    from seqnlp.sentiment import SentimentRNN, bucketed_loader, encode_texts, predict_sentiment
    from seqnlp.train import fit

    ids = encode_texts(train.text, vocab, maxlen=400, head=100)      # clean, encode, keep head + tail
    train_loader = bucketed_loader(ids, train.label, batch_size=64, shuffle=True, seed=0)
    model = SentimentRNN(len(vocab), num_classes=2, embeddings=weights, freeze=False)
    history = fit(model, train_loader, val_loader, nn.CrossEntropyLoss(), optimizer,
                  epochs=4, device=cfg.device, patience=1)
    labels, probs = predict_sentiment(["Not good at all."], model, vocab, ["negative", "positive"])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.utils.data import DataLoader, Dataset, Sampler

from .exercises import exercise
from .text import Vocab, clean_text

__all__ = [
    "BucketBatchSampler",
    "ReviewDataset",
    "SentimentRNN",
    "bidirectional_outputs",
    "blend_log_odds",
    "bucketed_loader",
    "choose_blend_weight",
    "collate_batch",
    "encode_texts",
    "keras_batches",
    "keras_sentiment_model",
    "log_odds",
    "masked_max_mean",
    "padding_share",
    "predict_sentiment",
    "reverse_within_length",
    "truncate_head_tail",
]

# --------------------------------------------------------------------------- data


def truncate_head_tail(ids: Sequence[int], maxlen: int | None, head: int = 0) -> list[int]:
    """``ids`` cut to at most ``maxlen`` tokens: the first ``head`` and the last ``maxlen - head``.

    ``head=0`` keeps the end (Keras' ``truncating="pre"``), ``head=maxlen`` the beginning;
    ``maxlen=None`` keeps everything. Reviews often state the verdict at the start and
    sum it up at the end, so keeping both beats keeping either.
    """
    ids = list(ids)
    if maxlen is None or len(ids) <= maxlen:
        return ids
    if not 0 <= head <= maxlen:
        raise ValueError(f"head must be between 0 and maxlen={maxlen}, not {head}")
    tail = maxlen - head
    return ids[:head] + (ids[len(ids) - tail :] if tail else [])


def encode_texts(
    texts: Iterable[str], vocab: Vocab, maxlen: int | None = None, head: int = 0, clean: bool = True
) -> list[list[int]]:
    """Raw texts -> index lists: lesson 01's ``clean_text``, split on spaces, ``vocab.encode``,
    :func:`truncate_head_tail`. A text with no token left becomes ``[<unk>]``."""
    out = []
    for text in texts:
        tokens = (clean_text(text) if clean else text).split()
        out.append(truncate_head_tail(vocab.encode(tokens), maxlen, head) or [vocab.unk_index])
    return out


@exercise("08_sentiment_analysis", "ex_review_dataset")
class ReviewDataset(Dataset):
    """Index sequences and labels; ``dataset[i]`` is ``(ids: int64 tensor, label: int)``.

    Sequences are cut with :func:`truncate_head_tail` and an empty one becomes ``[1]``
    (one ``<unk>``), so every review has at least one position. ``lengths`` lists the
    lengths after truncation.
    """

    def __init__(
        self, sequences: Sequence[Sequence[int]], labels: Sequence[int], maxlen: int | None = None, head: int = 0
    ):
        if len(sequences) != len(labels):
            raise ValueError(f"{len(sequences)} sequences but {len(labels)} labels")
        self.sequences = [
            torch.tensor(truncate_head_tail(seq, maxlen, head) or [1], dtype=torch.long) for seq in sequences
        ]
        self.labels = [int(label) for label in labels]
        self.lengths = [len(seq) for seq in self.sequences]

    def __len__(self) -> int:
        return len(self.sequences)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.sequences[index], self.labels[index]


@exercise("08_sentiment_analysis", "ex_collate_batch")
def collate_batch(
    batch: Sequence[tuple[Sequence[int] | torch.Tensor, int]], pad_index: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``[(ids, label), ...]`` -> ``(ids, lengths, mask, labels)``.

    ``ids`` int64 ``(B, T)``, ``T`` the longest sequence, padded with ``pad_index`` after the
    tokens; ``lengths`` int64 ``(B,)``; ``mask`` bool ``(B, T)``, True on real tokens;
    ``labels`` int64 ``(B,)``.
    """
    seqs = [torch.as_tensor(ids, dtype=torch.long).reshape(-1) for ids, _ in batch]
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    width = int(lengths.max()) if len(seqs) else 0
    ids = torch.full((len(seqs), width), pad_index, dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = seq
    mask = torch.arange(width).unsqueeze(0) < lengths.unsqueeze(1)
    labels = torch.tensor([int(label) for _, label in batch], dtype=torch.long)
    return ids, lengths, mask, labels


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of indices whose sequences have similar lengths, to cut the padding a batch carries.

    Shuffled: the indices are shuffled, cut into pools of ``pool`` batches, each pool sorted by
    length and cut into batches, and the batches shuffled (a new order every epoch, drawn from
    ``seed``). Not shuffled: all indices sorted by length (predictions come back in that order;
    use :func:`predict_sentiment` or keep the indices to restore the original order).
    """

    def __init__(
        self, lengths: Sequence[int], batch_size: int, shuffle: bool = False, pool: int = 50, seed: int | None = None
    ):
        self.lengths = np.asarray(lengths)
        self.batch_size, self.shuffle, self.pool = batch_size, shuffle, pool
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return (len(self.lengths) + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[list[int]]:
        bs = self.batch_size
        if not self.shuffle:
            order = np.argsort(self.lengths, kind="stable")
            yield from (order[i : i + bs].tolist() for i in range(0, len(order), bs))
            return
        order = self.rng.permutation(len(self.lengths))
        batches = []
        for start in range(0, len(order), bs * self.pool):
            pool = order[start : start + bs * self.pool]
            pool = pool[np.argsort(self.lengths[pool], kind="stable")]
            batches += [pool[i : i + bs].tolist() for i in range(0, len(pool), bs)]
        for k in self.rng.permutation(len(batches)):
            yield batches[k]


def bucketed_loader(
    sequences: Sequence[Sequence[int]],
    labels: Sequence[int],
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int | None = None,
    maxlen: int | None = None,
    head: int = 0,
) -> DataLoader:
    """A ``DataLoader`` of :func:`collate_batch` batches over a :class:`ReviewDataset`, length-bucketed."""
    dataset = ReviewDataset(sequences, labels, maxlen=maxlen, head=head)
    sampler = BucketBatchSampler(dataset.lengths, batch_size, shuffle=shuffle, seed=seed)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate_batch)


def padding_share(loader: Iterable) -> float:
    """Share of the cells of a loader's ``ids`` batches that are padding."""
    cells = real = 0
    for ids, lengths, *_ in loader:
        cells += ids.numel()
        real += int(lengths.sum())
    return 1.0 - real / max(cells, 1)


# --------------------------------------------------------------------------- model


@exercise("08_sentiment_analysis", "ex_masked_max_mean")
def masked_max_mean(outputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``(B, T, H)`` outputs and a ``(B, T)`` mask -> ``(B, 2H)``: [max over real positions, mean over them]."""
    keep = mask.unsqueeze(-1)
    largest = outputs.masked_fill(~keep, float("-inf")).amax(dim=1)
    mean = (outputs * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1)
    return torch.cat([largest, mean], dim=1)


def reverse_within_length(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """``x`` ``(B, T, ...)`` with the first ``lengths[b]`` steps of row ``b`` in reverse order, the padding after
    them left in place; applying it twice gives ``x`` back."""
    steps = torch.arange(x.size(1), device=x.device).unsqueeze(0)
    last = lengths.to(x.device).unsqueeze(1) - 1
    index = torch.where(steps <= last, last - steps, steps)
    index = index.view(*index.shape, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(1, index)


def bidirectional_outputs(rnn: nn.Module, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The outputs ``(B, T, 2H)`` of a one-layer bidirectional ``nn.LSTM``/``nn.GRU`` (``batch_first``) on a
    post-padded batch, equal at every real position to what packing with ``lengths`` gives, without packing.

    The forward direction reads the padded batch as it is (the padding comes after the real steps, so it cannot
    reach them); the backward direction reads every sequence reversed within its length, and its outputs are
    flipped back. On the CPU this is several times faster to train than a packed sequence, whose backward pass
    PyTorch computes one time step at a time, each step allocating a gradient the size of the whole input.
    Outputs at padded positions are not meaningful (mask them).
    """
    if rnn.num_layers != 1 or not rnn.bidirectional or not rnn.batch_first:
        raise ValueError("bidirectional_outputs needs a one-layer bidirectional batch_first LSTM or GRU")
    if isinstance(rnn, nn.LSTM):
        run, h0 = torch.lstm, x.new_zeros(1, x.size(0), rnn.hidden_size)
        state = (h0, h0)
    elif isinstance(rnn, nn.GRU):
        run, state = torch.gru, x.new_zeros(1, x.size(0), rnn.hidden_size)
    else:
        raise TypeError(f"expected nn.LSTM or nn.GRU, not {type(rnn).__name__}")
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    forward_weights = [getattr(rnn, name) for name in names]
    backward_weights = [getattr(rnn, f"{name}_reverse") for name in names]
    # args: input, state, weights, has_biases, num_layers, dropout, train, bidirectional, batch_first
    ahead = run(x, state, forward_weights, True, 1, 0.0, rnn.training, False, True)[0]
    behind = run(reverse_within_length(x, lengths), state, backward_weights, True, 1, 0.0, rnn.training, False, True)[0]
    return torch.cat([ahead, reverse_within_length(behind, lengths)], dim=2)


@exercise("08_sentiment_analysis", "ex_sentiment_rnn")
class SentimentRNN(nn.Module):
    """Embedding -> bidirectional LSTM/GRU -> masked max+mean pooling -> dropout -> Linear.

    The lesson's model, with the same parameters (a drop-in for a ``state_dict`` of the lesson's
    ``SentimentRNN``). ``embeddings`` (``(vocab_size, embed_dim)`` array) initialises the
    embedding layer, which ``freeze=True`` keeps fixed. ``forward(ids, lengths, mask=None)``
    takes a post-padded batch and returns ``(B, num_classes)`` logits; the mask is rebuilt
    from ``lengths`` when not given. ``packed=True`` runs the recurrent layer on a packed
    sequence (``pack_padded_sequence``); the default computes the same outputs with
    :func:`bidirectional_outputs`, which trains much faster on the CPU.
    """

    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        embed_dim: int = 100,
        hidden_size: int = 64,
        cell: str = "lstm",
        pad_index: int = 0,
        dropout: float = 0.3,
        embeddings: np.ndarray | torch.Tensor | None = None,
        freeze: bool = False,
        packed: bool = False,
    ):
        super().__init__()
        if cell not in ("gru", "lstm"):
            raise ValueError(f"cell must be 'gru' or 'lstm', not {cell!r}")
        self.packed = packed
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_index)
        if embeddings is not None:
            with torch.no_grad():
                self.embedding.weight.copy_(torch.as_tensor(np.asarray(embeddings), dtype=torch.float32))
        self.embedding.weight.requires_grad_(not freeze)
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(4 * hidden_size, num_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None:
            mask = torch.arange(ids.size(1), device=ids.device).unsqueeze(0) < lengths.to(ids.device).unsqueeze(1)
        x = self.dropout(self.embedding(ids))
        if self.packed:
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            outputs, _ = self.rnn(packed)
            outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=ids.size(1))
        else:
            outputs = bidirectional_outputs(self.rnn, x, lengths)
        return self.classifier(self.dropout(masked_max_mean(outputs, mask)))


# --------------------------------------------------------------------------- predictions


@exercise("08_sentiment_analysis", "ex_predict_sentiment")
def predict_sentiment(
    texts: Sequence[str],
    model: nn.Module,
    vocab: Vocab,
    class_names: Sequence[str],
    maxlen: int | None = None,
    head: int = 0,
    batch_size: int = 256,
) -> tuple[list[str], np.ndarray]:
    """Class names and ``(len(texts), classes)`` softmax probabilities for raw strings.

    Each text goes through the training pipeline (:func:`encode_texts`); the model runs in
    eval mode without gradients, on the device of its parameters; the order of ``texts`` is kept.
    """
    device = next(model.parameters()).device
    ids = encode_texts(texts, vocab, maxlen=maxlen, head=head)
    model.eval()
    probs = []
    with torch.no_grad():
        for start in range(0, len(ids), batch_size):
            chunk = [(seq, 0) for seq in ids[start : start + batch_size]]
            x, lengths, mask, _ = collate_batch(chunk, pad_index=vocab.pad_index)
            probs.append(torch.softmax(model(x.to(device), lengths, mask.to(device)), dim=1).float().cpu())
    out = torch.cat(probs).numpy() if probs else np.zeros((0, len(class_names)), dtype=np.float32)
    return [class_names[k] for k in out.argmax(axis=1)], out


# --------------------------------------------------------------------------- ensembles


def log_odds(probs: np.ndarray, eps: float = 1e-7) -> np.ndarray:
    """``ln P(class 1) - ln P(class 0)`` per row of ``(n, 2)`` probabilities (or of ``(n,)`` P(class 1)),
    the probabilities clipped to ``[eps, 1 - eps]`` so that a certain prediction stays finite."""
    positive = np.asarray(probs, dtype=np.float64)
    if positive.ndim == 2:
        if positive.shape[1] != 2:
            raise ValueError(f"log_odds needs two classes, not {positive.shape[1]}")
        positive = positive[:, 1] / positive.sum(axis=1)
    positive = np.clip(positive, eps, 1 - eps)
    return np.log(positive) - np.log1p(-positive)


def blend_log_odds(first: np.ndarray, second: np.ndarray, weight: float) -> np.ndarray:
    """The convex combination ``weight * first + (1 - weight) * second`` of two models' log-odds
    (a weighted product of the two models' probabilities, renormalised); positive means class 1."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be between 0 and 1, not {weight}")
    return weight * np.asarray(first, dtype=np.float64) + (1.0 - weight) * np.asarray(second, dtype=np.float64)


def choose_blend_weight(
    first: np.ndarray, second: np.ndarray, labels: np.ndarray, grid: Sequence[float] | None = None
) -> tuple[float, dict[str, np.ndarray]]:
    """The weight of :func:`blend_log_odds` with the lowest mean cross-entropy on held-out ``labels`` (0/1).

    Use validation data, never the test split. ``grid`` defaults to 0, 0.01, ..., 1; ties go to the
    smallest weight. Returns ``(weight, curve)``, ``curve`` holding the arrays ``"weight"``,
    ``"log_loss"`` and ``"accuracy"`` over the grid, to plot or report.
    """
    weights = np.linspace(0.0, 1.0, 101) if grid is None else np.asarray(grid, dtype=np.float64)
    y = np.asarray(labels).astype(np.float64)
    if len(y) != len(first) or len(y) != len(second):
        raise ValueError(f"{len(first)} and {len(second)} scores for {len(y)} labels")
    losses, accuracies = [], []
    for w in weights:
        z = blend_log_odds(first, second, float(w))
        losses.append(float(np.mean(np.logaddexp(0.0, z) - y * z)))  # -log sigmoid(z) or -log(1 - sigmoid(z))
        accuracies.append(float(np.mean((z > 0) == (y == 1))))
    curve = {"weight": weights, "log_loss": np.array(losses), "accuracy": np.array(accuracies)}
    return float(weights[int(np.argmin(curve["log_loss"]))]), curve


# --------------------------------------------------------------------------- Keras


def keras_sentiment_model(
    vocab_size: int,
    num_classes: int,
    embed_dim: int = 100,
    hidden_size: int = 64,
    cell: str = "lstm",
    dropout: float = 0.3,
    embeddings: np.ndarray | None = None,
    freeze: bool = False,
    learning_rate: float = 2e-3,
) -> Any:
    """:class:`SentimentRNN` in Keras: Embedding(mask_zero) -> Bidirectional GRU/LSTM -> masked max+mean -> Dense.

    Compiled with Adam and sparse categorical cross-entropy on logits. Import Keras (with
    ``KERAS_BACKEND`` set) before calling; padding must be index 0.
    """
    import keras
    from keras import layers, ops

    class MaskedMaxMean(layers.Layer):
        """[max, mean] over the time steps the mask keeps."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            if mask is None:
                return ops.concatenate([ops.max(inputs, axis=1), ops.mean(inputs, axis=1)], axis=-1)
            keep = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
            largest = ops.max(ops.where(keep > 0, inputs, ops.full_like(inputs, -1e9)), axis=1)
            mean = ops.sum(inputs * keep, axis=1) / ops.maximum(ops.sum(keep, axis=1), 1.0)
            return ops.concatenate([largest, mean], axis=-1)

        def compute_mask(self, inputs, mask=None):
            return None

    if cell not in ("gru", "lstm"):
        raise ValueError(f"cell must be 'gru' or 'lstm', not {cell!r}")
    init = "uniform" if embeddings is None else keras.initializers.Constant(np.asarray(embeddings))
    recurrent = layers.GRU if cell == "gru" else layers.LSTM
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(vocab_size, embed_dim, mask_zero=True, embeddings_initializer=init, trainable=not freeze)(
        inputs
    )
    x = layers.Dropout(dropout)(x)
    x = layers.Bidirectional(recurrent(hidden_size, return_sequences=True))(x)
    x = MaskedMaxMean()(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(num_classes)(x)
    model = keras.Model(inputs, outputs, name=f"bi{cell}_max_mean")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=5.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def keras_batches(
    sequences: Sequence[Sequence[int]],
    labels: Sequence[int],
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int | None = None,
) -> Any:
    """A ``tf.data.Dataset`` of length-bucketed, post-padded ``(ids, labels)`` batches for Keras.

    The batches of :class:`BucketBatchSampler` (a new order every epoch when ``shuffle``; pass
    ``shuffle=False`` to ``model.fit``, the batches are already shuffled), each as wide as its
    longest sequence. Not shuffled, the examples come in the order of the
    attribute ``order`` of the returned dataset (use it to line predictions up with the labels).
    """
    import tensorflow as tf

    sampler = BucketBatchSampler([max(len(s), 1) for s in sequences], batch_size, shuffle=shuffle, seed=seed)
    targets = np.asarray(labels, dtype=np.int32)

    def batches():
        for idx in sampler:
            width = max(max(len(sequences[i]) for i in idx), 1)
            x = np.zeros((len(idx), width), dtype=np.int32)
            for row, i in enumerate(idx):
                x[row, : len(sequences[i])] = sequences[i]
            yield x, targets[idx]

    signature = (tf.TensorSpec((None, None), tf.int32), tf.TensorSpec((None,), tf.int32))
    dataset = tf.data.Dataset.from_generator(batches, output_signature=signature)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(len(sampler))).prefetch(2)
    if not shuffle:
        dataset.order = np.concatenate(list(sampler)) if len(sequences) else np.zeros(0, dtype=int)
    return dataset
