"""Word vectors (lesson 04): the course's own "pretrained" Word2Vec vectors and the SGNS helpers.

The course ships no GloVe or GoogleNews vectors, so it trains its own: gensim's skip-gram with
negative sampling on the IMDB reviews of ``train`` + ``unsup`` (75,000 reviews, about 17.8M
tokens), tokenized exactly like every lesson does (:func:`tokenize`: lesson 01's
``clean_text`` then ``str.split``). Later lessons load them with one call::

    from seqnlp.embeddings import course_vectors, embedding_matrix

    vectors = course_vectors()                           # gensim KeyedVectors, 100-d
    vectors.most_similar("excellent", topn=5)
    weights = embedding_matrix(vectors, vocab.itos, 100)  # rows for an Embedding layer

The first call trains them (about four minutes on two CPU cores) and saves them under
:func:`cache_dir` (``.cache/word2vec/`` at the repository root, git-ignored; the environment
variable ``SEQNLP_CACHE`` moves the cache root); later calls load the file in a second. In
fast mode (CI, autograding) the full model is never trained: a tiny model is trained on the
fast-mode slice of the reviews (seconds) and cached under another file name.

The rest of the module is lesson 04's skip-gram machinery, vectorized for a whole corpus:
:func:`noise_distribution`, :func:`keep_probability`, :func:`skipgram_batches` and
:func:`vectors_from_matrix` (PyTorch-trained vectors -> ``KeyedVectors`` for evaluation).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import config
from .data import REPO_ROOT, load_imdb
from .exercises import exercise
from .text import clean_text

__all__ = [
    "W2V_PARAMS",
    "TokenCorpus",
    "cache_dir",
    "course_vectors",
    "embedding_matrix",
    "evaluate_vectors",
    "imdb_corpus",
    "keep_probability",
    "noise_distribution",
    "sgns_sgd_step",
    "skipgram_batches",
    "tokenize",
    "train_sgns",
    "unigram_table",
    "vectors_from_matrix",
]

# gensim Word2Vec settings of the course vectors (besides vector_size and epochs).
W2V_PARAMS: dict = {
    "sg": 1,  # skip-gram (0 would be CBOW)
    "hs": 0,  # no hierarchical softmax ...
    "negative": 5,  # ... but negative sampling with 5 noise words per pair
    "ns_exponent": 0.75,  # noise distribution: unigram counts ** 0.75
    "window": 5,  # up to 5 words on each side (the effective window is drawn from 1..5)
    "sample": 1e-3,  # subsampling threshold of frequent words
    "min_count": 10,  # ignore words seen fewer than 10 times
    "alpha": 0.025,  # learning rate, decaying linearly ...
    "min_alpha": 0.0001,  # ... to this
}
CORPUS_SPLITS = ("train", "unsup")
FAST_REVIEWS_PER_SPLIT = 500  # fast mode: the first 500 reviews of each split's fast-mode slice
CORPUS_VERSION = 1  # bump when the tokenizer or the corpus changes: cached files get new names
WORDS_PER_SECOND_GUESS = 400_000  # gensim skip-gram on two CPU cores, for the time estimate in the log


def _log(message: str) -> None:
    print(f"seqnlp.embeddings: {message}", flush=True)


# --------------------------------------------------------------------------- cache


def cache_dir() -> Path:
    """Folder of the cached word vectors: ``$SEQNLP_CACHE/word2vec``, by default ``<repo>/.cache/word2vec``.

    The folder is created when something is saved into it. Where it cannot be written (a
    read-only checkout, the grading sandbox) the files go to ``<temp dir>/seqnlp-cache/word2vec``.
    """
    root = os.environ.get("SEQNLP_CACHE", "").strip()
    return (Path(root) if root else REPO_ROOT / ".cache") / "word2vec"


def _writable_cache_dir() -> Path:
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
        return folder
    except OSError:
        fallback = Path(tempfile.gettempdir()) / "seqnlp-cache" / "word2vec"
        fallback.mkdir(parents=True, exist_ok=True)
        _log(f"{folder} is not writable; caching in {fallback} instead")
        return fallback


def _find_cached(name: str) -> Path | None:
    for folder in (cache_dir(), Path(tempfile.gettempdir()) / "seqnlp-cache" / "word2vec"):
        if (folder / name).is_file():
            return folder / name
    return None


@contextlib.contextmanager
def _build_lock(folder: Path, name: str) -> Iterator[None]:
    """One builder at a time per cached file (two notebooks may ask for the vectors at once)."""
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _mode_suffix() -> str:
    return "_fast" if config.is_fast() else ""


# --------------------------------------------------------------------------- corpus


def tokenize(text: str) -> list[str]:
    """The course's tokens: lesson 01's ``clean_text`` (no tags, URLs, punctuation, digits or emoji;
    lowercase), split on spaces."""
    return clean_text(text).split()


@dataclass
class TokenCorpus:
    """A tokenized corpus held as integer ids: all documents concatenated in ``ids``.

    ``itos[i]`` is the token of id ``i``; ids are ordered by decreasing count (ties
    alphabetical), ``counts[i]`` is the count of ``itos[i]``; ``lengths[d]`` is the number of
    tokens of document ``d``. Iterating yields each document as a list of tokens (the shape
    gensim wants), any number of times.
    """

    ids: np.ndarray
    lengths: np.ndarray
    itos: list[str]
    counts: np.ndarray

    @property
    def offsets(self) -> np.ndarray:
        """Start of every document in ``ids``, plus the total length at the end."""
        return np.concatenate([[0], np.cumsum(self.lengths)]).astype(np.int64)

    @property
    def n_tokens(self) -> int:
        return int(len(self.ids))

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self) -> Iterator[list[str]]:
        itos, offsets = self.itos, self.offsets
        for start, stop in zip(offsets[:-1], offsets[1:], strict=True):
            yield [itos[i] for i in self.ids[start:stop].tolist()]

    def without_rare(self, min_count: int) -> TokenCorpus:
        """The corpus without the words seen fewer than ``min_count`` times (what gensim's ``min_count`` does).

        The remaining words keep their ids (they are the most frequent ones, so a prefix of ``itos``).
        """
        n_keep = int(np.sum(self.counts >= min_count))
        kept = self.ids < n_keep
        doc_of = np.repeat(np.arange(len(self.lengths)), self.lengths)
        lengths = np.bincount(doc_of[kept], minlength=len(self.lengths)).astype(np.int64)
        return TokenCorpus(self.ids[kept], lengths, self.itos[:n_keep], self.counts[:n_keep])

    def head(self, n_docs: int) -> TokenCorpus:
        """The first ``n_docs`` documents (same vocabulary and counts)."""
        n_docs = min(n_docs, len(self.lengths))
        return TokenCorpus(self.ids[: int(self.lengths[:n_docs].sum())], self.lengths[:n_docs], self.itos, self.counts)

    @classmethod
    def from_tokens(cls, documents: Sequence[Sequence[str]]) -> TokenCorpus:
        """Build from token lists (ids by decreasing count, ties alphabetical)."""
        counts = Counter(token for doc in documents for token in doc)
        itos = sorted(counts, key=lambda t: (-counts[t], t))
        stoi = {token: i for i, token in enumerate(itos)}
        ids = np.fromiter((stoi[t] for doc in documents for t in doc), dtype=np.int32)
        lengths = np.array([len(doc) for doc in documents], dtype=np.int64)
        return cls(ids, lengths, itos, np.array([counts[t] for t in itos], dtype=np.int64))


def imdb_corpus(splits: Sequence[str] = CORPUS_SPLITS) -> TokenCorpus:
    """IMDB reviews of ``splits`` (default train + unsup), tokenized with :func:`tokenize`, cached.

    In fast mode it takes :data:`FAST_REVIEWS_PER_SPLIT` reviews of each split's fast-mode slice.
    Tokenizing the full 75,000 reviews takes about a minute; the result is cached in
    :func:`cache_dir` as an ``.npz`` file.
    """
    name = f"imdb_{'+'.join(splits)}_tokens_v{CORPUS_VERSION}{_mode_suffix()}.npz"
    cached = _find_cached(name)
    if cached is not None:
        with np.load(cached, allow_pickle=False) as data:
            return TokenCorpus(data["ids"], data["lengths"], data["itos"].tolist(), data["counts"])
    limit = FAST_REVIEWS_PER_SPLIT if config.is_fast() else None
    texts = [text for split in splits for text in load_imdb(split, limit=limit).text]
    corpus = TokenCorpus.from_tokens([tokenize(text) for text in texts])
    folder = _writable_cache_dir()
    tmp = folder / f".{name}.{os.getpid()}.tmp.npz"
    np.savez(tmp, ids=corpus.ids, lengths=corpus.lengths, itos=np.array(corpus.itos), counts=corpus.counts)
    os.replace(tmp, folder / name)
    return corpus


# --------------------------------------------------------------------------- gensim vectors


def _stable_hash(text: str) -> int:
    """A hash that does not change between Python processes (gensim seeds each word's initial vector with it)."""
    return zlib.crc32(text.encode("utf-8"))


def _quiet_gensim():
    """Keep gensim's log (INFO progress, harmless warnings) off stderr while it trains or evaluates."""
    return _LoggerLevel("gensim", logging.ERROR)


class _LoggerLevel:
    def __init__(self, name: str, level: int):
        self.logger, self.level = logging.getLogger(name), level

    def __enter__(self):
        self.saved = self.logger.level
        self.logger.setLevel(self.level)

    def __exit__(self, *exc):
        self.logger.setLevel(self.saved)


def train_word2vec(corpus: TokenCorpus, dim: int = 100, epochs: int = 5, workers: int | None = None, **overrides):
    """gensim ``Word2Vec`` with the course settings (:data:`W2V_PARAMS`, ``overrides`` win) on ``corpus``.

    Returns ``(model, seconds)``. ``workers`` defaults to the number of CPU cores, at most 4.
    """
    from gensim.models import Word2Vec

    params = {**W2V_PARAMS, **overrides}
    workers = workers or min(4, os.cpu_count() or 1)
    started = time.perf_counter()
    with _quiet_gensim():
        model = Word2Vec(
            corpus, vector_size=dim, epochs=epochs, workers=workers, seed=0, hashfxn=_stable_hash, **params
        )
    return model, time.perf_counter() - started


def course_vectors(dim: int = 100, epochs: int = 5, rebuild: bool = False):
    """The course's word vectors: gensim skip-gram (:data:`W2V_PARAMS`) on IMDB train + unsup.

    Returns a ``gensim.models.KeyedVectors`` (keys are :func:`tokenize` tokens, lowercase).
    Loaded from :func:`cache_dir` when there, trained and saved otherwise (``rebuild=True``
    retrains). Full mode: 75,000 reviews, about four minutes on two CPU cores. Fast mode: the
    fast-mode slice of the reviews, a few seconds, cached as ``*_fast.kv``. Training facts
    (tokens, seconds, words per second) are saved beside the vectors and available as
    ``vectors.training``.
    """
    from gensim.models import KeyedVectors

    name = f"imdb_sg_d{dim}_e{epochs}_v{CORPUS_VERSION}{_mode_suffix()}"
    cached = None if rebuild else _find_cached(f"{name}.kv")
    if cached is None:
        folder = _writable_cache_dir()
        with _build_lock(folder, name):
            cached = None if rebuild else _find_cached(f"{name}.kv")  # built meanwhile by another process?
            if cached is None:
                cached = _build_course_vectors(folder, name, dim, epochs, rebuild)
    vectors = KeyedVectors.load(str(cached))
    info = cached.with_suffix(".json")
    vectors.training = json.loads(info.read_text()) if info.is_file() else {}
    return vectors


def _build_course_vectors(folder: Path, name: str, dim: int, epochs: int, rebuild: bool = False) -> Path:
    what = "the fast-mode slice of" if config.is_fast() else "all of"
    why = "rebuilding them" if rebuild else "they are not in the cache"
    _log(f"course vectors {name}: {why}; tokenizing {what} IMDB {' + '.join(CORPUS_SPLITS)} ...")
    started = time.perf_counter()
    corpus = imdb_corpus()
    guess = epochs * corpus.n_tokens / WORDS_PER_SECOND_GUESS
    _log(
        f"training gensim skip-gram ({dim}-d, {epochs} epochs) on {len(corpus):,} reviews, "
        f"{corpus.n_tokens:,} tokens: about {guess:.0f} s on two CPU cores"
    )
    model, seconds = train_word2vec(corpus, dim=dim, epochs=epochs)
    path = folder / f"{name}.kv"
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:  # a file handle keeps every array in one file, so the rename is atomic
        model.wv.save(fh)
    os.replace(tmp, path)
    facts = {
        "corpus": f"IMDB {' + '.join(CORPUS_SPLITS)}",
        "mode": config.MODE,
        "reviews": len(corpus),
        "tokens": corpus.n_tokens,
        "vocabulary": len(model.wv),
        "dim": dim,
        "epochs": epochs,
        "params": W2V_PARAMS,
        "workers": model.workers,
        "train_seconds": round(seconds, 1),
        "words_per_second": round(epochs * corpus.n_tokens / seconds),
        "gensim": __import__("gensim").__version__,
    }
    path.with_suffix(".json").write_text(json.dumps(facts, indent=1))
    _log(
        f"trained in {seconds:.0f} s ({facts['words_per_second']:,} words/s; "
        f"{time.perf_counter() - started:.0f} s with tokenizing); saved to {path}"
    )
    return path


def embedding_matrix(vectors, itos: list[str], dim: int, oov: str = "random", seed: int = 0) -> np.ndarray:
    """Rows of an embedding layer for the vocabulary ``itos``: ``float32`` of shape ``(len(itos), dim)``.

    Row ``i`` is ``vectors[itos[i]]`` when the word has a vector. ``"<pad>"`` gets a zero row.
    Every other word without a vector (``"<unk>"`` included) gets, with ``oov="random"``, a
    random normal row with the standard deviation of the known vectors (drawn with ``seed``,
    so a trainable layer can tell them apart), or with ``oov="zero"`` a zero row (what the
    notes do with GoogleNews vectors, sensible for a frozen layer). ``dim`` must be the
    vectors' size. ``embedding_matrix.last_coverage`` holds the share of ``itos`` found.
    """
    if dim != vectors.vector_size:
        raise ValueError(f"dim={dim} but the vectors have {vectors.vector_size} dimensions")
    if oov not in ("random", "zero"):
        raise ValueError(f"oov must be 'random' or 'zero', not {oov!r}")
    found = np.array([word in vectors.key_to_index for word in itos], dtype=bool)
    out = np.zeros((len(itos), dim), dtype=np.float32)
    if found.any():
        out[found] = vectors[[w for w, f in zip(itos, found, strict=True) if f]]
    if oov == "random":
        scale = float(vectors.vectors.std()) if len(vectors) else 1.0
        missing = ~found & (np.array(itos, dtype=object) != "<pad>")
        rng = np.random.default_rng(seed)
        out[missing] = rng.normal(0.0, scale, size=(int(missing.sum()), dim)).astype(np.float32)
    embedding_matrix.last_coverage = float(found.mean()) if len(itos) else 0.0
    return out


embedding_matrix.last_coverage = 0.0


def evaluate_vectors(vectors) -> dict:
    """Analogy accuracy and word-similarity correlation with the test sets gensim ships.

    - ``analogy_accuracy``: share of Mikolov et al.'s ``questions-words.txt`` analogies
      (a : b :: c : ?, 3CosAdd, query words excluded) answered right, over the questions whose
      four words all have vectors (``analogy_covered`` of ``analogy_total``); per section in
      ``analogy_sections``.
    - ``wordsim353_spearman`` (and ``_pearson``): rank correlation between cosine similarities
      and human ratings on WordSim-353, over the pairs with vectors (``wordsim353_oov`` is the
      share of pairs skipped).
    """
    from gensim.test.utils import datapath

    with _quiet_gensim():
        score, sections = vectors.evaluate_word_analogies(datapath("questions-words.txt"))
        pearson, spearman, oov_ratio = vectors.evaluate_word_pairs(datapath("wordsim353.tsv"))
    total = sections[-1]
    covered = len(total["correct"]) + len(total["incorrect"])
    with open(datapath("questions-words.txt"), encoding="utf-8") as fh:
        questions = sum(1 for line in fh if line.strip() and not line.startswith(":"))
    per_section = {
        s["section"]: len(s["correct"]) / (len(s["correct"]) + len(s["incorrect"]))
        for s in sections[:-1]
        if s["correct"] or s["incorrect"]
    }
    return {
        "analogy_accuracy": float(score) if covered else 0.0,
        "analogy_covered": covered,
        "analogy_total": questions,
        "analogy_sections": per_section,
        "wordsim353_spearman": float(spearman.statistic if hasattr(spearman, "statistic") else spearman[0]),
        "wordsim353_pearson": float(pearson.statistic if hasattr(pearson, "statistic") else pearson[0]),
        "wordsim353_oov": float(oov_ratio) / 100.0,
    }


def vectors_from_matrix(matrix: np.ndarray, itos: Sequence[str]):
    """A ``gensim.models.KeyedVectors`` holding row ``i`` of ``matrix`` as the vector of ``itos[i]``.

    Use it to evaluate or query vectors trained elsewhere (PyTorch) with gensim's tools.
    Keep ``itos`` in decreasing frequency order: gensim's analogy test only looks at the
    first 300,000 keys.
    """
    from gensim.models import KeyedVectors

    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.shape[0] != len(itos):
        raise ValueError(f"{matrix.shape[0]} rows for {len(itos)} words")
    kv = KeyedVectors(vector_size=matrix.shape[1])
    kv.add_vectors(list(itos), matrix)
    return kv


# --------------------------------------------------------------------------- skip-gram with negative sampling


@exercise("04_word2vec", "ex_sampling")
def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """Negative-sampling distribution: ``counts ** power``, normalized to sum to 1 (float64)."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


@exercise("04_word2vec", "ex_sampling")
def keep_probability(counts: np.ndarray, sample: float = 1e-3) -> np.ndarray:
    """Probability of keeping each occurrence of a word under word2vec's subsampling (gensim's formula).

    With ``f = count / total``: ``min(1, (sqrt(f / sample) + 1) * sample / f)``; ``sample=0``
    keeps everything.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.ones_like(counts)
    f = counts / counts.sum()
    with np.errstate(divide="ignore"):
        keep = (np.sqrt(f / sample) + 1.0) * sample / f
    return np.minimum(keep, 1.0)


def unigram_table(noise: np.ndarray, size: int = 10_000_000) -> np.ndarray:
    """word2vec's sampling table: word ``i`` fills about ``noise[i] * size`` slots, so ``table[random index]``
    draws from ``noise`` (much faster than ``np.random.choice(p=...)`` for millions of draws)."""
    cumulative = np.cumsum(np.asarray(noise, dtype=np.float64))
    bounds = np.round(cumulative / cumulative[-1] * size).astype(np.int64)  # word i ends at slot bounds[i]
    return np.repeat(np.arange(len(bounds), dtype=np.int32), np.diff(bounds, prepend=0))


def sgns_sgd_step(
    center_weight,
    context_weight,
    centers,
    contexts,
    negatives,
    lr: float,
    max_repeats: float | None = 32.0,
    skip_target: bool = False,
):
    """One SGD step of skip-gram with negative sampling on a batch, negatives shared by groups of pairs.

    ``center_weight`` (the ``v_w``) and ``context_weight`` (the ``u_w``) are float ``(V, d)``
    tensors, updated in place. ``centers`` and ``contexts``: int64 ``(B,)``; ``negatives``: int64
    ``(G, K)``, shared by groups of ``g = ceil(B / G)`` consecutive pairs: pair ``b`` uses row
    ``b // g`` (``G = B`` is word2vec's own K negatives per pair). The loss of pair ``b`` is
    lesson 04's ``-log s(u_o.v_c) - sum_k log s(-u_k.v_c)``; the gradients are written by hand
    as matrix products (the ``K`` negative scores of a group are ``V_group @ N_group.T``) and
    added to the rows the batch touches with ``index_add_`` (sparse SGD, no autograd, no
    optimizer state), summed over the pairs like word2vec's one-pair-at-a-time updates, except
    that a word that occurs ``n > max_repeats`` times in the batch (as a center, or in the
    context table as a context or negative) has its summed gradient scaled by
    ``max_repeats / n``: ``n`` gradients computed at the same old vectors would overshoot.
    ``max_repeats=None`` sums everything. ``skip_target=True`` drops a negative that is the pair's
    own context word from its loss and gradient, as word2vec does (``if (target == word) continue``):
    otherwise a frequent word drawn as noise for a group would also be pushed away from the centers
    it is the context of. Returns the mean loss per pair (before the step), a float.
    """
    import torch
    import torch.nn.functional as F

    n_pairs, dim = len(centers), center_weight.shape[1]
    n_groups, k = negatives.shape
    group = -(-n_pairs // n_groups)
    if group * (n_groups - 1) >= n_pairs:
        raise ValueError(f"{n_groups} groups of negatives for {n_pairs} pairs: some groups would have no pair")
    pad = n_groups * group - n_pairs
    v = center_weight.index_select(0, centers)  # (B, d)
    u = context_weight.index_select(0, contexts)  # (B, d)
    noise = context_weight.index_select(0, negatives.reshape(-1)).view(n_groups, k, dim)  # (G, K, d)
    positive = torch.linalg.vecdot(v, u)  # (B,) u_o.v_c
    v_groups = (F.pad(v, (0, 0, 0, pad)) if pad else v).view(n_groups, group, dim)
    negative = torch.bmm(v_groups, noise.transpose(1, 2))  # (G, g, K) u_k.v_c: one matrix product per group
    loss = -(F.logsigmoid(positive).sum() + F.logsigmoid(-negative).flatten(0, 1)[:n_pairs].sum()) / n_pairs
    g_positive = torch.sigmoid(positive) - 1.0  # dJ/d(u_o.v_c), (B,)
    g_negative = torch.sigmoid(negative)  # dJ/d(u_k.v_c), (G, g, K)
    if pad:
        g_negative.view(-1, k)[n_pairs:] = 0.0  # the padding rows are no pairs
    if skip_target:  # a pair's negative that is its own context word: no term (the padding has context -1)
        targets = F.pad(contexts, (0, pad), value=-1) if pad else contexts
        hit = targets.view(n_groups, group, 1) == negatives.view(n_groups, 1, k)  # (G, g, K)
        g_negative = g_negative.masked_fill(hit, 0.0)
        loss = loss + F.logsigmoid(-negative).masked_fill(~hit, 0.0).sum() / n_pairs
    g_center_positive, g_center_negative = g_positive, g_negative
    g_context, g_noise = g_positive, g_negative
    if max_repeats is not None:  # scale the per-pair coefficients: no extra pass over (B, d) arrays
        center_scale = _repeat_scale(centers, len(center_weight), max_repeats)  # (B,)
        out_scale = _repeat_scale(torch.cat([contexts, negatives.reshape(-1)]), len(context_weight), max_repeats)
        g_center_positive = g_positive * center_scale
        padded_scale = F.pad(center_scale, (0, pad)) if pad else center_scale
        g_center_negative = g_negative * padded_scale.view(n_groups, group, 1)
        g_context = g_positive * out_scale[:n_pairs]
        g_noise = g_negative * out_scale[n_pairs:].view(n_groups, 1, k)  # a group's draw counts once
    from_context = g_center_positive[:, None] * u  # g_o u_o
    if pad:
        from_context = F.pad(from_context, (0, 0, 0, pad))
    grad_v = torch.baddbmm(from_context.view(n_groups, group, dim), g_center_negative, noise)  # + sum_k g_k u_k
    grad_v = grad_v.view(-1, dim)
    center_weight.index_add_(0, centers, grad_v[:n_pairs], alpha=-lr)
    context_weight.index_add_(0, contexts, g_context[:, None] * v, alpha=-lr)  # dJ/du_o = g_o v_c
    grad_noise = torch.bmm(g_noise.transpose(1, 2), v_groups).view(-1, dim)  # dJ/du_k = sum over the group
    context_weight.index_add_(0, negatives.reshape(-1), grad_noise, alpha=-lr)
    return float(loss)


def train_sgns(
    corpus: TokenCorpus,
    center_weight,
    context_weight,
    epochs: int,
    window: int = W2V_PARAMS["window"],
    negative: int = W2V_PARAMS["negative"],
    sample: float = W2V_PARAMS["sample"],
    lr_start: float = W2V_PARAMS["alpha"],
    lr_end: float = W2V_PARAMS["min_alpha"],
    batch_size: int = 16384,
    group: int = 64,
    max_repeats: float | None = 32.0,
    skip_target: bool = True,
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """Lesson 04's training loop: :func:`sgns_sgd_step` on every batch of :func:`skipgram_batches`, ``epochs`` times.

    ``center_weight`` and ``context_weight`` (float ``(V, d)`` tensors, ``V = len(corpus.itos)``)
    are trained in place. Subsampling (``sample``), dynamic windows and negatives (word2vec's
    unigram**0.75 table, one draw of ``negative`` words per ``group`` pairs; with ``skip_target``, as in
    word2vec, a negative that is the pair's own context word is skipped) are drawn anew every
    epoch from ``seed``; the learning rate decays linearly from ``lr_start`` to ``lr_end`` over
    the corpus tokens read. Returns ``{"losses": [...] (mean loss per pair of every batch),
    "seconds", "words_per_second" (corpus tokens read per second, gensim's measure),
    "cpu_seconds", "batches"}``; raises ``FloatingPointError`` if the loss stops being finite.
    """
    import torch
    from tqdm.auto import tqdm

    device = center_weight.device
    rng = np.random.default_rng(seed)
    generator = torch.Generator(device=device).manual_seed(seed)
    # the formulas of noise_distribution and keep_probability, written out: those two are lesson 04's exercises
    counts = np.asarray(corpus.counts, dtype=np.float64)
    table = torch.from_numpy(unigram_table(counts**0.75 / np.sum(counts**0.75))).to(device)
    frequency = counts / counts.sum()
    keep = np.minimum((np.sqrt(frequency / sample) + 1.0) * sample / frequency, 1.0) if sample > 0 else None
    total_words, losses = epochs * corpus.n_tokens, []
    started, cpu_started = time.perf_counter(), time.process_time()
    with tqdm(total=total_words, unit="word", unit_scale=True, desc="SGNS in PyTorch", disable=not progress) as bar:
        for epoch in range(epochs):
            seen = 0
            for centers, contexts, done in skipgram_batches(corpus, window, keep, batch_size, rng):
                lr = lr_start - (lr_start - lr_end) * (epoch * corpus.n_tokens + done) / total_words
                c = torch.from_numpy(centers).to(device)
                o = torch.from_numpy(contexts).to(device)
                slots = torch.randint(len(table), (-(-len(c) // group), negative), generator=generator, device=device)
                losses.append(sgns_sgd_step(center_weight, context_weight, c, o, table[slots], lr, max_repeats,
                                            skip_target))
                if not np.isfinite(losses[-1]):
                    raise FloatingPointError(f"SGNS loss {losses[-1]} after {len(losses)} batches: lower lr_start")
                bar.update(done - seen)
                seen = done
    seconds = time.perf_counter() - started
    return {
        "losses": losses,
        "seconds": seconds,
        "words_per_second": total_words / seconds,
        "cpu_seconds": time.process_time() - cpu_started,
        "batches": len(losses),
    }


def _repeat_scale(rows, n_rows: int, max_repeats: float):
    """Per entry of ``rows``: ``min(1, max_repeats / n)``, ``n`` the number of times its row occurs in ``rows``."""
    import torch

    counts = torch.bincount(rows, minlength=n_rows).index_select(0, rows)
    return torch.clamp(max_repeats / counts.to(torch.float32), max=1.0)


def skipgram_batches(
    corpus: TokenCorpus,
    window: int,
    keep_prob: np.ndarray | None,
    batch_size: int,
    rng: np.random.Generator,
    dynamic_window: bool = True,
    chunk_tokens: int = 1_000_000,
) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
    """One epoch of skip-gram (center, context) pairs in batches, vectorized, as word2vec draws them.

    For every chunk of about ``chunk_tokens`` tokens (whole documents): drop occurrences of
    frequent words (kept with ``keep_prob[word]``; ``None`` keeps all), draw every center's
    window ``b`` uniformly from ``1..window`` (``dynamic_window=False``: always ``window``), pair
    it with the kept tokens at distance ``1..b`` inside the same document, shuffle the chunk's
    pairs and cut them into batches.
    Yields ``(centers, contexts, tokens_done)``: int64 arrays and the number of corpus tokens
    (before subsampling) read so far, for learning-rate schedules and words/s.
    """
    offsets = corpus.offsets
    n_docs = len(corpus)
    doc = 0
    while doc < n_docs:
        stop_doc = int(np.searchsorted(offsets, offsets[doc] + chunk_tokens, side="left"))
        stop_doc = min(max(stop_doc, doc + 1), n_docs)
        start, stop = offsets[doc], offsets[stop_doc]
        tokens = corpus.ids[start:stop].astype(np.int64)
        doc_of = np.repeat(np.arange(doc, stop_doc), corpus.lengths[doc:stop_doc])
        if keep_prob is not None:
            kept = rng.random(len(tokens)) < keep_prob[tokens]
            tokens, doc_of = tokens[kept], doc_of[kept]
        if dynamic_window:
            reach = rng.integers(1, window + 1, size=len(tokens))
        else:
            reach = np.full(len(tokens), window)
        centers, contexts = [], []
        for d in range(1, min(window, max(len(tokens) - 1, 0)) + 1):
            same_doc = doc_of[:-d] == doc_of[d:]
            right = same_doc & (reach[:-d] >= d)  # center i, context i + d
            left = same_doc & (reach[d:] >= d)  # center i + d, context i
            centers += [tokens[:-d][right], tokens[d:][left]]
            contexts += [tokens[d:][right], tokens[:-d][left]]
        if centers:
            c, o = np.concatenate(centers), np.concatenate(contexts)
            order = rng.permutation(len(c))
            c, o = c[order], o[order]
            for b in range(0, len(c), batch_size):
                # the chunk's tokens are spread evenly over its batches
                read = (stop - start) * min(1.0, (b + batch_size) / len(c))
                yield c[b : b + batch_size], o[b : b + batch_size], int(start + read)
        doc = stop_doc
