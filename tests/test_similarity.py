"""The similarity report on a made-up class over lessons 01 and 04 (no kernels: fingerprints only).

Planted copies must be flagged; answers written independently must not.

*Copies* (positives): the reference solution, or another student's answer,
or the library twin in ``seqnlp/``, passed through :func:`disguise`: every
local variable renamed, functions (and a class's methods) in reverse order,
the original comments removed, new comments and blank lines added; one
student also adds a statement to every function (:func:`edited`).

*Independent* (negatives) means: written without seeing the other text. Here
that is two implementations per exercise written by hand for this test
(``VARIANTS``, A and B, every exercise of lesson 01 and four of lesson 04),
each built from a different idea than the other and than the reference
solution (different loops, library calls and data structures), and each shown
to behave like the reference (:func:`test_hand_written_variants_behave_like_the_reference`).
They share with each other only what any answer shares: the released stub
(signature and docstring) and the vocabulary of the task (``np``, ``len``,
``unicodedata.category``). A student who wrote variant A and one who wrote
variant B, or a variant and the reference solution, are an independent pair.
The authors' mutants (``solutions/NN/mutants.py``) are small edits of the
solution, so they are copies in this sense, and are not used.
"""

from __future__ import annotations

import csv
import inspect
import io
import os
import random
import re
import subprocess
import sys
import time
import tokenize

import nbformat
import numpy as np
import pytest

from autograder.classgen import solution_sources, submission, write
from autograder.gradebook import LessonInfo, prepare_lessons
from autograder.lessons import REPO_ROOT, source_notebook
from autograder.similarity import (
    ALL_ANSWERS,
    LIBRARY,
    REFERENCE_SOLUTION,
    STUDENTS,
    answer_fingerprints,
    compare_class,
    fingerprints,
    library_code,
    normalise,
    reference_solutions,
    similarity_for_run,
    solution_code,
    stub_code,
    write_report,
)

L01, L04 = "01_text_preprocessing", "04_word2vec"
pytestmark = pytest.mark.skipif(
    not (source_notebook(L01).is_file() and source_notebook(L04).is_file()), reason="lessons 01 and 04 are needed"
)

# --------------------------------------------------------------------------- hand-written variants

VARIANTS: dict[str, dict[str, tuple[str, str]]] = {L01: {}, L04: {}}

VARIANTS[L01]["ex_clean_text"] = (
    '''
def clean_text(text: str) -> str:
    normalized = unicodedata.normalize("NFC", text)
    without_markup = re.sub(r"<\\/?[a-zA-Z][^<>]*>", " ", normalized)
    without_links = re.sub(r"(https?://|www\\.)\\S+", " ", without_markup, flags=re.I)

    def keep(c):
        if c == "_":
            return True
        major = unicodedata.category(c)[0]
        return major not in ("P", "N", "S", "Z", "C") and c not in string.punctuation and c not in "\\ufe0e\\ufe0f\\u20e3"

    pieces = [c if keep(c) else " " for c in without_links]
    return " ".join("".join(pieces).split()).lower()
''',
    '''
def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    for pattern in (r"</?[A-Za-z][^<>]*>", r"(?i)(?:http://|https://|www\\.)\\S+"):
        text = re.sub(pattern, " ", text)
    words, current = [], ""
    for ch in text:
        cat = unicodedata.category(ch)
        separator = ch != "_" and (cat[0] in "PNSZC" or ch in string.punctuation or ch in "\\ufe0e\\ufe0f\\u20e3")
        if separator:
            if current:
                words.append(current)
            current = ""
        else:
            current += ch
    if current:
        words.append(current)
    return " ".join(words).lower()
''',
)

VARIANTS[L01]["ex_char_ngrams"] = (
    '''
def char_ngrams(text: str, n: int) -> list[str]:
    s = " " + text + " "
    grams = []
    start = 0
    while start + n <= len(s):
        grams.append(s[start:start + n])
        start += 1
    return grams


def build_profile(texts, n=3, top_k=300):
    freq = {}
    for t in texts:
        for g in char_ngrams(t, n):
            freq[g] = freq.get(g, 0) + 1
    order = sorted(freq.items(), key=lambda item: (-item[1], item[0]))
    profile = {}
    for position, (g, _) in enumerate(order[:top_k]):
        profile[g] = position
    return profile
''',
    '''
import itertools


def char_ngrams(text, n):
    padded = " %s " % text
    return list(map(lambda i: padded[i:i + n], range(max(len(padded) - n + 1, 0))))


def build_profile(texts, n=3, top_k=300):
    tally = Counter(itertools.chain.from_iterable(char_ngrams(t, n) for t in texts))
    pairs = sorted((-count, gram) for gram, count in tally.items())
    return dict(zip((gram for _, gram in pairs[:top_k]), itertools.count()))
''',
)

