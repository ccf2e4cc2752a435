"""seqnlp.features: multi-hot, counts, TF-IDF, cosine search and NB features against scikit-learn."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity
from sklearn.naive_bayes import MultinomialNB
from sklearn.preprocessing import MultiLabelBinarizer

import seqnlp
from seqnlp import features as ft


@pytest.fixture(scope="module")
def imdb():
    train = seqnlp.load_imdb("train", limit=300)
    test = seqnlp.load_imdb("test", limit=80)
    train_text = [" ".join(ft.review_tokens(t)) for t in train.text]
    test_text = [" ".join(ft.review_tokens(t)) for t in test.text]
    return train_text, train.label.to_numpy(), test_text, test.label.to_numpy()


def vectorizer(cls, **kwargs):
    return cls(tokenizer=str.split, token_pattern=None, lowercase=False, ngram_range=(1, 2), **kwargs)


def test_review_tokens():
    got = ft.review_tokens("Don't waste 2 hours!<br /><br />3/10... Really?? <i>Awful</i>.")
    assert got == ["don't", "waste", "2", "hours", "!", "3", "10", "really", "?", "?", "awful"]
    assert ft.review_tokens("Giảng viên RẤT hay") == ["giảng", "viên", "rất", "hay"]
    assert ft.review_tokens("a < b and c > d") == ["a", "b", "and", "c", "d"]


def test_multi_hot():
    seqs = [[2, 3, 3, 5], [0, 0, 4], [], [1, 9, 2]]
    got = ft.multi_hot(seqs, 6)
    want = MultiLabelBinarizer(classes=list(range(6))).fit_transform([[i for i in s if 0 < i < 6] for s in seqs])
    assert got.dtype == np.float32 and np.array_equal(got, want)


def test_counts_and_document_frequency(imdb):
    train_text, _, test_text, _ = imdb
    cv = vectorizer(CountVectorizer, min_df=2).fit(train_text)
    analyze = cv.build_analyzer()
    docs = [analyze(t) for t in test_text]
    X = ft.count_matrix(docs, cv.vocabulary_)
    want = cv.transform(test_text)
    assert X.format == "csr" and X.shape == want.shape and (X != want).nnz == 0
    np.testing.assert_array_equal(ft.document_frequency(X), np.bincount(want.indices, minlength=want.shape[1]))
    Z = sp.csr_matrix((np.array([0, 5, 1]), np.array([0, 1, 1]), np.array([0, 2, 3])), shape=(2, 3))
    assert ft.document_frequency(Z).tolist() == [0, 2, 0]


@pytest.mark.parametrize("smooth_idf", [True, False])
@pytest.mark.parametrize("sublinear_tf", [True, False])
def test_tfidf_matches_sklearn(imdb, smooth_idf, sublinear_tf):
    train_text, _, test_text, _ = imdb
    ref = vectorizer(TfidfVectorizer, min_df=2, smooth_idf=smooth_idf, sublinear_tf=sublinear_tf).fit(train_text)
    counter = vectorizer(CountVectorizer, min_df=2).fit(train_text)
    idf = ft.fit_idf(counter.transform(train_text), smooth_idf=smooth_idf)
    np.testing.assert_allclose(idf, ref.idf_, rtol=0, atol=1e-12)
    texts = test_text + ["zzzz"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = ft.tfidf_transform(counter.transform(texts), idf, sublinear_tf=sublinear_tf)
    assert abs(got - ref.transform(texts)).max() < 1e-12 and got[-1].nnz == 0


def test_top_k_similar():
    A = sp.random(7, 30, density=0.3, random_state=1, format="csr")
    B = sp.random(50, 30, density=0.3, random_state=2, format="csr")
    want = cosine_similarity(A, B)
    for batch_size in (1000, 3):
        idx, scores = ft.top_k_similar(A, B, 5, batch_size=batch_size)
        want_idx = np.argsort(-want, axis=1, kind="stable")[:, :5]
        np.testing.assert_array_equal(idx, want_idx)
        np.testing.assert_allclose(scores, np.take_along_axis(want, want_idx, axis=1), atol=1e-12)
    idx, scores = ft.top_k_similar(np.zeros((1, 3)), np.eye(3), 10)
    assert idx.tolist() == [[0, 1, 2]] and not scores.any()


def test_nb_log_count_ratio_is_multinomial_nb(imdb):
    train_text, y, _, _ = imdb
    X = vectorizer(CountVectorizer).fit_transform(train_text)
    B = (X > 0).astype(np.float64)
    for alpha in (1.0, 0.25):
        mnb = MultinomialNB(alpha=alpha).fit(B, y)
        want = mnb.feature_log_prob_[1] - mnb.feature_log_prob_[0]
        np.testing.assert_allclose(ft.nb_log_count_ratio(X, y, alpha), want, rtol=0, atol=1e-12)
    r = ft.nb_log_count_ratio(X, y)
    assert abs(ft.nb_features(X, r) - B @ sp.diags(r)).max() < 1e-15


def test_pipelines_run(imdb):
    train_text, y, test_text, y_test = imdb
    for pipe in (ft.tfidf_logreg_pipeline(tokenizer=str.split), ft.nbsvm_pipeline(tokenizer=str.split)):
        pipe.fit(train_text, y)
        assert 0.5 < pipe.score(test_text, y_test) <= 1.0
    raw = seqnlp.load_imdb("train", limit=40)
    assert ft.tfidf_logreg_pipeline(min_df=1).fit(raw.text, raw.label).score(raw.text, raw.label) > 0.9
