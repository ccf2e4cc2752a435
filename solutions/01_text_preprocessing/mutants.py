# Wrong implementations of lesson 01's exercises: each must lose points (see docs/AUTHORING.md).
# A section's body replaces the solution cell named in its header and runs in the notebook's
# kernel, where the setup cell's imports (re, string, unicodedata, Counter, np, ...) exist.

# %% mutant ex_clean_text: ascii_pattern_destroys_diacritics
# The classic English-only recipe: anything outside [a-z] goes, and with it every Vietnamese
# letter that carries a diacritic ("rất" -> "r t").
def clean_text(text: str) -> str:
    text = re.sub(r"</?[A-Za-z][^<>]*>", " ", text)
    text = re.sub(r"(?:https?://|www\.)\S+", " ", text, flags=re.IGNORECASE)
    text = re.sub(r"[^a-z_\s]", " ", text.lower())
    return " ".join(text.split())


# %% mutant ex_clean_text: no_nfc_letters_only
# Keeps str.isalpha() characters without normalizing first: the combining tone marks of NFD
# input (category Mn) are not letters and disappear ("giảng" -> "giang").
def clean_text(text: str) -> str:
    text = re.sub(r"</?[A-Za-z][^<>]*>", " ", text)
    text = re.sub(r"(?:https?://|www\.)\S+", " ", text, flags=re.IGNORECASE)
    text = "".join(ch if ch.isalpha() or ch == "_" else " " for ch in text)
    return " ".join(text.split()).lower()


# %% mutant ex_clean_text: no_nfc_keeps_marks
# Right character classes, but no NFC step: NFD input comes back decomposed, a different string.
def clean_text(text: str) -> str:
    text = re.sub(r"</?[A-Za-z][^<>]*>", " ", text)
    text = re.sub(r"(?:https?://|www\.)\S+", " ", text, flags=re.IGNORECASE)
    chars = []
    for ch in text:
        kind = unicodedata.category(ch)[0]
        if ch != "_" and (kind in "PNSZC" or ch in string.punctuation or ch in "\ufe0e\ufe0f\u20e3"):
            chars.append(" ")
        else:
            chars.append(ch)
    return " ".join("".join(chars).split()).lower()


# %% mutant ex_clean_text: tags_removed_without_space
# Deletes tags instead of replacing them by a space: "great<br />Loved" -> "greatloved".
def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"</?[A-Za-z][^<>]*>", "", text)
    text = re.sub(r"(?:https?://|www\.)\S+", " ", text, flags=re.IGNORECASE)
    chars = []
    for ch in text:
        kind = unicodedata.category(ch)[0]
        if ch != "_" and (kind in "PNSZC" or ch in string.punctuation or ch in "\ufe0e\ufe0f\u20e3"):
            chars.append(" ")
        else:
            chars.append(ch)
    return " ".join("".join(chars).split()).lower()


# %% mutant ex_clean_text: urls_after_punctuation
# Removes punctuation before URLs: the URL is already in pieces ("http www imdb com title tt").
def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"</?[A-Za-z][^<>]*>", " ", text)
    chars = []
    for ch in text:
        kind = unicodedata.category(ch)[0]
        if ch != "_" and (kind in "PNSZC" or ch in string.punctuation or ch in "\ufe0e\ufe0f\u20e3"):
            chars.append(" ")
        else:
            chars.append(ch)
    text = re.sub(r"(?:https?://|www\.)\S+", " ", "".join(chars), flags=re.IGNORECASE)
    return " ".join(text.split()).lower()


# %% mutant ex_clean_text: greedy_tag_pattern
# `<[^>]+>` also swallows text between a less-than and a greater-than sign ("< 6 and 7 >").
def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"(?:https?://|www\.)\S+", " ", text, flags=re.IGNORECASE)
    chars = []
    for ch in text:
        kind = unicodedata.category(ch)[0]
        if ch != "_" and (kind in "PNSZC" or ch in string.punctuation or ch in "\ufe0e\ufe0f\u20e3"):
            chars.append(" ")
        else:
            chars.append(ch)
    return " ".join("".join(chars).split()).lower()


# %% mutant ex_clean_text: ascii_punctuation_only
# string.punctuation, \d and an emoji-range regex: Unicode punctuation (“ ” – …) and ½ survive.
def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"</?[A-Za-z][^<>]*>", " ", text)
    text = re.sub(r"(?:https?://|www\.)\S+", " ", text, flags=re.IGNORECASE)
    text = re.sub("[" + re.escape(string.punctuation.replace("_", "")) + r"\d]", " ", text)
    emoji = "[\U0001F300-\U0001F5FF\U0001F600-\U0001F64F\U0001F680-\U0001F6FF\U0001F1E0-\U0001F1FF\u2600-\u27BF\ufe0f]"
    text = re.sub(emoji, " ", text)
    return " ".join(text.split()).lower()


