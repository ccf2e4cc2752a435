"""Bag-of-words features: multi-hot, counts, TF-IDF, cosine search, NB log-count ratios (lesson 03).

The TF-IDF here is scikit-learn's ``TfidfVectorizer`` definition (natural log,
``smooth_idf`` adds one document containing every term, ``+ 1`` keeps terms that
occur everywhere, rows L2-normalized), so the two agree to rounding error.
:func:`tfidf_logreg_pipeline` and :func:`nbsvm_pipeline` are the lesson's two
IMDB baselines, ready for later lessons to compare against::

    pipe = tfidf_logreg_pipeline().fit(train.text, train.label)
    accuracy = pipe.score(test.text, test.label)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from .exercises import exercise


@exercise("03_bag_of_words_tfidf", "ex_multi_hot")
def multi_hot(sequences: Sequence[Sequence[int]], dimension: int) -> np.ndarray:
    """``(len(sequences), dimension)`` float32: 1 at every index a sequence contains.

    Index 0 (``<pad>``) is never set and indices ``>= dimension`` are ignored.
    """
    out = np.zeros((len(sequences), dimension), dtype=np.float32)
    for row, seq in enumerate(sequences):
        idx = np.asarray(seq, dtype=np.int64)
        idx = idx[(idx > 0) & (idx < dimension)]
        out[row, idx] = 1.0
    return out


@exercise("03_bag_of_words_tfidf", "ex_counts")
def count_matrix(docs: Sequence[Sequence[str]], vocabulary: dict[str, int]) -> sp.csr_matrix:
    """Term counts as a CSR matrix ``(len(docs), len(vocabulary))``; tokens outside ``vocabulary`` are skipped."""
    data: list[int] = []
    indices: list[int] = []
    indptr = [0]
    for doc in docs:
        counts = Counter(vocabulary[t] for t in doc if t in vocabulary)
        cols = sorted(counts)
        indices.extend(cols)
        data.extend(counts[c] for c in cols)
        indptr.append(len(indices))
    return sp.csr_matrix(
        (np.array(data, dtype=np.int64), np.array(indices, dtype=np.int64), np.array(indptr, dtype=np.int64)),
        shape=(len(docs), len(vocabulary)),
    )


@exercise("03_bag_of_words_tfidf", "ex_counts")
def document_frequency(X: sp.spmatrix) -> np.ndarray:
    """Number of rows (documents) with a non-zero entry in each column (term)."""
    X = sp.csc_matrix(X)
    X.eliminate_zeros()
    return np.diff(X.indptr).astype(np.int64)


@exercise("03_bag_of_words_tfidf", "ex_tfidf")
def fit_idf(X: sp.spmatrix, smooth_idf: bool = True) -> np.ndarray:
    """scikit-learn's idf: ``ln((1 + n) / (1 + df)) + 1`` (smoothed) or ``ln(n / df) + 1``."""
    n = X.shape[0]
    df = document_frequency(X).astype(np.float64)
    if smooth_idf:
        return np.log((1 + n) / (1 + df)) + 1.0
    with np.errstate(divide="ignore"):
        return np.log(n / df) + 1.0


@exercise("03_bag_of_words_tfidf", "ex_tfidf")
def tfidf_transform(X: sp.spmatrix, idf: np.ndarray, sublinear_tf: bool = False) -> sp.csr_matrix:
    """tf * idf with every row scaled to unit L2 norm (``sublinear_tf``: tf -> 1 + ln tf)."""
    W = sp.csr_matrix(X, dtype=np.float64, copy=True)
    W.eliminate_zeros()
    if sublinear_tf:
        W.data = 1.0 + np.log(W.data)
    W = W @ sp.diags(np.asarray(idf, dtype=np.float64))
    W = sp.csr_matrix(W)
    norms = np.sqrt(np.asarray(W.multiply(W).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ W)


def l2_normalize_rows(X: sp.spmatrix | np.ndarray) -> sp.csr_matrix:
    """Rows scaled to unit L2 norm; zero rows stay zero."""
    X = sp.csr_matrix(X, dtype=np.float64)
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ X)