VARIANTS[L01]["ex_identify_language"] = (
    '''
def out_of_place(doc_profile, lang_profile):
    penalty = len(lang_profile)
    distance = 0
    for gram in doc_profile:
        if gram in lang_profile:
            distance += abs(doc_profile[gram] - lang_profile[gram])
        else:
            distance += penalty
    return distance


def identify_language(text, profiles, n=3, top_k=300):
    mine = build_profile([text], n, top_k)
    best_lang, best_dist = None, None
    for lang in sorted(profiles):
        d = out_of_place(mine, profiles[lang])
        if best_dist is None or d < best_dist:
            best_lang, best_dist = lang, d
    return best_lang
''',
    '''
def out_of_place(doc_profile, lang_profile):
    ranks = [lang_profile.get(g) for g in doc_profile]
    return sum(len(lang_profile) if r is None else abs(r - doc_profile[g]) for g, r in zip(doc_profile, ranks))


def identify_language(text, profiles, n=3, top_k=300):
    profile = build_profile([text], n=n, top_k=top_k)
    scored = sorted((out_of_place(profile, p), code) for code, p in profiles.items())
    return scored[0][1]
''',
)

VARIANTS[L01]["ex_vocab"] = (
    '''
class Vocab:
    PAD, UNK = "<pad>", "<unk>"
    pad_index, unk_index = 0, 1

    def __init__(self, tokenized_texts, min_freq=1, max_size=None):
        freq = {}
        for sentence in tokenized_texts:
            for tok in sentence:
                if tok not in (self.PAD, self.UNK):
                    freq[tok] = freq.get(tok, 0) + 1
        frequent = [w for w in freq if freq[w] >= min_freq]
        frequent.sort()
        frequent.sort(key=freq.get, reverse=True)
        if max_size is not None:
            frequent = frequent[:max(0, max_size - 2)]
        self.itos = [self.PAD, self.UNK]
        self.itos.extend(frequent)
        self.stoi = dict((w, i) for i, w in enumerate(self.itos))

    def __len__(self):
        return len(self.stoi)

    def encode(self, tokens):
        out = []
        for t in tokens:
            out.append(self.stoi[t] if t in self.stoi else self.unk_index)
        return out

    def decode(self, ids, skip_pad=False):
        result = []
        for i in ids:
            if skip_pad and i == self.pad_index:
                continue
            result.append(self.itos[i])
        return result
''',
    '''
import itertools


class Vocab:
    PAD, UNK = "<pad>", "<unk>"
    pad_index, unk_index = 0, 1

    def __init__(self, tokenized_texts, min_freq=1, max_size=None):
        counter = Counter(itertools.chain.from_iterable(tokenized_texts))
        for special in (self.PAD, self.UNK):
            del counter[special]
        by_count = {}
        for word, count in counter.items():
            if count >= min_freq:
                by_count.setdefault(count, []).append(word)
        words = [w for count in sorted(by_count, reverse=True) for w in sorted(by_count[count])]
        limit = len(words) if max_size is None else max(max_size - 2, 0)
        self.itos = [self.PAD, self.UNK, *words[:limit]]
        self.stoi = {}
        for index, word in enumerate(self.itos):
            self.stoi[word] = index

    def __len__(self):
        return len(self.itos)

    def encode(self, tokens):
        return list(map(lambda t: self.stoi.get(t, self.unk_index), tokens))

    def decode(self, ids, skip_pad=False):
        keep = (lambda i: i != self.pad_index) if skip_pad else (lambda i: True)
        return [self.itos[i] for i in ids if keep(i)]
''',
)

VARIANTS[L01]["ex_pad_sequences"] = (
    '''
def pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    for name, option in (("padding", padding), ("truncating", truncating)):
        if option not in ("pre", "post"):
            raise ValueError(f"{name} must be 'pre' or 'post', got {option!r}")
    seqs = [list(s) for s in sequences]
    if maxlen is None:
        maxlen = max(map(len, seqs)) if seqs else 0
    result = np.empty((len(seqs), maxlen), dtype=np.int32)
    result.fill(value)
    for r, s in enumerate(seqs):
        if len(s) > maxlen:
            s = s[len(s) - maxlen:] if truncating == "pre" else s[:maxlen]
        if not s:
            continue
        if padding == "post":
            result[r, :len(s)] = s
        else:
            result[r, maxlen - len(s):] = s
    return result
''',
    '''
def pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    if padding not in {"pre", "post"}:
        raise ValueError("padding must be 'pre' or 'post'")
    if truncating not in {"pre", "post"}:
        raise ValueError("truncating must be 'pre' or 'post'")
    lengths = [len(s) for s in sequences]
    width = maxlen if maxlen is not None else max(lengths, default=0)
    rows = []
    for seq in sequences:
        seq = list(seq)
        if truncating == "pre":
            seq = seq[-width:] if width else []
        else:
            seq = seq[:width]
        fill = [value] * (width - len(seq))
        rows.append(fill + seq if padding == "pre" else seq + fill)
    return np.array(rows, dtype=np.int32).reshape(len(rows), width)
''',
)