# %% mutant ex_clean_text: emoticons_block_only
# Step 3 removes only the Unicode "Emoticons" block U+1F600-U+1F64F: 😍 goes, but 👍, skin
# tones, flags, ❤ and U+FE0F stay.
def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"</?[A-Za-z][^<>]*>", " ", text)
    text = re.sub(r"(?:https?://|www\.)\S+", " ", text, flags=re.IGNORECASE)
    chars = []
    for ch in text:
        kind = unicodedata.category(ch)[0]
        if ch == "_":
            chars.append(ch)
        elif kind in "PN" or ch in string.punctuation or "\U0001F600" <= ch <= "\U0001F64F" or kind in "ZC":
            chars.append(" ")
        else:
            chars.append(ch)
    return " ".join("".join(chars).split()).lower()


# %% mutant ex_clean_text: underscore_removed
# Treats "_" as punctuation: word-segmented Vietnamese falls apart ("giảng_viên" -> "giảng viên").
def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"</?[A-Za-z][^<>]*>", " ", text)
    text = re.sub(r"(?:https?://|www\.)\S+", " ", text, flags=re.IGNORECASE)
    chars = []
    for ch in text:
        kind = unicodedata.category(ch)[0]
        if kind in "PNSZC" or ch in string.punctuation or ch in "\ufe0e\ufe0f\u20e3":
            chars.append(" ")
        else:
            chars.append(ch)
    return " ".join("".join(chars).split()).lower()


# %% mutant ex_clean_text: digits_kept
# Removes punctuation (P*) but forgets numbers (N*): "10/10" -> "10 10".
def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"</?[A-Za-z][^<>]*>", " ", text)
    text = re.sub(r"(?:https?://|www\.)\S+", " ", text, flags=re.IGNORECASE)
    chars = []
    for ch in text:
        kind = unicodedata.category(ch)[0]
        if ch != "_" and (kind in "PSZC" or (ch in string.punctuation) or ch in "\ufe0e\ufe0f\u20e3"):
            chars.append(" ")
        else:
            chars.append(ch)
    return " ".join("".join(chars).split()).lower()


# %% mutant ex_clean_text: control_characters_kept
# Step 4 with str.split() alone: IMDB's "\x96" (category Cc, not whitespace) glues two words.
def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"</?[A-Za-z][^<>]*>", " ", text)
    text = re.sub(r"(?:https?://|www\.)\S+", " ", text, flags=re.IGNORECASE)
    chars = []
    for ch in text:
        kind = unicodedata.category(ch)[0]
        if ch != "_" and (kind in "PNS" or ch in string.punctuation or ch in "\ufe0e\ufe0f\u20e3"):
            chars.append(" ")
        else:
            chars.append(ch)
    return " ".join("".join(chars).split()).lower()


# %% mutant ex_char_ngrams: no_padding
# Forgets the spaces that mark the beginning and end of the text.
def char_ngrams(text: str, n: int) -> list[str]:
    return [text[i : i + n] for i in range(len(text) - n + 1)]


def build_profile(texts, n=3, top_k=300):
    counts = Counter()
    for text in texts:
        counts.update(char_ngrams(text, n))
    ranked = sorted(counts, key=lambda gram: (-counts[gram], gram))[:top_k]
    return {gram: rank for rank, gram in enumerate(ranked)}


# %% mutant ex_char_ngrams: last_window_missing
# Off by one: range(len(padded) - n) drops the last n-gram.
def char_ngrams(text: str, n: int) -> list[str]:
    padded = f" {text} "
    return [padded[i : i + n] for i in range(len(padded) - n)]


def build_profile(texts, n=3, top_k=300):
    counts = Counter()
    for text in texts:
        counts.update(char_ngrams(text, n))
    ranked = sorted(counts, key=lambda gram: (-counts[gram], gram))[:top_k]
    return {gram: rank for rank, gram in enumerate(ranked)}


# %% mutant ex_char_ngrams: pads_each_word
# Cavnar and Trenkle's per-word padding instead of the contract's whole-text padding: no n-gram
# spans the space between two words.
def char_ngrams(text: str, n: int) -> list[str]:
    grams = []
    for word in text.split():
        padded = f" {word} "
        grams += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return grams


