"""nbgrader configuration for the course (loaded by ../nbgrader_config.py).

Run nbgrader from the repository root (``make release``, ``make grade``) so it
finds this file. Paths are relative to ``CourseDirectory.root``, the repository
root unless a command line overrides it.

Instructor-side folders: ``solutions/`` (source), ``lessons/`` (release, rewritten
by ``make release`` and by Formgrader's Generate button), ``submitted/`` (what
``nbgrader collect`` brings in), ``graded/`` (the grader's output, which
Formgrader reads: gradebook, autograded notebooks, feedback; ``$SEQNLP_GRADED``
names another), ``.exchange/`` (nbgrader's exchange; ``$SEQNLP_EXCHANGE`` names a
shared one, e.g. on a JupyterHub).
"""

import os
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

from autograder.exchange import COURSE_ID, ensure_default_exchange, exchange_root
from autograder.formgrader import HideHiddenTests, graded_dir
from autograder.lessons import LESSONS  # noqa: F401  (the eight assignments, one per lesson folder)
from autograder.settings import CELL_TIMEOUT, STDERR_IGNORE_PATTERN

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

REPO_ROOT = Path(__file__).resolve().parents[1] if "__file__" in globals() else Path.cwd()

c.CourseDirectory.course_id = COURSE_ID
c.CourseDirectory.root = str(REPO_ROOT)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "lessons"
c.CourseDirectory.submitted_directory = "submitted"
# The grader's output folder is Formgrader's: its gradebook, autograded notebooks and feedback.
# (A course given another --CourseDirectory.root should also be given its own --CourseDirectory.db_url.)
GRADED = graded_dir()
try:
    GRADED.mkdir(parents=True, exist_ok=True)  # SQLite does not create the gradebook's folder
except OSError:
    pass
_graded = os.path.relpath(GRADED, REPO_ROOT) if GRADED.is_relative_to(REPO_ROOT) else str(GRADED)
c.CourseDirectory.db_url = f"sqlite:///{GRADED / 'gradebook.db'}"
c.CourseDirectory.autograded_directory = os.path.join(_graded, "autograded")
c.CourseDirectory.feedback_directory = os.path.join(_graded, "feedback")

# nbgrader's exchange (release, fetch, submit, collect, feedback).
c.Exchange.root = str(ensure_default_exchange(exchange_root()))

# nbgrader's generate_feedback (and Formgrader's button) renders the autograded
# notebook, hidden tests included: show students what the grader's feedback pages show.
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
# Instructor-only material beside a source notebook never reaches lessons/.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "mutants.py", "equivalent.txt",
                            "*.pt", "*.model"]

# What a stub looks like in lessons/.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Released notebooks carry no outputs.
c.ClearOutput.enabled = True

# Per-cell timeout while validating and autograding (fast mode keeps cells far below it).
c.Execute.timeout = CELL_TIMEOUT
c.Execute.interrupt_on_timeout = True

# nbgrader zeroes a graded cell that writes anything to stderr. Drop stderr
# outputs that are only known library noise (TensorFlow/CUDA start-up logs,
# Python warnings); real errors are "error" outputs and are never hidden.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = STDERR_IGNORE_PATTERN
