"""seqnlp.train: padding collate, loaders, the fit loop (early stopping, best weights) and predict."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from seqnlp import seed_everything
from seqnlp.train import History, evaluate, fit, move_to, pad_collate, predict, sequence_loader


def test_pad_collate_post_and_pre():
    batch = [([5, 6, 7], 1), ([8], 0), (np.array([9, 10]), 2)]
    ids, lengths, labels = pad_collate(batch)
    assert ids.dtype == torch.int64 and lengths.dtype == torch.int64 and labels.dtype == torch.int64
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0], [9, 10, 0]]
    assert lengths.tolist() == [3, 1, 2] and labels.tolist() == [1, 0, 2]
    ids, lengths, _ = pad_collate(batch, padding="pre", pad_index=-1)
    assert ids.tolist() == [[5, 6, 7], [-1, -1, 8], [-1, 9, 10]] and lengths.tolist() == [3, 1, 2]


def test_pad_collate_truncation_and_empty_sequences():
    batch = [([1, 2, 3, 4, 5], 0), ([], 1)]
    ids, lengths, _ = pad_collate(batch, maxlen=3)
    assert ids.tolist() == [[3, 4, 5], [0, 0, 0]] and lengths.tolist() == [3, 1]
    ids, _, _ = pad_collate(batch, maxlen=2, truncating="post")
    assert ids.tolist() == [[1, 2], [0, 0]]
    with pytest.raises(ValueError, match="padding"):
        pad_collate(batch, padding="middle")
    # lengths work with pack_padded_sequence as they come (CPU, int64, >= 1)
    ids, lengths, _ = pad_collate(batch)
    pack_padded_sequence(torch.zeros(2, ids.shape[1], 3), lengths, batch_first=True, enforce_sorted=False)


def test_sequence_loader_is_reproducible_with_a_seed():
    seqs = [[i] * (i % 4 + 1) for i in range(1, 21)]
    labels = np.arange(20) % 2

    def order(seed):
        return [b[0][:, 0].tolist() for b in sequence_loader(seqs, labels, batch_size=6, shuffle=True, seed=seed)]

    assert order(3) == order(3) and order(3) != order(4)
    first = next(iter(sequence_loader(seqs, labels, batch_size=4)))
    assert first[0].tolist() == [[1, 1, 0, 0], [2, 2, 2, 0], [3, 3, 3, 3], [4, 0, 0, 0]]
    with pytest.raises(ValueError, match="labels"):
        sequence_loader(seqs, labels[:3])


def test_move_to_nested():
    batch = {"x": (torch.ones(2), [torch.zeros(1)]), "n": 3}
    moved = move_to(batch, "cpu")
    assert moved["n"] == 3 and torch.equal(moved["x"][1][0], torch.zeros(1))


class Bag(nn.Module):
    """Mean of embeddings of the real tokens -> linear: enough for the toy task."""

    def __init__(self, vocab=10, classes=2, dim=8):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim, padding_idx=0)
        self.fc = nn.Linear(dim, classes)

    def forward(self, ids, lengths):
        summed = self.embedding(ids).sum(dim=1)
        return self.fc(summed / lengths.unsqueeze(1).to(summed.dtype))


def toy_data(n=400, seed=0):
    """Label 1 when token 3 occurs in the sequence."""
    rng = np.random.default_rng(seed)
    seqs = [rng.integers(4, 10, rng.integers(1, 8)).tolist() for _ in range(n)]
    labels = rng.integers(0, 2, n)
    for s, y in zip(seqs, labels, strict=True):
        if y:
            s[rng.integers(len(s))] = 3
    return seqs, labels


def test_fit_learns_and_predict_agrees_with_evaluate():
    seed_everything(0)
    seqs, labels = toy_data()
    train = sequence_loader(seqs[:300], labels[:300], batch_size=32, shuffle=True, seed=0)
    val = sequence_loader(seqs[300:], labels[300:], batch_size=64)
    model = Bag()
    history = fit(model, train, val, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.05),
                  epochs=8, device="cpu", clip_norm=1.0, progress=False)
    assert isinstance(history, History) and len(history) == 8 and not history.stopped_early
    assert history["val_accuracy"][-1] > 0.9 and history["train_loss"][-1] < history["train_loss"][0]
    assert set(history.to_frame().columns) == {"train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds"}
    assert history.best_epoch == int(np.argmin(history["val_loss"])) + 1
    import matplotlib

    matplotlib.use("Agg")
    axes = history.plot()
    assert len(axes) == 2 and axes[0].get_xlabel() == "epoch"
    y, y_hat, probs = predict(model, val, "cpu")
    assert probs.shape == (100, 2) and np.allclose(probs.sum(1), 1, atol=1e-6)
    scores = evaluate(model, val, nn.CrossEntropyLoss(), "cpu")
    assert scores["accuracy"] == pytest.approx(np.mean(y == y_hat))
    assert scores["loss"] == pytest.approx(history.best["val_loss"], rel=1e-5), "the best weights were not restored"


def test_early_stopping_and_restore_best():
    seed_everything(1)
    seqs, labels = toy_data(100)
    loader = sequence_loader(seqs, labels, batch_size=50)
    model = Bag()
    # a learning rate of zero never improves: stop after `patience` epochs past the first
    history = fit(model, loader, loader, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.0),
                  epochs=20, device="cpu", patience=2, progress=False)
    assert len(history) == 3 and history.stopped_early and history.best_epoch == 1

    model = Bag()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    # a huge learning rate makes things worse after epoch 1; restore_best brings epoch 1 back
    history = fit(model, loader, loader, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=1e4),
                  epochs=4, device="cpu", monitor="val_accuracy", progress=False)
    best = history.best_epoch
    assert evaluate(model, loader, nn.CrossEntropyLoss(), "cpu")["accuracy"] == pytest.approx(
        history["val_accuracy"][best - 1])
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items())
    with pytest.raises(ValueError, match="monitor"):
        fit(model, loader, loader, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1),
            epochs=1, device="cpu", monitor="f1", progress=False)


class OneLogit(Bag):
    def __init__(self):
        super().__init__(classes=1)


def test_binary_models_with_one_logit_and_no_validation():
    seed_everything(2)
    seqs, labels = toy_data(200)
    loader = sequence_loader(seqs, labels, batch_size=40, shuffle=True, seed=1)
    model = OneLogit()
    history = fit(model, loader, None, nn.BCEWithLogitsLoss(), torch.optim.Adam(model.parameters(), lr=0.05),
                  epochs=6, device="cpu", progress=False)
    assert history.monitor == "train_loss" and "val_loss" not in history.to_frame()
    y, y_hat, probs = predict(model, loader, "cpu")
    assert probs.shape == (200,) and np.array_equal(y_hat, (probs > 0.5).astype(int))
    assert np.mean(y == y_hat) > 0.85
