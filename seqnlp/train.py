"""Training PyTorch sequence classifiers (lessons 06-08): padded batches and a fit loop with early stopping.

::

    from seqnlp.train import evaluate, fit, predict, sequence_loader

    train_loader = sequence_loader(train_ids, train_labels, batch_size=64, shuffle=True)
    val_loader = sequence_loader(val_ids, val_labels, batch_size=256)
    history = fit(model, train_loader, val_loader, nn.CrossEntropyLoss(), optimizer,
                  epochs=10, device=cfg.device, patience=2)      # best weights restored
    y, y_hat, probs = predict(model, test_loader, cfg.device)

A batch is a tuple ``(*inputs, labels)`` and the model is called as
``model(*inputs)``: batches from :func:`pad_collate` are ``(ids, lengths, labels)``,
so the model's ``forward(ids, lengths)`` gets the padded indices and the true
lengths. Every tensor of a batch is moved to ``device`` (except the lengths of lesson 08's
``(ids, lengths, mask, labels)`` batches, which stay on the CPU); ``pack_padded_sequence``
wants its lengths on the CPU, so pass it ``lengths.cpu()``.

A classifier returns ``(batch, classes)`` logits for ``nn.CrossEntropyLoss``, or
one logit per example (``(batch,)`` or ``(batch, 1)``) for
``nn.BCEWithLogitsLoss``; in the binary case the labels are cast to float for
the loss and predictions are ``logit > 0``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from .exercises import exercise

__all__ = [
    "History",
    "SequenceDataset",
    "evaluate",
    "fit",
    "move_to",
    "pad_collate",
    "predict",
    "sequence_loader",
]

# --------------------------------------------------------------------------- batches


class SequenceDataset(Dataset):
    """Index sequences (lists, arrays or tensors of token ids) with one label each."""

    def __init__(self, sequences: Sequence[Sequence[int]], labels: Sequence[int] | np.ndarray):
        if len(sequences) != len(labels):
            raise ValueError(f"{len(sequences)} sequences but {len(labels)} labels")
        self.sequences = sequences
        self.labels = np.asarray(labels)

    def __len__(self) -> int:
        return len(self.sequences)

    def __getitem__(self, index: int) -> tuple[Sequence[int], Any]:
        return self.sequences[index], self.labels[index]


def pad_collate(
    batch: Sequence[tuple[Sequence[int], Any]],
    pad_index: int = 0,
    padding: str = "post",
    maxlen: int | None = None,
    truncating: str = "pre",
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Turn ``[(ids, label), ...]`` into ``(ids, lengths, labels)`` tensors.

    ``ids`` is int64 ``(batch, T)`` with ``T`` the longest length in the batch (at
    most ``maxlen``), filled with ``pad_index`` after (``padding="post"``, the
    layout ``pack_padded_sequence`` expects) or before (``"pre"``) each sequence.
    Sequences longer than ``maxlen`` lose their beginning (``truncating="pre"``,
    Keras' default) or their end (``"post"``). ``lengths`` (int64, on the CPU) are
    the real lengths after truncation, at least 1: an empty sequence becomes one
    padding token. ``labels`` keep their dtype (int64 for integer classes).
    """
    if padding not in ("pre", "post") or truncating not in ("pre", "post"):
        raise ValueError(f"padding and truncating must be 'pre' or 'post', not {padding!r} and {truncating!r}")
    seqs = [torch.as_tensor(np.asarray(ids, dtype=np.int64)).reshape(-1) for ids, _ in batch]
    if maxlen is not None:
        if maxlen <= 0:
            seqs = [s[:0] for s in seqs]
        else:
            seqs = [s[-maxlen:] if truncating == "pre" else s[:maxlen] for s in seqs]
    lengths = torch.tensor([max(len(s), 1) for s in seqs], dtype=torch.int64)
    width = int(lengths.max()) if len(seqs) else 0
    ids = torch.full((len(seqs), width), pad_index, dtype=torch.int64)
    for row, s in enumerate(seqs):
        if len(s):
            if padding == "post":
                ids[row, : len(s)] = s
            else:
                ids[row, width - len(s) :] = s
    labels = torch.as_tensor(np.asarray([label for _, label in batch]))
    return ids, lengths, labels