def build_profile(texts, n=3, top_k=300):
    counts = Counter()
    for text in texts:
        counts.update(char_ngrams(text, n))
    ranked = sorted(counts, key=lambda gram: (-counts[gram], gram))[:top_k]
    return {gram: rank for rank, gram in enumerate(ranked)}


# %% mutant ex_char_ngrams: least_frequent_first
# Sorts by increasing count: rank 0 is the rarest n-gram.
def char_ngrams(text: str, n: int) -> list[str]:
    padded = f" {text} "
    return [padded[i : i + n] for i in range(len(padded) - n + 1)]


def build_profile(texts, n=3, top_k=300):
    counts = Counter()
    for text in texts:
        counts.update(char_ngrams(text, n))
    ranked = sorted(counts, key=lambda gram: (counts[gram], gram))[:top_k]
    return {gram: rank for rank, gram in enumerate(ranked)}


# %% mutant ex_char_ngrams: ties_by_first_occurrence
# Counter.most_common breaks ties by first occurrence, so the profile depends on text order.
def char_ngrams(text: str, n: int) -> list[str]:
    padded = f" {text} "
    return [padded[i : i + n] for i in range(len(padded) - n + 1)]


def build_profile(texts, n=3, top_k=300):
    counts = Counter()
    for text in texts:
        counts.update(char_ngrams(text, n))
    return {gram: rank for rank, (gram, _) in enumerate(counts.most_common(top_k))}


# %% mutant ex_char_ngrams: top_k_ignored
# Keeps every n-gram: the profile is not cut to the top_k most frequent.
def char_ngrams(text: str, n: int) -> list[str]:
    padded = f" {text} "
    return [padded[i : i + n] for i in range(len(padded) - n + 1)]


def build_profile(texts, n=3, top_k=300):
    counts = Counter()
    for text in texts:
        counts.update(char_ngrams(text, n))
    ranked = sorted(counts, key=lambda gram: (-counts[gram], gram))
    return {gram: rank for rank, gram in enumerate(ranked)}


# %% mutant ex_identify_language: missing_ngram_costs_nothing
# No penalty for n-grams the language never uses: a Vietnamese text is "close" to English.
def out_of_place(doc_profile, lang_profile):
    return sum(abs(rank - lang_profile[gram]) for gram, rank in doc_profile.items() if gram in lang_profile)


def identify_language(text, profiles, n=3, top_k=300):
    doc_profile = build_profile([text], n=n, top_k=top_k)
    return min(sorted(profiles), key=lambda lang: out_of_place(doc_profile, profiles[lang]))


# %% mutant ex_identify_language: farthest_language
# max instead of min: picks the language whose profile is the most different.
def out_of_place(doc_profile, lang_profile):
    missing = len(lang_profile)
    return sum(abs(rank - lang_profile[gram]) if gram in lang_profile else missing
               for gram, rank in doc_profile.items())


def identify_language(text, profiles, n=3, top_k=300):
    doc_profile = build_profile([text], n=n, top_k=top_k)
    return max(sorted(profiles), key=lambda lang: out_of_place(doc_profile, profiles[lang]))


# %% mutant ex_identify_language: penalty_from_document_profile
# The maximum penalty taken from the wrong profile: len(doc_profile) instead of len(lang_profile).
def out_of_place(doc_profile, lang_profile):
    missing = len(doc_profile)
    return sum(abs(rank - lang_profile[gram]) if gram in lang_profile else missing
               for gram, rank in doc_profile.items())


def identify_language(text, profiles, n=3, top_k=300):
    doc_profile = build_profile([text], n=n, top_k=top_k)
    return min(sorted(profiles), key=lambda lang: out_of_place(doc_profile, profiles[lang]))


# %% mutant ex_identify_language: ignores_n_and_top_k
# Builds the text's profile with the defaults (trigrams, 300), whatever the profiles were built with.
def out_of_place(doc_profile, lang_profile):
    missing = len(lang_profile)
    return sum(abs(rank - lang_profile[gram]) if gram in lang_profile else missing
               for gram, rank in doc_profile.items())


def identify_language(text, profiles, n=3, top_k=300):
    doc_profile = build_profile([text])
    return min(sorted(profiles), key=lambda lang: out_of_place(doc_profile, profiles[lang]))


# %% mutant ex_identify_language: tie_goes_to_first_inserted
# A loop with a strict "<": on a tie the first language in dict order wins, not the alphabetical first.
def out_of_place(doc_profile, lang_profile):
    missing = len(lang_profile)
    return sum(abs(rank - lang_profile[gram]) if gram in lang_profile else missing
               for gram, rank in doc_profile.items())