VARIANTS[L04]["ex_embed"] = (
    '''
def one_hot(ids, vocab_size):
    ids = list(ids)
    m = np.zeros((vocab_size, len(ids)), dtype=np.float64)
    for col, word in enumerate(ids):
        m[word, col] = 1
    return m


def embed(E, ids):
    return np.matmul(E, one_hot(ids, E.shape[1]))
''',
    '''
def one_hot(ids, vocab_size):
    return np.eye(vocab_size)[:, np.asarray(ids, dtype=int)].astype(float)


def embed(E, ids):
    V = E.shape[-1]
    return E.dot(one_hot(ids, V))
''',
)

VARIANTS[L04]["ex_analogy"] = (
    '''
def cosine_similarity(u, v):
    num = float((u * v).sum())
    return num / float(np.sqrt((u * u).sum()) * np.sqrt((v * v).sum()))


def analogy(a, b, c, W, words):
    pos = dict(zip(words, range(len(words))))
    norms = np.sqrt((W ** 2).sum(axis=1))[:, None]
    normed = W / norms
    query = normed[pos[b]] - normed[pos[a]] + normed[pos[c]]
    best, best_score = None, -np.inf
    for i, w in enumerate(words):
        if w in (a, b, c):
            continue
        s = normed[i] @ query
        if s > best_score:
            best, best_score = w, s
    return best
''',
    '''
import math


def cosine_similarity(u, v):
    dot = sum(float(x) * float(y) for x, y in zip(u, v))
    return dot / (math.sqrt(sum(float(x) ** 2 for x in u)) * math.sqrt(sum(float(y) ** 2 for y in v)))


def analogy(a, b, c, W, words):
    def unit(word):
        vec = W[words.index(word)]
        return vec / np.linalg.norm(vec)

    goal = unit(b) - unit(a) + unit(c)
    candidates = [w for w in words if w not in {a, b, c}]
    return max(candidates, key=lambda w: (cosine_similarity(W[words.index(w)], goal), -words.index(w)))
''',
)

VARIANTS[L04]["ex_skipgram_pairs"] = (
    '''
def skipgram_pairs(tokens, window):
    tokens = list(tokens)
    out = []
    for pos in range(len(tokens)):
        lo = pos - window if pos - window > 0 else 0
        hi = pos + window if pos + window < len(tokens) - 1 else len(tokens) - 1
        out.extend((tokens[pos], tokens[q]) for q in range(lo, hi + 1) if q != pos)
    return out
''',
    '''
def skipgram_pairs(tokens, window):
    result = []
    n = len(tokens)
    i = 0
    while i < n:
        for offset in range(-window, window + 1):
            if offset and 0 <= i + offset < n:
                result.append((tokens[i], tokens[i + offset]))
        i += 1
    return result
''',
)

VARIANTS[L04]["ex_sampling"] = (
    '''
def noise_distribution(counts, power=0.75):
    powered = np.power(np.array(counts, dtype=float), power)
    total = np.sum(powered)
    return powered / total


def keep_probability(counts, sample=1e-3):
    freq = np.array(counts, dtype=float)
    freq = freq / freq.sum()
    ratio = sample / freq
    return np.clip(np.sqrt(ratio) + ratio, None, 1.0)
''',
    '''
def noise_distribution(counts, power=0.75):
    c = np.asarray(counts, dtype=np.float64)
    logits = power * np.log(c)
    e = np.exp(logits - logits.max())
    return e / e.sum()


def keep_probability(counts, sample=1e-3):
    result = []
    total = float(np.sum(counts))
    for count in np.asarray(counts, dtype=np.float64):
        f = count / total
        result.append(min(1.0, (math.sqrt(f / sample) + 1) * sample / f))
    return np.array(result)
''',
)
# the second sampling variant uses math: its cell imports it
VARIANTS[L04]["ex_sampling"] = (VARIANTS[L04]["ex_sampling"][0], "\nimport math\n" + VARIANTS[L04]["ex_sampling"][1])


# --------------------------------------------------------------------------- disguising a copy


def _strip_comments(source: str) -> str:
    lines = source.splitlines()
    comments = [tok.start for tok in tokenize.generate_tokens(io.StringIO(source).readline)
                if tok.type == tokenize.COMMENT]
    for row, col in reversed(comments):
        lines[row - 1] = lines[row - 1][:col].rstrip()
    return "\n".join(line for line in lines if line.strip() or not line)


