"""seqnlp autograder: release checks, round trip and class grading built on nbgrader."""
