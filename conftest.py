"""Session-wide pytest setup for `make test` (unit tests and nbval over solutions/)."""

import os
from pathlib import Path

import pytest

from autograder.helperbuild import lesson_env
from autograder.lessons import LESSONS

# Everything under pytest runs in fast mode, notebook kernels included (they inherit this).
os.environ.setdefault("SEQNLP_MODE", "fast")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
# Two notebooks run side by side on two cores: one thread each (kernels inherit this).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

# Test modules whose tests are independent and slow enough to spread one by one over workers.
SPREAD_MODULES = ("tests/test_lessons.py",)
# ... except these tests of a lesson, which share one nbgrader course (tests/test_lessons.py: NbgraderCourse)
SHARED_NBGRADER = ("test_release_is_current", "test_nbgrader_gives_solution_full_marks",
                   "test_nbgrader_gives_untouched_release_zero")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if str(getattr(item, "path", "")).endswith(".ipynb"):
            item.add_marker(pytest.mark.notebook)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item):
    """An nbval notebook's kernel (started in its first cell's setup) imports its lesson's build of seqnlp."""
    path = Path(str(getattr(item, "path", "")))
    if path.suffix != ".ipynb" or path.parent.name not in LESSONS:
        yield
        return
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = lesson_env(path.parent.name)["PYTHONPATH"]
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Distribute work units over xdist workers (`make test` runs with -n).

    * an nbval notebook is one unit: its cells share one kernel, in order;
    * a test of SPREAD_MODULES (the per-lesson round trip) is a unit of its own, except that a lesson's
      SHARED_NBGRADER tests are one unit (they share one release and one nbgrader autograde run);
    * any other test module is one unit, so module- and session-scoped fixtures
      are built once per worker.
    """
    from xdist.scheduler import LoadScopeScheduling

    class CourseScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            if path.endswith(".ipynb"):
                return path
            if path.endswith(SPREAD_MODULES):
                name, _, param = nodeid.split("::", 1)[1].partition("[")
                return f"{path}::nbgrader[{param}" if name in SHARED_NBGRADER else nodeid
            return path

    return CourseScheduling(config, log)
