"""seqnlp.embeddings: the course vectors (cache, fast mode), embedding matrices, evaluation and the SGNS helpers.

Only tiny corpora here: the full-mode vectors are trained by the lesson notebooks and the benchmark.
"""

from __future__ import annotations

import os
from collections import Counter

import numpy as np
import pytest

from seqnlp import config
from seqnlp import embeddings as emb
from seqnlp.text import clean_text

DOCS = [
    "the movie was good and the actor was good".split(),
    "a bad movie with a bad actor".split(),
    "good good movie".split(),
    [],
    "the end".split(),
]


@pytest.fixture
def corpus() -> emb.TokenCorpus:
    return emb.TokenCorpus.from_tokens(DOCS)


def test_cache_dir_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("SEQNLP_CACHE", raising=False)
    assert emb.cache_dir() == emb.REPO_ROOT / ".cache" / "word2vec"
    monkeypatch.setenv("SEQNLP_CACHE", str(tmp_path))
    assert emb.cache_dir() == tmp_path / "word2vec"


def test_cache_falls_back_to_temp_dir_when_not_writable(monkeypatch, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SEQNLP_CACHE", str(blocker))  # mkdir below a regular file fails
    monkeypatch.setattr(emb.tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    folder = emb._writable_cache_dir()
    assert folder == tmp_path / "tmp" / "seqnlp-cache" / "word2vec" and folder.is_dir()
    assert "not writable" in capsys.readouterr().out


def test_tokenize_is_clean_text_split():
    text = "Great movie!<br /><br />Loved it, 10/10 :-) Don't miss it"
    assert emb.tokenize(text) == clean_text(text).split() == ["great", "movie", "loved", "it", "don", "t", "miss", "it"]


def test_token_corpus_round_trip(corpus):
    assert corpus.itos[:4] == ["good", "movie", "the", "a"]  # by decreasing count, ties alphabetical
    assert dict(zip(corpus.itos, corpus.counts.tolist(), strict=True)) == Counter(t for d in DOCS for t in d)
    assert list(corpus) == DOCS and list(corpus) == DOCS  # restartable
    assert corpus.n_tokens == sum(map(len, DOCS)) and len(corpus) == len(DOCS)
    assert corpus.offsets.tolist() == [0, 9, 16, 19, 19, 21]


def test_without_rare_and_head(corpus):
    frequent = corpus.without_rare(2)
    assert set(frequent.itos) == {w for w, c in Counter(t for d in DOCS for t in d).items() if c >= 2}
    assert list(frequent) == [[t for t in d if t in frequent.itos] for d in DOCS]
    assert list(corpus.head(2)) == DOCS[:2] and corpus.head(99).n_tokens == corpus.n_tokens


def test_noise_and_keep_probability_match_gensim():
    from gensim.models import Word2Vec

    freqs = {"the": 900, "a": 400, "movie": 120, "good": 50, "bad": 33, "boring": 7, "excellent": 2}
    model = Word2Vec(vector_size=4, min_count=1, sample=0.01, negative=5, workers=1)
    model.build_vocab_from_freq(freqs)
    counts = np.array([freqs[w] for w in model.wv.index_to_key])
    gensim_noise = np.diff(np.concatenate([[0], model.cum_table])) / model.cum_table[-1]
    assert np.allclose(emb.noise_distribution(counts), gensim_noise, atol=1e-8)
    sample_int = np.array([model.wv.get_vecattr(w, "sample_int") for w in model.wv.index_to_key])
    assert np.allclose(emb.keep_probability(counts, 0.01), np.minimum(1, sample_int / 2**32), atol=1e-8)
    assert np.all(emb.keep_probability(counts, 0) == 1.0)


def test_unigram_table_draws_from_the_noise():
    noise = np.array([0.5, 0.25, 0.125, 0.125])
    table = emb.unigram_table(noise, size=100_000)
    assert np.allclose(np.bincount(table, minlength=4) / len(table), noise, atol=1e-4)


def brute_force_pairs(docs, window):
    return Counter((d[i], d[j]) for d in docs for i in range(len(d)) for j in range(len(d)) if 0 < abs(i - j) <= window)


@pytest.mark.parametrize("window", [1, 2, 5])
def test_skipgram_batches_fixed_window_gives_every_pair(corpus, window):
    rng = np.random.default_rng(0)
    batches = list(emb.skipgram_batches(corpus, window, None, 7, rng, dynamic_window=False, chunk_tokens=6))
    pairs = Counter((corpus.itos[c], corpus.itos[o]) for cs, os_, _ in batches for c, o in zip(cs, os_, strict=True))
    assert pairs == brute_force_pairs(DOCS, window)  # documents are never crossed, chunks never cut a document
    assert all(len(cs) <= 7 for cs, _, _ in batches)
    assert batches[-1][2] == corpus.n_tokens and all(a[2] <= b[2] for a, b in zip(batches, batches[1:], strict=False))


def test_skipgram_batches_dynamic_window_and_subsampling(corpus):
    rng = np.random.default_rng(1)
    every = brute_force_pairs(DOCS, 3)
    seen = Counter()
    for _ in range(30):
        for cs, os_, _ in emb.skipgram_batches(corpus, 3, None, 100, rng):
            seen.update((corpus.itos[c], corpus.itos[o]) for c, o in zip(cs, os_, strict=True))
    assert set(seen) <= set(every)
    near = sum(v for (a, b), v in seen.items() if (a, b) == ("good", "and"))
    assert near > 0
    keep = np.ones(len(corpus.itos))
    keep[corpus.itos.index("good")] = 0.0  # never kept
    for cs, os_, _ in emb.skipgram_batches(corpus, 2, keep, 100, rng):
        assert corpus.itos.index("good") not in set(cs) | set(os_)


def _sgns_reference_step(center_weight, context_weight, centers, contexts, negatives_per_pair, lr, skip_target=False):
    """Autograd on the summed per-pair SGNS losses (lesson 04's SkipGramNS loss), then one plain SGD step;
    ``skip_target``: word2vec's loop, which skips a negative equal to the pair's context word."""
    import torch
    import torch.nn.functional as F

    v_w = center_weight.clone().requires_grad_(True)
    u_w = context_weight.clone().requires_grad_(True)
    v = v_w[centers]
    scores = torch.cat([(u_w[contexts] * v).sum(1, keepdim=True), torch.einsum("bkd,bd->bk", u_w[negatives_per_pair], v)], 1)
    terms = -F.logsigmoid(torch.cat([scores[:, :1], -scores[:, 1:]], 1))
    if skip_target:
        keep = torch.cat([torch.ones(len(contexts), 1, dtype=torch.bool), negatives_per_pair != contexts[:, None]], 1)
        terms = terms * keep
    losses = terms.sum(1)
    losses.sum().backward()
    with torch.no_grad():
        return v_w - lr * v_w.grad, u_w - lr * u_w.grad, float(losses.mean())


@pytest.mark.parametrize("n_pairs, n_groups", [(12, 12), (12, 3), (10, 4), (7, 1)])
def test_sgns_sgd_step_is_sgd_on_the_summed_loss_with_shared_negatives(n_pairs, n_groups):
    import torch

    gen = torch.Generator().manual_seed(n_pairs * 10 + n_groups)
    V, d, K = 9, 4, 3
    center_weight = torch.randn(V, d, generator=gen, dtype=torch.float64)
    context_weight = torch.randn(V, d, generator=gen, dtype=torch.float64)
    centers = torch.randint(V, (n_pairs,), generator=gen)
    contexts = torch.randint(V, (n_pairs,), generator=gen)
    negatives = torch.randint(V, (n_groups, K), generator=gen)
    group = -(-n_pairs // n_groups)
    per_pair = negatives[torch.arange(n_pairs) // group]  # pair b uses the negatives of group b // g
    want_v, want_u, want_loss = _sgns_reference_step(center_weight, context_weight, centers, contexts, per_pair, 0.1)
    loss = emb.sgns_sgd_step(center_weight, context_weight, centers, contexts, negatives, 0.1, max_repeats=None)
    assert loss == pytest.approx(want_loss, rel=1e-12)
    assert torch.allclose(center_weight, want_v, atol=1e-12) and torch.allclose(context_weight, want_u, atol=1e-12)


@pytest.mark.parametrize("n_pairs, n_groups", [(12, 12), (12, 3), (10, 4)])
def test_sgns_sgd_step_skips_a_negative_that_is_the_context_word(n_pairs, n_groups):
    import torch

    gen = torch.Generator().manual_seed(n_pairs + n_groups)
    V, d, K = 4, 3, 3  # 4 words and 3 negatives per group: many negatives equal a pair's context
    center_weight = torch.randn(V, d, generator=gen, dtype=torch.float64)
    context_weight = torch.randn(V, d, generator=gen, dtype=torch.float64)
    centers, contexts = torch.randint(V, (n_pairs,), generator=gen), torch.randint(V, (n_pairs,), generator=gen)
    negatives = torch.randint(V, (n_groups, K), generator=gen)
    per_pair = negatives[torch.arange(n_pairs) // -(-n_pairs // n_groups)]
    assert (per_pair == contexts[:, None]).any() and (per_pair != contexts[:, None]).any()
    want_v, want_u, want_loss = _sgns_reference_step(center_weight, context_weight, centers, contexts, per_pair, 0.1,
                                                     skip_target=True)
    loss = emb.sgns_sgd_step(center_weight, context_weight, centers, contexts, negatives, 0.1, max_repeats=None,
                             skip_target=True)
    assert loss == pytest.approx(want_loss, rel=1e-12)
    assert torch.allclose(center_weight, want_v, atol=1e-12) and torch.allclose(context_weight, want_u, atol=1e-12)


def test_sgns_sgd_step_caps_the_step_of_a_repeated_word():
    import torch

    V, d = 6, 3
    center_weight = torch.full((V, d), 0.5)
    context_weight = torch.full((V, d), 0.25)
    centers = torch.tensor([0, 0, 0, 0, 1])  # word 0 is the center of 4 pairs, word 1 of one
    contexts = torch.tensor([2, 2, 2, 2, 3])
    negatives = torch.tensor([[4], [4], [4], [4], [5]])
    before_v, before_u = center_weight.clone(), context_weight.clone()
    free_v, free_u = center_weight.clone(), context_weight.clone()
    emb.sgns_sgd_step(free_v, free_u, centers, contexts, negatives, 0.1, max_repeats=None)
    emb.sgns_sgd_step(center_weight, context_weight, centers, contexts, negatives, 0.1, max_repeats=2)
    assert torch.allclose(center_weight[0] - before_v[0], (free_v[0] - before_v[0]) / 2)  # 4 > 2 repeats: half the sum
    assert torch.allclose(center_weight[1], free_v[1]) and torch.allclose(context_weight[[3, 5]], free_u[[3, 5]])
    assert torch.allclose(context_weight[2] - before_u[2], (free_u[2] - before_u[2]) / 2)
    assert torch.equal(center_weight[2:], before_v[2:]) and torch.equal(context_weight[:2], before_u[:2])  # untouched rows
    with pytest.raises(ValueError, match="groups"):
        emb.sgns_sgd_step(center_weight, context_weight, centers[:3], contexts[:3], negatives[:4], 0.1)  # 4 groups, 3 pairs


def test_train_sgns_learns_and_reports(corpus):
    import torch

    big = emb.TokenCorpus.from_tokens([doc for doc in DOCS for _ in range(40)])
    center = torch.empty(len(big.itos), 8).uniform_(-0.5 / 8, 0.5 / 8)
    context = torch.zeros(len(big.itos), 8)
    facts = emb.train_sgns(big, center, context, epochs=3, window=2, negative=3, sample=0, batch_size=64,
                           group=8, lr_start=0.05, progress=False)
    assert facts["batches"] == len(facts["losses"]) > 10 and facts["seconds"] > 0 and facts["cpu_seconds"] >= 0
    assert facts["words_per_second"] == pytest.approx(3 * big.n_tokens / facts["seconds"])
    assert np.mean(facts["losses"][-5:]) < np.mean(facts["losses"][:5]) < 4 * np.log(2) + 1e-6  # (1 + K) log 2 at the start
    assert context.abs().sum() > 0 and torch.isfinite(center).all()


def test_vectors_from_matrix_and_embedding_matrix():
    words = ["good", "bad", "movie"]
    matrix = np.arange(12, dtype=np.float32).reshape(3, 4)
    kv = emb.vectors_from_matrix(matrix, words)
    assert kv.index_to_key == words and np.array_equal(kv["bad"], matrix[1])
    itos = ["<pad>", "<unk>", "movie", "excellent", "good"]
    zero = emb.embedding_matrix(kv, itos, 4, oov="zero")
    assert zero.shape == (5, 4) and zero.dtype == np.float32
    assert np.array_equal(zero[2], matrix[2]) and np.array_equal(zero[4], matrix[0])
    assert not zero[[0, 1, 3]].any() and emb.embedding_matrix.last_coverage == pytest.approx(2 / 5)
    rand = emb.embedding_matrix(kv, itos, 4, oov="random", seed=3)
    assert not rand[0].any() and rand[1].any() and rand[3].any() and np.array_equal(rand[2], matrix[2])
    assert np.array_equal(rand, emb.embedding_matrix(kv, itos, 4, seed=3))
    with pytest.raises(ValueError, match="dim"):
        emb.embedding_matrix(kv, itos, 5)
    with pytest.raises(ValueError, match="oov"):
        emb.embedding_matrix(kv, itos, 4, oov="mean")


def test_evaluate_vectors_agrees_with_gensim():
    from gensim.test.utils import datapath

    rng = np.random.default_rng(0)
    words = ["man", "woman", "king", "queen", "boy", "girl", "good", "better", "bad", "worse", "tiger", "cat"]
    kv = emb.vectors_from_matrix(rng.normal(size=(len(words), 8)).astype(np.float32), words)
    scores = emb.evaluate_vectors(kv)
    accuracy, _ = kv.evaluate_word_analogies(datapath("questions-words.txt"))
    assert scores["analogy_accuracy"] == pytest.approx(accuracy)
    assert scores["analogy_total"] == 19544 and 0 < scores["analogy_covered"] < 100
    assert -1 <= scores["wordsim353_spearman"] <= 1 and 0 < scores["wordsim353_oov"] < 1
    assert set(scores["analogy_sections"]) <= {
        line[2:].strip() for line in open(datapath("questions-words.txt")) if line.startswith(":")
    }


def test_course_vectors_fast_mode_trains_once_then_loads(monkeypatch, tmp_path, capsys):
    assert config.is_fast(), "the test suite runs in fast mode"
    monkeypatch.setenv("SEQNLP_CACHE", str(tmp_path))
    monkeypatch.setattr(emb, "FAST_REVIEWS_PER_SPLIT", 60)
    vectors = emb.course_vectors(dim=16, epochs=2)
    log = capsys.readouterr().out
    assert "not in the cache" in log and "trained in" in log
    path = tmp_path / "word2vec" / f"imdb_sg_d16_e2_v{emb.CORPUS_VERSION}_fast.kv"
    assert path.is_file() and path.with_suffix(".json").is_file()
    assert vectors.vector_size == 16 and len(vectors) > 100 and "movie" in vectors.key_to_index
    assert vectors.training["mode"] == "fast" and vectors.training["reviews"] == 120
    again = emb.course_vectors(dim=16, epochs=2)
    assert capsys.readouterr().out == "" and np.array_equal(again.vectors, vectors.vectors)
    assert not [p for p in os.listdir(tmp_path / "word2vec") if ".tmp" in p]
    rebuilt = emb.course_vectors(dim=16, epochs=2, rebuild=True)
    assert "rebuilding" in capsys.readouterr().out and len(rebuilt) == len(vectors)
