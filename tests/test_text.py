"""seqnlp.text: the cleaning, language-identification, vocabulary and padding helpers of lesson 01."""

from __future__ import annotations

import os
import random
import re
import string
import unicodedata

import numpy as np
import pytest

import seqnlp
from seqnlp.text import Vocab, build_profile, char_ngrams, clean_text, identify_language, out_of_place, pad_sequences

# --------------------------------------------------------------------------- clean_text


def reference_clean_text(text: str) -> str:
    """The lesson's specification written out character by character (slow, obviously right)."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"</?[A-Za-z][^<>]*>", " ", text)
    text = re.sub(r"(?:https?://|www\.)\S+", " ", text, flags=re.IGNORECASE)
    chars = []
    for ch in text:
        kind = unicodedata.category(ch)[0]
        if ch == "_":
            chars.append(ch)
        elif kind in "PN" or ch in string.punctuation:  # 2. punctuation and digits
            chars.append(" ")
        elif kind == "S" or ch in "\ufe0e\ufe0f\u20e3":  # 3. emoji, emoticons, flags
            chars.append(" ")
        elif kind in "ZC":  # 4. separators, control and format characters
            chars.append(" ")
        else:
            chars.append(ch)
    return " ".join("".join(chars).split()).lower()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Giảng viên dạy RẤT hay!!! 😍 <br />http://x.vn", "giảng viên dạy rất hay"),
        ("Great movie!<br /><br />Loved it, 10/10 :-)", "great movie loved it"),
        ("great<br />Loved", "great loved"),
        ("See http://www.imdb.com/title/tt0111161/ and WWW.X.ORG now", "see and now"),
        ("“Brilliant!” – 9½/10…", "brilliant"),
        ("5 < 6 and 7 > 3, <b>bold</b>", "and bold"),
        ("  Too\tmany \n\n spaces\x96here\u200b  ", "too many spaces here"),
        ("giảng_viên nhiệt tình 👍🏽", "giảng_viên nhiệt tình"),
        ("Hay quá 👍🏽🇻🇳 ❤️ 👨‍👩‍👧 #️⃣", "hay quá"),
        ("I didn't like it... 2/10 :(", "i didn t like it"),
        ("ĐIỂM CAO 10đ", "điểm cao đ"),
        ("Русский ТЕКСТ ✔", "русский текст"),
        ("", ""),
        ("...!!! 123", ""),
    ],
)
def test_clean_text_examples(text, expected):
    assert clean_text(text) == expected
    assert clean_text(unicodedata.normalize("NFD", text)) == expected, "NFD input must clean like NFC"


def test_clean_text_keeps_diacritics_in_nfc():
    got = clean_text(unicodedata.normalize("NFD", "Thầy giảng RẤT dễ hiểu"))
    assert got == "thầy giảng rất dễ hiểu" and unicodedata.is_normalized("NFC", got)


def test_clean_text_matches_reference_on_random_unicode():
    rng = random.Random(0)
    pool = (
        list(string.printable)
        + list("ảẢđĐêÊơƯưạẠ́̉̃")  # Vietnamese letters and combining marks
        + list("“”–—…½²€©™♥✔\x96\x85\xa0\u200b\u200d\ufe0f\u20e3")
        + ["😍", "👍", "🏽", "🇻", "🇳", "<br />", "<i>", "</i>", "http://x.vn/a?b=1", "www.Site.com", "_", "< 3"]
    )
    for _ in range(2000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 40)))
        assert clean_text(text) == reference_clean_text(text), repr(text)


def test_clean_text_matches_reference_on_real_data():
    texts = list(seqnlp.load_imdb("train", limit=300).text) + list(seqnlp.load_uit_vsfc("train", limit=300).sentence)
    for text in texts:
        got = clean_text(text)
        assert got == reference_clean_text(text)
        assert clean_text(got) == got, "cleaning is idempotent"
        assert all(c.isalpha() or c in "_ " for c in got)


# --------------------------------------------------------------------------- language identification


def test_char_ngrams_pads_the_whole_text_once():
    assert char_ngrams("hay", 3) == [" ha", "hay", "ay "]
    assert char_ngrams("hay", 1) == [" ", "h", "a", "y", " "]
    assert char_ngrams("to be", 3) == [" to", "to ", "o b", " be", "be "]
    assert len(char_ngrams("giảng viên", 2)) == len("giảng viên") + 1
    assert char_ngrams("ab", 4) == [" ab "] and char_ngrams("a", 4) == []
    with pytest.raises(ValueError):
        char_ngrams("abc", 0)


def test_build_profile_ranks_by_count_then_alphabet():
    assert build_profile(["ab", "b"], n=1) == {" ": 0, "b": 1, "a": 2}
    assert build_profile(["ba"], n=1) == {" ": 0, "a": 1, "b": 2}
    assert build_profile(["ab", "b"], n=1, top_k=2) == {" ": 0, "b": 1}
    assert list(build_profile(["ab", "b"], n=1)) == [" ", "b", "a"]
    assert build_profile(iter(["zz", "yy"]), n=2) == {" y": 0, " z": 1, "y ": 2, "yy": 3, "z ": 4, "zz": 5}
    assert build_profile([], n=3) == {}


def test_out_of_place_distance():
    assert out_of_place({"ab": 0, "cd": 1}, {"cd": 0, "ab": 1, "xy": 2}) == 2
    assert out_of_place({"zz": 0, "ab": 1}, {"ab": 0, "cd": 1, "ef": 2}) == 4
    assert out_of_place({}, {"ab": 0}) == 0


def test_identify_language_ties_and_n():
    same = {"ab": 0, "cd": 1}
    assert identify_language("ab", {"xx": same, "aa": dict(same)}, n=2) == "aa"
    assert identify_language("ab", {"x": {" a": 0, "ab": 1, "b ": 2}, "y": {" ab": 0, "ab ": 1}}, n=2) == "x"
    with pytest.raises(ValueError):
        identify_language("ab", {})


def test_identify_language_separates_vietnamese_from_english():
    profiles = {
        "en": build_profile([clean_text(t) for t in seqnlp.load_imdb("train", limit=1000).text]),
        "vi": build_profile([clean_text(t) for t in seqnlp.load_uit_vsfc("train", limit=1500).sentence]),
    }
    for lang, texts in [
        ("en", seqnlp.load_imdb("test", limit=300).text),
        ("vi", seqnlp.load_uit_vsfc("test", limit=300).sentence),
    ]:
        accuracy = np.mean([identify_language(clean_text(t), profiles) == lang for t in texts])
        assert accuracy >= 0.97, f"{lang}: {accuracy:.1%}"


# --------------------------------------------------------------------------- Vocab

TEXTS = [["the", "movie", "was", "not", "good"], ["the", "plot", "was", "good"], ["the", "end"]]


def test_vocab_order_specials_and_length():
    vocab = Vocab(TEXTS)
    assert vocab.itos == ["<pad>", "<unk>", "the", "good", "was", "end", "movie", "not", "plot"]
    assert len(vocab) == 9 and vocab.stoi == {t: i for i, t in enumerate(vocab.itos)}
    assert (vocab.pad_index, vocab.unk_index) == (0, 1)
    assert "movie" in vocab and "film" not in vocab
    assert vocab.counts["the"] == 3 and vocab.counts["plot"] == 1


def test_vocab_min_freq_is_inclusive_and_max_size_counts_specials():
    assert Vocab(TEXTS, min_freq=2).itos == ["<pad>", "<unk>", "the", "good", "was"]
    assert Vocab(TEXTS, max_size=4).itos == ["<pad>", "<unk>", "the", "good"]
    assert len(Vocab(TEXTS, max_size=2)) == 2
    assert Vocab(TEXTS, max_size=1).itos == Vocab(TEXTS, max_size=0).itos == ["<pad>", "<unk>"]  # as lesson 01
    with pytest.raises(ValueError):
        Vocab(TEXTS, max_size=-1)


def test_vocab_reads_a_generator_once_and_ignores_special_tokens():
    assert Vocab(t.split() for t in ["b a c", "c b", "c"]).itos == ["<pad>", "<unk>", "c", "b", "a"]
    assert Vocab([["b", "a", "<unk>", "<pad>"], ["a"]]).itos == ["<pad>", "<unk>", "a", "b"]


def test_vocab_does_not_depend_on_text_order():
    texts = [s.split() for s in seqnlp.load_uit_vsfc("train", limit=500).sentence]
    shuffled = texts[::-1]
    assert Vocab(texts, min_freq=2, max_size=200).itos == Vocab(shuffled, min_freq=2, max_size=200).itos


def test_vocab_encode_decode():
    vocab = Vocab(TEXTS)
    assert vocab.encode(["the", "movie", "was", "great"]) == [2, 6, 4, 1]
    assert vocab.decode([2, 6, 4, 1, 0, 0]) == ["the", "movie", "was", "<unk>", "<pad>", "<pad>"]
    assert vocab.decode(np.array([0, 0, 3, 8, 1], dtype=np.int32), skip_pad=True) == ["good", "plot", "<unk>"]
    assert vocab.encode([]) == [] and vocab.decode([]) == []
    assert vocab.decode(vocab.encode(TEXTS[1])) == TEXTS[1]


# --------------------------------------------------------------------------- pad_sequences


@pytest.fixture(scope="module")
def keras_pad_sequences():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    keras = pytest.importorskip("keras")
    return keras.utils.pad_sequences


def test_pad_sequences_notes_example():
    got = pad_sequences([[2, 6, 3, 7, 8], [2, 9, 3, 4], [5, 10], [5, 4]])
    assert got.dtype == np.int32
    assert got.tolist() == [[2, 6, 3, 7, 8], [0, 2, 9, 3, 4], [0, 0, 0, 5, 10], [0, 0, 0, 5, 4]]


def test_pad_sequences_edge_cases():
    assert pad_sequences([[], []]).shape == (2, 0)
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences([[7], []], maxlen=3, value=-1).tolist() == [[-1, -1, 7], [-1, -1, -1]]
    assert pad_sequences([(1, 2), np.array([3, 4, 5])], maxlen=4, padding="post").tolist() == [
        [1, 2, 0, 0],
        [3, 4, 5, 0],
    ]
    assert pad_sequences([[1, 2, 3]], maxlen=0).shape == (1, 0)
    for bad in ({"padding": "left"}, {"truncating": "middle"}, {"maxlen": -1}):
        with pytest.raises(ValueError):
            pad_sequences([[1, 2]], **bad)


@pytest.mark.parametrize("seed", range(25))
def test_pad_sequences_matches_keras(seed, keras_pad_sequences):
    rng = np.random.default_rng(seed)
    batch = [rng.integers(1, 1000, size=rng.integers(0, 30)).tolist() for _ in range(rng.integers(1, 12))]
    if not any(batch):
        batch.append([5])
    for maxlen in (None, 1, 5, 17, 40):
        for padding in ("pre", "post"):
            for truncating in ("pre", "post"):
                value = int(rng.integers(-3, 4))
                want = keras_pad_sequences(batch, maxlen=maxlen, padding=padding, truncating=truncating, value=value)
                got = pad_sequences(batch, maxlen=maxlen, padding=padding, truncating=truncating, value=value)
                assert got.dtype == want.dtype == np.int32
                assert np.array_equal(got, want), (batch, maxlen, padding, truncating, value)
