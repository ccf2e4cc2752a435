# Wrong implementations of lesson 04's exercises: each must lose points (see docs/AUTHORING.md).
# A section's body replaces the solution cell named in its header and runs in the notebook's
# kernel, where the setup cell's imports (np, torch, nn, F, ...) and `sigmoid` exist.

# %% mutant ex_embed: one_hot_rows_not_columns
# One ROW per id (np.eye(V)[ids]), the layout of a PyTorch batch, and embed transposes to cope.
def one_hot(ids, vocab_size):
    return np.eye(vocab_size)[np.asarray(ids, dtype=np.int64)]


def embed(E, ids):
    return E @ one_hot(ids, E.shape[1]).T


# %% mutant ex_embed: one_based_index
# The notes number words from 1 (O_6257 for "orange"), so the 1 lands one row too high.
def one_hot(ids, vocab_size):
    ids = np.asarray(ids, dtype=np.int64)
    out = np.zeros((vocab_size, len(ids)))
    out[ids - 1, np.arange(len(ids))] = 1.0
    return out


def embed(E, ids):
    return E @ one_hot(ids, E.shape[1])


# %% mutant ex_embed: every_column_multi_hot
# out[ids, :] = 1 sets the rows of ALL ids in every column: a multi-hot vector repeated.
def one_hot(ids, vocab_size):
    ids = np.asarray(ids, dtype=np.int64)
    out = np.zeros((vocab_size, len(ids)))
    out[ids, :] = 1.0
    return out


def embed(E, ids):
    return E @ one_hot(ids, E.shape[1])


# %% mutant ex_embed: vocab_size_from_wrong_axis
# Takes V from E.shape[0], which is d: breaks as soon as d != V.
def one_hot(ids, vocab_size):
    ids = np.asarray(ids, dtype=np.int64)
    out = np.zeros((vocab_size, len(ids)))
    out[ids, np.arange(len(ids))] = 1.0
    return out


def embed(E, ids):
    return E @ one_hot(ids, E.shape[0])


# %% mutant ex_embed: embeddings_as_rows
# Returns one ROW per id, shape (len(ids), d), instead of columns.
def one_hot(ids, vocab_size):
    ids = np.asarray(ids, dtype=np.int64)
    out = np.zeros((vocab_size, len(ids)))
    out[ids, np.arange(len(ids))] = 1.0
    return out


def embed(E, ids):
    return one_hot(ids, E.shape[1]).T @ E.T


# %% mutant ex_analogy: cosine_without_norms
# The dot product alone: longer vectors look more similar.
def cosine_similarity(u, v):
    return float(np.dot(u, v))


def analogy(a, b, c, W, words):
    index = {word: i for i, word in enumerate(words)}
    unit = W / np.linalg.norm(W, axis=1, keepdims=True)
    scores = unit @ (unit[index[b]] - unit[index[a]] + unit[index[c]])
    for word in (a, b, c):
        scores[index[word]] = -np.inf
    return words[int(np.argmax(scores))]


# %% mutant ex_analogy: cosine_divides_by_one_norm_squared
def cosine_similarity(u, v):
    return float(np.dot(u, v) / np.linalg.norm(u) ** 2)


def analogy(a, b, c, W, words):
    index = {word: i for i, word in enumerate(words)}
    unit = W / np.linalg.norm(W, axis=1, keepdims=True)
    scores = unit @ (unit[index[b]] - unit[index[a]] + unit[index[c]])
    for word in (a, b, c):
        scores[index[word]] = -np.inf
    return words[int(np.argmax(scores))]


# %% mutant ex_analogy: analogy_returns_query_word
# Forgets to exclude a, b and c: often answers with b or c itself.
def cosine_similarity(u, v):
    return float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))


def analogy(a, b, c, W, words):
    index = {word: i for i, word in enumerate(words)}
    unit = W / np.linalg.norm(W, axis=1, keepdims=True)
    scores = unit @ (unit[index[b]] - unit[index[a]] + unit[index[c]])
    return words[int(np.argmax(scores))]


# %% mutant ex_analogy: analogy_wrong_sign
# a - b + c: the offset points the wrong way.
def cosine_similarity(u, v):
    return float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))