def _blocks(lines: list[str], indent: str) -> tuple[list[str], list[list[str]]]:
    """Lines before the first def at ``indent``, and each def block (decorators and trailing blanks included)."""
    head: list[str] = []
    blocks: list[list[str]] = []
    for line in lines:
        if re.match(rf"{indent}(def |async def |@)", line) and not (blocks and blocks[-1][-1].lstrip().startswith("@")):
            blocks.append([line])
        elif blocks and (line.startswith(indent + " ") or not line.strip() or line.startswith(indent + ")")):
            blocks[-1].append(line)
        elif blocks and not line.startswith(indent):
            blocks[-1].append(line)
        else:
            (blocks[-1] if blocks else head).append(line)
    return head, blocks


def _reverse_defs(source: str) -> str:
    """Functions in reverse order, and the methods of each class too."""
    head, blocks = _blocks(source.splitlines(), "")
    out = list(head)
    for block in reversed(blocks):
        out.extend([*block, ""])
    text = "\n".join(out)
    match = re.search(r"^class .*:\n", text, re.M)
    if match:
        start = match.end()
        end = next((m.start() for m in re.finditer(r"^\S", text[start:], re.M)), len(text) - start) + start
        body_head, methods = _blocks(text[start:end].splitlines(), "    ")
        body = list(body_head)
        for block in reversed(methods):
            body.extend([*block, ""])
        text = text[:start] + "\n".join(body) + "\n" + text[end:]
    return text


def _local_names(source: str) -> list[str]:
    import ast

    tree = ast.parse(source)
    params = {a.arg for node in ast.walk(tree) if isinstance(node, ast.arguments)
              for a in [*node.args, *node.kwonlyargs, *node.posonlyargs]}
    stored = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    return sorted(stored - params - {"_"})


def _rename(source: str, renames: dict[str, str]) -> str:
    """``source`` with the identifiers in ``renames`` renamed (not attributes; inside f-strings too)."""
    lines = source.splitlines()
    edits = []
    previous = None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and tok.string in renames and not (previous and previous.string == "."):
            edits.append((tok.start, tok.end, renames[tok.string]))
        elif tok.type == tokenize.STRING and tok.string[:2].lower() in ('f"', "f'", "rf", "fr"):
            new = re.sub(r"(?<=\{)(\w+)(?=[!:}])", lambda m: renames.get(m[1], m[1]), tok.string)
            edits.append((tok.start, tok.end, new))
        previous = tok
    for (row, col), (end_row, end_col), text in reversed(edits):
        if row == end_row:
            lines[row - 1] = lines[row - 1][:col] + text + lines[row - 1][end_col:]
    return "\n".join(lines)


