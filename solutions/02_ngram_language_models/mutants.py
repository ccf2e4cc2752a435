# Wrong implementations of lesson 02's exercises: each must lose points (see docs/AUTHORING.md).

# %% mutant ex_count_ngrams: no_boundary_padding
# Forgets the sentence boundaries: no <s>, no </s>.
def pad_sentence(tokens, n):
    return list(tokens)


def count_ngrams(sentences, n):
    counts = Counter()
    for tokens in sentences:
        padded = pad_sentence(tokens, n)
        for i in range(len(padded) - n + 1):
            counts[tuple(padded[i : i + n])] += 1
    return counts

# %% mutant ex_count_ngrams: off_by_one_window
# Drops the last n-gram of every sentence.
def pad_sentence(tokens, n):
    return [BOS] * (n - 1) + list(tokens) + [EOS]


def count_ngrams(sentences, n):
    counts = Counter()
    for tokens in sentences:
        padded = pad_sentence(tokens, n)
        for i in range(len(padded) - n):
            counts[tuple(padded[i : i + n])] += 1
    return counts

# %% mutant ex_count_ngrams: n_start_symbols
# Pads with n copies of <s> instead of n - 1.
def pad_sentence(tokens, n):
    return [BOS] * n + list(tokens) + [EOS]


def count_ngrams(sentences, n):
    counts = Counter()
    for tokens in sentences:
        padded = pad_sentence(tokens, n)
        for i in range(len(padded) - n + 1):
            counts[tuple(padded[i : i + n])] += 1
    return counts

# %% mutant ex_count_ngrams: end_padded_like_the_start
# n - 1 copies of </s> at the end (nltk.lm's pad_both_ends), where the course uses one.
def pad_sentence(tokens, n):
    return [BOS] * (n - 1) + list(tokens) + [EOS] * (n - 1)


def count_ngrams(sentences, n):
    counts = Counter()
    for tokens in sentences:
        padded = pad_sentence(tokens, n)
        for i in range(len(padded) - n + 1):
            counts[tuple(padded[i : i + n])] += 1
    return counts

# %% mutant ex_count_ngrams: counts_across_sentences
# Concatenates the corpus and pads it once, so n-grams span sentence boundaries.
def pad_sentence(tokens, n):
    return [BOS] * (n - 1) + list(tokens) + [EOS]


def count_ngrams(sentences, n):
    stream = pad_sentence([w for s in sentences for w in s], n)
    return Counter(tuple(stream[i : i + n]) for i in range(len(stream) - n + 1))

# %% mutant ex_add_k: counts_not_normalized
# Returns the smoothed count instead of a probability.
def context_totals(counts):
    totals = Counter()
    for gram, c in counts.items():
        totals[gram[:-1]] += c
    return totals


def add_k_prob(word, context, counts, totals, k, vocab_size):
    return counts[tuple(context) + (word,)] + k

# %% mutant ex_add_k: k_not_times_vocab_size
# Adds k once to the denominator instead of k |V|.
def context_totals(counts):
    totals = Counter()
    for gram, c in counts.items():
        totals[gram[:-1]] += c
    return totals


def add_k_prob(word, context, counts, totals, k, vocab_size):
    denominator = totals[tuple(context)] + k
    if denominator == 0:
        return 0.0
    return (counts[tuple(context) + (word,)] + k) / denominator

# %% mutant ex_add_k: joint_not_conditional
# Divides by the number of all n-grams: P(h, w) instead of P(w | h).
def context_totals(counts):
    totals = Counter()
    for gram, c in counts.items():
        totals[gram[:-1]] += c
    return totals


def add_k_prob(word, context, counts, totals, k, vocab_size):
    denominator = sum(counts.values()) + k * vocab_size
    if denominator == 0:
        return 0.0
    return (counts[tuple(context) + (word,)] + k) / denominator

# %% mutant ex_add_k: totals_count_types
# c(h .) computed as the number of different followers instead of the summed counts.
def context_totals(counts):
    return Counter(gram[:-1] for gram in counts)


def add_k_prob(word, context, counts, totals, k, vocab_size):
    denominator = totals[tuple(context)] + k * vocab_size
    if denominator == 0:
        return 0.0
    return (counts[tuple(context) + (word,)] + k) / denominator

# %% mutant ex_add_k: unseen_context_divides_by_zero
# No guard for a context never seen (MLE: 0 / 0).
def context_totals(counts):
    totals = Counter()
    for gram, c in counts.items():
        totals[gram[:-1]] += c
    return totals


def add_k_prob(word, context, counts, totals, k, vocab_size):
    return (counts[tuple(context) + (word,)] + k) / (totals[tuple(context)] + k * vocab_size)

# %% mutant ex_continuation_counts: sums_counts_not_types
# Counts occurrences of the suffix, not distinct preceding words ("Francisco" problem).
def continuation_counts(counts):
    cont = Counter()
    for gram, c in counts.items():
        cont[gram[1:]] += c
    return cont

