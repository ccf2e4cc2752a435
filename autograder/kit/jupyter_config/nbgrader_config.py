"""nbgrader configuration of the student kit (read by `make check` and by JupyterLab's Validate button).

No answers, no gradebook, no Formgrader: only what validating a lesson needs, with the
course's per-cell timeout. An exchange for Assignments (fetch, submit) is the one the
instructor names in ``$SEQNLP_EXCHANGE``, else a JupyterHub's usual ``/srv/nbgrader/exchange``.
"""

import os

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "seqnlp"
c.Exchange.root = os.environ.get("SEQNLP_EXCHANGE", "").strip() or "/srv/nbgrader/exchange"
c.Exchange.path_includes_course = False
# Per-cell timeout while validating (fast mode keeps cells far below it).
c.Execute.timeout = CELL_TIMEOUT  # noqa: F821  (written in by `make student-kit`)
c.Execute.interrupt_on_timeout = True