def analogy(a, b, c, W, words):
    index = {word: i for i, word in enumerate(words)}
    unit = W / np.linalg.norm(W, axis=1, keepdims=True)
    scores = unit @ (unit[index[a]] - unit[index[b]] + unit[index[c]])
    for word in (a, b, c):
        scores[index[word]] = -np.inf
    return words[int(np.argmax(scores))]


# %% mutant ex_analogy: analogy_without_normalizing_query
# Combines the raw vectors b - a + c (gensim normalizes them first); ranking by cosine is right.
def cosine_similarity(u, v):
    return float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))


def analogy(a, b, c, W, words):
    index = {word: i for i, word in enumerate(words)}
    target = W[index[b]] - W[index[a]] + W[index[c]]
    scores = (W @ target) / np.linalg.norm(W, axis=1)
    for word in (a, b, c):
        scores[index[word]] = -np.inf
    return words[int(np.argmax(scores))]


# %% mutant ex_analogy: analogy_ranks_by_dot_product
# Normalizes the query but ranks by the raw dot product: long vectors win.
def cosine_similarity(u, v):
    return float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))


def analogy(a, b, c, W, words):
    index = {word: i for i, word in enumerate(words)}
    unit = W / np.linalg.norm(W, axis=1, keepdims=True)
    scores = W @ (unit[index[b]] - unit[index[a]] + unit[index[c]])
    for word in (a, b, c):
        scores[index[word]] = -np.inf
    return words[int(np.argmax(scores))]


# %% mutant ex_analogy: analogy_euclidean_on_raw_vectors
# Nearest raw vector in Euclidean distance to the raw b - a + c.
def cosine_similarity(u, v):
    return float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))


def analogy(a, b, c, W, words):
    index = {word: i for i, word in enumerate(words)}
    target = W[index[b]] - W[index[a]] + W[index[c]]
    distances = np.linalg.norm(W - target, axis=1)
    for word in (a, b, c):
        distances[index[word]] = np.inf
    return words[int(np.argmin(distances))]


# %% mutant ex_skipgram_pairs: window_off_by_one
# range(i - window + 1, i + window): one context word too few on each side.
def skipgram_pairs(tokens, window):
    pairs = []
    for i, center in enumerate(tokens):
        for j in range(max(0, i - window + 1), min(len(tokens), i + window)):
            if j != i:
                pairs.append((center, tokens[j]))
    return pairs


# %% mutant ex_skipgram_pairs: center_is_its_own_context
def skipgram_pairs(tokens, window):
    pairs = []
    for i, center in enumerate(tokens):
        for j in range(max(0, i - window), min(len(tokens), i + window + 1)):
            pairs.append((center, tokens[j]))
    return pairs


# %% mutant ex_skipgram_pairs: right_context_only
# Only the words after the center, like a left-to-right language model.
def skipgram_pairs(tokens, window):
    pairs = []
    for i, center in enumerate(tokens):
        for j in range(i + 1, min(len(tokens), i + window + 1)):
            pairs.append((center, tokens[j]))
    return pairs


# %% mutant ex_skipgram_pairs: negative_index_wraps_around
# Checks only the right end: tokens[i - 2] at i = 0 is the second-to-last word.
def skipgram_pairs(tokens, window):
    pairs = []
    for i, center in enumerate(tokens):
        for j in range(i - window, i + window + 1):
            if j != i and j < len(tokens):
                pairs.append((center, tokens[j]))
    return pairs


# %% mutant ex_skipgram_pairs: context_center_order
# (context, center) instead of (center, context).
def skipgram_pairs(tokens, window):
    pairs = []
    for i, center in enumerate(tokens):
        for j in range(max(0, i - window), min(len(tokens), i + window + 1)):
            if j != i:
                pairs.append((tokens[j], center))
    return pairs


# %% mutant ex_softmax: gradients_with_the_wrong_sign
# y - y_hat instead of y_hat - y: the gradient of the log-likelihood, which ascent would need.
def softmax_loss_and_gradients(center_vec, outside_idx, outside_vectors):
    scores = outside_vectors @ center_vec
    shifted = scores - scores.max()
    log_norm = np.log(np.exp(shifted).sum())
    loss = log_norm - shifted[outside_idx]
    delta = np.exp(shifted - log_norm)
    delta[outside_idx] -= 1.0
    return float(loss), -(outside_vectors.T @ delta), -np.outer(delta, center_vec)


