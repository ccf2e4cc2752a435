"""Vietnamese word segmentation: syllables -> words, with pyvi's CRF segmenter (MIT licence).

Vietnamese writes a space between *syllables*, not words: ``giảng viên`` (lecturer) is one word
of two syllables. A word segmenter decides which neighbouring syllables form a word and joins
them with an underscore, which lesson 01's ``clean_text`` keeps::

    from seqnlp.vietnamese import load_uit_vsfc_words, segment

    segment("giảng viên dạy rất nhiệt tình")   # 'giảng_viên dạy rất nhiệt_tình'
    train = load_uit_vsfc_words("train")        # load_uit_vsfc + a ``words`` column, cached

The segmenter is pyvi's ``ViTokenizer`` (Viet-Trung Tran; a linear-chain CRF over syllable
features and a dictionary of two- and three-syllable words). Its model ships inside the pyvi
package, so segmentation runs offline; loading it takes a second or two, so it happens on the
first call, not on import. Segmenting all of UIT-VSFC (16,175 sentences) takes about five
seconds on one core; :func:`segment_texts` with a ``cache_name`` keeps the result in
:func:`cache_dir` (``.cache/vietnamese/`` at the repository root, git-ignored; ``SEQNLP_CACHE``
moves the cache root), under a name that changes with the texts, the segmenter and
:data:`SEGMENTER_VERSION`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import warnings
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import pandas as pd

from .data import REPO_ROOT, load_uit_vsfc

__all__ = [
    "SEGMENTER_VERSION",
    "cache_dir",
    "load_uit_vsfc_words",
    "segment",
    "segment_texts",
    "segmenter_name",
]

SEGMENTER_VERSION = 1  # bump when segment() changes: cached files get new names


@functools.lru_cache(maxsize=1)
def _tokenizer():
    """pyvi's ``ViTokenizer`` class (its CRF model is loaded from the package when the module is imported)."""
    with warnings.catch_warnings():  # pyvi 0.1.1's regular expressions use "\." in plain strings
        warnings.simplefilter("ignore")
        from pyvi import ViTokenizer
    return ViTokenizer.ViTokenizer


def segmenter_name() -> str:
    """The segmenter and its version, e.g. ``"pyvi 0.1.1"``."""
    return f"pyvi {metadata.version('pyvi')}"


def segment(text: str) -> str:
    """``text`` with the syllables of each word joined by ``_``: ``"sinh viên"`` -> ``"sinh_viên"``.

    pyvi also splits punctuation off (``30%`` -> ``30 %``, ``=)`` -> ``= )``) and collapses runs of
    spaces; otherwise ``segment(text).replace("_", " ") == text``, as on 99.6% of UIT-VSFC's
    sentences, which come with punctuation split off. A text with no token comes back unchanged.
    """
    if not text.strip():
        return text
    return _tokenizer().tokenize(text)


def cache_dir() -> Path:
    """Folder of the cached segmentations: ``$SEQNLP_CACHE/vietnamese``, by default ``<repo>/.cache/vietnamese``."""
    root = os.environ.get("SEQNLP_CACHE", "").strip()
    return (Path(root) if root else REPO_ROOT / ".cache") / "vietnamese"


def _cache_key(texts: list[str]) -> str:
    digest = hashlib.sha256(f"{segmenter_name()} v{SEGMENTER_VERSION}\n".encode())
    for text in texts:
        digest.update(text.encode("utf-8") + b"\n")
    return digest.hexdigest()[:16]


def _cache_folders() -> list[Path]:
    return [cache_dir(), Path(tempfile.gettempdir()) / "seqnlp-cache" / "vietnamese"]


def _read_cached(name: str, count: int) -> list[str] | None:
    for folder in _cache_folders():
        path = folder / name
        if path.is_file():
            lines = path.read_text(encoding="utf-8").split("\n")[:-1]
            if len(lines) == count:
                return lines
    return None


def _write_cached(name: str, lines: list[str]) -> None:
    """Write atomically into the first writable cache folder; a cache nobody can write is skipped."""
    for folder in _cache_folders():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, delete=False, suffix=".tmp") as out:
                out.write("".join(f"{line}\n" for line in lines))
            os.replace(out.name, folder / name)
            return
        except OSError:
            continue


def segment_texts(texts: Iterable[str], cache_name: str | None = None) -> list[str]:
    """:func:`segment` of every text, in order.

    With ``cache_name`` the result is saved as ``<cache_name>_<key>.txt`` in :func:`cache_dir` (or, where that
    folder cannot be written, in ``<temp dir>/seqnlp-cache/vietnamese``) and read back on later calls; the key
    is a hash of the texts, the segmenter's version and :data:`SEGMENTER_VERSION`, so a changed input never
    reads a stale file. Texts must not contain newlines.
    """
    texts = [str(text) for text in texts]
    if any("\n" in text or "\r" in text for text in texts):
        raise ValueError("segment_texts: a text contains a line break; split it into sentences first")
    if cache_name is None:
        return [segment(text) for text in texts]
    name = f"{cache_name}_{_cache_key(texts)}.txt"
    cached = _read_cached(name, len(texts))
    if cached is not None:
        return cached
    words = [segment(text) for text in texts]
    _write_cached(name, words)
    return words


def load_uit_vsfc_words(split: str = "train", limit: int | None = None) -> pd.DataFrame:
    """:func:`seqnlp.load_uit_vsfc` with a ``words`` column: each sentence word-segmented (cached).

    Same rows as ``load_uit_vsfc(split, limit)`` (a fast-mode slice in fast mode); ``words`` holds the
    sentence with the syllables of each word joined by ``_`` (``"giảng_viên dạy rất nhiệt_tình"``).
    """
    frame = load_uit_vsfc(split, limit)
    frame["words"] = segment_texts(frame.sentence, cache_name=f"uit_vsfc_{split}")
    return frame