# %% mutant ex_continuation_counts: prefix_not_suffix
# Keys by ngram[:-1]: counts the words that follow, N1+(g .), instead of those that precede.
def continuation_counts(counts):
    return Counter(gram[:-1] for gram, c in counts.items() if c > 0)

# %% mutant ex_continuation_counts: start_symbol_not_a_word
# Leaves out the n-grams that start with <s>.
def continuation_counts(counts):
    return Counter(gram[1:] for gram, c in counts.items() if c > 0 and gram[0] != BOS)

# %% mutant ex_continuation_counts: last_word_only
# Always keys by the last word, right for bigrams but not for trigrams.
def continuation_counts(counts):
    return Counter(gram[-1:] for gram, c in counts.items() if c > 0)

# %% mutant ex_kneser_ney: discount_at_wrong_order
# Subtracts d only at the lower orders: the highest-order count keeps its full value.
def kneser_ney_prob(word, context, stats, discount=0.75):
    n = stats.order
    h = tuple(context)[len(context) - (n - 1):]

    def prob(m, ctx):
        if m == 1:
            return stats.continuation[1][(word,)] / stats.cont_totals[1][()]
        lower = prob(m - 1, ctx[1:])
        if m == n:
            c, total, types = stats.counts[m][ctx + (word,)], stats.totals[m][ctx], stats.types[m][ctx]
        else:
            c, total, types = stats.continuation[m][ctx + (word,)], stats.cont_totals[m][ctx], stats.cont_types[m][ctx]
        if total == 0:
            return lower
        d = 0.0 if m == n else discount
        return max(c - d, 0.0) / total + discount * types / total * lower

    return prob(n, h)

# %% mutant ex_kneser_ney: raw_counts_everywhere
# Absolute discounting: raw counts at every order and a unigram MLE at the bottom.
def kneser_ney_prob(word, context, stats, discount=0.75):
    n = stats.order
    h = tuple(context)[len(context) - (n - 1):]

    def prob(m, ctx):
        if m == 1:
            return stats.counts[1][(word,)] / stats.totals[1][()]
        lower = prob(m - 1, ctx[1:])
        c, total, types = stats.counts[m][ctx + (word,)], stats.totals[m][ctx], stats.types[m][ctx]
        if total == 0:
            return lower
        return max(c - discount, 0.0) / total + discount * types / total * lower

    return prob(n, h)

# %% mutant ex_kneser_ney: lambda_without_types
# lambda(h) = d, forgetting that every one of the N1+(h .) seen words gave up d.
def kneser_ney_prob(word, context, stats, discount=0.75):
    n = stats.order
    h = tuple(context)[len(context) - (n - 1):]

    def prob(m, ctx):
        if m == 1:
            return stats.continuation[1][(word,)] / stats.cont_totals[1][()]
        lower = prob(m - 1, ctx[1:])
        if m == n:
            c, total = stats.counts[m][ctx + (word,)], stats.totals[m][ctx]
        else:
            c, total = stats.continuation[m][ctx + (word,)], stats.cont_totals[m][ctx]
        if total == 0:
            return lower
        return max(c - discount, 0.0) / total + discount * lower

    return prob(n, h)

# %% mutant ex_kneser_ney: unseen_context_gets_zero
# Returns 0 for a context never seen instead of falling back to the lower order.
def kneser_ney_prob(word, context, stats, discount=0.75):
    n = stats.order
    h = tuple(context)[len(context) - (n - 1):]

    def prob(m, ctx):
        if m == 1:
            return stats.continuation[1][(word,)] / stats.cont_totals[1][()]
        if m == n:
            c, total, types = stats.counts[m][ctx + (word,)], stats.totals[m][ctx], stats.types[m][ctx]
        else:
            c, total, types = stats.continuation[m][ctx + (word,)], stats.cont_totals[m][ctx], stats.cont_types[m][ctx]
        if total == 0:
            return 0.0
        return max(c - discount, 0.0) / total + discount * types / total * prob(m - 1, ctx[1:])

    return prob(n, h)

# %% mutant ex_kneser_ney: no_interpolation_below_top
# The lower orders are plain continuation relative frequencies, not interpolated further down.
def kneser_ney_prob(word, context, stats, discount=0.75):
    n = stats.order
    h = tuple(context)[len(context) - (n - 1):]
    p_cont = stats.continuation[1][(word,)] / stats.cont_totals[1][()]
    if n == 2:
        lower = p_cont
    else:
        ctx = h[1:]
        total = stats.cont_totals[n - 1][ctx]
        lower = stats.continuation[n - 1][ctx + (word,)] / total if total else p_cont
    c, total, types = stats.counts[n][h + (word,)], stats.totals[n][h], stats.types[n][h]
    if total == 0:
        return lower
    return max(c - discount, 0.0) / total + discount * types / total * lower

# %% mutant ex_perplexity: forgets_end_symbol
# Scores the words but not the final </s>.
def perplexity(prob, sentences, n, vocab):
    log_sum, count = 0.0, 0
    for tokens in sentences:
        padded = [BOS] * (n - 1) + [w if w in vocab else UNK for w in tokens]
        for i in range(n - 1, len(padded)):
            p = prob(padded[i], tuple(padded[i - n + 1 : i]))
            if p <= 0:
                return math.inf
            log_sum += math.log(p)
            count += 1
    return math.exp(-log_sum / count)