def edited(source: str) -> str:
    """``source`` with one statement added in the middle of every function (and comments lost)."""
    import ast

    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            node.body.insert(len(node.body) // 2, ast.parse("checked = True").body[0])
    return ast.unparse(tree)


def disguise(source: str, seed: int) -> str:
    """A copy of ``source`` made to look different: renamed locals, reordered functions, new comments and blanks."""
    rng = random.Random(seed)
    source = "\n".join(line for line in source.splitlines() if "### BEGIN SOLUTION" not in line
                       and "### END SOLUTION" not in line)
    source = _strip_comments(source)
    synonyms = ["tmp", "acc", "res", "item", "buf", "thing", "val", "data", "holder", "stuff", "work", "part"]
    renames = {name: f"{rng.choice(synonyms)}_{seed}_{i}" for i, name in enumerate(_local_names(source))}
    source = _rename(source, renames)
    source = _reverse_defs(source)
    out = []
    for i, line in enumerate(source.splitlines()):
        stripped = line.lstrip()
        if stripped and not stripped.startswith(("@", ")", "]", "}", "else", "elif", "except", "finally"))and i % 3 == 1:
            out.append(line[: len(line) - len(stripped)] + f"# step {i}: {rng.choice(['compute', 'loop', 'check'])}")
        out.append(line)
        if i % 4 == 2:
            out.append("")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- the class


@pytest.fixture(scope="module")
def lessons(tmp_path_factory) -> dict[str, LessonInfo]:
    db = tmp_path_factory.mktemp("similarity") / "lessons.db"
    return prepare_lessons({L01: source_notebook(L01), L04: source_notebook(L04)}, db)


@pytest.fixture(scope="module")
def references() -> dict[str, dict[str, str]]:
    return {REFERENCE_SOLUTION: reference_solutions({L01: source_notebook(L01), L04: source_notebook(L04)}),
            LIBRARY: library_code()}


def _library_twins() -> dict[str, str]:
    """Lesson 01 answers pasted from ``seqnlp.text`` (with the module-level helpers they need)."""
    from seqnlp import text

    helpers = "\n".join(line for line in inspect.getsource(text).splitlines()
                        if line.startswith(("_TAG_RE =", "_URL_RE =", "_EMOJI_MARKS =", "_SEPARATORS =")))
    return {
        "ex_clean_text": inspect.getsource(text._is_separator) + "\n\n" + inspect.getsource(text._SeparatorTable)
        + "\n\n" + helpers + "\n\n" + inspect.getsource(text.clean_text),
        "ex_pad_sequences": inspect.getsource(text.pad_sequences),
        "ex_vocab": inspect.getsource(text.Vocab),
        "ex_char_ngrams": inspect.getsource(text.char_ngrams) + "\n\n" + inspect.getsource(text.build_profile),
    }


@pytest.fixture(scope="module")
def planted(lessons):
    """``(subs, origin)``: the class, and ``{(student, lesson, exercise): where the answer comes from}``.

    Origins: ``reference``, ``A``/``B`` (hand-written variants), ``library``
    (``seqnlp``), ``stub``, ``signature`` (only the given def lines kept).
    """
    subs: list[tuple[str, str, dict[str, str]]] = []
    origin: dict[tuple[str, str, str], str] = {}
    library = _library_twins()
    for lesson in (L01, L04):
        solutions = {gid: src for gid, src in solution_sources(source_notebook(lesson)).items()}
        stubs = stub_code(lessons[lesson])
        variants = VARIANTS[lesson]
        a = {gid: v[0] for gid, v in variants.items()}
        b = {gid: v[1] for gid, v in variants.items()}
        signature = {gid: stub.replace("# YOUR CODE HERE\n", "").replace("raise NotImplementedError()", "pass")
                     for gid, stub in stubs.items()}
        returns_none = {gid: stub.replace("raise NotImplementedError()", "return None") for gid, stub in stubs.items()}
        students = {
            "ref_copy1": ({gid: disguise(src, 1) for gid, src in solutions.items()}, "reference"),
            "ref_copy2": ({gid: disguise(src, 2) for gid, src in solutions.items()}, "reference"),
            "ref_plain": (dict(solutions), "reference"),
            "alice": (a, "A"),
            "bob": (b, "B"),
            "carol": ({gid: disguise(src, 3) for gid, src in a.items()}, "A"),  # copies alice
            "dave": ({gid: disguise(src, 4) for gid, src in b.items()}, "B"),  # copies bob
            "erin": ({gid: disguise(edited(src), 6) for gid, src in a.items()}, "A"),  # copies alice, edits a bit
            "stub1": ({}, "stub"),
            "stub2": ({}, "stub"),
            "sig1": (signature, "signature"),
            "sig2": (returns_none, "signature"),
        }
        if lesson == L01:
            students["lib_copy"] = ({gid: disguise(src, 5) for gid, src in library.items()}, "library")
        for student, (answers, kind) in students.items():
            nb = submission(lessons[lesson], answers)
            code = solution_code(nb, lessons[lesson])
            subs.append((student, lesson, code))
            for gid in stubs:
                origin[(student, lesson, gid)] = kind if gid in answers else "stub"
    return subs, origin


def _truth(origin_a: str, origin_b: str) -> bool | None:
    """Is a pair of answers a copy (True), independent (False), or neither counts (None)?"""
    if "stub" in (origin_a, origin_b) or "signature" in (origin_a, origin_b):
        return False
    if {origin_a, origin_b} == {"reference", "library"}:
        return None  # seqnlp's twins are the reference solution grown up: some are the same code, some not
    return origin_a == origin_b


def _units(subs, origin, refs_by_kind):
    """Every (lesson, exercise, kind, first, second) the report could flag, with its truth."""
    units = {}
    by_lesson: dict[str, list[str]] = {}
    for student, lesson, _ in subs:
        by_lesson.setdefault(lesson, []).append(student)
    for lesson, students in by_lesson.items():
        exercises = sorted({gid for (s, les, gid) in origin if les == lesson})
        for gid in exercises:
            for i, first in enumerate(sorted(students)):
                mine = origin[(first, lesson, gid)]
                for kind, ref_origin in refs_by_kind.items():
                    truth = _truth(mine, ref_origin)
                    if ref_origin == "library" and not _has_library_twin(lesson, gid):
                        truth = False if truth is not None else None
                    units[(lesson, gid, kind, first)] = truth
                for second in sorted(students)[i + 1 :]:
                    units[(lesson, gid, STUDENTS, first, second)] = _truth(mine, origin[(second, lesson, gid)])
    return units


def _has_library_twin(lesson: str, gid: str) -> bool:
    return lesson == L01  # every lesson 01 exercise has its twin in seqnlp.text


def _measure(pairs, units) -> tuple[float, float, list, list]:
    flagged = set()
    for p in pairs:
        if p.exercise == ALL_ANSWERS:
            continue
        flagged.add((p.lesson, p.exercise, p.kind, p.first) if p.kind != STUDENTS else
                    (p.lesson, p.exercise, STUDENTS, p.first, p.second))
    positives = {u for u, t in units.items() if t}
    negatives = {u for u, t in units.items() if t is False}
    true_pos = flagged & positives
    false_pos = flagged & negatives
    precision = len(true_pos) / len(true_pos | false_pos) if flagged & (positives | negatives) else 1.0
    recall = len(true_pos) / len(positives) if positives else 1.0
    return precision, recall, sorted(positives - flagged), sorted(false_pos)


# --------------------------------------------------------------------------- tests


def test_hand_written_variants_behave_like_the_reference():
    """The independent answers are real answers: same results as the reference solution on a few inputs."""
    import string
    import unicodedata
    from collections import Counter
    from collections.abc import Iterable

    def namespace(code: str) -> dict:
        ns = {"re": re, "string": string, "unicodedata": unicodedata, "Counter": Counter, "Iterable": Iterable,
              "np": np}
        exec(code, ns)  # noqa: S102 - the test's own code
        return ns

    texts = ["Giảng viên dạy RẤT hay!!! 😍 <br />http://x.vn", "ĐẠI_HỌC 2024, tuyệt vời ❤️ www.abc.com/x?y=1",
             "plain\ttext\u200bwith  spaces", ""]
    docs = [["a", "b", "a", "<pad>", "c"], ["b", "a", "d"]]
    seqs = [[1, 2, 3], [4], [], [5, 6, 7, 8, 9]]
    refs = solution_sources(source_notebook(L01))
    for variant in (0, 1):
        v = {gid: namespace(pair[variant]) for gid, pair in VARIANTS[L01].items()}
        r = {gid: namespace(src) for gid, src in refs.items()}
        for t in texts:
            assert v["ex_clean_text"]["clean_text"](t) == r["ex_clean_text"]["clean_text"](t), t
        for n in (1, 2, 3, 5):
            assert v["ex_char_ngrams"]["char_ngrams"]("hay", n) == r["ex_char_ngrams"]["char_ngrams"]("hay", n)
        profile = v["ex_char_ngrams"]["build_profile"](texts, n=2, top_k=7)
        assert list(profile.items()) == list(r["ex_char_ngrams"]["build_profile"](texts, n=2, top_k=7).items())
        ns = v["ex_identify_language"]
        ns["build_profile"] = r["ex_char_ngrams"]["build_profile"]
        profiles = {"vi": ns["build_profile"](["dạy rất hay", "giảng viên"]), "en": ns["build_profile"](["the cat"])}
        for t in ("rất hay", "a cat", "zzz"):
            expected = r["ex_identify_language"]
            expected["build_profile"] = ns["build_profile"]
            assert ns["identify_language"](t, profiles) == expected["identify_language"](t, profiles)
        assert ns["out_of_place"](profiles["vi"], profiles["en"]) == expected["out_of_place"](profiles["vi"], profiles["en"])
        for min_freq, max_size in ((1, None), (2, None), (1, 3), (1, 2)):
            mine, theirs = v["ex_vocab"]["Vocab"](docs, min_freq, max_size), r["ex_vocab"]["Vocab"](docs, min_freq, max_size)
            assert (mine.itos, mine.stoi, len(mine)) == (theirs.itos, theirs.stoi, len(theirs))
            assert mine.encode(["a", "zz"]) == theirs.encode(["a", "zz"])
            ids = [0, *range(len(theirs)), 0]
            assert mine.decode(ids, skip_pad=True) == theirs.decode(ids, skip_pad=True)
            assert mine.decode(ids) == theirs.decode(ids)
        pad_v, pad_r = v["ex_pad_sequences"]["pad_sequences"], r["ex_pad_sequences"]["pad_sequences"]
        for kwargs in ({}, {"maxlen": 2}, {"maxlen": 0}, {"padding": "post", "truncating": "post", "maxlen": 3, "value": -1}):
            got, want = pad_v(seqs, **kwargs), pad_r(seqs, **kwargs)
            assert got.dtype == want.dtype and np.array_equal(got, want), kwargs
        with pytest.raises(ValueError):
            pad_v(seqs, padding="middle")

    refs4 = solution_sources(source_notebook(L04))
    rng = np.random.default_rng(0)
    W = rng.normal(size=(8, 5))
    words = [f"w{i}" for i in range(8)]
    counts = np.array([50, 3, 1, 900, 7])
    for variant in (0, 1):
        v = {gid: namespace(pair[variant]) for gid, pair in VARIANTS[L04].items()}
        r = {gid: namespace(refs4[gid]) for gid in VARIANTS[L04]}
        assert np.array_equal(v["ex_embed"]["one_hot"]([2, 0, 2], 4), r["ex_embed"]["one_hot"]([2, 0, 2], 4))
        assert np.allclose(v["ex_embed"]["embed"](W.T, [1, 3]), r["ex_embed"]["embed"](W.T, [1, 3]))
        assert np.isclose(v["ex_analogy"]["cosine_similarity"](W[0], W[1]), r["ex_analogy"]["cosine_similarity"](W[0], W[1]))
        for abc in (("w0", "w1", "w2"), ("w5", "w3", "w7")):
            assert v["ex_analogy"]["analogy"](*abc, W, words) == r["ex_analogy"]["analogy"](*abc, W, words)
        for window in (1, 2, 5):
            assert v["ex_skipgram_pairs"]["skipgram_pairs"](list("abcd"), window) == r["ex_skipgram_pairs"]["skipgram_pairs"](list("abcd"), window)
        assert np.allclose(v["ex_sampling"]["noise_distribution"](counts), r["ex_sampling"]["noise_distribution"](counts))
        assert np.allclose(v["ex_sampling"]["keep_probability"](counts, 0.01), r["ex_sampling"]["keep_probability"](counts, 0.01))


def test_disguised_copies_still_work_and_look_different():
    """The planted copies are real disguises: they run, and they differ from the text they copy."""
    src = solution_sources(source_notebook(L01))["ex_char_ngrams"]
    copy = disguise(src, 1)
    ns: dict = {"Counter": __import__("collections").Counter, "Iterable": object}
    exec(copy, ns)  # noqa: S102 - the test's own code
    assert ns["char_ngrams"]("hay", 3) == [" ha", "hay", "ay "]
    assert copy.index("def build_profile") < copy.index("def char_ngrams"), "functions were not reordered"
    assert not set(_local_names(copy)) & set(_local_names(src)), "locals were not renamed"
    assert sorted(normalise(copy).splitlines()) == sorted(normalise(src).splitlines()), "renaming, reordering and comments must not change the normal form"


def test_normalise_ignores_names_comments_layout_and_docstrings():
    a = 'def f(xs):\n    """Sum."""\n    total = 0  # start\n    for x in xs:\n        total += x\n    return total\n'
    b = "def f(values: list) -> int:\n\n    acc = 0\n    for v in values:   \n        acc += v\n\n    # done\n    return acc\n"
    assert normalise(a) == normalise(b)
    assert normalise(a) != normalise(a.replace("+=", "*="))
    assert "S" in normalise("x = 'a'") and "'a'" not in normalise("x = 'a'")
    assert normalise("%time f(1)\n!ls\n") == ""  # IPython magics and shell lines are not Python
    assert normalise("y = f(a,\n") == "V = f ( a ,"  # a cell that does not parse still gives its tokens


def test_precision_and_recall_on_a_planted_class(planted, references, lessons):
    subs, origin = planted
    stubs = {name: stub_code(info) for name, info in lessons.items()}
    started = time.perf_counter()
    pairs = compare_class(subs, references, stubs=stubs)
    seconds = time.perf_counter() - started
    units = _units(subs, origin, {REFERENCE_SOLUTION: "reference", LIBRARY: "library"})
    precision, recall, missed, wrong = _measure(pairs, units)
    positives = sum(1 for t in units.values() if t)
    negatives = sum(1 for t in units.values() if t is False)
    print(f"\nsimilarity: {len(subs)} submissions, {positives} copied and {negatives} independent (pair, exercise) "
          f"units, {len(pairs)} rows in {seconds:.2f} s: precision {precision:.3f}, recall {recall:.3f}")
    for name, items in (("missed", missed), ("wrongly flagged", wrong)):
        for unit in items:
            print(f"  {name}: {unit}")
    assert recall >= 0.9, f"missed copies: {missed}"
    assert precision >= 0.95, f"independent answers flagged: {wrong}"


def test_untouched_stubs_and_kept_signatures_are_never_flagged(planted, references, lessons):
    subs, _ = planted
    stubs = {name: stub_code(info) for name, info in lessons.items()}
    pairs = compare_class(subs, references, stubs=stubs, threshold=0.0)
    names = {"stub1", "stub2", "sig1", "sig2"}
    assert not [p for p in pairs if p.first in names or p.second in names]
    for lesson, info in lessons.items():
        for gid, stub in stub_code(info).items():
            assert not answer_fingerprints(stub, stub), f"{lesson}/{gid}: the stub leaves fingerprints"


def test_short_answers_are_not_evidence(lessons):
    stub = stub_code(lessons[L01])["ex_vocab"]
    tiny = {"ex_vocab": stub.replace("raise NotImplementedError()", "return len(self.itos)")}
    pairs = compare_class([("x", L01, tiny), ("y", L01, dict(tiny))], {}, threshold=0.0,
                          stubs={L01: stub_code(lessons[L01])})
    assert pairs == []


def test_copies_of_the_reference_and_of_seqnlp_are_named(planted, references, lessons):
    subs, _ = planted
    stubs = {name: stub_code(info) for name, info in lessons.items()}
    pairs = compare_class(subs, references, stubs=stubs)
    lib = [p for p in pairs if p.first == "lib_copy" and p.kind == LIBRARY]
    assert {p.exercise for p in lib} >= {"ex_clean_text", "ex_pad_sequences", "ex_vocab", "ex_char_ngrams"}
    assert all(p.second == "seqnlp/text.py" for p in lib if p.exercise != ALL_ANSWERS)
    ref = [p for p in pairs if p.first == "ref_copy1" and p.kind == REFERENCE_SOLUTION and p.lesson == L04]
    assert {p.exercise: p.second for p in ref if p.exercise != ALL_ANSWERS}["ex_sgns_grad"] == f"{L04}/ex_sgns_grad"
    assert any(p.exercise == ALL_ANSWERS for p in ref)
    assert all(0.0 <= p.score <= 1.0 for p in pairs)


def test_output_is_deterministic_and_escaped(planted, references, lessons, tmp_path):
    subs, _ = planted
    stubs = {name: stub_code(info) for name, info in lessons.items()}
    evil = "<script>alert(1)</script>"
    subs = [(evil if s == "carol" else s, lesson, code) for s, lesson, code in subs]
    first = compare_class(subs, references, stubs=stubs)
    shuffled = list(subs)
    random.Random(7).shuffle(shuffled)
    second = compare_class(shuffled, references, stubs=stubs)
    assert first == second
    code = {(s, lesson): answers for s, lesson, answers in subs}
    code[(evil, L01)] = {gid: f"# </pre><script>alert(2)</script>\n{src}" for gid, src in code[(evil, L01)].items()}
    a_csv, a_html = write_report(first, tmp_path / "a", code=code)
    b_csv, b_html = write_report(list(reversed(second)), tmp_path / "b", code=code)
    assert a_csv.read_bytes() == b_csv.read_bytes() and a_html.read_bytes() == b_html.read_bytes()
    page = a_html.read_text()
    assert evil in a_csv.read_text() and "<script" not in page and "&lt;script&gt;" in page
    assert "&lt;/pre&gt;&lt;script&gt;alert(2)" in page, "the answers are shown, escaped"
    rows = list(csv.DictReader(a_csv.open()))
    assert len(rows) == len(first) and rows[0]["score"] == f"{first[0].score:.3f}"


def test_fingerprints_do_not_depend_on_the_process():
    """Python's own ``hash`` of a string changes with every process; the fingerprints must not."""
    code = solution_sources(source_notebook(L01))["ex_pad_sequences"]
    here = sorted(fingerprints(normalise(code)))
    script = ("import sys; from autograder.similarity import fingerprints, normalise; "
              "print(sorted(fingerprints(normalise(sys.stdin.read()))))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", script], input=code, capture_output=True, text=True, env=env,
                         cwd=REPO_ROOT, check=True).stdout
    assert out.strip() == str(here)