# %% mutant ex_softmax: no_max_subtraction
# exp of the raw scores: exact for small scores, inf and nan (with a RuntimeWarning) for scores of 1000.
def softmax_loss_and_gradients(center_vec, outside_idx, outside_vectors):
    scores = outside_vectors @ center_vec
    probs = np.exp(scores) / np.exp(scores).sum()
    loss = -np.log(probs[outside_idx])
    delta = probs.copy()
    delta[outside_idx] -= 1.0
    return float(loss), outside_vectors.T @ delta, np.outer(delta, center_vec)


# %% mutant ex_softmax: log_of_a_probability_that_underflows
# Stable softmax, but the loss is -log(y_hat[o]): inf when y_hat[o] rounds to 0.
def softmax_loss_and_gradients(center_vec, outside_idx, outside_vectors):
    scores = outside_vectors @ center_vec
    e = np.exp(scores - scores.max())
    probs = e / e.sum()
    loss = -np.log(probs[outside_idx])
    delta = probs.copy()
    delta[outside_idx] -= 1.0
    return float(loss), outside_vectors.T @ delta, np.outer(delta, center_vec)


# %% mutant ex_softmax: grad_outside_transposed
# v_c (y_hat - y)^T: shape (d, V), the layout of the notes' E, not of outside_vectors.
def softmax_loss_and_gradients(center_vec, outside_idx, outside_vectors):
    scores = outside_vectors @ center_vec
    shifted = scores - scores.max()
    log_norm = np.log(np.exp(shifted).sum())
    delta = np.exp(shifted - log_norm)
    delta[outside_idx] -= 1.0
    return float(log_norm - shifted[outside_idx]), outside_vectors.T @ delta, np.outer(center_vec, delta)


# %% mutant ex_softmax: softmax_over_the_wrong_axis
# Scores kept as a (V, 1) column and normalized along axis 1: every "probability" is 1.
def softmax_loss_and_gradients(center_vec, outside_idx, outside_vectors):
    scores = outside_vectors @ center_vec[:, None]  # (V, 1)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = (e / e.sum(axis=1, keepdims=True))[:, 0]
    loss = -np.log(probs[outside_idx])
    delta = probs.copy()
    delta[outside_idx] -= 1.0
    return float(loss), outside_vectors.T @ delta, np.outer(delta, center_vec)


# %% mutant ex_softmax: forgets_the_minus_one_at_o
# The gradient of log sum exp alone: y_hat instead of y_hat - y.
def softmax_loss_and_gradients(center_vec, outside_idx, outside_vectors):
    scores = outside_vectors @ center_vec
    shifted = scores - scores.max()
    log_norm = np.log(np.exp(shifted).sum())
    probs = np.exp(shifted - log_norm)
    return float(log_norm - shifted[outside_idx]), outside_vectors.T @ probs, np.outer(probs, center_vec)


# %% mutant ex_softmax: grad_outside_only_row_o
# Thinks like negative sampling: only u_o gets a gradient, the other rows stay 0.
def softmax_loss_and_gradients(center_vec, outside_idx, outside_vectors):
    scores = outside_vectors @ center_vec
    shifted = scores - scores.max()
    log_norm = np.log(np.exp(shifted).sum())
    delta = np.exp(shifted - log_norm)
    delta[outside_idx] -= 1.0
    grad_outside = np.zeros_like(outside_vectors)
    grad_outside[outside_idx] = delta[outside_idx] * center_vec
    return float(log_norm - shifted[outside_idx]), outside_vectors.T @ delta, grad_outside


# %% mutant ex_softmax: grad_center_uses_v_c
# dJ/dv_c written as (y_hat - y) times v_c: confuses the two gradients.
def softmax_loss_and_gradients(center_vec, outside_idx, outside_vectors):
    scores = outside_vectors @ center_vec
    shifted = scores - scores.max()
    log_norm = np.log(np.exp(shifted).sum())
    delta = np.exp(shifted - log_norm)
    delta[outside_idx] -= 1.0
    return float(log_norm - shifted[outside_idx]), delta.sum() * center_vec, np.outer(delta, center_vec)