def identify_language(text, profiles, n=3, top_k=300):
    doc_profile = build_profile([text], n=n, top_k=top_k)
    best, best_distance = None, None
    for lang, profile in profiles.items():
        distance = out_of_place(doc_profile, profile)
        if best_distance is None or distance < best_distance:
            best, best_distance = lang, distance
    return best


# %% mutant ex_vocab: pad_and_unk_swapped
# <unk> at 0 and <pad> at 1: padding and unknown words trade places.
class Vocab:
    PAD, UNK = "<pad>", "<unk>"
    pad_index, unk_index = 0, 1

    def __init__(self, tokenized_texts, min_freq=1, max_size=None):
        counts = Counter(token for tokens in tokenized_texts for token in tokens)
        for special in (self.PAD, self.UNK):
            counts.pop(special, None)
        kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: max(max_size - 2, 0)]
        self.itos = [self.UNK, self.PAD] + kept
        self.stoi = {token: index for index, token in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, tokens):
        return [self.stoi.get(token, self.stoi[self.UNK]) for token in tokens]

    def decode(self, ids, skip_pad=False):
        return [self.itos[i] for i in ids if not (skip_pad and self.itos[i] == self.PAD)]


# %% mutant ex_vocab: min_freq_strict
# "> min_freq" instead of ">= min_freq": tokens seen exactly min_freq times are dropped.
class Vocab:
    PAD, UNK = "<pad>", "<unk>"
    pad_index, unk_index = 0, 1

    def __init__(self, tokenized_texts, min_freq=1, max_size=None):
        counts = Counter(token for tokens in tokenized_texts for token in tokens)
        for special in (self.PAD, self.UNK):
            counts.pop(special, None)
        kept = sorted((t for t, c in counts.items() if c > min_freq), key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: max(max_size - 2, 0)]
        self.itos = [self.PAD, self.UNK] + kept
        self.stoi = {token: index for index, token in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, tokens):
        return [self.stoi.get(token, self.unk_index) for token in tokens]

    def decode(self, ids, skip_pad=False):
        return [self.itos[i] for i in ids if not (skip_pad and i == self.pad_index)]


# %% mutant ex_vocab: max_size_ignores_specials
# Keeps max_size tokens on top of the two specials: len(vocab) == max_size + 2.
class Vocab:
    PAD, UNK = "<pad>", "<unk>"
    pad_index, unk_index = 0, 1

    def __init__(self, tokenized_texts, min_freq=1, max_size=None):
        counts = Counter(token for tokens in tokenized_texts for token in tokens)
        for special in (self.PAD, self.UNK):
            counts.pop(special, None)
        kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[:max_size]
        self.itos = [self.PAD, self.UNK] + kept
        self.stoi = {token: index for index, token in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, tokens):
        return [self.stoi.get(token, self.unk_index) for token in tokens]

    def decode(self, ids, skip_pad=False):
        return [self.itos[i] for i in ids if not (skip_pad and i == self.pad_index)]


# %% mutant ex_vocab: unknown_maps_to_pad
# dict.get(token, 0): unknown words become padding, which a model is told to ignore.
class Vocab:
    PAD, UNK = "<pad>", "<unk>"
    pad_index, unk_index = 0, 1

    def __init__(self, tokenized_texts, min_freq=1, max_size=None):
        counts = Counter(token for tokens in tokenized_texts for token in tokens)
        for special in (self.PAD, self.UNK):
            counts.pop(special, None)
        kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: max(max_size - 2, 0)]
        self.itos = [self.PAD, self.UNK] + kept
        self.stoi = {token: index for index, token in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, tokens):
        return [self.stoi.get(token, 0) for token in tokens]

    def decode(self, ids, skip_pad=False):
        return [self.itos[i] for i in ids if not (skip_pad and i == self.pad_index)]


# %% mutant ex_vocab: ties_by_first_occurrence
# Counter.most_common order: equal counts keep the order of first occurrence, not alphabetical.
class Vocab:
    PAD, UNK = "<pad>", "<unk>"
    pad_index, unk_index = 0, 1

    def __init__(self, tokenized_texts, min_freq=1, max_size=None):
        counts = Counter(token for tokens in tokenized_texts for token in tokens)
        for special in (self.PAD, self.UNK):
            counts.pop(special, None)
        kept = [t for t, c in counts.most_common() if c >= min_freq]
        if max_size is not None:
            kept = kept[: max(max_size - 2, 0)]
        self.itos = [self.PAD, self.UNK] + kept
        self.stoi = {token: index for index, token in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, tokens):
        return [self.stoi.get(token, self.unk_index) for token in tokens]

    def decode(self, ids, skip_pad=False):
        return [self.itos[i] for i in ids if not (skip_pad and i == self.pad_index)]


