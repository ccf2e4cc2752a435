"""Shipped datasets: checksums, loaders, fast-mode slices, clear errors, NLTK offline."""

import os
import shutil

import pytest

from seqnlp import data


@pytest.fixture
def scratch_datasets(tmp_path, monkeypatch):
    """A copy of datasets/uit_vsfc + SHA256SUMS that a test may break."""
    root = tmp_path / "datasets"
    root.mkdir()
    shutil.copy(data.CHECKSUMS_FILE, root / "SHA256SUMS")
    shutil.copytree(data.DATASETS_DIR / "uit_vsfc", root / "uit_vsfc")
    monkeypatch.setattr(data, "DATASETS_DIR", root)
    monkeypatch.setattr(data, "CHECKSUMS_FILE", root / "SHA256SUMS")
    for cached in (data.expected_checksums, data._read_uit_vsfc):
        cached.cache_clear()
    data._verified.clear()
    yield root
    for cached in (data.expected_checksums, data._read_uit_vsfc):
        cached.cache_clear()
    data._verified.clear()


def test_every_shipped_file_matches_its_checksum():
    assert data.verify_all() == []


def test_checksums_cover_every_shipped_file():
    listed = set(data.expected_checksums())
    shipped = {
        str(p.relative_to(data.DATASETS_DIR))
        for p in data.DATASETS_DIR.rglob("*")
        if p.is_file() and p.name not in ("SHA256SUMS", "README.md")
    }
    assert shipped == listed, (
        f"not in SHA256SUMS: {sorted(shipped - listed)}; listed but missing: {sorted(listed - shipped)}"
    )


def test_corrupt_file_names_file_checksum_and_fix(scratch_datasets):
    target = scratch_datasets / "uit_vsfc" / "train" / "sents.txt"
    target.write_text(target.read_text(encoding="utf-8").replace("giảng", "giang"), encoding="utf-8")
    expected = data.expected_checksums()["uit_vsfc/train/sents.txt"]
    with pytest.raises(data.DatasetError) as err:
        data.load_uit_vsfc("train")
    message = str(err.value)
    assert "datasets/uit_vsfc/train/sents.txt is corrupt" in message
    assert expected in message and "git checkout -- datasets/uit_vsfc/train/sents.txt" in message


def test_missing_file_names_file_checksum_and_fix(scratch_datasets):
    (scratch_datasets / "uit_vsfc" / "test" / "topics.txt").unlink()
    with pytest.raises(
        data.DatasetError, match=r"datasets/uit_vsfc/test/topics.txt is missing \(expected sha256 [0-9a-f]{64}\)"
    ):
        data.load_uit_vsfc("test")


def test_imdb_full_split_shape_and_columns(monkeypatch):
    monkeypatch.setattr(data.config, "MODE", "full")
    df = data.load_imdb("test")
    assert list(df.columns) == ["id", "text", "label", "rating"]
    assert len(df) == 25_000 and df.label.value_counts().to_dict() == {0: 12_500, 1: 12_500}
    assert df.loc[df.label == 1, "rating"].between(7, 10).all() and df.loc[df.label == 0, "rating"].between(1, 4).all()


def test_imdb_fast_slice_is_small_stratified_and_deterministic():
    first, second = data.load_imdb("train"), data.load_imdb("train")
    assert len(first) == data.FAST_ROWS["imdb"]["train"]
    assert first.label.value_counts().to_dict() == {0: 500, 1: 500}
    assert first.equals(second)
    assert len(data.load_imdb("train", limit=200)) == 200
    unsup = data.load_imdb("unsup")
    assert (unsup.label == -1).all() and (unsup.rating == 0).all()


def test_uit_vsfc_splits_and_fast_slice(monkeypatch):
    small = data.load_uit_vsfc("train")
    assert list(small.columns) == ["sentence", "sentiment", "topic"]
    assert len(small) == data.FAST_ROWS["uit_vsfc"]["train"]
    assert set(small.sentiment) == {0, 1, 2}  # the 4% neutral class survives the slice
    monkeypatch.setattr(data.config, "MODE", "full")
    sizes = {split: len(data.load_uit_vsfc(split)) for split in data.UIT_VSFC_SPLITS}
    assert sizes == {"train": 11_426, "val": 1_583, "test": 3_166}
    assert "giảng viên" in " ".join(data.load_uit_vsfc("train").sentence.head(200))


def test_unknown_split_is_a_clear_error():
    with pytest.raises(ValueError, match="choose one of"):
        data.load_imdb("dev")


def test_nltk_reads_shipped_data_and_never_downloads():
    import nltk

    data.use_offline_nltk()
    assert os.environ["NLTK_DATA"] == str(data.NLTK_DATA_DIR)
    assert "not" in nltk.corpus.stopwords.words("english")
    assert len(data.nltk_corpus("movie_reviews").fileids()) == 2000
    with pytest.raises(data.DatasetError, match="disabled"):
        nltk.download("punkt")


def test_import_seqnlp_leaves_pandas_for_later():
    """Every grading kernel imports seqnlp.checks before its notebook runs: pandas (0.27 s) waits for a loader."""
    import subprocess
    import sys

    code = "import sys, seqnlp, seqnlp.checks; print(sorted(m for m in ('pandas', 'torch', 'sklearn') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
