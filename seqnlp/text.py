"""Text preprocessing and representation (lesson 01): cleaning, language identification,
vocabularies and padding.

The functions behave exactly as the lesson's exercises specify; later lessons import them::

    from seqnlp.text import Vocab, clean_text, pad_sequences

    tokens = [clean_text(review).split() for review in reviews]
    vocab = Vocab(tokens, min_freq=2, max_size=10_000)        # <pad> = 0, <unk> = 1
    batch = pad_sequences([vocab.encode(t) for t in tokens], maxlen=400)   # int32 (n, 400)
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from .exercises import exercise

__all__ = [
    "Vocab",
    "build_profile",
    "char_ngrams",
    "clean_text",
    "identify_language",
    "out_of_place",
    "pad_sequences",
]

# --------------------------------------------------------------------------- cleaning

_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Marks that only decorate emoji: variation selectors (text/emoji style) and the keycap.
_EMOJI_MARKS = frozenset("\ufe0e\ufe0f\u20e3")


def _is_separator(ch: str) -> bool:
    """True for a character that steps 2-4 of :func:`clean_text` turn into a space."""
    if ch == "_":
        return False
    kind = unicodedata.category(ch)[0]
    return kind in "PNSZC" or ch in string.punctuation or ch in _EMOJI_MARKS


class _SeparatorTable(dict):
    """A ``str.translate`` table (separator -> space, anything else -> itself), filled lazily.

    Deciding once per distinct code point makes cleaning about four times faster than
    calling ``unicodedata.category`` for every character of every text.
    """

    def __missing__(self, code: int) -> int:
        self[code] = 32 if _is_separator(chr(code)) else code
        return self[code]


_SEPARATORS = _SeparatorTable()


@exercise("01_text_preprocessing", "ex_clean_text")
def clean_text(text: str) -> str:
    """Clean ``text`` for a word-level model, in the order of the course notes.

    0. Normalize to NFC (one code point per accented letter).
    1. HTML tags (``<`` + optional ``/`` + a letter, up to ``>``) and URLs (non-space runs
       starting with ``http://``, ``https://`` or ``www.``, any case) become spaces.
    2. Punctuation (Unicode ``P*`` and ``string.punctuation``) and numbers (``N*``) become
       spaces, except the underscore, which joins the syllables of word-segmented
       Vietnamese (``giảng_viên``).
    3. Emoji, emoticon symbols and flags (every ``S*`` symbol, variation selectors
       U+FE0E/U+FE0F, keycap U+20E3) become spaces.
    4. Separators and control/format characters (``Z*``, ``C*``) split words; runs of them
       collapse to one space, none at either end.
    5. Lowercase.

    The result holds only lowercase letters (diacritics kept), underscores and single spaces:
    ``clean_text("Giảng viên dạy RẤT hay!!! 😍 <br />http://x.vn") == "giảng viên dạy rất hay"``.
    """
    text = unicodedata.normalize("NFC", text)
    text = _TAG_RE.sub(" ", text)
    text = _URL_RE.sub(" ", text)
    return " ".join(text.translate(_SEPARATORS).split()).lower()


# --------------------------------------------------------------------------- language identification


@exercise("01_text_preprocessing", "ex_char_ngrams")
def char_ngrams(text: str, n: int) -> list[str]:
    """The character n-grams of ``" " + text + " "``, in order (``len(text) + 3 - n`` of them).

    ``char_ngrams("hay", 3) == [" ha", "hay", "ay "]``. ``text`` should already be clean.
    """
    if n < 1:
        raise ValueError(f"n must be a positive integer, not {n!r}")
    padded = f" {text} "
    return [padded[i : i + n] for i in range(len(padded) - n + 1)]


@exercise("01_text_preprocessing", "ex_char_ngrams")
def build_profile(texts: Iterable[str], n: int = 3, top_k: int = 300) -> dict[str, int]:
    """Cavnar-Trenkle profile: ``{n-gram: rank}`` for the ``top_k`` most frequent n-grams of ``texts``.

    Rank 0 is the most frequent; equal counts are ordered alphabetically, so the profile does
    not depend on the order of the texts. The dict is in rank order.
    """
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(char_ngrams(text, n))
    ranked = sorted(counts, key=lambda gram: (-counts[gram], gram))[:top_k]
    return {gram: rank for rank, gram in enumerate(ranked)}


@exercise("01_text_preprocessing", "ex_identify_language")
def out_of_place(doc_profile: Mapping[str, int], lang_profile: Mapping[str, int]) -> int:
    """Out-of-place distance: sum of rank differences over ``doc_profile``'s n-grams.

    An n-gram missing from ``lang_profile`` costs ``len(lang_profile)``, the maximum.
    """
    missing = len(lang_profile)
    return sum(
        abs(rank - lang_profile[gram]) if gram in lang_profile else missing for gram, rank in doc_profile.items()
    )


@exercise("01_text_preprocessing", "ex_identify_language")
def identify_language(text: str, profiles: Mapping[str, Mapping[str, int]], n: int = 3, top_k: int = 300) -> str:
    """The key of ``profiles`` closest to the profile of the clean ``text`` (ties: alphabetical first).

    ``profiles`` maps language codes to profiles built by :func:`build_profile` with the same ``n``::

        profiles = {"en": build_profile(english_texts), "vi": build_profile(vietnamese_texts)}
        identify_language(clean_text("Thầy dạy rất hay"), profiles)   # "vi"
    """
    if not profiles:
        raise ValueError("profiles is empty: give at least one {language: profile}")
    doc_profile = build_profile([text], n=n, top_k=top_k)
    return min(sorted(profiles), key=lambda lang: out_of_place(doc_profile, profiles[lang]))


# --------------------------------------------------------------------------- vocabulary


@exercise("01_text_preprocessing", "ex_vocab")
class Vocab:
    """Token <-> index mapping with ``<pad>`` = 0 and ``<unk>`` = 1.

    Built from tokenized texts (an iterable of token lists, read once): tokens seen at least
    ``min_freq`` times, by decreasing count, ties in alphabetical order; ``max_size`` bounds
    the whole vocabulary, the two specials included: at most ``max_size - 2`` tokens, none
    beside the specials when ``max_size <= 2`` (use ``len(vocab)`` as an embedding layer's
    ``num_embeddings``).

    Attributes: ``itos`` (index -> token), ``stoi`` (token -> index) and ``counts`` (the
    count of every token seen, kept or not).
    """

    PAD, UNK = "<pad>", "<unk>"
    pad_index, unk_index = 0, 1

    def __init__(self, tokenized_texts: Iterable[Iterable[str]], min_freq: int = 1, max_size: int | None = None):
        if max_size is not None and max_size < 0:
            raise ValueError(f"max_size is a number of entries (<pad> and <unk> included), not {max_size}")
        counts = Counter(token for tokens in tokenized_texts for token in tokens)
        for special in (self.PAD, self.UNK):
            counts.pop(special, None)
        kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: max(max_size - 2, 0)]  # max_size 0, 1 or 2: only the two specials
        self.counts: Counter[str] = counts
        self.itos: list[str] = [self.PAD, self.UNK, *kept]
        self.stoi: dict[str, int] = {token: index for index, token in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __repr__(self) -> str:
        return f"Vocab({len(self)} entries: {self.itos[:6]}{'...' if len(self) > 6 else ''})"

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Indices of ``tokens``; unknown tokens map to ``unk_index`` (1)."""
        stoi, unk = self.stoi, self.unk_index
        return [stoi.get(token, unk) for token in tokens]

    def decode(self, ids: Iterable[int], skip_pad: bool = False) -> list[str]:
        """Tokens of ``ids``; ``skip_pad=True`` leaves out ``pad_index`` (0)."""
        return [self.itos[i] for i in ids if not (skip_pad and i == self.pad_index)]


# --------------------------------------------------------------------------- padding


@exercise("01_text_preprocessing", "ex_pad_sequences")
def pad_sequences(
    sequences: Sequence[Sequence[int]],
    maxlen: int | None = None,
    padding: str = "pre",
    truncating: str = "pre",
    value: int = 0,
) -> np.ndarray:
    """Bring integer sequences to one length: an ``int32`` array of shape ``(len(sequences), maxlen)``.

    Same behaviour as ``keras.utils.pad_sequences``: ``maxlen=None`` is the longest length;
    ``truncating="pre"`` drops the beginning of longer sequences (``"post"``: the end);
    ``padding="pre"`` fills shorter ones with ``value`` at the start (``"post"``: at the end).
    """
    if padding not in ("pre", "post") or truncating not in ("pre", "post"):
        raise ValueError(f"padding and truncating must be 'pre' or 'post', not {padding!r} and {truncating!r}")
    if maxlen is None:
        maxlen = max((len(seq) for seq in sequences), default=0)
    elif maxlen < 0:
        raise ValueError(f"maxlen must be >= 0, not {maxlen}")
    out = np.full((len(sequences), maxlen), value, dtype=np.int32)
    for row, seq in zip(out, sequences, strict=True):
        seq = list(seq)
        kept = seq[max(len(seq) - maxlen, 0) :] if truncating == "pre" else seq[:maxlen]
        if padding == "pre":
            row[maxlen - len(kept) :] = kept
        else:
            row[: len(kept)] = kept
    return out
