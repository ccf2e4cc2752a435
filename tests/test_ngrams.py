"""seqnlp.ngrams: counting, MLE/add-k, Kneser-Ney and perplexity against nltk.lm."""

import math
import random
from collections import Counter

import numpy as np
import pytest
from nltk.lm import MLE, KneserNeyInterpolated, Laplace, Lidstone, Vocabulary
from nltk.util import ngrams as nltk_ngrams

from seqnlp import ngrams as ng
from seqnlp.data import nltk_corpus

TOY = [
    ["i", "live", "in", "hong", "kong"],
    ["hong", "kong", "is", "big"],
    ["i", "love", "new", "york"],
    ["new", "york", "is", "big"],
    ["i", "live", "in", "new", "york"],
    ["it", "is", "big"],
]


def nltk_text(sents, order):
    """Per sentence, the n-grams of ng.count_ngrams(sents, m) for m = 1..order."""
    return [
        [g for m in range(1, order + 1) for g in nltk_ngrams(s + [ng.EOS], m, pad_left=True, left_pad_symbol=ng.BOS)]
        for s in sents
    ]


def nltk_vocab(sents, order):
    return Vocabulary([w for s in sents for w in [ng.BOS] * (order - 1) + s + [ng.EOS]])


@pytest.fixture(scope="module")
def brown_slice():
    sents = [[w.lower() for w in s] for s in nltk_corpus("brown").sents(categories="news")[:600]]
    vocab = ng.build_vocab(sents[:500], min_count=2)
    return ng.replace_oov(sents[:500], vocab), sents[500:], vocab


def test_padding_and_counts():
    assert ng.pad_sentence(["a", "b"], 3) == ["<s>", "<s>", "a", "b", "</s>"]
    assert ng.pad_sentence(["a"], 1) == ["a", "</s>"]
    with pytest.raises(ValueError):
        ng.pad_sentence(["a"], 0)
    for n in (1, 2, 3, 4):
        want = Counter(g for s in TOY for g in nltk_ngrams(s + [ng.EOS], n, pad_left=True, left_pad_symbol=ng.BOS))
        assert ng.count_ngrams(TOY, n) == want
    assert ng.count_ngrams([[]], 2) == Counter({("<s>", "</s>"): 1})


def test_tables():
    bi = ng.count_ngrams(TOY, 2)
    assert ng.context_totals(bi)[("new",)] == 3
    assert ng.context_types(bi)[("new",)] == 1
    assert ng.continuation_counts(bi)[("is",)] == 3  # kong, york, it
    stats = ng.NgramCounts.from_sentences(TOY, 3)
    assert stats.continuation[2] == ng.continuation_counts(stats.counts[3])
    assert stats.cont_totals[1][()] == len(stats.counts[2])
    low = stats.truncated(2)
    assert low.order == 2 and 3 not in low.counts and 2 not in low.continuation
    assert "<s>" not in stats.vocabulary() and "</s>" in stats.vocabulary()


def test_vocab_and_unk():
    vocab = ng.build_vocab([["a", "a", "b"]], min_count=2)
    assert vocab == {"a", ng.UNK, ng.EOS}
    assert ng.replace_oov([["a", "b"]], vocab) == [["a", ng.UNK]]


@pytest.mark.parametrize("order", [1, 2, 3])
def test_mle_and_add_k_match_nltk(order, brown_slice):
    train, _, _ = brown_slice
    stats = ng.NgramCounts.from_sentences(train, order)
    nv = nltk_vocab(train, order)
    models = [
        (MLE(order, vocabulary=nv), 0.0),
        (Laplace(order, vocabulary=nv), 1.0),
        (Lidstone(0.1, order, vocabulary=nv), 0.1),
    ]
    rng = random.Random(order)
    grams = rng.sample(sorted(stats.counts[order]), 50)
    for ref, k in models:
        ref.fit(nltk_text(train, order))
        for g in grams + [("zzz",) * order]:
            for w in (g[-1], "the", ng.EOS):
                assert ng.add_k_prob(stats, w, g[:-1], k, len(nv)) == pytest.approx(
                    ref.unmasked_score(w, g[:-1]), abs=1e-12
                )


