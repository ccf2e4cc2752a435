"""Where nbgrader's exchange lives: the folder through which lessons go out and submissions come in.

* On one machine (an instructor trying the student side, a lab server where
  students and the instructor are different users) the exchange is
  ``.exchange/`` inside the course repository (git-ignored), created on first
  use with the permissions nbgrader's ``release_assignment`` gives it.
* On a JupyterHub every server must see the same folder:
  ``SEQNLP_EXCHANGE=/srv/nbgrader/exchange`` (see docs/JUPYTERHUB.md). A folder
  named that way is never created here: the Hub's administrator creates it
  (``chmod 777``) on storage every server mounts, so that a missing mount shows
  as nbgrader's "exchange directory does not exist" instead of a private,
  silently unused folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from .lessons import REPO_ROOT

COURSE_ID = "seqnlp"
EXCHANGE_ENV = "SEQNLP_EXCHANGE"
DEFAULT_EXCHANGE = REPO_ROOT / ".exchange"
# what nbgrader's release_assignment sets on the exchange root (it rewrites anything else)
EXCHANGE_MODE = 0o777


def exchange_root(environ: dict[str, str] | None = None) -> Path:
    """The exchange root: ``$SEQNLP_EXCHANGE`` if set, else ``.exchange/`` in the course repository."""
    value = (os.environ if environ is None else environ).get(EXCHANGE_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else DEFAULT_EXCHANGE


def ensure_default_exchange(root: Path) -> Path:
    """Create ``root`` if it is the course's own ``.exchange/`` and missing; return ``root``.

    Assignment List and Formgrader refuse to work while the exchange root does
    not exist, so the in-course default is made on first use. A shared root
    (``$SEQNLP_EXCHANGE``) is left alone, see the module docstring.
    """
    if root == DEFAULT_EXCHANGE and not root.exists():
        try:
            root.mkdir()
            root.chmod(EXCHANGE_MODE)
        except OSError:
            pass  # nbgrader will say what is wrong with it
    return root