def test_similarity_for_run_reads_notebooks_and_skips_broken_ones(lessons, tmp_path):
    sources = {L01: source_notebook(L01), L04: source_notebook(L04)}
    solutions = solution_sources(sources[L01])
    subs = []
    for student, answers in (("ann", {g: disguise(s, 8) for g, s in solutions.items()}), ("ben", {}),
                             ("cat", {g: disguise(s, 9) for g, s in solutions.items()})):
        subs.append((student, L01, write(submission(lessons[L01], answers), tmp_path / student / f"{L01}.ipynb")))
    broken = tmp_path / "dan" / f"{L01}.ipynb"
    broken.parent.mkdir()
    broken.write_text('{"cells": [ not json')
    odd = tmp_path / "eve.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), odd)
    subs += [("dan", L01, broken), ("eve", L01, odd), ("fay", "99_unknown", odd)]
    pairs = similarity_for_run(subs, lessons, tmp_path / "out", sources)
    assert (tmp_path / "out" / "similarity.csv").is_file() and (tmp_path / "out" / "similarity.html").is_file()
    flagged = {(p.first, p.second) for p in pairs if p.exercise == ALL_ANSWERS}
    assert ("ann", "cat") in flagged and ("ann", REFERENCE_SOLUTION) in flagged and ("cat", REFERENCE_SOLUTION) in flagged
    assert not {p.first for p in pairs} & {"ben", "dan", "eve", "fay"}