# %% mutant ex_vocab: skip_pad_ignored
# decode() accepts skip_pad but always returns the <pad> tokens.
class Vocab:
    PAD, UNK = "<pad>", "<unk>"
    pad_index, unk_index = 0, 1

    def __init__(self, tokenized_texts, min_freq=1, max_size=None):
        counts = Counter(token for tokens in tokenized_texts for token in tokens)
        for special in (self.PAD, self.UNK):
            counts.pop(special, None)
        kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: max(max_size - 2, 0)]
        self.itos = [self.PAD, self.UNK] + kept
        self.stoi = {token: index for index, token in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, tokens):
        return [self.stoi.get(token, self.unk_index) for token in tokens]

    def decode(self, ids, skip_pad=False):
        return [self.itos[i] for i in ids]


# %% mutant ex_pad_sequences: padding_sides_swapped
# "pre" padding written at the end of the row (and "post" at the start).
def pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    if maxlen is None:
        maxlen = max((len(seq) for seq in sequences), default=0)
    out = np.full((len(sequences), maxlen), value, dtype=np.int32)
    for row, seq in zip(out, sequences):
        seq = list(seq)
        kept = seq[max(len(seq) - maxlen, 0):] if truncating == "pre" else seq[:maxlen]
        if padding == "post":
            row[maxlen - len(kept):] = kept
        else:
            row[: len(kept)] = kept
    return out


# %% mutant ex_pad_sequences: truncating_wrong_end
# truncating="pre" keeps the first maxlen tokens (it should drop the beginning).
def pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    if maxlen is None:
        maxlen = max((len(seq) for seq in sequences), default=0)
    out = np.full((len(sequences), maxlen), value, dtype=np.int32)
    for row, seq in zip(out, sequences):
        seq = list(seq)
        kept = seq[:maxlen] if truncating == "pre" else seq[max(len(seq) - maxlen, 0):]
        if padding == "pre":
            row[maxlen - len(kept):] = kept
        else:
            row[: len(kept)] = kept
    return out


# %% mutant ex_pad_sequences: maxlen_from_first_sequence
# maxlen=None taken from the first sequence instead of the longest one.
def pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    if maxlen is None:
        maxlen = len(sequences[0]) if len(sequences) else 0
    out = np.full((len(sequences), maxlen), value, dtype=np.int32)
    for row, seq in zip(out, sequences):
        seq = list(seq)
        kept = seq[max(len(seq) - maxlen, 0):] if truncating == "pre" else seq[:maxlen]
        if padding == "pre":
            row[maxlen - len(kept):] = kept
        else:
            row[: len(kept)] = kept
    return out


# %% mutant ex_pad_sequences: float_array
# np.zeros' default dtype: a float64 matrix, which an embedding layer refuses as indices.
def pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    if maxlen is None:
        maxlen = max((len(seq) for seq in sequences), default=0)
    out = np.zeros((len(sequences), maxlen)) + value
    for row, seq in zip(out, sequences):
        seq = list(seq)
        kept = seq[max(len(seq) - maxlen, 0):] if truncating == "pre" else seq[:maxlen]
        if padding == "pre":
            row[maxlen - len(kept):] = kept
        else:
            row[: len(kept)] = kept
    return out


# %% mutant ex_pad_sequences: value_ignored
# Always pads with 0, whatever `value` says.
def pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    if maxlen is None:
        maxlen = max((len(seq) for seq in sequences), default=0)
    out = np.zeros((len(sequences), maxlen), dtype=np.int32)
    for row, seq in zip(out, sequences):
        seq = list(seq)
        kept = seq[max(len(seq) - maxlen, 0):] if truncating == "pre" else seq[:maxlen]
        if padding == "pre":
            row[maxlen - len(kept):] = kept
        else:
            row[: len(kept)] = kept
    return out


# %% mutant ex_pad_sequences: empty_sequence_breaks_slice
# `row[-len(kept):] = kept` without Keras' skip of empty sequences: for an empty one, row[-0:] is
# the whole row, and assigning no values to it raises.
def pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    if maxlen is None:
        maxlen = max((len(seq) for seq in sequences), default=0)
    out = np.full((len(sequences), maxlen), value, dtype=np.int32)
    for row, seq in zip(out, sequences):
        seq = list(seq)
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        if padding == "pre":
            row[-len(kept):] = kept
        else:
            row[: len(kept)] = kept
    return out
