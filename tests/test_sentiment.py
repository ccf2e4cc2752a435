"""seqnlp.sentiment: truncation, dataset and collate, bucketed batches, masked pooling, the model,
predictions for raw text, and the Keras twin."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from seqnlp.sentiment import (
    BucketBatchSampler,
    ReviewDataset,
    SentimentRNN,
    bidirectional_outputs,
    blend_log_odds,
    bucketed_loader,
    choose_blend_weight,
    collate_batch,
    encode_texts,
    log_odds,
    masked_max_mean,
    padding_share,
    predict_sentiment,
    reverse_within_length,
    truncate_head_tail,
)
from seqnlp.text import Vocab
from seqnlp.train import fit


def test_truncate_head_tail():
    seq = list(range(10))
    assert truncate_head_tail(seq, None) == seq
    assert truncate_head_tail(seq, 12, head=3) == seq
    assert truncate_head_tail(seq, 4) == [6, 7, 8, 9]  # head=0 keeps the end
    assert truncate_head_tail(seq, 4, head=1) == [0, 7, 8, 9]
    assert truncate_head_tail(seq, 4, head=4) == [0, 1, 2, 3]  # no seq[-0:] trap
    assert truncate_head_tail(np.arange(5), 3, head=2) == [0, 1, 4]
    with pytest.raises(ValueError, match="head"):
        truncate_head_tail(seq, 4, head=5)


def test_encode_texts_cleans_and_never_returns_empty():
    vocab = Vocab([["great", "film", "not", "bad"]])
    got = encode_texts(["GREAT film!<br />Not bad.", "!!! 10/10", "great " * 10], vocab, maxlen=3, head=1)
    assert got[0] == [vocab.stoi["great"], vocab.stoi["not"], vocab.stoi["bad"]]
    assert got[1] == [vocab.unk_index]
    assert len(got[2]) == 3


def test_dataset_and_collate_match_pad_sequence():
    seqs = [[5, 6, 7, 8, 9], [3], [], [0, 4]]
    ds = ReviewDataset(seqs, np.array([1, 0, 1, 2]), maxlen=4, head=1)
    assert ds.lengths == [4, 1, 1, 2]
    assert ds[0][0].tolist() == [5, 7, 8, 9] and ds[2][0].tolist() == [1]
    assert all(type(ds[i][1]) is int for i in range(len(ds)))
    ids, lengths, mask, labels = collate_batch([ds[i] for i in range(len(ds))], pad_index=2)
    want = pad_sequence([ds[i][0] for i in range(len(ds))], batch_first=True, padding_value=2)
    assert torch.equal(ids, want)
    assert lengths.tolist() == [4, 1, 1, 2] and labels.tolist() == [1, 0, 1, 2]
    assert mask.dtype == torch.bool and mask.sum(dim=1).tolist() == [4, 1, 1, 2]
    assert mask[3].tolist() == [True, True, False, False]  # token 0 is real: the mask comes from the lengths


def test_bucket_sampler_covers_everything_once_and_cuts_padding():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 400, size=1000).tolist()
    sampler = BucketBatchSampler(lengths, 32, shuffle=True, seed=1)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 32
    assert sorted(i for b in batches for i in b) == list(range(1000))
    assert list(BucketBatchSampler(lengths, 32, shuffle=True, seed=1)) == batches  # reproducible
    assert list(sampler) != batches  # a new order every epoch
    plain = list(BucketBatchSampler(lengths, 32))
    order = [i for b in plain for i in b]
    assert [lengths[i] for i in order] == sorted(lengths)
    seqs = [[2] * n for n in lengths]
    bucketed = bucketed_loader(seqs, [0] * 1000, batch_size=32, shuffle=True, seed=0)
    random = torch.utils.data.DataLoader(ReviewDataset(seqs, [0] * 1000), batch_size=32, shuffle=True,
                                         collate_fn=collate_batch)
    assert padding_share(bucketed) < 0.1 < 0.3 < padding_share(random)


def test_masked_max_mean_ignores_padding():
    torch.manual_seed(0)
    outputs = torch.randn(4, 6, 3, dtype=torch.float64) - 2
    mask = torch.rand(4, 6) < 0.6
    mask[:, 0] = True
    got = masked_max_mean(outputs, mask)
    for b in range(4):
        real = outputs[b][mask[b]]
        assert torch.allclose(got[b], torch.cat([real.max(0).values, real.mean(0)]))


def test_reverse_within_length_keeps_the_padding_in_place():
    x = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0], [6, 7, 8, 9]])
    got = reverse_within_length(x, torch.tensor([3, 2, 4]))
    assert got.tolist() == [[3, 2, 1, 0], [5, 4, 0, 0], [9, 8, 7, 6]]
    assert torch.equal(reverse_within_length(got, torch.tensor([3, 2, 4])), x)
    feats = torch.randn(3, 4, 2)
    assert torch.equal(reverse_within_length(feats, torch.tensor([3, 2, 4]))[1, 0], feats[1, 1])


@pytest.mark.parametrize("cell", [nn.LSTM, nn.GRU])
def test_bidirectional_outputs_equal_packing(cell):
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch.manual_seed(1)
    rnn = cell(6, 5, batch_first=True, bidirectional=True)
    lengths = torch.tensor([7, 3, 5, 1])
    mask = torch.arange(7)[None, :] < lengths[:, None]
    x = torch.randn(4, 7, 6, requires_grad=True)
    packed, _ = rnn(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    packed, _ = pad_packed_sequence(packed, batch_first=True, total_length=7)
    mine = bidirectional_outputs(rnn, x, lengths)
    assert mine.shape == (4, 7, 10)
    assert torch.allclose(mine[mask], packed[mask], atol=1e-6)
    grads = [torch.autograd.grad((out * mask[..., None]).square().sum(), [x, rnn.weight_hh_l0_reverse])
             for out in (packed, mine)]
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(*grads, strict=True))


@pytest.mark.parametrize("cell, packed", [("lstm", False), ("gru", False), ("lstm", True)])
def test_model_ignores_padding_and_freezes(cell, packed):
    torch.manual_seed(0)
    weights = np.random.default_rng(0).normal(size=(20, 8)).astype(np.float32)
    model = SentimentRNN(20, 3, embed_dim=8, hidden_size=5, cell=cell, embeddings=weights, freeze=True,
                         packed=packed).eval()
    assert isinstance(model.rnn, nn.LSTM if cell == "lstm" else nn.GRU)
    assert not model.embedding.weight.requires_grad and np.allclose(model.embedding.weight.detach(), weights)
    seqs = [[3, 4, 5, 6], [7], [8, 9]]
    ids, lengths, mask, _ = collate_batch([(s, 0) for s in seqs])
    with torch.no_grad():
        batch = model(ids, lengths, mask)
        wide = torch.cat([ids, torch.zeros(3, 5, dtype=torch.long)], 1)
        assert torch.allclose(model(wide, lengths), batch, atol=1e-6)  # mask rebuilt from lengths
        for b, s in enumerate(seqs):
            alone = model(torch.tensor([s]), torch.tensor([len(s)]))
            assert torch.allclose(alone[0], batch[b], atol=1e-6)


def test_sentiment_rnn_learns_a_keyword_task_with_seqnlp_fit():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    seqs, labels = [], []
    for _ in range(400):
        seq = rng.integers(4, 30, size=rng.integers(3, 12)).tolist()
        label = int(rng.integers(0, 2))
        seq[rng.integers(0, len(seq))] = 2 + label  # the keyword decides the class
        seqs.append(seq)
        labels.append(label)
    train = bucketed_loader(seqs[:300], labels[:300], batch_size=32, shuffle=True, seed=0)
    val = bucketed_loader(seqs[300:], labels[300:], batch_size=100)
    model = SentimentRNN(30, 2, embed_dim=8, hidden_size=8, dropout=0.0)
    history = fit(model, train, val, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.02),
                  epochs=15, device="cpu", patience=3, progress=False)
    assert history.best["val_accuracy"] > 0.95


def test_predict_sentiment_keeps_order_and_uses_eval_mode():
    vocab = Vocab([["good", "bad", "film"]])
    torch.manual_seed(0)
    model = SentimentRNN(len(vocab), 2, embed_dim=4, hidden_size=3, dropout=0.9).train()
    texts = ["Good film!", "", "BAD <br /> bad", "film " * 50]
    labels, probs = predict_sentiment(texts, model, vocab, ["neg", "pos"], maxlen=10, batch_size=2)
    assert not model.training
    assert probs.shape == (4, 2) and np.allclose(probs.sum(1), 1, atol=1e-6)
    again = [predict_sentiment([t], model, vocab, ["neg", "pos"], maxlen=10)[1][0] for t in texts]
    assert np.allclose(probs, np.array(again), atol=1e-6)
    assert labels == [["neg", "pos"][k] for k in probs.argmax(1)]


def test_keras_twin_respects_the_mask():
    import os

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = pytest.importorskip("keras")
    from seqnlp.sentiment import keras_batches, keras_sentiment_model

    keras.utils.set_random_seed(0)
    weights = np.random.default_rng(0).normal(size=(12, 6)).astype(np.float32)
    model = keras_sentiment_model(12, 3, embed_dim=6, hidden_size=4, embeddings=weights, freeze=True)
    embedding = next(layer for layer in model.layers if isinstance(layer, keras.layers.Embedding))
    assert not embedding.trainable and np.allclose(embedding.get_weights()[0], weights)
    short = np.array([[3, 4, 5]], dtype=np.int32)
    padded = np.array([[3, 4, 5, 0, 0, 0]], dtype=np.int32)
    assert np.allclose(model.predict(short, verbose=0), model.predict(padded, verbose=0), atol=1e-5)
    seqs, labels = [[3, 4], [5, 6, 7, 8], [9], [2, 3, 4]], [0, 1, 2, 1]
    data = keras_batches(seqs, labels, batch_size=2)
    assert sorted(data.order.tolist()) == [0, 1, 2, 3]
    widths = [x.shape[1] for x, _ in data]
    assert widths == [2, 4]  # bucketed: each batch as wide as its longest sequence


def test_log_odds_of_two_class_probabilities():
    probs = np.array([[0.2, 0.8], [0.5, 0.5], [1.0, 0.0], [0.0, 1.0]])
    z = log_odds(probs)
    assert np.allclose(z[:2], [np.log(4.0), 0.0])
    assert np.isfinite(z).all() and z[2] < -15 and z[3] > 15  # clipped, not infinite
    assert np.allclose(log_odds(probs[:, 1]), z)  # P(class 1) alone gives the same
    with pytest.raises(ValueError, match="two classes"):
        log_odds(np.full((2, 3), 1 / 3))


def test_blend_weight_is_chosen_by_held_out_cross_entropy():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=400)
    sign = 2.0 * y - 1
    good = 2.0 * sign + rng.normal(0, 1.0, size=400)  # informative scores
    noise = rng.normal(0, 3.0, size=400)  # no information at all
    weight, curve = choose_blend_weight(good, noise, y)
    assert weight > 0.7 and curve["weight"][0] == 0.0 and curve["weight"][-1] == 1.0 and len(curve["weight"]) == 101
    best = int(np.argmin(curve["log_loss"]))
    assert curve["weight"][best] == weight
    z = blend_log_odds(good, noise, weight)
    want = np.mean(np.log1p(np.exp(-sign * z)))  # cross-entropy of sigmoid(z), written another way
    assert np.isclose(curve["log_loss"][best], want)
    assert np.isclose(curve["accuracy"][best], np.mean((z > 0) == (y == 1)))
    # two halves of the same evidence, each too confident alone: the mix beats both ends
    half_a, half_b = 2.0 * (sign + rng.normal(0, 1.5, 400)), 2.0 * (sign + rng.normal(0, 1.5, 400))
    weight, curve = choose_blend_weight(half_a, half_b, y)
    assert 0.2 < weight < 0.8 and curve["log_loss"].min() < min(curve["log_loss"][0], curve["log_loss"][-1])
    assert choose_blend_weight(good, noise, y, grid=[0.0, 0.5])[0] == 0.5
    assert np.allclose(blend_log_odds(good, noise, 1.0), good) and np.allclose(blend_log_odds(good, noise, 0.0), noise)
    with pytest.raises(ValueError, match="between 0 and 1"):
        blend_log_odds(good, noise, 1.5)
    with pytest.raises(ValueError, match="labels"):
        choose_blend_weight(good, noise[:10], y)