@pytest.mark.parametrize(("order", "discount"), [(2, 0.75), (3, 0.75), (3, 0.3), (4, 0.9)])
def test_kneser_ney_matches_nltk_and_sums_to_one(order, discount, brown_slice):
    train, held, vocab = brown_slice
    stats = ng.NgramCounts.from_sentences(train, order)
    ref = KneserNeyInterpolated(order, discount=discount, vocabulary=nltk_vocab(train, order))
    ref.fit(nltk_text(train, order))
    for g in list(ng.sentence_ngrams(held[:10], order, vocab))[:150]:
        got = ng.kneser_ney_prob(stats, g[-1], g[:-1], discount)
        assert got == pytest.approx(ref.unmasked_score(g[-1], g[:-1]), abs=1e-12)
    lm = ng.NgramLM(stats, "kneser_ney", discount=discount)
    for h in [("the",) * (order - 1), ("zzz",) * (order - 1), (ng.BOS,) * (order - 1)]:
        assert lm.distribution(h).sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("method", ["mle", "add_k", "kneser_ney"])
def test_distribution_equals_prob(method, brown_slice):
    train, _, _ = brown_slice
    lm = ng.NgramLM(ng.NgramCounts.from_sentences(train, 3), method, k=0.5)
    for h in [("of", "the"), ("zzz", "the"), ("<s>", "<s>"), ("qq", "zz")]:
        want = np.array([lm.prob(w, h) for w in lm.words])
        np.testing.assert_allclose(lm.distribution(h), want, rtol=0, atol=1e-14)


def test_perplexity_matches_nltk(brown_slice):
    train, held, vocab = brown_slice
    stats = ng.NgramCounts.from_sentences(train, 2)
    nv = Vocabulary([w for s in train for w in [ng.BOS] + s + [ng.EOS]], unk_label="<UNK>")
    ref = Laplace(2, vocabulary=nv)
    ref.fit(nltk_text(train, 2))
    lm = ng.NgramLM(stats, "add_k", k=1.0)
    grams = list(ng.sentence_ngrams(held, 2, vocab))
    # ng's |V| is the predictable vocabulary; pass NLTK's |V| to compare the aggregation itself
    ours = ng.perplexity(lambda w, h: ng.add_k_prob(stats, w, h, 1.0, len(nv)), held, 2, vocab)
    assert ours == pytest.approx(ref.perplexity(grams), rel=1e-12)
    assert lm.perplexity(held) < ours  # the smaller |V| of ng gives less mass away
    assert ng.NgramLM(stats, "mle").perplexity(held) == math.inf
    uniform = ng.perplexity(lambda w, h: 1 / 7, held, 3, vocab)
    assert uniform == pytest.approx(7.0)


def test_apply_temperature():
    p = np.array([0.5, 0.3, 0.2, 0.0])
    np.testing.assert_allclose(ng.apply_temperature(p, 1.0), p, atol=1e-15)
    q = ng.apply_temperature(p, 0.5)
    np.testing.assert_allclose(q, p**2 / (p**2).sum(), atol=1e-15)
    assert ng.apply_temperature(p, 0).tolist() == [1.0, 0.0, 0.0, 0.0]


def test_generate_is_reproducible(brown_slice):
    train, _, _ = brown_slice
    lm = ng.NgramLM(ng.NgramCounts.from_sentences(train, 2))
    a = lm.generate(np.random.default_rng(0), temperature=1.0, max_words=10)
    b = lm.generate(np.random.default_rng(0), temperature=1.0, max_words=10)
    assert a == b and 0 < len(a) <= 10 and ng.EOS not in a
    assert lm.generate(np.random.default_rng(1), temperature=0) == lm.generate(np.random.default_rng(2), temperature=0)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_numpy_counter_equals_counter(n, brown_slice):
    train, _, vocab = brown_slice
    words = sorted(vocab | {ng.BOS})
    ids = {w: i for i, w in enumerate(words)}
    encoded = [[ids[w] for w in s] for s in train] + [[]]
    keys, counts = ng.count_ngrams_numpy(encoded, n, ids[ng.BOS], ids[ng.EOS], len(ids))
    decoded = np.stack(np.unravel_index(keys, (len(ids),) * n), axis=1)
    got = {tuple(words[i] for i in row): int(c) for row, c in zip(decoded, counts, strict=True)}
    assert got == dict(ng.count_ngrams(train + [[]], n))
    with pytest.raises(ValueError):
        ng.count_ngrams_numpy(encoded, 5, 0, 1, 2**16)
