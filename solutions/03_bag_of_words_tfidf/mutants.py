# Wrong implementations of lesson 03's exercises: each must lose points (see docs/AUTHORING.md).

# %% mutant ex_multi_hot: counts_not_presence
# Adds 1 per occurrence: a bag-of-words count vector, not multi-hot.
def multi_hot(sequences, dimension):
    out = np.zeros((len(sequences), dimension), dtype=np.float32)
    for i, seq in enumerate(sequences):
        idx = np.asarray(seq, dtype=np.int64)
        np.add.at(out[i], idx[(idx > 0) & (idx < dimension)], 1.0)
    return out

# %% mutant ex_multi_hot: sets_padding_index
# The notes' version with the range check but without sparing index 0.
def multi_hot(sequences, dimension):
    out = np.zeros((len(sequences), dimension), dtype=np.float32)
    for i, seq in enumerate(sequences):
        idx = np.asarray(seq, dtype=np.int64)
        out[i, idx[idx < dimension]] = 1.0
    return out

# %% mutant ex_multi_hot: notes_version_no_filtering
# results[i, sequence] = 1 as in the notes: index 0 is set and large indices raise IndexError.
def multi_hot(sequences, dimension):
    out = np.zeros((len(sequences), dimension), dtype=np.float32)
    for i, seq in enumerate(sequences):
        out[i, list(seq)] = 1.0
    return out

# %% mutant ex_multi_hot: off_by_one_index
# Shifts every index by one (index j written to column j - 1).
def multi_hot(sequences, dimension):
    out = np.zeros((len(sequences), dimension), dtype=np.float32)
    for i, seq in enumerate(sequences):
        idx = np.asarray(seq, dtype=np.int64)
        out[i, idx[(idx > 0) & (idx <= dimension)] - 1] = 1.0
    return out

# %% mutant ex_multi_hot: float64_terms_by_documents
# Transposed (dimension, documents) float64 matrix.
def multi_hot(sequences, dimension):
    out = np.zeros((dimension, len(sequences)))
    for i, seq in enumerate(sequences):
        idx = np.asarray(seq, dtype=np.int64)
        out[idx[(idx > 0) & (idx < dimension)], i] = 1.0
    return out

# %% mutant ex_counts: binary_term_frequency
# Records presence instead of the number of occurrences.
def count_matrix(docs, vocabulary):
    data, indices, indptr = [], [], [0]
    for doc in docs:
        for column in sorted({vocabulary[t] for t in doc if t in vocabulary}):
            indices.append(column)
            data.append(1)
        indptr.append(len(indices))
    return sp.csr_matrix((np.array(data, dtype=np.int64), np.array(indices, dtype=np.int64), np.array(indptr)),
                         shape=(len(docs), len(vocabulary)))


def document_frequency(X):
    return np.asarray((X > 0).sum(axis=0)).ravel().astype(np.int64)

# %% mutant ex_counts: df_counts_occurrences
# df as the column sums: total occurrences, not documents.
def count_matrix(docs, vocabulary):
    data, indices, indptr = [], [], [0]
    for doc in docs:
        counts = Counter(vocabulary[t] for t in doc if t in vocabulary)
        for column, count in counts.items():
            indices.append(column)
            data.append(count)
        indptr.append(len(indices))
    return sp.csr_matrix((np.array(data, dtype=np.int64), np.array(indices, dtype=np.int64), np.array(indptr)),
                         shape=(len(docs), len(vocabulary)))


def document_frequency(X):
    return np.asarray(X.sum(axis=0)).ravel().astype(np.int64)

# %% mutant ex_counts: df_per_document
# Counts along the wrong axis: the number of distinct terms of each document.
def count_matrix(docs, vocabulary):
    data, indices, indptr = [], [], [0]
    for doc in docs:
        counts = Counter(vocabulary[t] for t in doc if t in vocabulary)
        for column, count in counts.items():
            indices.append(column)
            data.append(count)
        indptr.append(len(indices))
    return sp.csr_matrix((np.array(data, dtype=np.int64), np.array(indices, dtype=np.int64), np.array(indptr)),
                         shape=(len(docs), len(vocabulary)))


