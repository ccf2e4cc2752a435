"""Run mode, device and seeds: decided here once, used by every notebook.

The mode is ``fast`` (small data slices, few epochs: CI and autograding) or
``full`` (the real datasets and models: students and benchmarks). It is read
once, when :mod:`seqnlp` is first imported:

1. ``NBGRADER_EXECUTION`` set (nbgrader validating or autograding) -> ``fast``,
   always, so a grading run can never become a multi-hour training run;
2. otherwise ``SEQNLP_MODE=fast|full`` if given;
3. otherwise ``fast`` under CI (``CI`` set) or pytest/nbval
   (``PYTEST_CURRENT_TEST`` or ``NBVAL`` set);
4. otherwise ``full``, the default for a student in JupyterLab.
"""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass
from typing import Any, TypeVar

MODES = ("fast", "full")
DEFAULT_SEED = 0

T = TypeVar("T")


class ModeError(ValueError):
    """Raised when ``SEQNLP_MODE`` holds something other than fast or full."""


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in ("", "0", "false", "no")


def detect_mode(environ: dict[str, str] | None = None) -> tuple[str, str]:
    """Return ``(mode, reason)`` for the given environment (default: ``os.environ``)."""
    env = os.environ if environ is None else environ
    if "NBGRADER_EXECUTION" in env:
        return "fast", "NBGRADER_EXECUTION is set (nbgrader is validating or grading)"
    requested = env.get("SEQNLP_MODE", "").strip().lower()
    if requested:
        if requested not in MODES:
            raise ModeError(
                f"SEQNLP_MODE={env['SEQNLP_MODE']!r} is not a mode: use SEQNLP_MODE=fast or SEQNLP_MODE=full"
            )
        return requested, "SEQNLP_MODE is set"
    if _truthy(env.get("CI")):
        return "fast", "CI is set"
    if "PYTEST_CURRENT_TEST" in env or "NBVAL" in env:
        return "fast", "running under pytest/nbval"
    return "full", "default for interactive use (set SEQNLP_MODE=fast for a quick run)"


MODE, MODE_REASON = detect_mode()


def is_fast() -> bool:
    """True in fast mode (CI, autograding)."""
    return MODE == "fast"


def pick(fast: T, full: T) -> T:
    """Choose a setting by mode: ``epochs = pick(fast=1, full=10)``."""
    return fast if MODE == "fast" else full


def get_device(prefer: str | None = None) -> Any:
    """The ``torch.device`` to use: CUDA when available, else CPU.

    ``SEQNLP_DEVICE=cpu`` (or ``prefer="cpu"``) forces the CPU, e.g. to compare
    timings on a GPU machine.
    """
    import torch

    choice = (prefer or os.environ.get("SEQNLP_DEVICE", "")).strip().lower()
    if choice == "cpu":
        return torch.device("cpu")
    if choice.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {choice!r} was requested but CUDA is not available on this machine")
    if choice:
        return torch.device(choice)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int = DEFAULT_SEED) -> int:
    """Seed Python, NumPy, PyTorch and TensorFlow/Keras.

    PyTorch is imported if it is installed. TensorFlow is slow to import, so it
    is seeded only when it (or Keras) is already imported: import it first, then
    call this again.
    """
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    import numpy as np

    np.random.seed(seed)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is pinned in requirements
        pass
    else:
        torch.manual_seed(seed)
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(seed)
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(seed)
    elif "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)
    return seed


@dataclass(frozen=True)
class RunConfig:
    """What a notebook's setup cell gets back from :func:`setup`."""

    mode: str
    device: Any
    seed: int

    @property
    def fast(self) -> bool:
        return self.mode == "fast"


def limit_threads(n: int) -> None:
    """Use at most ``n`` CPU threads in PyTorch and the BLAS libraries behind NumPy.

    Fast mode uses one: CI and the grader run two notebooks side by side on two
    cores, and tiny models lose more to thread contention than they gain.
    """
    try:
        import torch
    except ImportError:  # pragma: no cover
        pass
    else:
        torch.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return
    threadpool_limits(n)


def reproducible_keras(seed: int = DEFAULT_SEED, threads: int | None = None) -> int:
    """Make Keras on TensorFlow give the same numbers on every run; returns the thread count.

    Before TensorFlow initialises (its first operation), this fixes its intra- and inter-op
    thread pools to ``threads`` (default: 1 in fast mode, 2 in full mode), because the order
    of parallel floating-point sums depends on the number of threads; then it turns on
    ``tf.config.experimental.enable_op_determinism()`` and seeds Python, NumPy and every Keras
    layer with ``keras.utils.set_random_seed(seed)``. Sets ``KERAS_BACKEND=tensorflow``
    unless a backend was chosen. Raises ``RuntimeError`` when TensorFlow already runs with
    other thread counts (call it, or ``setup(keras=True)``, before any Keras code; restart
    the kernel otherwise).
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    threads = pick(fast=1, full=2) if threads is None else int(threads)
    import tensorflow as tf

    pools = tf.config.threading
    for get, put in [
        (pools.get_intra_op_parallelism_threads, pools.set_intra_op_parallelism_threads),
        (pools.get_inter_op_parallelism_threads, pools.set_inter_op_parallelism_threads),
    ]:
        if get() == threads:
            continue
        try:
            put(threads)
        except RuntimeError as err:  # TensorFlow is initialised: its pools are fixed
            raise RuntimeError(
                f"TensorFlow already runs with {get()} threads, so its results can differ from a run with "
                f"{threads}: call seqnlp.setup(keras=True) before any Keras or TensorFlow code "
                "(restart the kernel and run the setup cell first)"
            ) from err
    tf.config.experimental.enable_op_determinism()
    import keras

    keras.utils.set_random_seed(seed)
    return threads


def setup(
    seed: int = DEFAULT_SEED, verbose: bool = True, keras: bool = False, keras_threads: int | None = None
) -> RunConfig:
    """Seed everything, pick the device and report the mode in one line.

    In fast mode it also limits PyTorch and BLAS to one thread (:func:`limit_threads`).
    ``keras=True`` also makes Keras/TensorFlow reproducible (:func:`reproducible_keras`:
    fixed thread pools of ``keras_threads``, deterministic operations, seeded layers); it
    imports TensorFlow, which takes a few seconds, so it is off by default.
    """
    seed_everything(seed)
    if MODE == "fast":
        limit_threads(1)
    extra = ""
    if keras:
        extra = f"; keras: deterministic, {reproducible_keras(seed, keras_threads)} thread(s)"
    device = get_device()
    if verbose:
        print(f"seqnlp: mode={MODE} ({MODE_REASON}); device={device}; seed={seed}{extra}")
    return RunConfig(mode=MODE, device=device, seed=seed)
