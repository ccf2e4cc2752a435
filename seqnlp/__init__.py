"""seqnlp: the small helper library the course notebooks import.

``import seqnlp`` decides the run mode once, points NLTK at the shipped data
and exposes the helpers every notebook's setup cell uses::

    import seqnlp
    cfg = seqnlp.setup(seed=0)      # prints mode, device, seed
    epochs = seqnlp.pick(fast=1, full=10)
"""

import os

# TensorFlow logs start-up noise to stderr (which nbgrader counts against a graded cell).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .config import MODE, MODE_REASON, RunConfig, get_device, is_fast, pick, seed_everything, setup
from .data import DatasetError, load_imdb, load_uit_vsfc, use_offline_nltk

use_offline_nltk()



def __getattr__(name: str):
    """``seqnlp.lm`` (lesson 07's language models) imports PyTorch, so it loads on first use."""
    if name == "lm":
        import importlib

        return importlib.import_module(".lm", __name__)
    raise AttributeError(f"module 'seqnlp' has no attribute {name!r}")


__all__ = [
    "MODE",
    "MODE_REASON",
    "DatasetError",
    "RunConfig",
    "get_device",
    "is_fast",
    "lm",
    "load_imdb",
    "load_uit_vsfc",
    "pick",
    "seed_everything",
    "setup",
]
__version__ = "0.1.0"
