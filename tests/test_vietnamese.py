"""seqnlp.vietnamese: pyvi word segmentation, offline, and its cache."""

import socket
from importlib import metadata
from pathlib import Path

import pytest

from seqnlp import vietnamese


@pytest.fixture(scope="module", autouse=True)
def no_network():
    """Every test here runs with sockets refused: the segmenter's model must come from the package."""

    def refuse(*args, **kwargs):
        raise OSError("network access attempted during a Vietnamese segmentation test")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(socket, "create_connection", refuse)
        yield


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQNLP_CACHE", str(tmp_path))
    monkeypatch.setattr(vietnamese.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    return tmp_path / "vietnamese"


def test_pyvi_is_pinned_and_ships_its_model():
    pins = Path(__file__).resolve().parents[1].joinpath("requirements.txt").read_text().splitlines()
    assert f"pyvi=={metadata.version('pyvi')}" in pins, "pyvi must be installed at the version requirements.txt pins"
    assert metadata.metadata("pyvi")["License"] == "MIT"
    files = {str(f) for f in metadata.files("pyvi")}
    assert "pyvi/models/pyvi3.pkl" in files, "pyvi's CRF model should be part of the installed package"
    assert vietnamese.segmenter_name() == f"pyvi {metadata.version('pyvi')}"


def test_segment_joins_the_syllables_of_words():
    text = "giảng viên dạy rất nhiệt tình và dễ hiểu , sinh viên thích môn học này ."
    words = vietnamese.segment(text)
    assert words.split() == [
        "giảng_viên", "dạy", "rất", "nhiệt_tình", "và", "dễ", "hiểu", ",", "sinh_viên", "thích", "môn_học", "này", ".",
    ]
    assert words.replace("_", " ") == text, "segmentation may only join syllables, never change them"


def test_segment_edge_cases():
    assert vietnamese.segment("") == ""
    assert vietnamese.segment("   ") == "   "
    assert vietnamese.segment("hay") == "hay"
    assert vietnamese.segment("Giảng viên") == "Giảng_viên"
    assert vietnamese.segment("đạt 30%") == "đạt 30 %", "pyvi splits punctuation off"


def test_segment_texts_keeps_order_and_rejects_line_breaks():
    texts = ["sinh viên", "", "môn học hay"]
    assert vietnamese.segment_texts(texts) == ["sinh_viên", "", "môn_học hay"]
    assert vietnamese.segment_texts([]) == []
    with pytest.raises(ValueError, match="line break"):
        vietnamese.segment_texts(["một\nhai"])


def test_segment_texts_cache_is_written_then_read(cache, monkeypatch):
    texts = ["sinh viên", "giảng viên nhiệt tình", ""]
    first = vietnamese.segment_texts(texts, cache_name="demo")
    [path] = cache.glob("demo_*.txt")
    assert path.read_text(encoding="utf-8") == "sinh_viên\ngiảng_viên nhiệt_tình\n\n"

    def fail(text):
        raise AssertionError("a cached segmentation was computed again")

    monkeypatch.setattr(vietnamese, "segment", fail)
    assert vietnamese.segment_texts(texts, cache_name="demo") == first
    with pytest.raises(AssertionError, match="computed again"):
        vietnamese.segment_texts(texts[:2], cache_name="demo")  # other texts, other key: not read from the cache


def test_segment_texts_cache_falls_back_when_not_writable(cache, monkeypatch):
    monkeypatch.setenv("SEQNLP_CACHE", "/proc/seqnlp-not-writable")
    assert vietnamese.segment_texts(["sinh viên"], cache_name="demo") == ["sinh_viên"]
    assert len(list((cache.parent / "tmp" / "seqnlp-cache" / "vietnamese").glob("demo_*.txt"))) == 1


def test_load_uit_vsfc_words(cache):
    frame = vietnamese.load_uit_vsfc_words("val", limit=40)
    assert list(frame.columns) == ["sentence", "sentiment", "topic", "words"]
    assert len(frame) == 40
    assert (frame.words.str.replace("_", " ").str.split().str.len() >= frame.sentence.str.split().str.len()).all()
    assert frame.words.str.contains("_").mean() > 0.5, "most feedback sentences hold a word of several syllables"
    assert len(list(cache.glob("uit_vsfc_val_*.txt"))) == 1
