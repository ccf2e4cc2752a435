"""Executing a submission: nbgrader's ``Execute`` with the kernel inside a sandbox.

:class:`SandboxKernelManager` starts the kernel through
:mod:`autograder.sandbox_exec` and talks to it over IPC sockets.
:class:`GradingExecutor` is nbgrader's ``Execute`` preprocessor plus what a
hostile notebook needs: it records every cell's execute-reply status and time,
keeps the notebook going after a dead kernel (the cells that never ran are
marked, never scored), drops output past a budget, ignores widget output
capture and ``clear_output`` in graded cells (both can hide an error), and
feeds cell boundaries to the sandbox's watchdog.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import zmq
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute

from .sandbox import Sandbox, venv_python
from .settings import COURSE_KERNEL

ERROR_CHARS = 4000  # of an error's message, and of each traceback entry
MAX_ERRORS_PER_CELL = 3  # error outputs kept whole per cell; later ones keep only their first line
FLOOD_FACTOR = 16  # a cell that sends this many times its output budget is interrupted


def start_kernel(sandbox: Sandbox) -> SandboxKernelManager:
    """Launch the kernel now, so that it boots while the notebook is being prepared."""
    km = SandboxKernelManager(sandbox)
    run_sync(km.start_kernel)(extra_arguments=["--HistoryManager.hist_file=:memory:"], cwd=str(sandbox.dir))
    return km


def stop_kernel(km: SandboxKernelManager) -> None:
    """Kill the kernel at once and free its manager's sockets (never raises)."""
    try:
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
    except Exception:
        pass
    try:
        run_sync(km.cleanup_resources)()
    except Exception:
        pass


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel lives in a :class:`~autograder.sandbox.Sandbox`."""

    def __init__(self, sandbox: Sandbox, **kwargs):
        super().__init__(
            kernel_name=COURSE_KERNEL,  # its interpreter; the command is the sandbox's (format_kernel_cmd)
            transport="ipc",
            ip=sandbox.ipc_prefix,
            connection_file=sandbox.connection_file,
            **kwargs,
        )
        self._sandbox = sandbox
        # A kernel could send one gigantic message to exhaust the grader's memory: refuse those.
        self.context.setsockopt(zmq.MAXMSGSIZE, max(16 << 20, int(sandbox.limits.output_mb * 4 * 2**20)))

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        argv = [venv_python(), self._sandbox.guard_path, "-f", self.connection_file, *(extra_arguments or [])]
        self._sandbox.share_connection_file()
        return self._sandbox.command(argv)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        kw.pop("env", None)  # the sandbox builds a clean environment of its own
        await super()._async_launch_kernel(kernel_cmd, **kw)
        self._sandbox.watchdog.attach(self.provisioner.pid)


@dataclass
class CellRun:
    """What happened to one code cell."""

    index: int
    status: str = "not-run"  # ok, error, timeout, not-run, died
    seconds: float = 0.0
    ename: str = ""
    evalue: str = ""
    dropped_output: bool = False
    received: int = 0  # bytes of output the kernel sent for this cell, kept or not
    flooded: bool = False  # it sent so much that it was interrupted
    hidden_error: bool = False  # the reply said error but no error output arrived (nbgrader added one)


@dataclass
class ExecutionLog:
    cells: dict[int, CellRun] = field(default_factory=dict)
    kernel_died_at: int | None = None
    kernel_start_s: float = 0.0
    output_dropped: bool = False
    exit_code: int | None = None


class GradingExecutor(Execute):
    """nbgrader's executor, hardened; use :meth:`run` rather than ``preprocess``."""

    def __init__(self, sandbox: Sandbox, graded: set[int], quiet_cells: set[int], on_ready=None, **kwargs):
        super().__init__(**kwargs)
        self.sandbox = sandbox
        self.on_ready = on_ready  # called once the kernel answered (the worker starts its next kernel then)
        self.graded_cells = graded  # cells whose outputs must not be cleared or captured
        self.quiet_cells = quiet_cells  # cells run without storing history (integrity probes)
        self.execlog = ExecutionLog()
        self._budget = int(sandbox.limits.output_mb * 2**20)
        self._cell_budget_full = int(sandbox.limits.cell_output_mb * 2**20)
        self._cell_budget: dict[int, int] = {}
        self._errors_kept: dict[int, int] = {}
        self._dead = False
        self._stuck = False
        self._current: CellRun | None = None

    # -- running
    def run(self, nb: NotebookNode, resources: dict, km: SandboxKernelManager | None = None) -> ExecutionLog:
        """Execute ``nb`` in the sandbox (``km``: a kernel already started there by :func:`start_kernel`)."""
        km = km or SandboxKernelManager(self.sandbox)
        started = time.monotonic()
        self._started = started
        try:
            self.preprocess(nb, resources, km=km)
        except DeadKernelError:
            self._dead = True
        finally:
            process = getattr(km.provisioner, "process", None) if km.provisioner else None
            if self._dead and process is not None:
                try:
                    self.execlog.exit_code = process.wait(timeout=5)
                except Exception:
                    pass
            stop_kernel(km)
        return self.execlog

    def start_new_kernel_client(self):  # noqa: D401 - nbclient hook
        result = super().start_new_kernel_client()
        self.execlog.kernel_start_s = round(time.monotonic() - self._started, 3)
        if self.on_ready is not None:
            self.on_ready()
        return result

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        run = CellRun(index)
        self.execlog.cells[index] = run
        if self._dead:
            return cell, resources
        self._current = run
        if not self._stuck:  # after a timeout the clock keeps running until the kernel answers again
            self.sandbox.watchdog.cell_started()
        started = time.monotonic()
        try:
            self._check_assign_resources(resources)
            # test cells (hidden tests) and probes never enter the kernel's input history
            cell = self.execute_cell(cell, index, store_history=index not in self.graded_cells)
        except DeadKernelError:
            self._dead = True
            self.execlog.kernel_died_at = index
            run.status = "died"
        finally:
            run.seconds = round(time.monotonic() - started, 3)
            self._current = None
        if run.status == "not-run" and not self._dead:
            run.status = "ok"  # empty cells produce no reply
        self._stuck = run.status == "timeout"
        if not self._stuck:
            self.sandbox.watchdog.cell_finished()
        return cell, self.resources

    def on_cell_executed(self, **kwargs):
        cell = kwargs["cell"]
        before = len(cell.get("outputs", []))
        super().on_cell_executed(**kwargs)
        reply = kwargs["execute_reply"]
        run = self.execlog.cells.get(kwargs["cell_index"])
        if run is None or reply is None:
            return
        content = reply.get("content", {})
        if content.get("status") == "ok":
            run.status = "ok"
        else:
            run.ename = str(content.get("ename", ""))
            run.evalue = str(content.get("evalue", ""))[:500]
            run.status = "timeout" if run.ename == self.error_on_timeout.get("ename") else "error"
            run.hidden_error = run.status == "error" and len(cell.get("outputs", [])) > before

    # -- what the kernel may not do to the notebook
    def process_message(self, msg, cell, cell_index):
        """One budget per cell and per notebook covers every message type; errors are cut, never lost."""
        msg_type = msg.get("msg_type")
        content = msg.get("content", {})
        if msg_type in ("status", "execute_input", "execute_reply", "clear_output"):
            return self._pass(msg, cell, cell_index)
        size = len(json.dumps(content, default=str))
        current = self._current
        if current is not None:
            current.received += size
            if current.received > FLOOD_FACTOR * self._cell_budget_full and not current.flooded:
                current.flooded = True  # stop a cell that floods the grader: interrupt, as a timeout would
                self.sandbox.watchdog.interrupt_kernel()
        if msg_type == "error":
            return self._pass(self._cut_error(msg, cell_index), cell, cell_index)
        if msg_type == "update_display_data":
            return None  # may rewrite outputs of earlier (graded) cells
        if msg_type not in ("stream", "display_data", "execute_result"):
            return None  # comms and anything unknown: not graded, not shown
        cell_budget = self._cell_budget.get(cell_index, self._cell_budget_full)
        if size > self._budget or size > cell_budget:
            self.execlog.output_dropped = True
            if current is not None:
                current.dropped_output = True
            return None
        self._budget -= size
        self._cell_budget[cell_index] = cell_budget - size
        return self._pass(msg, cell, cell_index)

    def _pass(self, msg, cell, cell_index):
        return super().process_message(msg, cell, cell_index)

    def _cut_error(self, msg, cell_index):
        """An error kept small: the name, the start of the message, the last frames of the traceback."""
        content = dict(msg.get("content", {}))
        errors = self._errors_kept.get(cell_index, 0)
        self._errors_kept[cell_index] = errors + 1
        content["ename"] = str(content.get("ename", "Error"))[:200]
        content["evalue"] = str(content.get("evalue", ""))[:ERROR_CHARS]
        if errors >= MAX_ERRORS_PER_CELL or self._budget <= 0:
            content["traceback"] = [f"{content['ename']}: {content['evalue'][:200]}"]
            self.execlog.output_dropped = True
        else:
            content["traceback"] = [str(line)[:ERROR_CHARS] for line in content.get("traceback", [])][-12:]
        self._budget -= len(json.dumps(content, default=str))
        msg = dict(msg)
        msg["content"] = content
        return msg

    def handle_comm_msg(self, outs, msg, cell_index):
        """Widgets are not graded; an Output widget could swallow a test's error."""
        return None

    def clear_output(self, outs, msg, cell_index):
        if cell_index in self.graded_cells:
            return None
        return super().clear_output(outs, msg, cell_index)
