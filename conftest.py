"""Session-wide pytest setup for `make test` (unit tests and nbval over solutions/)."""

import os

import pytest

# Everything under pytest runs in fast mode, notebook kernels included (they inherit this).
os.environ.setdefault("SEQNLP_MODE", "fast")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Keep each notebook's nbval cells on one xdist worker (one kernel per notebook)."""
    for item in items:
        path = str(getattr(item, "path", ""))
        if path.endswith(".ipynb"):
            item.add_marker(pytest.mark.xdist_group(name=os.path.basename(path)))
            item.add_marker(pytest.mark.notebook)
