"""nbgrader configuration for the course (loaded by ../nbgrader_config.py).

Run nbgrader from the repository root (``make release``, ``make grade``) so it
finds this file. Paths are relative to ``CourseDirectory.root``, the repository
root unless a command line overrides it.
"""

from pathlib import Path

from autograder.lessons import LESSONS  # noqa: F401  (the eight assignments, one per lesson folder)
from autograder.settings import CELL_TIMEOUT, STDERR_IGNORE_PATTERN

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

REPO_ROOT = Path(__file__).resolve().parents[1] if "__file__" in globals() else Path.cwd()

c.CourseDirectory.course_id = "seqnlp"
c.CourseDirectory.root = str(REPO_ROOT)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "lessons"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# Instructor-only material beside a source notebook never reaches lessons/.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "mutants.py", "*.pt", "*.model"]

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
