"""Grading settings shared by nbgrader's configuration and the course's own harness."""

# The one source of the course's time limits. Everything else derives from these:
# nbgrader's configuration (validate, autograde), the round trip's kernels, the
# class grader's Limits (autograder/sandbox.py) and so its command line, and the
# Makefile's nbval run (`make test`).

# The one kernel of the course: `make kernel` registers it (from the course's venv), every notebook
# declares it, and nbval, nbgrader, the round trip and the grader run it.
COURSE_KERNEL = "seqnlp"
COURSE_KERNEL_DISPLAY = "Python 3 (seqnlp)"

# Seconds a single cell may run while validating or autograding.
CELL_TIMEOUT = 60

# nbval's limit per cell when `make test` runs every solution notebook: the same
# cells on a machine shared by two test workers, so twice the grading limit.
NBVAL_CELL_TIMEOUT = 2 * CELL_TIMEOUT

# nbgrader zeroes a graded cell that writes to stderr. Outputs matching this
# pattern are only known library noise (Python warnings, TensorFlow/CUDA
# start-up logs) and are dropped first. Errors are "error" outputs, never
# stderr streams, so nothing here can hide a failing test.
STDERR_IGNORE_PATTERN = (
    r"^(\s*\S*\.py:\d+: \w*Warning: |WARNING: All log messages before absl|"
    r"\S* ?\d{4} [\d:.]+ +\d+ \S+\.(cc|h):\d+\] |oneDNN custom operations are on|"
    r"To enable the following instructions: |This TensorFlow binary is optimized|"
    r"Could not find cuda drivers|Unable to register cu\w+ factory)"
)