def sequence_loader(
    sequences: Sequence[Sequence[int]],
    labels: Sequence[int] | np.ndarray,
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int | None = None,
    **collate_options: Any,
) -> DataLoader:
    """A ``DataLoader`` of :func:`pad_collate` batches over ``(sequences, labels)``.

    With ``shuffle=True`` the order comes from ``seed`` when given, otherwise
    from PyTorch's global generator (seeded by ``seqnlp.setup``). Extra keyword
    arguments (``pad_index``, ``padding``, ``maxlen``, ``truncating``) go to
    :func:`pad_collate`.
    """
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    return DataLoader(
        SequenceDataset(sequences, labels),
        batch_size=batch_size,
        shuffle=shuffle,
        generator=generator,
        collate_fn=functools.partial(pad_collate, **collate_options),
    )


def move_to(batch: Any, device: torch.device | str) -> Any:
    """``batch`` with every tensor in it (tuples, lists, dicts) moved to ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {key: move_to(value, device) for key, value in batch.items()}
    if isinstance(batch, (tuple, list)):
        return type(batch)(move_to(value, device) for value in batch)
    return batch


# --------------------------------------------------------------------------- one step, one pass


def _binary(output: torch.Tensor) -> bool:
    return output.dim() == 1 or (output.dim() == 2 and output.shape[1] == 1)


def _loss(loss_fn: Callable, output: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    if _binary(output):
        return loss_fn(output.reshape(-1), labels.reshape(-1).to(output.dtype))
    return loss_fn(output, labels)


def _scores(output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(predicted class, probabilities)`` of a batch of logits."""
    if _binary(output):
        logit = output.reshape(-1)
        return (logit > 0).long(), torch.sigmoid(logit)
    return output.argmax(dim=1), torch.softmax(output, dim=1)


