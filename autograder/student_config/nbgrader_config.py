"""nbgrader configuration of a student's Jupyter server (no answers, no gradebook, no Formgrader).

Found through ``JUPYTER_CONFIG_PATH`` (``make lab``, a JupyterHub's student
servers, see docs/JUPYTERHUB.md). Standard library only: a student's machine
has none of the course's instructor code. The exchange is the one the
instructor releases into: ``$SEQNLP_EXCHANGE``, else a Hub's usual
``/srv/nbgrader/exchange``. A course folder's own nbgrader_config.py (the
instructor's repository has one) is read after this file and wins.
"""

import os

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "seqnlp"
c.Exchange.root = os.environ.get("SEQNLP_EXCHANGE", "").strip() or "/srv/nbgrader/exchange"
# fetched lessons land in the folder the server (or the command) runs in
c.Exchange.path_includes_course = False
