"""N-gram language models with ``collections.Counter`` (taught in lesson 02).

The conventions are the course's (Jurafsky & Martin, *Speech and Language
Processing*, ch. 3): a sentence is padded with ``n - 1`` start symbols ``<s>``
and **one** end symbol ``</s>``; ``<s>`` is never predicted, ``</s>`` is. Words
outside the training vocabulary are replaced by ``<unk>`` before counting and
before scoring.

    sents = replace_oov(train_sents, build_vocab(train_sents, min_count=2))
    stats = NgramCounts.from_sentences(sents, order=3)
    lm = NgramLM(stats, method="kneser_ney", discount=0.75)
    lm.perplexity(test_sents)

:class:`NgramCounts` keeps every table interpolated Kneser-Ney needs, so a
probability is a handful of dictionary look-ups (``nltk.lm`` recomputes the
continuation counts by scanning every context on each query).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from .exercises import exercise

BOS = "<s>"
EOS = "</s>"
UNK = "<unk>"

Ngram = tuple[str, ...]


@exercise("02_ngram_language_models", "ex_count_ngrams")
def pad_sentence(tokens: Sequence[str], n: int) -> list[str]:
    """``n - 1`` start symbols, the tokens, one end symbol."""
    if n < 1:
        raise ValueError(f"n-gram order must be >= 1, got {n}")
    return [BOS] * (n - 1) + list(tokens) + [EOS]


def ngrams(tokens: Sequence[str], n: int) -> Iterator[Ngram]:
    """Every window of ``n`` consecutive tokens, as tuples (no padding)."""
    return zip(*(tokens[i:] for i in range(n)), strict=False)


@exercise("02_ngram_language_models", "ex_count_ngrams")
def count_ngrams(sentences: Iterable[Sequence[str]], n: int) -> Counter:
    """Counts of the n-grams of order ``n`` in the padded sentences (never across a sentence boundary)."""
    counts: Counter = Counter()
    for sentence in sentences:
        counts.update(ngrams(pad_sentence(sentence, n), n))
    return counts


@exercise("02_ngram_language_models", "ex_add_k")
def context_totals(counts: Counter) -> Counter:
    """``h -> sum_w c(h, w)``: how often each context ``h = ngram[:-1]`` is followed by something."""
    totals: Counter = Counter()
    for gram, c in counts.items():
        totals[gram[:-1]] += c
    return totals


def context_types(counts: Counter) -> Counter:
    """``h -> |{w : c(h, w) > 0}|``: how many different words follow each context (N1+(h .))."""
    return Counter(gram[:-1] for gram, c in counts.items() if c > 0)


@exercise("02_ngram_language_models", "ex_continuation_counts")
def continuation_counts(counts: Counter) -> Counter:
    """``g -> |{u : c(u, g) > 0}|``: how many different words precede each suffix ``g = ngram[1:]`` (N1+(. g))."""
    return Counter(gram[1:] for gram, c in counts.items() if c > 0)


def build_vocab(sentences: Iterable[Sequence[str]], min_count: int = 2) -> set[str]:
    """Training words seen at least ``min_count`` times, plus ``<unk>`` and ``</s>``."""
    freq = Counter(w for s in sentences for w in s)
    return {w for w, c in freq.items() if c >= min_count} | {UNK, EOS}


def replace_oov(sentences: Iterable[Sequence[str]], vocab: set[str]) -> list[list[str]]:
    """Each sentence with the words outside ``vocab`` replaced by ``<unk>``."""
    return [[w if w in vocab else UNK for w in s] for s in sentences]


def _sums_and_types(counts: Counter, key: Callable[[Ngram], Ngram]) -> tuple[Counter, Counter]:
    """Per ``key(ngram)``: the sum of the counts, and how many n-grams with a positive count share it."""
    sums: defaultdict = defaultdict(int)  # a defaultdict adds faster than a Counter; same keys, same order
    types: defaultdict = defaultdict(int)
    for gram, c in counts.items():
        h = key(gram)
        sums[h] += c
        if c > 0:
            types[h] += 1
    return Counter(sums), Counter(types)


@dataclass
class NgramCounts:
    """Every count table of an n-gram model of order ``order``, keyed by the n-gram order ``m``.

    - ``counts[m][g]``: c(g) for the m-grams of the sentences padded for order ``m``;
    - ``totals[m][h]`` and ``types[m][h]``: sum_w c(h w) and N1+(h .) over ``counts[m]``;
    - ``continuation[m][g]`` (m < order): N1+(. g), the distinct words before the m-gram ``g``
      in ``counts[m + 1]``; ``cont_totals[m]`` / ``cont_types[m]``: its context sums / types.
    """

    order: int
    counts: dict[int, Counter] = field(default_factory=dict)
    totals: dict[int, Counter] = field(default_factory=dict)
    types: dict[int, Counter] = field(default_factory=dict)
    continuation: dict[int, Counter] = field(default_factory=dict)
    cont_totals: dict[int, Counter] = field(default_factory=dict)
    cont_types: dict[int, Counter] = field(default_factory=dict)

    @classmethod
    def from_sentences(cls, sentences: Sequence[Sequence[str]], order: int) -> NgramCounts:
        """Count orders 1..``order`` and derive the tables (sentences already ``<unk>``-mapped)."""
        # Self-contained: lesson 02's build, which lacks the lesson's answers count_ngrams,
        # context_totals and continuation_counts, still has these tables. The m-grams are those of
        # nltk.util.ngrams([*s, EOS], m, pad_left=True, left_pad_symbol=BOS), in the same order,
        # made by zip over the padded sentence (C loops: about twice as fast).
        stats = cls(order=order)
        for m in range(1, order + 1):
            padded = ([*[BOS] * (m - 1), *s, EOS] for s in sentences)
            grams = (zip(*(p[i:] for i in range(m)), strict=False) for p in padded)  # the shortest slice ends it
            stats.counts[m] = Counter(chain.from_iterable(grams))
            stats.totals[m], stats.types[m] = _sums_and_types(stats.counts[m], lambda g: g[:-1])
        for m in range(1, order):
            _, stats.continuation[m] = _sums_and_types(stats.counts[m + 1], lambda g: g[1:])
            stats.cont_totals[m], stats.cont_types[m] = _sums_and_types(stats.continuation[m], lambda g: g[:-1])
        return stats

    def truncated(self, order: int) -> NgramCounts:
        """The tables of the model of a lower ``order`` (shared, not copied)."""
        if not 1 <= order <= self.order:
            raise ValueError(f"order must be between 1 and {self.order}, got {order}")
        low, below = range(1, order + 1), range(1, order)
        return NgramCounts(
            order=order,
            counts={m: self.counts[m] for m in low},
            totals={m: self.totals[m] for m in low},
            types={m: self.types[m] for m in low},
            continuation={m: self.continuation[m] for m in below},
            cont_totals={m: self.cont_totals[m] for m in below},
            cont_types={m: self.cont_types[m] for m in below},
        )

    def vocabulary(self) -> list[str]:
        """The words the model can predict (every unigram: the words, ``<unk>``, ``</s>``), sorted."""
        return sorted(g[0] for g in self.counts[1])


def _is_counts(obj: object) -> bool:
    """Whether ``obj`` is an :class:`NgramCounts` (of this package or of a lesson's build of it)."""
    return not isinstance(obj, str) and hasattr(obj, "order") and hasattr(obj, "counts")


@exercise("02_ngram_language_models", "ex_add_k")
def add_k_prob(
    word: str, context: Sequence[str], counts: Counter, totals: Counter, k: float, vocab_size: int | None = None
) -> float:
    """(c(h w) + k) / (c(h .) + k V) with ``h = tuple(context)``; 0.0 when the denominator is 0 (k = 0 is MLE).

    ``counts`` holds the n-grams of one order, ``totals = context_totals(counts)`` and ``vocab_size`` is V.

    The model form ``add_k_prob(stats, word, context, k, vocab_size)`` takes the tables of an
    :class:`NgramCounts` instead and keeps the last ``stats.order - 1`` words of ``context``
    (:class:`NgramLM` calls it so).
    """
    if _is_counts(word):
        stats, word, context, k, vocab_size = word, context, counts, totals, k
        n = stats.order
        h = tuple(context)[len(context) - (n - 1) :] if n > 1 else ()
        return add_k_prob(word, h, stats.counts[n], stats.totals[n], k, vocab_size)
    if vocab_size is None:
        raise TypeError("add_k_prob(word, context, counts, totals, k, vocab_size) is missing vocab_size")
    h = tuple(context)
    denominator = totals[h] + k * vocab_size
    if denominator == 0:
        return 0.0
    return (counts[h + (word,)] + k) / denominator


@exercise("02_ngram_language_models", "ex_kneser_ney")
def kneser_ney_prob(word: str, context: Sequence[str], stats: NgramCounts, discount: float = 0.75) -> float:
    """Interpolated Kneser-Ney P(word | context) (Chen & Goodman) for the model of order ``stats.order``.

    Raw counts at the top order, continuation counts below, the last ``order - 1`` words of
    ``context``, and an unseen context skipped. Same definition as ``nltk.lm.KneserNeyInterpolated``
    given the same counts: the recursion ends in the continuation unigram N1+(. w) / N1+(. .), with no
    uniform floor (map unknown words to ``<unk>``). An order-1 model is the unigram MLE.

    The model form ``kneser_ney_prob(stats, word, context, discount)`` is the same (:class:`NgramLM`
    calls it so).
    """
    if _is_counts(word):
        stats, word, context = word, context, stats
    n = stats.order
    h = tuple(context)[len(context) - (n - 1) :] if n > 1 else ()
    prob = (
        stats.continuation[1][(word,)] / stats.cont_totals[1][()]
        if n > 1
        else stats.counts[1][(word,)] / stats.totals[1][()]
    )
    # Build up from the unigram: order m uses context h[-(m-1):].
    for m in range(2, n + 1):
        ctx = h[len(h) - (m - 1) :]
        if m == n:
            c, total, types = stats.counts[m][ctx + (word,)], stats.totals[m][ctx], stats.types[m][ctx]
        else:
            c, total, types = (
                stats.continuation[m][ctx + (word,)],
                stats.cont_totals[m][ctx],
                stats.cont_types[m][ctx],
            )
        if total > 0:
            prob = max(c - discount, 0.0) / total + discount * types / total * prob
    return prob


def sentence_ngrams(sentences: Iterable[Sequence[str]], n: int, vocab: set[str] | None = None) -> Iterator[Ngram]:
    """The order-``n`` n-grams a model scores on ``sentences`` (OOV words -> ``<unk>`` when ``vocab`` is given)."""
    for s in sentences:
        tokens = [w if vocab is None or w in vocab else UNK for w in s]
        yield from ngrams(pad_sentence(tokens, n), n)


@exercise("02_ngram_language_models", "ex_perplexity")
def perplexity(
    prob: Callable[[str, Ngram], float], sentences: Iterable[Sequence[str]], n: int, vocab: set[str]
) -> float:
    """exp of the mean negative log-probability of every predicted token (each word and each ``</s>``)."""
    log_sum, count = 0.0, 0
    for gram in sentence_ngrams(sentences, n, vocab):
        p = prob(gram[-1], gram[:-1])
        if p <= 0.0:
            return math.inf
        log_sum -= math.log(p)
        count += 1
    return math.exp(log_sum / count)


@exercise("02_ngram_language_models", "ex_sampling")
def apply_temperature(probs: np.ndarray, temperature: float) -> np.ndarray:
    """q proportional to p ** (1 / T); T = 0 puts all the mass on the first most probable entry."""
    p = np.asarray(probs, dtype=np.float64)
    if temperature == 0:
        q = np.zeros_like(p)
        q[int(np.argmax(p))] = 1.0
        return q
    with np.errstate(divide="ignore"):
        logits = np.log(p) / temperature
    logits -= logits.max()
    q = np.exp(logits)
    return q / q.sum()


@exercise("02_ngram_language_models", "ex_sampling")
def sample_token(probs: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """One index drawn with ``rng.choice`` from :func:`apply_temperature`; at T = 0 the first argmax, no draw."""
    if temperature == 0:
        return int(np.argmax(probs))
    q = apply_temperature(probs, temperature)
    return int(rng.choice(len(q), p=q))


class NgramLM:
    """An n-gram model over :class:`NgramCounts`: ``"mle"``, ``"add_k"`` or ``"kneser_ney"``."""

    def __init__(self, stats: NgramCounts, method: str = "kneser_ney", k: float = 1.0, discount: float = 0.75):
        if method not in ("mle", "add_k", "kneser_ney"):
            raise ValueError(f"unknown smoothing {method!r}: use 'mle', 'add_k' or 'kneser_ney'")
        self.stats, self.method, self.k, self.discount = stats, method, k, discount
        self.words = stats.vocabulary()
        self.vocab = set(self.words)
        self._pos = {w: i for i, w in enumerate(self.words)}
        self._index: dict[tuple[int, bool], dict[Ngram, tuple[np.ndarray, np.ndarray]]] = {}

    @property
    def order(self) -> int:
        return self.stats.order

    def prob(self, word: str, context: Sequence[str] = ()) -> float:
        """P(word | context), context trimmed to the last ``order - 1`` words."""
        if self.method == "kneser_ney":
            return kneser_ney_prob(self.stats, word, context, self.discount)
        k = 0.0 if self.method == "mle" else self.k
        return add_k_prob(self.stats, word, context, k, len(self.vocab))

    def perplexity(self, sentences: Iterable[Sequence[str]]) -> float:
        """Per-token perplexity on held-out sentences (OOV words scored as ``<unk>``)."""
        return perplexity(self.prob, sentences, self.order, self.vocab)

    def _followers(self, m: int, raw: bool) -> dict[Ngram, tuple[np.ndarray, np.ndarray]]:
        """``context -> (word indices, counts)`` of the order-``m`` table (raw counts or continuation counts)."""
        key = (m, raw)
        if key not in self._index:
            table = self.stats.counts[m] if raw else self.stats.continuation[m]
            groups: dict[Ngram, tuple[list[int], list[int]]] = {}
            for gram, c in table.items():
                if c > 0 and gram[-1] in self._pos:
                    idx, cnt = groups.setdefault(gram[:-1], ([], []))
                    idx.append(self._pos[gram[-1]])
                    cnt.append(c)
            self._index[key] = {h: (np.array(i), np.array(c, dtype=np.float64)) for h, (i, c) in groups.items()}
        return self._index[key]

    def distribution(self, context: Sequence[str]) -> np.ndarray:
        """P(w | context) for every ``w`` in ``self.words`` at once (vectorized; equals :meth:`prob`)."""
        n, stats = self.order, self.stats
        h = tuple(context)[len(context) - (n - 1) :] if n > 1 else ()
        if self.method != "kneser_ney":
            k = 0.0 if self.method == "mle" else self.k
            total = stats.totals[n][h] + k * len(self.words)
            p = np.full(len(self.words), k / total if total else 0.0)
            idx, cnt = self._followers(n, True).get(h, (np.zeros(0, int), np.zeros(0)))
            if total:
                p[idx] += cnt / total
            return p
        if n == 1:
            idx, cnt = self._followers(1, True)[()]
            p = np.zeros(len(self.words))
            p[idx] = cnt / stats.totals[1][()]
            return p
        idx, cnt = self._followers(1, False)[()]
        p = np.zeros(len(self.words))
        p[idx] = cnt / stats.cont_totals[1][()]
        d = self.discount
        for m in range(2, n + 1):
            ctx = h[len(h) - (m - 1) :]
            raw = m == n
            total = (stats.totals[m] if raw else stats.cont_totals[m])[ctx]
            if total > 0:
                types = (stats.types[m] if raw else stats.cont_types[m])[ctx]
                idx, cnt = self._followers(m, raw)[ctx]
                p = d * types / total * p
                p[idx] += np.maximum(cnt - d, 0.0) / total
        return p

    def generate(self, rng: np.random.Generator, temperature: float = 1.0, max_words: int = 30) -> list[str]:
        """Sample one sentence (without the padding symbols)."""
        history = [BOS] * (self.order - 1)
        out: list[str] = []
        while len(out) < max_words:
            word = self.words[sample_token(self.distribution(history), temperature, rng)]
            if word == EOS:
                break
            out.append(word)
            history.append(word)
        return out


def count_ngrams_numpy(
    ids: Sequence[Sequence[int]], n: int, bos_id: int, eos_id: int, vocab_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Count the order-``n`` n-grams of integer-encoded sentences with NumPy (same padding as :func:`count_ngrams`).

    Each n-gram becomes one int64 key ``sum_j id_j * V ** (n - 1 - j)`` and ``np.unique`` counts the
    keys. Returns ``(keys, counts)``; ``np.unravel_index(keys, (V,) * n)`` decodes them.
    """
    if vocab_size**n >= 2**63:
        raise ValueError(f"{vocab_size}**{n} keys do not fit in int64")
    lengths = np.array([len(s) + n for s in ids], dtype=np.int64)  # n - 1 <s>, the words, one </s>
    flat = np.full(int(lengths.sum()), bos_id, dtype=np.int64)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    words = np.concatenate([np.asarray(s, dtype=np.int64) for s in ids]) if len(ids) else np.zeros(0, np.int64)
    word_pos = (
        np.concatenate([np.arange(s + n - 1, e - 1) for s, e in zip(starts, ends, strict=True)]) if len(ids) else words
    )
    flat[word_pos] = words
    flat[ends - 1] = eos_id
    m = len(flat) - n + 1
    if m <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    key = np.zeros(m, dtype=np.int64)
    for j in range(n):
        key = key * vocab_size + flat[j : j + m]
    sentence = np.repeat(np.arange(len(lengths)), lengths)
    valid = sentence[:m] == sentence[n - 1 :]
    return np.unique(key[valid], return_counts=True)