def _split(batch: Any) -> tuple[tuple, torch.Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise TypeError("a batch must be a tuple (*inputs, labels); pad_collate gives (ids, lengths, labels)")
    return tuple(batch[:-1]), batch[-1]


def _to_device(batch: Any, device: torch.device | str) -> Any:
    """:func:`move_to`, except the lengths of an ``(ids, lengths, mask, labels)`` batch, which stay where they are.

    That is the batch of :func:`seqnlp.sentiment.collate_batch`; its models hand the lengths to
    ``pack_padded_sequence``, which wants them on the CPU.
    """
    if isinstance(batch, (tuple, list)) and len(batch) == 4 and isinstance(batch[1], torch.Tensor) \
            and batch[1].dim() == 1 and not batch[1].is_floating_point():
        return type(batch)(value if i == 1 else move_to(value, device) for i, value in enumerate(batch))
    return move_to(batch, device)


def evaluate(model: nn.Module, loader: Iterable, loss_fn: Callable, device: torch.device | str) -> dict[str, float]:
    """Mean loss (per example) and accuracy of ``model`` over ``loader``, without gradients."""
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for batch in loader:
            inputs, labels = _split(_to_device(batch, device))
            output = model(*inputs)
            n = labels.shape[0]
            total_loss += float(_loss(loss_fn, output, labels)) * n
            correct += int((_scores(output)[0] == labels.reshape(-1).long()).sum())
            count += n
    if count == 0:
        raise ValueError("the loader gave no examples")
    return {"loss": total_loss / count, "accuracy": correct / count}


def predict(
    model: nn.Module, loader: Iterable, device: torch.device | str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(labels, predictions, probabilities)`` of ``model`` over ``loader`` as NumPy arrays.

    Probabilities are ``(n, classes)`` softmax rows, or ``(n,)`` sigmoids for a
    one-logit binary model.
    """
    model.eval()
    labels_all, preds_all, probs_all = [], [], []
    with torch.no_grad():
        for batch in loader:
            inputs, labels = _split(_to_device(batch, device))
            pred, probs = _scores(model(*inputs))
            labels_all.append(labels.reshape(-1).cpu())
            preds_all.append(pred.cpu())
            probs_all.append(probs.float().cpu())
    return torch.cat(labels_all).numpy(), torch.cat(preds_all).numpy(), torch.cat(probs_all).numpy()


# --------------------------------------------------------------------------- the loop


class _Rows(list):
    """The rows of a :class:`History`: every change to the list updates the history's columns."""

    def __init__(self, rows: Iterable[dict[str, float]], owner: History):
        super().__init__(rows)
        self._owner = owner

    def __reduce__(self) -> tuple:
        return list, (list(self),)  # a copy of the rows alone is a plain list


def _resyncing(name: str) -> Callable:
    method = getattr(list, name)

    @functools.wraps(method)
    def changed(self: _Rows, *args: Any, **kwargs: Any) -> Any:
        out = method(self, *args, **kwargs)
        self._owner._sync()
        return self if name == "__iadd__" else out

    return changed


for _name in ("append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
              "__setitem__", "__delitem__", "__iadd__"):
    setattr(_Rows, _name, _resyncing(_name))
del _name


class History(dict):
    """What :func:`fit` did, as a dict of per-epoch lists, and which epoch's weights the model kept.

    The keys are lesson 08's: ``history["train_loss"]``, ``["val_loss"]``, ``["val_accuracy"]``,
    ``["seconds"]`` (one value per epoch run), ``["best_epoch"]`` (an int counted from 1, None before
    any epoch), plus ``["epoch"]`` and ``["train_accuracy"]``; the validation columns only when there
    was a validation set. The same numbers as rows: ``rows`` (one dict per epoch; appending to it
    updates the columns), with ``monitor``, ``stopped_early``, :attr:`best`, :meth:`to_frame` and
    :meth:`plot`. ``len(history)`` is the number of epochs run and ``history.seconds`` their total.
    """

    def __init__(
        self,
        rows: Iterable[dict[str, float]] = (),
        monitor: str = "val_loss",
        best_epoch: int | None = None,
        stopped_early: bool = False,
    ):
        super().__init__()
        self.monitor, self.stopped_early, self._best_epoch = monitor, stopped_early, best_epoch
        self._rows = _Rows(rows, self)
        self._sync()

    def _sync(self) -> None:
        """Rebuild the columns from the rows."""
        columns: dict[str, list[float]] = {}
        for row in self._rows:
            for key in row:
                columns.setdefault(key, [])
        for key, column in columns.items():
            column.extend(row.get(key, float("nan")) for row in self._rows)
        dict.clear(self)
        dict.update(self, columns, best_epoch=self._best_epoch)

    @property
    def rows(self) -> list[dict[str, float]]:
        return self._rows

    @rows.setter
    def rows(self, rows: Iterable[dict[str, float]]) -> None:
        self._rows = _Rows(rows, self)
        self._sync()

    @property
    def best_epoch(self) -> int | None:
        return self._best_epoch

    @best_epoch.setter
    def best_epoch(self, epoch: int | None) -> None:
        self._best_epoch = epoch
        dict.__setitem__(self, "best_epoch", epoch)

    def __reduce__(self) -> tuple:
        return type(self), (list(self._rows), self.monitor, self._best_epoch, self.stopped_early)

    def __len__(self) -> int:
        """The number of epochs run (not the number of keys)."""
        return len(self._rows)

    def __repr__(self) -> str:
        return (f"History({len(self)} epochs, best_epoch={self.best_epoch}, monitor={self.monitor!r}, "
                f"stopped_early={self.stopped_early})")

    @property
    def seconds(self) -> float:
        return float(sum(row["seconds"] for row in self.rows))

    @property
    def best(self) -> dict[str, float]:
        """The row of the best epoch (the last one when nothing was monitored)."""
        if not self.rows:
            raise ValueError("no epoch was run")
        epoch = self.best_epoch if self.best_epoch is not None else self.rows[-1]["epoch"]
        return next(row for row in self.rows if row["epoch"] == epoch)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows).set_index("epoch")

    def plot(self, axes=None):
        """Loss and accuracy curves (train vs validation), the kept epoch marked; returns the axes."""
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        if axes is None:
            _, axes = plt.subplots(1, 2, figsize=(10, 3.2))
        frame = self.to_frame()
        for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
            for split in ("train", "val"):
                column = f"{split}_{metric}"
                if column in frame and frame[column].notna().any():
                    ax.plot(frame.index, frame[column], marker="o", label=split)
            if self.best_epoch is not None:
                ax.axvline(self.best_epoch, color="k", ls=":", lw=1, label=f"kept epoch {self.best_epoch}")
            ax.set(xlabel="epoch", ylabel=metric)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend()
        return axes


_MONITORS = {"val_loss": min, "val_accuracy": max, "train_loss": min, "train_accuracy": max}


def _improved(monitor: str, value: float, best: float | None, min_delta: float) -> bool:
    if best is None:
        return True
    return value < best - min_delta if _MONITORS[monitor] is min else value > best + min_delta


@exercise("08_sentiment_analysis", "ex_fit")
def fit(
    model: nn.Module,
    train_loader: Iterable,
    val_loader: Iterable | None,
    loss_fn: Callable,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    device: torch.device | str,
    patience: int | None = 2,
    clip_norm: float | None = None,
    progress: bool = False,
    *,
    monitor: str = "val_loss",
    min_delta: float = 0.0,
    restore_best: bool = True,
    scheduler: Any | None = None,
    desc: str = "training",
) -> History:
    """Train ``model`` for up to ``epochs`` epochs; return the :class:`History` (a dict of per-epoch lists).

    Lesson 08's loop: the model is moved to ``device`` first; every epoch trains in ``model.train()``
    mode (``clip_norm`` clips the global gradient norm before each step), then evaluates on
    ``val_loader`` (if given) in ``model.eval()`` mode without gradients; losses are means per example.
    The ``monitor``-ed quantity (``val_loss``, ``val_accuracy``, ``train_loss`` or ``train_accuracy``)
    decides the best epoch, which must beat every earlier one by more than ``min_delta``; the loop
    stops after ``patience`` epochs in a row without a new best (``patience=None``: never). With
    ``restore_best`` the model ends with a copy of the best epoch's weights. ``scheduler.step()`` runs
    once per epoch. ``progress=True`` shows ``tqdm`` bars. Batches of
    :func:`seqnlp.sentiment.collate_batch`, ``(ids, lengths, mask, labels)``, keep ``lengths`` on
    the CPU; every other tensor of a batch is moved to ``device``.
    """
    if monitor not in _MONITORS:
        raise ValueError(f"monitor must be one of {sorted(_MONITORS)}, not {monitor!r}")
    if val_loader is None and monitor.startswith("val_"):
        monitor = "train_" + monitor[4:]
    if patience is not None and patience < 1:
        raise ValueError(f"patience must be a positive number of epochs or None, not {patience}")
    model.to(device)
    history = History(monitor=monitor)
    best_value, best_state, waited = None, None, 0
    bar = tqdm(range(1, epochs + 1), desc=desc, unit="epoch", disable=not progress)
    for epoch in bar:
        started = time.perf_counter()
        model.train()
        total_loss, correct, count = 0.0, 0, 0
        for batch in tqdm(train_loader, desc=f"epoch {epoch}", unit="batch", leave=False, disable=not progress):
            inputs, labels = _split(_to_device(batch, device))
            optimizer.zero_grad(set_to_none=True)
            output = model(*inputs)
            loss = _loss(loss_fn, output, labels)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            n = labels.shape[0]
            total_loss += float(loss.detach()) * n
            correct += int((_scores(output.detach())[0] == labels.reshape(-1).long()).sum())
            count += n
        if scheduler is not None:
            scheduler.step()
        row = {"epoch": epoch, "train_loss": total_loss / max(count, 1), "train_accuracy": correct / max(count, 1)}
        if val_loader is not None:
            scores = evaluate(model, val_loader, loss_fn, device)
            row.update(val_loss=scores["loss"], val_accuracy=scores["accuracy"])
        row["seconds"] = time.perf_counter() - started
        history.rows.append(row)
        bar.set_postfix({k: f"{v:.4f}" for k, v in row.items() if k not in ("epoch", "seconds")})

        if _improved(monitor, row[monitor], best_value, min_delta):
            best_value, waited, history.best_epoch = row[monitor], 0, epoch
            if restore_best:
                best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        else:
            waited += 1
            if patience is not None and waited >= patience:
                history.stopped_early = epoch < epochs
                break
    bar.close()
    if restore_best and best_state is not None:
        model.load_state_dict(best_state)
    return history
