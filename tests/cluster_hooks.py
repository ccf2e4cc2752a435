"""Worker preload of tests/test_cluster.py (``dask worker --preload tests/cluster_hooks.py``): simulated faults.

Read only by the test's own workers, never by the grader:

* ``SEQNLP_TEST_SANDBOX_MISSING=why``: this worker's sandbox check reports the network layer missing
  (the real check runs first; only its verdict is made worse), to show that such a worker refuses;
* ``SEQNLP_TEST_CRASH_STUDENT=name``: grading that student's submission kills the worker process
  a moment after it started (a submission that kills its worker).
"""

from __future__ import annotations

import os
import time

import autograder.cluster as cluster

# Dask may import a preload more than once: the originals are kept on the module, wrapped once
_real_detect = vars(cluster).setdefault("_untouched_detect_layers", cluster.detect_layers)
_real_grade = vars(cluster).setdefault("_untouched_grade_locally", cluster._grade_locally)

if os.environ.get("SEQNLP_TEST_SANDBOX_MISSING"):

    def _incomplete(limits=None, cached=True):
        layers = _real_detect(limits, cached)
        if "network" in layers.active:
            layers.active.remove("network")
        layers.missing["network"] = os.environ["SEQNLP_TEST_SANDBOX_MISSING"]
        return layers

    cluster.detect_layers = _incomplete

if os.environ.get("SEQNLP_TEST_CRASH_STUDENT"):

    def _crashing(sub, ctx):
        if sub.student == os.environ["SEQNLP_TEST_CRASH_STUDENT"]:
            time.sleep(1.0)  # the start of grading is on record: the worker dies mid-run
            os._exit(3)
        return _real_grade(sub, ctx)

    cluster._grade_locally = _crashing