# %% mutant ex_softmax: loss_of_the_most_likely_word
# -log of the largest probability instead of the probability of o.
def softmax_loss_and_gradients(center_vec, outside_idx, outside_vectors):
    scores = outside_vectors @ center_vec
    shifted = scores - scores.max()
    log_norm = np.log(np.exp(shifted).sum())
    delta = np.exp(shifted - log_norm)
    delta[outside_idx] -= 1.0
    return float(log_norm), outside_vectors.T @ delta, np.outer(delta, center_vec)


# %% mutant ex_softmax: changes_the_scores_of_its_input
# Shifts U in place to keep the scores small: right numbers, but the caller's vectors are changed.
def softmax_loss_and_gradients(center_vec, outside_idx, outside_vectors):
    outside_vectors -= outside_vectors.mean(axis=0)
    scores = outside_vectors @ center_vec
    shifted = scores - scores.max()
    log_norm = np.log(np.exp(shifted).sum())
    delta = np.exp(shifted - log_norm)
    delta[outside_idx] -= 1.0
    return float(log_norm - shifted[outside_idx]), outside_vectors.T @ delta, np.outer(delta, center_vec)


# %% mutant ex_softmax: float32_gradients
# Casts to float32 "to save memory": the gradients lose precision and the dtype of the contract.
def softmax_loss_and_gradients(center_vec, outside_idx, outside_vectors):
    U, v = outside_vectors.astype(np.float32), center_vec.astype(np.float32)
    scores = U @ v
    shifted = scores - scores.max()
    log_norm = np.log(np.exp(shifted).sum())
    delta = np.exp(shifted - log_norm)
    delta[outside_idx] -= 1.0
    return float(log_norm - shifted[outside_idx]), U.T @ delta, np.outer(delta, v)


# %% mutant ex_sampling: noise_without_power
# The plain unigram distribution: "the" dominates the negatives.
def noise_distribution(counts, power=0.75):
    counts = np.asarray(counts, dtype=np.float64)
    return counts / counts.sum()


def keep_probability(counts, sample=1e-3):
    counts = np.asarray(counts, dtype=np.float64)
    f = counts / counts.sum()
    return np.minimum(1.0, (np.sqrt(f / sample) + 1.0) * sample / f)


# %% mutant ex_sampling: noise_power_after_normalizing
# (count / total) ** 0.75 without normalizing again: does not sum to 1.
def noise_distribution(counts, power=0.75):
    counts = np.asarray(counts, dtype=np.float64)
    return (counts / counts.sum()) ** power


def keep_probability(counts, sample=1e-3):
    counts = np.asarray(counts, dtype=np.float64)
    f = counts / counts.sum()
    return np.minimum(1.0, (np.sqrt(f / sample) + 1.0) * sample / f)


# %% mutant ex_sampling: noise_ignores_power_argument
def noise_distribution(counts, power=0.75):
    weights = np.asarray(counts, dtype=np.float64) ** 0.75
    return weights / weights.sum()


def keep_probability(counts, sample=1e-3):
    counts = np.asarray(counts, dtype=np.float64)
    f = counts / counts.sum()
    return np.minimum(1.0, (np.sqrt(f / sample) + 1.0) * sample / f)


# %% mutant ex_sampling: keep_paper_formula
# The NeurIPS paper's sqrt(t / f), not the formula word2vec and gensim actually use.
def noise_distribution(counts, power=0.75):
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


def keep_probability(counts, sample=1e-3):
    counts = np.asarray(counts, dtype=np.float64)
    f = counts / counts.sum()
    return np.minimum(1.0, np.sqrt(sample / f))


# %% mutant ex_sampling: returns_drop_probability
def noise_distribution(counts, power=0.75):
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


def keep_probability(counts, sample=1e-3):
    counts = np.asarray(counts, dtype=np.float64)
    f = counts / counts.sum()
    return 1.0 - np.minimum(1.0, (np.sqrt(f / sample) + 1.0) * sample / f)


# %% mutant ex_sampling: keep_not_clipped
def noise_distribution(counts, power=0.75):
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


def keep_probability(counts, sample=1e-3):
    counts = np.asarray(counts, dtype=np.float64)
    f = counts / counts.sum()
    return (np.sqrt(f / sample) + 1.0) * sample / f


# %% mutant ex_sampling: keep_uses_counts_not_frequencies
def noise_distribution(counts, power=0.75):
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


