"""The course datasets, loaded from ``datasets/`` and verified against ``SHA256SUMS``.

Nothing here downloads anything. In fast mode (see :mod:`seqnlp.config`) the
loaders return a small, stratified, deterministic slice; in full mode the whole
split. ``SEQNLP_DATA`` may point at another copy of ``datasets/`` (the grader
mounts it read-only).
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import config

if TYPE_CHECKING:
    import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
DATASETS_DIR = Path(os.environ.get("SEQNLP_DATA", REPO_ROOT / "datasets")).resolve()
NLTK_DATA_DIR = DATASETS_DIR / "nltk_data"
CHECKSUMS_FILE = DATASETS_DIR / "SHA256SUMS"

IMDB_SPLITS = ("train", "test", "unsup")
IMDB_LABELS = {"neg": 0, "pos": 1, "unsup": -1}
UIT_VSFC_SPLITS = ("train", "val", "test")
UIT_VSFC_SENTIMENTS = ("negative", "neutral", "positive")
UIT_VSFC_TOPICS = ("lecturer", "training_program", "facility", "others")

# Rows per split in fast mode; a smaller ``limit`` wins.
FAST_ROWS = {
    "imdb": {"train": 1000, "test": 500, "unsup": 1000},
    "uit_vsfc": {"train": 1500, "val": 300, "test": 600},
}
SLICE_SEED = 1234

RESTORE_HINT = (
    "Restore it from the repository with `git checkout -- datasets/{rel}` "
    "(or copy it from a fresh clone); the course never downloads data at run time."
)


class DatasetError(RuntimeError):
    """A dataset file is missing or does not match its checksum."""


@functools.lru_cache(maxsize=1)
def expected_checksums() -> dict[str, str]:
    """``{relative path: sha256}`` from ``datasets/SHA256SUMS``."""
    if not CHECKSUMS_FILE.is_file():
        raise DatasetError(f"{CHECKSUMS_FILE} is missing. " + RESTORE_HINT.format(rel="SHA256SUMS"))
    sums = {}
    for line in CHECKSUMS_FILE.read_text().splitlines():
        if line.strip():
            digest, rel = line.split(maxsplit=1)
            sums[rel.lstrip("*").strip()] = digest
    return sums


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_verified: dict[tuple[str, int, int], bool] = {}


def dataset_path(rel: str, verify: bool = True) -> Path:
    """Absolute path of ``datasets/<rel>``, checked against ``SHA256SUMS``.

    Raises :class:`DatasetError` naming the file, the expected checksum and how
    to restore it when the file is missing or corrupt.
    """
    path = DATASETS_DIR / rel
    expected = expected_checksums().get(rel)
    if expected is None:
        raise DatasetError(f"datasets/{rel} is not listed in {CHECKSUMS_FILE}; add its sha256 there.")
    if not path.is_file():
        raise DatasetError(f"datasets/{rel} is missing (expected sha256 {expected}). " + RESTORE_HINT.format(rel=rel))
    if verify:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if key not in _verified:
            actual = sha256_of(path)
            if actual != expected:
                raise DatasetError(
                    f"datasets/{rel} is corrupt: sha256 is {actual}, expected {expected} "
                    f"(from datasets/SHA256SUMS). " + RESTORE_HINT.format(rel=rel)
                )
            _verified[key] = True
    return path


def verify_all() -> list[str]:
    """Check every file in ``SHA256SUMS``; return one message per problem (empty: all good)."""
    problems = []
    for rel in expected_checksums():
        try:
            dataset_path(rel)
        except DatasetError as err:
            problems.append(str(err))
    return problems


def stratified_slice(df: pd.DataFrame, by: str, n: int, seed: int = SLICE_SEED) -> pd.DataFrame:
    """A deterministic sample of ``n`` rows keeping the class proportions of ``df[by]``.

    Rows come back in their original order with a fresh index.
    """
    if n >= len(df):
        return df.reset_index(drop=True)
    rng = np.random.RandomState(seed)
    counts = df[by].value_counts(sort=False)
    quota = (counts / len(df) * n).round().astype(int).clip(lower=1)
    chosen = []
    for value, k in quota.items():
        idx = df.index[df[by] == value].to_numpy()
        chosen.append(rng.permutation(idx)[: min(k, len(idx))])
    picked = np.sort(np.concatenate(chosen))[:n]
    return df.loc[picked].reset_index(drop=True)


def _rows(dataset: str, split: str, limit: int | None) -> int | None:
    if config.is_fast():
        fast = FAST_ROWS[dataset][split]
        return fast if limit is None else min(limit, fast)
    return limit


@functools.lru_cache(maxsize=8)
def _read_imdb(split: str) -> pd.DataFrame:
    import pandas as pd  # on first use: `import seqnlp` stays quick (every grading kernel imports it)

    path = dataset_path(f"imdb/{split}.csv.gz")
    df = pd.read_csv(path, compression="gzip", dtype={"id": "int64", "rating": "int64", "label": "str", "text": "str"})
    df["label"] = df["label"].map(IMDB_LABELS).astype("int64")
    return df[["id", "text", "label", "rating"]]


def load_imdb(split: str = "train", limit: int | None = None) -> pd.DataFrame:
    """IMDB reviews (Maas et al. 2011) as a DataFrame with ``id, text, label, rating``.

    ``label`` is 0 (negative, rating 1-4), 1 (positive, rating 7-10) or -1
    (``unsup``, rating 0). ``text`` is the raw review, ``<br />`` tags included.
    ``limit`` returns a stratified, deterministic slice of that many rows; fast
    mode caps the rows at ``FAST_ROWS["imdb"][split]``.
    """
    if split not in IMDB_SPLITS:
        raise ValueError(f"unknown IMDB split {split!r}: choose one of {IMDB_SPLITS}")
    df = _read_imdb(split)
    n = _rows("imdb", split, limit)
    out = df if n is None else stratified_slice(df, "label", n)
    return out.copy()


@functools.lru_cache(maxsize=8)
def _read_uit_vsfc(split: str) -> pd.DataFrame:
    import pandas as pd

    def lines(name: str) -> list[str]:
        return dataset_path(f"uit_vsfc/{split}/{name}.txt").read_text(encoding="utf-8").splitlines()

    sents, sentiments, topics = lines("sents"), lines("sentiments"), lines("topics")
    if not len(sents) == len(sentiments) == len(topics):
        raise DatasetError(f"datasets/uit_vsfc/{split}: sents, sentiments and topics have different line counts")
    return pd.DataFrame(
        {"sentence": sents, "sentiment": np.array(sentiments, dtype="int64"), "topic": np.array(topics, dtype="int64")}
    )


def load_uit_vsfc(split: str = "train", limit: int | None = None) -> pd.DataFrame:
    """UIT-VSFC (Nguyen et al. 2018) as a DataFrame with ``sentence, sentiment, topic``.

    Sentences are lowercased, syllables separated by spaces (not word-segmented). ``sentiment``:
    0 negative, 1 neutral, 2 positive (see ``UIT_VSFC_SENTIMENTS``); ``topic``:
    0 lecturer, 1 training program, 2 facility, 3 others. Slices are stratified
    by sentiment.
    """
    if split not in UIT_VSFC_SPLITS:
        raise ValueError(f"unknown UIT-VSFC split {split!r}: choose one of {UIT_VSFC_SPLITS}")
    df = _read_uit_vsfc(split)
    n = _rows("uit_vsfc", split, limit)
    out = df if n is None else stratified_slice(df, "sentiment", n)
    return out.copy()


def _refuse_download(*args, **kwargs):
    raise DatasetError(
        "nltk.download() is disabled in this course: everything it can use is shipped in "
        f"{NLTK_DATA_DIR} (see datasets/README.md for what is there and what to use instead)."
    )


def use_offline_nltk() -> Path:
    """Point NLTK at ``datasets/nltk_data`` and make ``nltk.download`` fail loudly.

    Runs when :mod:`seqnlp` is imported; call it again if you import NLTK in an
    unusual way.
    """
    os.environ["NLTK_DATA"] = str(NLTK_DATA_DIR)
    import sys

    nltk = sys.modules.get("nltk")
    if nltk is not None:
        if str(NLTK_DATA_DIR) not in nltk.data.path:
            nltk.data.path.insert(0, str(NLTK_DATA_DIR))
        nltk.download = _refuse_download
    return NLTK_DATA_DIR


def nltk_corpus(name: str):
    """An NLTK corpus reader from the shipped data, checksum-verified (``nltk_corpus("brown")``)."""
    import nltk

    use_offline_nltk()
    folder = "sentiment" if name == "vader_lexicon" else "corpora"
    dataset_path(f"nltk_data/{folder}/{name}.zip")
    return getattr(nltk.corpus, name)


if __name__ == "__main__":  # python -m seqnlp.data: verify every shipped file
    issues = verify_all()
    print("\n".join(issues) if issues else f"all {len(expected_checksums())} dataset files match SHA256SUMS")
    raise SystemExit(1 if issues else 0)
