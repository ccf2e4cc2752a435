"""The course's lessons: one nbgrader assignment each, named by its folder."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS_DIR = REPO_ROOT / "solutions"
LESSONS_DIR = REPO_ROOT / "lessons"

LESSONS: tuple[str, ...] = (
    "01_text_preprocessing",
    "02_ngram_language_models",
    "03_bag_of_words_tfidf",
    "04_word2vec",
    "05_neural_networks_for_text",
    "06_recurrent_neural_networks",
    "07_lstm_gru",
    "08_sentiment_analysis",
)


def resolve_lesson(name: str) -> str:
    """``"04"``, ``"4"`` or ``"04_word2vec"`` -> ``"04_word2vec"``."""
    key = name.strip().rstrip("/")
    for lesson in LESSONS:
        if key == lesson or (key.isdigit() and int(key) == int(lesson[:2])):
            return lesson
    raise ValueError(f"unknown lesson {name!r}: use a number (04) or a folder name ({', '.join(LESSONS)})")


def source_notebook(lesson: str) -> Path:
    return SOLUTIONS_DIR / lesson / f"{lesson}.ipynb"


def released_notebook(lesson: str) -> Path:
    return LESSONS_DIR / lesson / f"{lesson}.ipynb"


def available_lessons() -> list[str]:
    """Lessons whose source notebook exists in ``solutions/``."""
    return [lesson for lesson in LESSONS if source_notebook(lesson).is_file()]