@exercise("03_bag_of_words_tfidf", "ex_top_k")
def top_k_similar(
    queries: sp.spmatrix | np.ndarray, docs: sp.spmatrix | np.ndarray, k: int, batch_size: int = 1000
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` documents most cosine-similar to each query: ``(indices, scores)``, both ``(n_queries, k)``.

    Sorted by decreasing similarity, ties by increasing index; queries are processed in batches so
    the dense similarity block stays ``batch_size x n_docs``.
    """
    Q, D = l2_normalize_rows(queries), l2_normalize_rows(docs)
    k = min(k, D.shape[0])
    indices = np.zeros((Q.shape[0], k), dtype=np.int64)
    scores = np.zeros((Q.shape[0], k), dtype=np.float64)
    for start in range(0, Q.shape[0], batch_size):
        S = (Q[start : start + batch_size] @ D.T).toarray()
        order = np.argsort(-S, axis=1, kind="stable")[:, :k]
        indices[start : start + len(S)] = order
        scores[start : start + len(S)] = np.take_along_axis(S, order, axis=1)
    return indices, scores


def binarize(X: sp.spmatrix) -> sp.csr_matrix:
    """1.0 wherever ``X`` is non-zero."""
    B = sp.csr_matrix(X, dtype=np.float64, copy=True)
    B.eliminate_zeros()
    B.data[:] = 1.0
    return B


@exercise("03_bag_of_words_tfidf", "ex_nb")
def nb_log_count_ratio(X: sp.spmatrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Wang & Manning's r = ln((p / |p|_1) / (q / |q|_1)) on binarized features, p for class 1 and q for 0."""
    B = binarize(X)
    y = np.asarray(y)
    p = alpha + np.asarray(B[y == 1].sum(axis=0)).ravel()
    q = alpha + np.asarray(B[y == 0].sum(axis=0)).ravel()
    return np.log(p / p.sum()) - np.log(q / q.sum())


@exercise("03_bag_of_words_tfidf", "ex_nb")
def nb_features(X: sp.spmatrix, r: np.ndarray) -> sp.csr_matrix:
    """Binarized ``X`` with column ``j`` scaled by ``r[j]``."""
    return sp.csr_matrix(binarize(X) @ sp.diags(np.asarray(r, dtype=np.float64)))


class NBScaler(TransformerMixin, BaseEstimator):
    """Pipeline step: learns r from ``(X, y)`` in ``fit``, returns ``binarize(X) * r`` in ``transform``."""

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def fit(self, X: sp.spmatrix, y: np.ndarray) -> NBScaler:
        self.r_ = nb_log_count_ratio(X, y, self.alpha)
        return self

    def transform(self, X: sp.spmatrix) -> sp.csr_matrix:
        return nb_features(X, self.r_)


_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_REVIEW_TOKEN = re.compile(r"\w+(?:'\w+)?|[!?]")


def review_tokens(text: str) -> list[str]:
    """The course's tokenizer for sentiment: drop HTML tags, lowercase, keep words, numbers, ``!`` and ``?``.

    Unlike lesson 01's ``clean_text`` it keeps digits (ratings such as "3/10" give ``3`` and ``10``),
    inner apostrophes (``don't``) and the two punctuation marks that carry sentiment.
    """
    return _REVIEW_TOKEN.findall(_TAG.sub(" ", text).lower())


def tfidf_logreg_pipeline(
    ngram_range: tuple[int, int] = (1, 2),
    min_df: int = 2,
    C: float = 30.0,
    tokenizer: Callable[[str], list[str]] = review_tokens,
) -> Pipeline:
    """TF-IDF (sublinear tf, smoothed idf, L2 rows) over word n-grams, then logistic regression."""
    vectorizer = TfidfVectorizer(
        tokenizer=tokenizer,
        token_pattern=None,
        lowercase=False,
        ngram_range=ngram_range,
        min_df=min_df,
        sublinear_tf=True,
        dtype=np.float64,
    )
    return Pipeline(
        [("tfidf", vectorizer), ("clf", LogisticRegression(C=C, solver="liblinear", dual=True, max_iter=1000))]
    )


def nbsvm_pipeline(
    ngram_range: tuple[int, int] = (1, 2),
    alpha: float = 1.0,
    C: float = 1.0,
    tokenizer: Callable[[str], list[str]] = review_tokens,
) -> Pipeline:
    """NB-weighted binarized n-grams (Wang & Manning 2012) with a logistic-regression classifier (NB-LR)."""
    vectorizer = CountVectorizer(
        tokenizer=tokenizer, token_pattern=None, lowercase=False, ngram_range=ngram_range, binary=True
    )
    clf = LogisticRegression(C=C, solver="liblinear", dual=True, max_iter=3000)
    return Pipeline([("counts", vectorizer), ("nb", NBScaler(alpha)), ("clf", clf)])
