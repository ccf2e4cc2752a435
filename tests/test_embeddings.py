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