# %% mutant ex_perplexity: start_symbols_in_the_count
# Divides by a token count that includes the n - 1 <s> of every sentence.
def perplexity(prob, sentences, n, vocab):
    log_sum, count = 0.0, 0
    for tokens in sentences:
        padded = pad_sentence([w if w in vocab else UNK for w in tokens], n)
        count += n - 1
        for i in range(n - 1, len(padded)):
            p = prob(padded[i], tuple(padded[i - n + 1 : i]))
            if p <= 0:
                return math.inf
            log_sum += math.log(p)
            count += 1
    return math.exp(-log_sum / count)

# %% mutant ex_perplexity: no_unk_mapping
# Scores words outside the vocabulary as they are.
def perplexity(prob, sentences, n, vocab):
    log_sum, count = 0.0, 0
    for tokens in sentences:
        padded = pad_sentence(list(tokens), n)
        for i in range(n - 1, len(padded)):
            p = prob(padded[i], tuple(padded[i - n + 1 : i]))
            if p <= 0:
                return math.inf
            log_sum += math.log(p)
            count += 1
    return math.exp(-log_sum / count)

# %% mutant ex_perplexity: mean_of_sentence_perplexities
# Averages the perplexity of each sentence instead of pooling all tokens.
def perplexity(prob, sentences, n, vocab):
    values = []
    for tokens in sentences:
        padded = pad_sentence([w if w in vocab else UNK for w in tokens], n)
        log_sum = 0.0
        for i in range(n - 1, len(padded)):
            p = prob(padded[i], tuple(padded[i - n + 1 : i]))
            if p <= 0:
                return math.inf
            log_sum += math.log(p)
        values.append(math.exp(-log_sum / (len(padded) - n + 1)))
    return sum(values) / len(values)

# %% mutant ex_perplexity: base_mixup
# Natural-log entropy raised to the power of 2.
def perplexity(prob, sentences, n, vocab):
    log_sum, count = 0.0, 0
    for tokens in sentences:
        padded = pad_sentence([w if w in vocab else UNK for w in tokens], n)
        for i in range(n - 1, len(padded)):
            p = prob(padded[i], tuple(padded[i - n + 1 : i]))
            if p <= 0:
                return math.inf
            log_sum += math.log(p)
            count += 1
    return 2 ** (-log_sum / count)

# %% mutant ex_sampling: inverse_temperature
# q proportional to p ** T instead of p ** (1 / T).
def apply_temperature(probs, temperature):
    p = np.asarray(probs, dtype=np.float64)
    if temperature == 0:
        q = np.zeros_like(p)
        q[int(np.argmax(p))] = 1.0
        return q
    q = p**temperature
    return q / q.sum()


def sample_token(probs, temperature, rng):
    if temperature == 0:
        return int(np.argmax(probs))
    q = apply_temperature(probs, temperature)
    return int(rng.choice(len(q), p=q))

# %% mutant ex_sampling: softmax_of_probabilities
# softmax(p / T) instead of softmax(ln p / T).
def apply_temperature(probs, temperature):
    p = np.asarray(probs, dtype=np.float64)
    if temperature == 0:
        q = np.zeros_like(p)
        q[int(np.argmax(p))] = 1.0
        return q
    q = np.exp(p / temperature)
    return q / q.sum()


def sample_token(probs, temperature, rng):
    if temperature == 0:
        return int(np.argmax(probs))
    q = apply_temperature(probs, temperature)
    return int(rng.choice(len(q), p=q))

# %% mutant ex_sampling: not_renormalized
# Forgets to divide by the sum after the power.
def apply_temperature(probs, temperature):
    p = np.asarray(probs, dtype=np.float64)
    if temperature == 0:
        q = np.zeros_like(p)
        q[int(np.argmax(p))] = 1.0
        return q
    return p ** (1 / temperature)


def sample_token(probs, temperature, rng):
    if temperature == 0:
        return int(np.argmax(probs))
    q = apply_temperature(probs, temperature)
    return int(rng.choice(len(q), p=q / q.sum()))

# %% mutant ex_sampling: zero_temperature_divides
# No special case for T = 0 (division by zero).
def apply_temperature(probs, temperature):
    p = np.asarray(probs, dtype=np.float64)
    with np.errstate(divide="ignore"):
        logits = np.log(p) / temperature
    logits -= logits.max()
    q = np.exp(logits)
    return q / q.sum()


def sample_token(probs, temperature, rng):
    q = apply_temperature(probs, temperature)
    return int(rng.choice(len(q), p=q))

# %% mutant ex_sampling: sampler_ignores_temperature
# apply_temperature is right but sample_token draws from p itself.
def apply_temperature(probs, temperature):
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


def sample_token(probs, temperature, rng):
    if temperature == 0:
        return int(np.argmax(probs))
    p = np.asarray(probs, dtype=np.float64)
    return int(rng.choice(len(p), p=p / p.sum()))