def document_frequency(X):
    return np.asarray((X > 0).sum(axis=1)).ravel().astype(np.int64)

# %% mutant ex_counts: unknown_tokens_crash
# Looks every token up without skipping those outside the vocabulary.
def count_matrix(docs, vocabulary):
    data, indices, indptr = [], [], [0]
    for doc in docs:
        counts = Counter(vocabulary[t] for t in doc)
        for column, count in counts.items():
            indices.append(column)
            data.append(count)
        indptr.append(len(indices))
    return sp.csr_matrix((np.array(data, dtype=np.int64), np.array(indices, dtype=np.int64), np.array(indptr)),
                         shape=(len(docs), len(vocabulary)))


def document_frequency(X):
    return np.asarray((X > 0).sum(axis=0)).ravel().astype(np.int64)

# %% mutant ex_counts: stored_entries_as_documents
# df from the stored entries of each column, explicit zeros included.
def count_matrix(docs, vocabulary):
    data, indices, indptr = [], [], [0]
    for doc in docs:
        counts = Counter(vocabulary[t] for t in doc if t in vocabulary)
        for column, count in counts.items():
            indices.append(column)
            data.append(count)
        indptr.append(len(indices))
    return sp.csr_matrix((np.array(data, dtype=np.int64), np.array(indices, dtype=np.int64), np.array(indptr)),
                         shape=(len(docs), len(vocabulary)))


def document_frequency(X):
    X = sp.csr_matrix(X)
    return np.bincount(X.indices, minlength=X.shape[1]).astype(np.int64)

# %% mutant ex_tfidf: idf_without_smoothing
# Ignores smooth_idf: always ln(n / df) + 1.
def fit_idf(X, smooth_idf=True):
    n = X.shape[0]
    df = document_frequency(X).astype(np.float64)
    return np.log(n / df) + 1.0


