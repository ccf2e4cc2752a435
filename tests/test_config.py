"""One switch: how seqnlp decides the run mode, device and seeds."""

import random

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
