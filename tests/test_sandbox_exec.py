"""sandbox_exec.py leaves nothing behind when its parent dies while the sandbox starts.

A parent-death signal only covers a parent that dies after it is set: the keeper compares its
parent with the grader's pid in the spec, the init checks the keeper's pipe, and each stops
before starting anything when its parent is already gone. These run without namespaces, so they
need no root.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from autograder.sandbox import EXEC_SCRIPT
from autograder.sandbox_exec import run_init


def spec_for(tmp: Path, parent: int | None) -> tuple[Path, Path]:
    marker = tmp / "payload-ran"
    spec = {"log": str(tmp / "kernel.log"), "namespaces": [], "rlimits": {}, "cwd": str(tmp),
            "argv": [sys.executable, "-c", f"open({str(marker)!r}, 'w').close()"], "env": {}}
    if parent is not None:
        spec["parent"] = parent
    path = tmp / "spec.json"
    path.write_text(json.dumps(spec))
    return path, marker


def test_keeper_starts_the_payload_for_its_grader(tmp_path):
    path, marker = spec_for(tmp_path, os.getpid())
    assert subprocess.run([sys.executable, "-I", "-S", str(EXEC_SCRIPT), str(path)], timeout=60).returncode == 0
    assert marker.exists(), (tmp_path / "kernel.log").read_text()


def test_keeper_whose_grader_is_gone_starts_nothing(tmp_path):
    path, marker = spec_for(tmp_path, 1)  # as if the grader had died and the keeper had been re-parented
    assert subprocess.run([sys.executable, "-I", "-S", str(EXEC_SCRIPT), str(path)], timeout=60).returncode == 1
    assert not marker.exists()


def test_init_whose_keeper_is_gone_starts_nothing(tmp_path):
    path, marker = spec_for(tmp_path, None)
    spec = json.loads(path.read_text())
    for keeper_alive in (True, False):
        read_end, write_end = os.pipe()
        if not keeper_alive:
            # the keeper died before the init checked: closed before the fork, so the init can
            # never see it open (closing it after the fork would race the init's check)
            os.close(write_end)
        child = os.fork()
        if child == 0:  # the init
            if keeper_alive:
                os.close(write_end)
            try:
                os._exit(run_init(spec, read_end))
            except BaseException:  # noqa: BLE001
                os._exit(99)
        os.close(read_end)
        _, status = os.waitpid(child, 0)
        if keeper_alive:
            os.close(write_end)
            assert os.waitstatus_to_exitcode(status) == 0 and marker.exists()
            marker.unlink()
        else:
            assert os.waitstatus_to_exitcode(status) == 1 and not marker.exists()