def keep_probability(counts, sample=1e-3):
    f = np.asarray(counts, dtype=np.float64)
    return np.minimum(1.0, (np.sqrt(f / sample) + 1.0) * sample / f)


# %% mutant ex_sgns_grad: negatives_sigmoid_wrong_sign
# log sigmoid(+u_k.v_c) for the negatives, with the matching gradients: rewards fake pairs.
def sgns_loss_and_gradients(center_vec, outside_idx, outside_vectors, noise, k=10):
    negatives = np.random.choice(len(noise), size=k, p=noise)
    u_o = outside_vectors[outside_idx]
    u_neg = outside_vectors[negatives]
    s_o = sigmoid(u_o @ center_vec)
    s_neg = sigmoid(u_neg @ center_vec)
    loss = -np.log(s_o) - np.sum(np.log(s_neg))
    grad_center = -(1.0 - s_o) * u_o - (1.0 - s_neg) @ u_neg
    grad_outside = np.zeros_like(outside_vectors)
    grad_outside[outside_idx] += -(1.0 - s_o) * center_vec
    np.add.at(grad_outside, negatives, -np.outer(1.0 - s_neg, center_vec))
    return float(loss), grad_center, grad_outside


# %% mutant ex_sgns_grad: grad_center_missing_context_term
def sgns_loss_and_gradients(center_vec, outside_idx, outside_vectors, noise, k=10):
    negatives = np.random.choice(len(noise), size=k, p=noise)
    u_o = outside_vectors[outside_idx]
    u_neg = outside_vectors[negatives]
    s_o = sigmoid(u_o @ center_vec)
    s_neg = sigmoid(-(u_neg @ center_vec))
    loss = -np.log(s_o) - np.sum(np.log(s_neg))
    grad_center = (1.0 - s_neg) @ u_neg
    grad_outside = np.zeros_like(outside_vectors)
    grad_outside[outside_idx] += -(1.0 - s_o) * center_vec
    np.add.at(grad_outside, negatives, np.outer(1.0 - s_neg, center_vec))
    return float(loss), grad_center, grad_outside


# %% mutant ex_sgns_grad: repeated_negatives_counted_once
# grad[negatives] += ... is buffered: a word drawn twice gets one term, not two.
def sgns_loss_and_gradients(center_vec, outside_idx, outside_vectors, noise, k=10):
    negatives = np.random.choice(len(noise), size=k, p=noise)
    u_o = outside_vectors[outside_idx]
    u_neg = outside_vectors[negatives]
    s_o = sigmoid(u_o @ center_vec)
    s_neg = sigmoid(-(u_neg @ center_vec))
    loss = -np.log(s_o) - np.sum(np.log(s_neg))
    grad_center = -(1.0 - s_o) * u_o + (1.0 - s_neg) @ u_neg
    grad_outside = np.zeros_like(outside_vectors)
    grad_outside[outside_idx] += -(1.0 - s_o) * center_vec
    grad_outside[negatives] += np.outer(1.0 - s_neg, center_vec)
    return float(loss), grad_center, grad_outside


# %% mutant ex_sgns_grad: mean_over_negatives
# Averages the K negative terms instead of summing them (and the gradients to match).
def sgns_loss_and_gradients(center_vec, outside_idx, outside_vectors, noise, k=10):
    negatives = np.random.choice(len(noise), size=k, p=noise)
    u_o = outside_vectors[outside_idx]
    u_neg = outside_vectors[negatives]
    s_o = sigmoid(u_o @ center_vec)
    s_neg = sigmoid(-(u_neg @ center_vec))
    loss = -np.log(s_o) - np.mean(np.log(s_neg))
    grad_center = -(1.0 - s_o) * u_o + (1.0 - s_neg) @ u_neg / k
    grad_outside = np.zeros_like(outside_vectors)
    grad_outside[outside_idx] += -(1.0 - s_o) * center_vec
    np.add.at(grad_outside, negatives, np.outer(1.0 - s_neg, center_vec) / k)
    return float(loss), grad_center, grad_outside