def tfidf_transform(X, idf, sublinear_tf=False):
    W = sp.csr_matrix(X, dtype=np.float64, copy=True)
    if sublinear_tf:
        W.data = 1.0 + np.log(W.data)
    W = sp.csr_matrix(W @ sp.diags(idf))
    norms = np.sqrt(np.asarray(W.multiply(W).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ W)

# %% mutant ex_tfidf: idf_without_plus_one
# ln((1 + n) / (1 + df)) with no + 1: a term in every document gets weight 0.
def fit_idf(X, smooth_idf=True):
    n = X.shape[0]
    df = document_frequency(X).astype(np.float64)
    if smooth_idf:
        return np.log((1 + n) / (1 + df))
    return np.log(n / df)


def tfidf_transform(X, idf, sublinear_tf=False):
    W = sp.csr_matrix(X, dtype=np.float64, copy=True)
    if sublinear_tf:
        W.data = 1.0 + np.log(W.data)
    W = sp.csr_matrix(W @ sp.diags(idf))
    norms = np.sqrt(np.asarray(W.multiply(W).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ W)

# %% mutant ex_tfidf: l1_instead_of_l2
# Rows scaled to unit L1 norm.
def fit_idf(X, smooth_idf=True):
    n = X.shape[0]
    df = document_frequency(X).astype(np.float64)
    if smooth_idf:
        return np.log((1 + n) / (1 + df)) + 1.0
    return np.log(n / df) + 1.0


def tfidf_transform(X, idf, sublinear_tf=False):
    W = sp.csr_matrix(X, dtype=np.float64, copy=True)
    if sublinear_tf:
        W.data = 1.0 + np.log(W.data)
    W = sp.csr_matrix(W @ sp.diags(idf))
    norms = np.asarray(abs(W).sum(axis=1)).ravel()
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ W)

# %% mutant ex_tfidf: log2_like_the_notes
# The notes' base-2 logarithm.
def fit_idf(X, smooth_idf=True):
    n = X.shape[0]
    df = document_frequency(X).astype(np.float64)
    if smooth_idf:
        return np.log2((1 + n) / (1 + df)) + 1.0
    return np.log2(n / df) + 1.0


def tfidf_transform(X, idf, sublinear_tf=False):
    W = sp.csr_matrix(X, dtype=np.float64, copy=True)
    if sublinear_tf:
        W.data = 1.0 + np.log2(W.data)
    W = sp.csr_matrix(W @ sp.diags(idf))
    norms = np.sqrt(np.asarray(W.multiply(W).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ W)

# %% mutant ex_tfidf: sublinear_without_one
# ln(tf) instead of 1 + ln(tf): a term seen once disappears.
def fit_idf(X, smooth_idf=True):
    n = X.shape[0]
    df = document_frequency(X).astype(np.float64)
    if smooth_idf:
        return np.log((1 + n) / (1 + df)) + 1.0
    return np.log(n / df) + 1.0


def tfidf_transform(X, idf, sublinear_tf=False):
    W = sp.csr_matrix(X, dtype=np.float64, copy=True)
    if sublinear_tf:
        W.data = np.log(W.data)
    W = sp.csr_matrix(W @ sp.diags(idf))
    norms = np.sqrt(np.asarray(W.multiply(W).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ W)

# %% mutant ex_tfidf: normalizes_columns
# Divides every term (column) by its norm instead of every document (row).
def fit_idf(X, smooth_idf=True):
    n = X.shape[0]
    df = document_frequency(X).astype(np.float64)
    if smooth_idf:
        return np.log((1 + n) / (1 + df)) + 1.0
    return np.log(n / df) + 1.0


def tfidf_transform(X, idf, sublinear_tf=False):
    W = sp.csr_matrix(X, dtype=np.float64, copy=True)
    if sublinear_tf:
        W.data = 1.0 + np.log(W.data)
    W = sp.csr_matrix(W @ sp.diags(idf))
    norms = np.sqrt(np.asarray(W.multiply(W).sum(axis=0)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(W @ sp.diags(1.0 / norms))

# %% mutant ex_top_k: dot_product_not_cosine
# Forgets to normalize: ranks by the raw dot product.
def top_k_similar(queries, docs, k):
    S = (sp.csr_matrix(queries, dtype=np.float64) @ sp.csr_matrix(docs, dtype=np.float64).T).toarray()
    k = min(k, S.shape[1])
    indices = np.argsort(-S, axis=1, kind="stable")[:, :k]
    return indices, np.take_along_axis(S, indices, axis=1)

# %% mutant ex_top_k: least_similar_first
# Sorts in increasing order of similarity.
def top_k_similar(queries, docs, k):
    def normalized(M):
        M = sp.csr_matrix(M, dtype=np.float64)
        norms = np.sqrt(np.asarray(M.multiply(M).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.diags(1.0 / norms) @ M

    S = (normalized(queries) @ normalized(docs).T).toarray()
    k = min(k, S.shape[1])
    indices = np.argsort(S, axis=1, kind="stable")[:, :k]
    return indices, np.take_along_axis(S, indices, axis=1)

# %% mutant ex_top_k: only_documents_normalized
# Normalizes the documents but not the queries: right order, wrong scores.
def top_k_similar(queries, docs, k):
    def normalized(M):
        M = sp.csr_matrix(M, dtype=np.float64)
        norms = np.sqrt(np.asarray(M.multiply(M).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.diags(1.0 / norms) @ M

    S = (sp.csr_matrix(queries, dtype=np.float64) @ normalized(docs).T).toarray()
    k = min(k, S.shape[1])
    indices = np.argsort(-S, axis=1, kind="stable")[:, :k]
    return indices, np.take_along_axis(S, indices, axis=1)

# %% mutant ex_top_k: off_by_one_k
# Keeps k + 1 neighbours (a slice that was meant to skip the query itself).
def top_k_similar(queries, docs, k):
    def normalized(M):
        M = sp.csr_matrix(M, dtype=np.float64)
        norms = np.sqrt(np.asarray(M.multiply(M).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.diags(1.0 / norms) @ M

    S = (normalized(queries) @ normalized(docs).T).toarray()
    indices = np.argsort(-S, axis=1, kind="stable")[:, : k + 1]
    return indices, np.take_along_axis(S, indices, axis=1)

# %% mutant ex_nb: counts_not_binarized
# Sums the raw counts instead of the binarized features.
def nb_log_count_ratio(X, y, alpha=1.0):
    X = sp.csr_matrix(X, dtype=np.float64)
    y = np.asarray(y)
    p = alpha + np.asarray(X[y == 1].sum(axis=0)).ravel()
    q = alpha + np.asarray(X[y == 0].sum(axis=0)).ravel()
    return np.log(p / p.sum()) - np.log(q / q.sum())


def nb_features(X, r):
    B = sp.csr_matrix((X > 0).astype(np.float64))
    return sp.csr_matrix(B @ sp.diags(r))

# %% mutant ex_nb: no_l1_normalization
# r = ln(p / q), forgetting to divide p and q by their L1 norms.
def nb_log_count_ratio(X, y, alpha=1.0):
    B = sp.csr_matrix((X > 0).astype(np.float64))
    y = np.asarray(y)
    p = alpha + np.asarray(B[y == 1].sum(axis=0)).ravel()
    q = alpha + np.asarray(B[y == 0].sum(axis=0)).ravel()
    return np.log(p / q)


def nb_features(X, r):
    B = sp.csr_matrix((X > 0).astype(np.float64))
    return sp.csr_matrix(B @ sp.diags(r))

# %% mutant ex_nb: classes_swapped
# Negative class in the numerator.
def nb_log_count_ratio(X, y, alpha=1.0):
    B = sp.csr_matrix((X > 0).astype(np.float64))
    y = np.asarray(y)
    p = alpha + np.asarray(B[y == 0].sum(axis=0)).ravel()
    q = alpha + np.asarray(B[y == 1].sum(axis=0)).ravel()
    return np.log(p / p.sum()) - np.log(q / q.sum())


def nb_features(X, r):
    B = sp.csr_matrix((X > 0).astype(np.float64))
    return sp.csr_matrix(B @ sp.diags(r))

# %% mutant ex_nb: norm_without_alpha
# Divides by the raw class totals, leaving alpha out of |p|_1 and |q|_1.
def nb_log_count_ratio(X, y, alpha=1.0):
    B = sp.csr_matrix((X > 0).astype(np.float64))
    y = np.asarray(y)
    p_raw = np.asarray(B[y == 1].sum(axis=0)).ravel()
    q_raw = np.asarray(B[y == 0].sum(axis=0)).ravel()
    return np.log((alpha + p_raw) / p_raw.sum()) - np.log((alpha + q_raw) / q_raw.sum())


def nb_features(X, r):
    B = sp.csr_matrix((X > 0).astype(np.float64))
    return sp.csr_matrix(B @ sp.diags(r))

# %% mutant ex_nb: features_not_binarized
# r is right but the features multiply the raw counts.
def nb_log_count_ratio(X, y, alpha=1.0):
    B = sp.csr_matrix((X > 0).astype(np.float64))
    y = np.asarray(y)
    p = alpha + np.asarray(B[y == 1].sum(axis=0)).ravel()
    q = alpha + np.asarray(B[y == 0].sum(axis=0)).ravel()
    return np.log(p / p.sum()) - np.log(q / q.sum())


def nb_features(X, r):
    return sp.csr_matrix(sp.csr_matrix(X, dtype=np.float64) @ sp.diags(r))
