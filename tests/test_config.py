"""One switch: how seqnlp decides the run mode, device and seeds."""

import random
import sys

import numpy as np
import pytest

from seqnlp import config


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({}, "full"),
        ({"SEQNLP_MODE": "fast"}, "fast"),
        ({"SEQNLP_MODE": "FULL"}, "full"),
        ({"CI": "true"}, "fast"),
        ({"CI": "false"}, "full"),
        ({"CI": "true", "SEQNLP_MODE": "full"}, "full"),
        ({"PYTEST_CURRENT_TEST": "x"}, "fast"),
        ({"NBGRADER_EXECUTION": "autograde"}, "fast"),
        ({"NBGRADER_EXECUTION": "validate", "SEQNLP_MODE": "full"}, "fast"),  # grading is never full
    ],
)
def test_detect_mode(env, mode):
    assert config.detect_mode(env)[0] == mode


def test_bad_mode_is_a_clear_error():
    with pytest.raises(config.ModeError, match="SEQNLP_MODE=fast or SEQNLP_MODE=full"):
        config.detect_mode({"SEQNLP_MODE": "quick"})


def test_suite_runs_in_fast_mode():
    assert config.MODE == "fast" and config.is_fast()
    assert config.pick(fast=1, full=10) == 1


def test_seed_everything_repeats_draws():
    import torch

    config.seed_everything(7)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    config.seed_everything(7)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


def test_device_is_cpu_without_cuda(monkeypatch):
    import torch

    monkeypatch.delenv("SEQNLP_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert config.get_device().type == expected
    assert config.get_device("cpu").type == "cpu"


def test_setup_reports_mode_device_seed(capsys):
    cfg = config.setup(seed=3)
    out = capsys.readouterr().out
    assert cfg.mode == "fast" and cfg.seed == 3 and cfg.fast
    assert "mode=fast" in out and "seed=3" in out and f"device={cfg.device}" in out


class _FakeThreading:
    """tf.config.threading that, like TensorFlow's, refuses new pool sizes once initialised."""

    def __init__(self, intra=0, inter=0, initialised=False):
        self.values = {"intra": intra, "inter": inter}
        self.initialised = initialised

    def _setter(self, key):
        def put(n):
            if self.initialised:
                raise RuntimeError(f"{key} op parallelism cannot be modified after initialization.")
            self.values[key] = n

        return put

    def __getattr__(self, name):
        key = name.split("_")[1]
        if name.startswith("get_"):
            return lambda: self.values[key]
        return self._setter(key)


def _fake_tensorflow(monkeypatch, **pools):
    import types

    calls = []
    tf = types.ModuleType("tensorflow")
    threading = _FakeThreading(**pools)
    experimental = types.SimpleNamespace(enable_op_determinism=lambda: calls.append("determinism"))
    tf.config = types.SimpleNamespace(threading=threading, experimental=experimental)
    keras = types.ModuleType("keras")
    keras.utils = types.SimpleNamespace(set_random_seed=lambda seed: calls.append(("seed", seed)))
    monkeypatch.setitem(sys.modules, "tensorflow", tf)
    monkeypatch.setitem(sys.modules, "keras", keras)
    return threading, calls


def test_setup_keras_fixes_threads_determinism_and_seed(monkeypatch, capsys):
    threading, calls = _fake_tensorflow(monkeypatch)
    cfg = config.setup(seed=5, keras=True, keras_threads=2)
    assert threading.values == {"intra": 2, "inter": 2}
    assert calls[-2:] == ["determinism", ("seed", 5)]  # determinism on, then the layers seeded
    assert cfg.seed == 5 and "keras: deterministic, 2 thread(s)" in capsys.readouterr().out
    threading.initialised = True  # same pools again: nothing to change, no error
    assert config.reproducible_keras(seed=1, threads=2) == 2
    assert calls[-1] == ("seed", 1)


def test_setup_keras_defaults_to_one_thread_in_fast_mode(monkeypatch):
    threading, _ = _fake_tensorflow(monkeypatch)
    assert config.reproducible_keras() == 1 and threading.values == {"intra": 1, "inter": 1}


def test_setup_keras_after_tensorflow_started_is_a_clear_error(monkeypatch):
    _fake_tensorflow(monkeypatch, intra=4, inter=4, initialised=True)
    with pytest.raises(RuntimeError, match=r"already runs with 4 threads.*setup\(keras=True\) before"):
        config.setup(keras=True, keras_threads=2, verbose=False)