# %% mutant ex_sgns_grad: gradient_of_the_log_likelihood
# The gradient of +log-likelihood (the ascent direction): every sign flipped.
def sgns_loss_and_gradients(center_vec, outside_idx, outside_vectors, noise, k=10):
    negatives = np.random.choice(len(noise), size=k, p=noise)
    u_o = outside_vectors[outside_idx]
    u_neg = outside_vectors[negatives]
    s_o = sigmoid(u_o @ center_vec)
    s_neg = sigmoid(-(u_neg @ center_vec))
    loss = -np.log(s_o) - np.sum(np.log(s_neg))
    grad_center = (1.0 - s_o) * u_o - (1.0 - s_neg) @ u_neg
    grad_outside = np.zeros_like(outside_vectors)
    grad_outside[outside_idx] += (1.0 - s_o) * center_vec
    np.add.at(grad_outside, negatives, -np.outer(1.0 - s_neg, center_vec))
    return float(loss), grad_center, grad_outside


# %% mutant ex_sgns_model: one_shared_table
# The same table for centers and contexts.
class SkipGramNS(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.center = nn.Embedding(vocab_size, dim, sparse=True)
        nn.init.uniform_(self.center.weight, -0.5 / dim, 0.5 / dim)
        self.context = self.center

    def forward(self, center, context, negatives):
        v = self.center(center)
        positive = F.logsigmoid((self.context(context) * v).sum(dim=1))
        negative = F.logsigmoid(-torch.bmm(self.context(negatives), v.unsqueeze(2)).squeeze(2)).sum(dim=1)
        return -(positive + negative)


# %% mutant ex_sgns_model: negatives_wrong_sign
class SkipGramNS(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.center = nn.Embedding(vocab_size, dim, sparse=True)
        self.context = nn.Embedding(vocab_size, dim, sparse=True)
        nn.init.uniform_(self.center.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.context.weight)

    def forward(self, center, context, negatives):
        v = self.center(center)
        positive = F.logsigmoid((self.context(context) * v).sum(dim=1))
        negative = F.logsigmoid(torch.bmm(self.context(negatives), v.unsqueeze(2)).squeeze(2)).sum(dim=1)
        return -(positive + negative)


# %% mutant ex_sgns_model: mean_over_negatives
class SkipGramNS(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.center = nn.Embedding(vocab_size, dim, sparse=True)
        self.context = nn.Embedding(vocab_size, dim, sparse=True)
        nn.init.uniform_(self.center.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.context.weight)

    def forward(self, center, context, negatives):
        v = self.center(center)
        positive = F.logsigmoid((self.context(context) * v).sum(dim=1))
        negative = F.logsigmoid(-torch.bmm(self.context(negatives), v.unsqueeze(2)).squeeze(2)).mean(dim=1)
        return -(positive + negative)


# %% mutant ex_sgns_model: dense_gradients
# Forgets sparse=True: every step would update (and allocate) the whole V x d tables.
class SkipGramNS(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.center = nn.Embedding(vocab_size, dim)
        self.context = nn.Embedding(vocab_size, dim)
        nn.init.uniform_(self.center.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.context.weight)

    def forward(self, center, context, negatives):
        v = self.center(center)
        positive = F.logsigmoid((self.context(context) * v).sum(dim=1))
        negative = F.logsigmoid(-torch.bmm(self.context(negatives), v.unsqueeze(2)).squeeze(2)).sum(dim=1)
        return -(positive + negative)


# %% mutant ex_sgns_model: default_normal_init
# Keeps nn.Embedding's N(0, 1) initialization for both tables.
class SkipGramNS(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.center = nn.Embedding(vocab_size, dim, sparse=True)
        self.context = nn.Embedding(vocab_size, dim, sparse=True)

    def forward(self, center, context, negatives):
        v = self.center(center)
        positive = F.logsigmoid((self.context(context) * v).sum(dim=1))
        negative = F.logsigmoid(-torch.bmm(self.context(negatives), v.unsqueeze(2)).squeeze(2)).sum(dim=1)
        return -(positive + negative)


# %% mutant ex_sgns_model: returns_batch_mean
class SkipGramNS(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.center = nn.Embedding(vocab_size, dim, sparse=True)
        self.context = nn.Embedding(vocab_size, dim, sparse=True)
        nn.init.uniform_(self.center.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.context.weight)

    def forward(self, center, context, negatives):
        v = self.center(center)
        positive = F.logsigmoid((self.context(context) * v).sum(dim=1))
        negative = F.logsigmoid(-torch.bmm(self.context(negatives), v.unsqueeze(2)).squeeze(2)).sum(dim=1)
        return -(positive + negative).mean()
