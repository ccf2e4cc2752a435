"""Full-mode figures of lessons 02 (n-gram language models) and 03 (bag of words and TF-IDF).

Writes ``benchmarks/results/02_ngram_language_models.json`` and
``benchmarks/results/03_bag_of_words_tfidf.json``: one row per figure, with the
target of the issue and the published anchor next to it where there is one.

    .venv/bin/python benchmarks/bench_02_03.py            # both lessons, full data (about 15 minutes on 2 cores)
    .venv/bin/python benchmarks/bench_02_03.py --lesson 03
    .venv/bin/python benchmarks/bench_02_03.py --fast     # smoke test on the fast-mode slices (results not written)
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", choices=["02", "03", "all"], default="all")
    parser.add_argument("--fast", action="store_true", help="fast-mode slices; print the rows, write nothing")
    return parser.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else parse_args([])
os.environ["SEQNLP_MODE"] = "fast" if ARGS.fast else "full"  # decided before seqnlp is imported

import numpy as np  # noqa: E402
from common import ResultRows  # noqa: E402  (benchmarks/common.py)

import seqnlp  # noqa: E402
from seqnlp import features as ft  # noqa: E402
from seqnlp import ngrams as ng  # noqa: E402
from seqnlp.data import nltk_corpus  # noqa: E402


def clock():
    start = time.perf_counter()
    return lambda: time.perf_counter() - start


# --------------------------------------------------------------------------- lesson 02


def bench_ngrams(device: str) -> None:
    from nltk.lm import KneserNeyInterpolated, Vocabulary
    from nltk.util import ngrams as nltk_ngrams

    rows = ResultRows("02_ngram_language_models", device)
    print("lesson 02: n-gram language models on Brown")
    brown = nltk_corpus("brown")
    sentences = [[w.lower() for w in s] for s in brown.sents(categories=seqnlp.pick(fast=["news"], full=None))]
    random.Random(0).shuffle(sentences)
    cut = int(0.9 * len(sentences))
    train_raw, heldout = sentences[:cut], sentences[cut:]
    vocab = ng.build_vocab(train_raw, min_count=2)
    train = ng.replace_oov(train_raw, vocab)
    elapsed = clock()
    stats = ng.NgramCounts.from_sentences(train, order=4)
    rows.add(
        f"count orders 1-4 + KN tables ({sum(map(len, train)):,} training tokens)", "seconds", elapsed(), elapsed()
    )
    n_held = sum(len(s) + 1 for s in heldout)
    for order in (1, 2, 3, 4):
        st = stats.truncated(order)
        for name, method, k in (
            ("MLE", "mle", 0.0),
            ("add-1", "add_k", 1.0),
            ("add-0.01", "add_k", 0.01),
            ("Kneser-Ney d=0.75", "kneser_ney", 0.0),
        ):
            if order == 1 and method == "kneser_ney":
                method = "mle"  # a unigram model has no lower order to interpolate with
            elapsed = clock()
            ppl = ng.NgramLM(st, method, k=k).perplexity(heldout)
            note = " (infinite: some held-out n-gram is unseen)" if ppl == float("inf") else ""
            rows.add(f"Brown held-out ({n_held:,} tokens), order {order}, {name}{note}", "perplexity", ppl, elapsed())

    # Speed: Counter tables vs NumPy counting vs nltk.lm, trigram model on the whole training split.
    elapsed = clock()
    for m in (1, 2, 3):
        ng.count_ngrams(train, m)
    t_counter = elapsed()
    rows.add("trigram: Counter counts (orders 1-3)", "seconds", t_counter, t_counter)
    elapsed = clock()
    tri = ng.NgramCounts.from_sentences(train, order=3)
    t_tables = elapsed()
    rows.add("trigram: Counter counts + all Kneser-Ney tables", "seconds", t_tables, t_tables)
    ids = {w: i for i, w in enumerate(sorted(vocab | {ng.BOS}))}
    encoded = [[ids[w] for w in s] for s in train]
    elapsed = clock()
    for m in (1, 2, 3):
        ng.count_ngrams_numpy(encoded, m, ids[ng.BOS], ids[ng.EOS], len(ids))
    t_numpy = elapsed()
    rows.add("trigram: NumPy counts (orders 1-3, np.unique on int64 keys)", "seconds", t_numpy, t_numpy)
    elapsed = clock()
    ref = KneserNeyInterpolated(
        3, discount=0.75, vocabulary=Vocabulary([w for s in train for w in s + [ng.BOS, ng.EOS]])
    )
    ref.fit(
        [
            [g for m in (1, 2, 3) for g in nltk_ngrams(s + [ng.EOS], m, pad_left=True, left_pad_symbol=ng.BOS)]
            for s in train
        ]
    )
    t_nltk = elapsed()
    rows.add("trigram: nltk.lm KneserNeyInterpolated.fit", "seconds", t_nltk, t_nltk)
    rows.add("fit speed-up: nltk.lm fit time / Counter counting time", "ratio", t_nltk / t_counter, t_nltk + t_counter)
    rows.add(
        "fit speed-up: nltk.lm fit time / Counter counts + KN tables time",
        "ratio",
        t_nltk / t_tables,
        t_nltk + t_tables,
    )
    rows.add("fit speed-up: nltk.lm fit time / NumPy counting time", "ratio", t_nltk / t_numpy, t_nltk + t_numpy)
    grams = list(ng.sentence_ngrams(heldout, 3, vocab))[: seqnlp.pick(fast=100, full=200)]
    elapsed = clock()
    ours = [ng.kneser_ney_prob(tri, g[2], g[:2]) for g in grams]
    t_ours = elapsed()
    elapsed = clock()
    theirs = [ref.score(g[2], g[:2]) for g in grams]
    t_theirs = elapsed()
    diff = float(np.max(np.abs(np.array(ours) - np.array(theirs))))
    rows.add(
        f"Kneser-Ney scoring of {len(grams)} held-out trigrams: max |ours - nltk.lm|",
        "abs difference",
        diff,
        t_ours + t_theirs,
        target=1e-9,
        higher_is_better=False,
    )
    rows.add(
        f"Kneser-Ney scoring of {len(grams)} held-out trigrams: nltk.lm time / ours",
        "ratio",
        t_theirs / t_ours,
        t_ours + t_theirs,
    )
    if not ARGS.fast:
        rows.write("02_ngram_language_models")


# --------------------------------------------------------------------------- lesson 03


def bench_tfidf(device: str) -> None:
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import Pipeline

    rows = ResultRows("03_bag_of_words_tfidf", device)
    print("lesson 03: bag of words and TF-IDF on IMDB")
    train_df, test_df = seqnlp.load_imdb("train"), seqnlp.load_imdb("test")
    y_train, y_test = train_df.label.to_numpy(), test_df.label.to_numpy()
    elapsed = clock()
    train_text = [" ".join(ft.review_tokens(t)) for t in train_df.text]
    test_text = [" ".join(ft.review_tokens(t)) for t in test_df.text]
    rows.add(f"tokenize {len(train_text) + len(test_text):,} reviews (review_tokens)", "seconds", elapsed(), elapsed())
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    percent = 100.0

    # TF-IDF uni+bigrams + logistic regression (the lesson's pipeline, C = 30).
    elapsed = clock()
    pipe = ft.tfidf_logreg_pipeline(ngram_range=(1, 2), tokenizer=str.split).fit(train_text, y_train)
    acc = pipe.score(test_text, y_test) * percent
    rows.add(
        "IMDB test: TF-IDF uni+bigrams + logistic regression (C=30)",
        "accuracy %",
        acc,
        elapsed(),
        target=90.0,
        anchor="Wang & Manning 2012 SVM-bi 89.16; Keras fastText-bigram example 90.56",
    )
    X_train = pipe["tfidf"].transform(train_text)
    for C in (10.0, 30.0, 100.0):  # is C = 30 what cross-validation on the training set picks?
        elapsed = clock()
        cv = cross_val_score(
            LogisticRegression(C=C, solver="liblinear", dual=True, max_iter=1000), X_train, y_train, cv=folds
        )
        rows.add(
            f"IMDB train 5-fold CV: TF-IDF uni+bigrams + LR, C={C:g}", "accuracy %", cv.mean() * percent, elapsed()
        )
    elapsed = clock()
    uni = ft.tfidf_logreg_pipeline(ngram_range=(1, 1), tokenizer=str.split).fit(train_text, y_train)
    rows.add(
        "IMDB test: TF-IDF unigrams + logistic regression (C=30)",
        "accuracy %",
        uni.score(test_text, y_test) * percent,
        elapsed(),
        anchor="Wang & Manning 2012 SVM-uni 86.95",
    )

    # NBSVM-bi: NB-weighted binarized uni+bigrams, logistic regression (NB-LR, C = 1).
    elapsed = clock()
    nbsvm = ft.nbsvm_pipeline(ngram_range=(1, 2), tokenizer=str.split).fit(train_text, y_train)
    acc = nbsvm.score(test_text, y_test) * percent
    rows.add(
        "IMDB test: NBSVM-bi (NB-weighted binary uni+bigrams + LR, C=1)",
        "accuracy %",
        acc,
        elapsed(),
        target=91.2,
        anchor="Wang & Manning 2012 NBSVM-bi 91.22",
    )
    B_train = nbsvm["counts"].transform(train_text)
    B_test = nbsvm["counts"].transform(test_text)
    for C in (0.1, 1.0):
        elapsed = clock()
        model = Pipeline(
            [("nb", ft.NBScaler()), ("clf", LogisticRegression(C=C, solver="liblinear", dual=True, max_iter=3000))]
        )
        cv = cross_val_score(model, B_train, y_train, cv=folds)
        rows.add(f"IMDB train 5-fold CV: NBSVM-bi (NB-LR), C={C:g}", "accuracy %", cv.mean() * percent, elapsed())

    # Wang & Manning's own classifier: L2-loss linear SVM, weights interpolated with their mean (beta = 0.25).
    from sklearn.svm import LinearSVC

    elapsed = clock()
    r = ft.nb_log_count_ratio(B_train, y_train)
    svm = LinearSVC(C=1.0, max_iter=5000).fit(ft.nb_features(B_train, r), y_train)
    w = svm.coef_.ravel()
    w_interp = 0.75 * np.abs(w).mean() + 0.25 * w
    pred = (ft.nb_features(B_test, r) @ w_interp + svm.intercept_[0] > 0).astype(int)
    rows.add(
        "IMDB test: NBSVM-bi with Wang & Manning's SVM (beta=0.25, C=1)",
        "accuracy %",
        (pred == y_test).mean() * percent,
        elapsed(),
        anchor="Wang & Manning 2012 NBSVM-bi 91.22",
    )
    elapsed = clock()
    mnb = MultinomialNB().fit(B_train, y_train)
    rows.add(
        "IMDB test: multinomial NB on binary uni+bigrams",
        "accuracy %",
        mnb.score(B_test, y_test) * percent,
        elapsed(),
        anchor="Wang & Manning 2012 MNB-bi 86.59",
    )

    # Your-TF-IDF = sklearn's, and cosine k-NN.
    elapsed = clock()
    counter = CountVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False, ngram_range=(1, 2), min_df=2)
    C_train, C_test = counter.fit_transform(train_text), counter.transform(test_text)
    idf = ft.fit_idf(C_train)
    W_train, W_test = (
        ft.tfidf_transform(C_train, idf, sublinear_tf=True),
        ft.tfidf_transform(C_test, idf, sublinear_tf=True),
    )
    ref = TfidfVectorizer(
        tokenizer=str.split, token_pattern=None, lowercase=False, ngram_range=(1, 2), min_df=2, sublinear_tf=True
    ).fit(train_text)
    diff = abs(W_test - ref.transform(test_text)).max()
    rows.add(
        "IMDB test: max |seqnlp tf-idf - TfidfVectorizer|",
        "abs difference",
        diff,
        elapsed(),
        target=1e-9,
        higher_is_better=False,
    )
    n_queries = seqnlp.pick(fast=len(y_test), full=5000)
    elapsed = clock()
    idx, _ = ft.top_k_similar(W_test[:n_queries], W_train, 25)
    knn = ((y_train[idx].mean(axis=1) > 0.5) == y_test[:n_queries]).mean() * percent
    rows.add(f"IMDB test ({n_queries:,} reviews): 25-nearest-neighbour (cosine, tf-idf)", "accuracy %", knn, elapsed())
    del W_train, W_test, C_train, C_test, X_train, B_train, B_test

    # Pang & Lee movie_reviews, 10-fold cross-validation.
    mr = nltk_corpus("movie_reviews")
    fileids = mr.fileids()
    k = seqnlp.pick(fast=150, full=1000)
    fileids = fileids[:k] + fileids[-k:]
    mr_text = [" ".join(ft.review_tokens(mr.raw(f))) for f in fileids]
    mr_y = np.array([f.startswith("pos/") for f in fileids], dtype=int)
    mr_folds = StratifiedKFold(n_splits=seqnlp.pick(fast=3, full=10), shuffle=True, random_state=0)
    for name, make, anchor in (
        (
            "TF-IDF uni+bigrams + LR",
            lambda: ft.tfidf_logreg_pipeline(tokenizer=str.split),
            "Wang & Manning 2012 SVM-bi 87.40 (RT-2k)",
        ),
        (
            "NBSVM-bi (NB-LR)",
            lambda: ft.nbsvm_pipeline(tokenizer=str.split),
            "Wang & Manning 2012 NBSVM-bi 89.45 (RT-2k)",
        ),
    ):
        elapsed = clock()
        cv = cross_val_score(make(), mr_text, mr_y, cv=mr_folds)
        rows.add(
            f"movie_reviews ({len(mr_y):,}) {mr_folds.n_splits}-fold CV: {name}",
            "accuracy %",
            cv.mean() * percent,
            elapsed(),
            anchor=anchor,
        )
    if not ARGS.fast:
        rows.write("03_bag_of_words_tfidf")


def main() -> int:
    cfg = seqnlp.setup(seed=0)
    device = f"{cfg.device} ({os.cpu_count()} cores)"
    total = clock()
    if ARGS.lesson in ("02", "all"):
        bench_ngrams(device)
    if ARGS.lesson in ("03", "all"):
        bench_tfidf(device)
    print(f"done in {total():.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
