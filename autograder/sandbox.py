"""Where student code runs: a per-submission sandbox around the Jupyter kernel.

nbgrader, the gradebook and every file the grader owns stay in the grading
process (trusted). Only the kernel, i.e. the student's code, runs inside the
sandbox, and the two talk over ZeroMQ *IPC* sockets in a directory that is the
one writable host path the sandbox can see. See :mod:`autograder.sandbox_exec`
for what happens inside, and docs/GRADING.md for the layers and their limits.

Layers (each detected at start-up by :func:`detect_layers`; the grader refuses
to run without all of them unless ``--unsafe``):

``filesystem``  new mount namespace; a fresh root holding read-only system
                directories, the Python installation, ``seqnlp/`` and
                ``datasets/``, a private ``/tmp`` and home; nothing else of the
                host (no ``solutions/``, gradebook, other submissions, home
                directories).
``network``     new, empty network namespace: no interface is up, so neither
                the Internet nor the host's loopback services are reachable.
``processes``   new PID (and IPC, UTS) namespace: the kernel sees only its own
                processes, and all of them die with it.
``user``        the kernel runs as an unprivileged uid of its own (root: a uid
                per worker; non-root: the caller inside a user namespace, with
                every capability dropped) with ``no_new_privs``.
``limits``      rlimits: processes, memory per process, CPU seconds, file size,
                open files, no core dumps.
``watchdog``    the grading process samples the sandbox's processes and kills
                it on notebook wall/CPU time, cell CPU time, total memory.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .lessons import REPO_ROOT
from .sandbox_exec import MNT_DETACH, MS_NODEV, MS_NOEXEC, MS_NOSUID, SandboxSetupError, mount, umount2
from .settings import CELL_TIMEOUT

EXEC_SCRIPT = Path(__file__).with_name("sandbox_exec.py")
GUARD_SCRIPT = Path(__file__).with_name("kernel_guard.py")  # the kernel's main program (hook resets)
GUARD_INSIDE = "/opt/seqnlp-grader/kernel_guard.py"  # where the sandbox sees it
UID_BASE = 620000  # sandbox uid = UID_BASE + the grading process's pid: unique among live workers


ALTERNATE_UID = 1 << 22  # above any pid (pid_max <= 2**22): a worker's second uid, for a kernel started ahead


def sandbox_uid(pid: int | None = None, alternate: bool = False) -> int:
    """The unprivileged uid a worker's kernels run as (root mode); far from any real account.

    A worker runs at most two kernels at once: the one grading and the one started ahead for
    its next submission (:class:`autograder.pipeline.KernelPool`). They take turns between the
    worker's two uids, so that they never share a uid, nor its process limit (``RLIMIT_NPROC``
    counts per uid): a student's kernel cannot starve the next student's.
    """
    return UID_BASE + (os.getpid() if pid is None else pid) + (ALTERNATE_UID if alternate else 0)
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
ALL_LAYERS = ("filesystem", "network", "processes", "user", "limits", "watchdog")
PAGE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class SandboxUnavailable(RuntimeError):
    """This machine cannot provide a sandbox layer the grader needs."""


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Times in seconds, sizes in MiB."""

    cell_timeout: float = float(CELL_TIMEOUT)  # wall clock per cell (Execute.timeout; the kernel is interrupted)
    cell_cpu: float | None = None  # CPU seconds per cell; default 2 x cell_timeout
    notebook_timeout: float = 600.0  # wall clock for the whole notebook, kernel start included
    notebook_cpu: float | None = None  # CPU seconds for the whole notebook; default 2 x notebook_timeout
    memory_mb: int = 4096  # all processes of the sandbox together (and each one alone)
    processes: int = 256  # processes + threads of the sandbox's uid (RLIMIT_NPROC)
    file_mb: int = 256  # largest file the kernel may write
    tmp_mb: int = 512  # private /tmp; the home directory gets the same
    open_files: int = 1024
    threads: int = 1  # BLAS/OpenMP/PyTorch threads per kernel (1: grades identical for any --workers)
    output_mb: float = 4.0  # outputs kept per notebook, every message type counted (errors are cut, never lost)
    cell_output_mb: float = 1.0  # outputs kept per cell

    @property
    def cell_cpu_s(self) -> float:
        return self.cell_cpu if self.cell_cpu is not None else 2.0 * self.cell_timeout

    @property
    def notebook_cpu_s(self) -> float:
        return self.notebook_cpu if self.notebook_cpu is not None else 2.0 * self.notebook_timeout

    def as_dict(self) -> dict:
        data = asdict(self)
        data["cell_cpu"] = self.cell_cpu_s
        data["notebook_cpu"] = self.notebook_cpu_s
        return data


@dataclass
class Layers:
    """Which sandbox layers work on this machine, and why the others do not."""

    active: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    mode: str = "root"  # "root", "userns" or "none"

    @property
    def complete(self) -> bool:
        return not self.missing

    def describe(self) -> str:
        lines = [f"sandbox mode: {self.mode}; active layers: {', '.join(self.active) or 'none'}"]
        lines += [f"  MISSING {name}: {why}" for name, why in self.missing.items()]
        return "\n".join(lines)


def venv_python() -> str:
    """The interpreter of the course environment (the one running the grader)."""
    return str(Path(sys.prefix) / "bin" / "python")


def datasets_dir() -> Path:
    return Path(os.environ.get("SEQNLP_DATA", REPO_ROOT / "datasets")).resolve()


def _readonly_paths(helper_dir: Path | None = None) -> list[tuple[str, str]]:
    """Host paths the kernel needs, bound read-only at the same place.

    ``helper_dir`` (a lesson's build of ``seqnlp``, see :mod:`autograder.helperbuild`) replaces
    the repository's ``seqnlp/``, which then stays out of the sandbox.
    """
    helper = str(helper_dir) if helper_dir is not None else str(REPO_ROOT / "seqnlp")
    paths = ["/usr", "/etc", sys.prefix, sys.base_prefix, helper]
    for extra in ("/opt/conda",):  # common base-interpreter homes outside /usr
        if sys.base_prefix.startswith(extra):
            paths.append(extra)
    out = []
    for path in paths:
        real = os.path.realpath(path)
        if not os.path.exists(real):
            continue
        if any(real == p or real.startswith(p.rstrip("/") + "/") for p, _ in out):
            continue  # already inside another bind
        out.append((real, real))
        if real != path and os.path.exists(path):  # keep the name the interpreter uses too
            out.append((real, path))
    data = datasets_dir()
    if data.is_dir():
        out.append((str(data), str(data)))
    return out


def assignment_files(folder: Path, ignore: list[str] = ()) -> list[Path]:
    """What a lesson's release folder ships beside its notebooks: every entry but notebooks,
    hidden files, links and what ``CourseDirectory.ignore`` names (nbgrader's patterns)."""
    import fnmatch

    if folder is None or not Path(folder).is_dir():
        return []
    out = []
    for path in sorted(Path(folder).iterdir()):
        if path.is_symlink() or path.name.startswith(".") or path.suffix == ".ipynb":
            continue
        if any(fnmatch.fnmatch(path.name, pattern) for pattern in ignore):
            continue
        out.append(path)
    return out


def _readonly_copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, symlinks=False, ignore_dangling_symlinks=True, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)
    for path in [target, *target.rglob("*")] if target.is_dir() else [target]:
        os.chmod(path, 0o755 if path.is_dir() else 0o444)


def _merged_usr_links() -> list[tuple[str, str]]:
    links = []
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            links.append((os.readlink(name), name))
        elif os.path.isdir(name):
            links.append(("", name))  # a real directory: bind it instead
    return links


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as fh:
                    kids += [int(x) for x in fh.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return kids


def descendants(pid: int) -> list[int]:
    """All live descendants of ``pid`` (not ``pid`` itself)."""
    found, todo = [], [pid]
    while todo:
        for kid in _children(todo.pop()):
            if kid not in found:
                found.append(kid)
                todo.append(kid)
    return found


def _proc_stat(pid: int) -> tuple[float, int, int] | None:
    """(cpu seconds incl. reaped children, resident bytes, threads) of one process."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            raw = fh.read()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state): utime=14, stime=15, cutime=16, cstime=17, num_threads=20, rss=24
    cpu = sum(int(fields[i]) for i in (11, 12, 13, 14)) / CLOCK_TICKS
    return cpu, int(fields[21]) * PAGE, int(fields[17])


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Watchdog(threading.Thread):
    """Samples a sandbox from outside and kills it when it goes over its limits.

    ``reason`` tells why it killed (``timeout``, ``memory``); ``peak`` keeps the
    highest memory, process count and CPU seen, for the report.
    """

    def __init__(self, limits: Limits, interval: float = 0.1):
        super().__init__(daemon=True, name="sandbox-watchdog")
        self.limits = limits
        self.interval = interval
        self.keeper_pid: int | None = None
        self.reason: str | None = None
        self.detail = ""
        self.peak = {"memory_mb": 0.0, "processes": 0, "cpu_s": 0.0}
        self._cell_started: float | None = None
        self._cell_cpu0 = 0.0
        self._cell_interrupted = False
        self._t0 = time.monotonic()
        self._halt = threading.Event()
        self._cpu = 0.0
        self.failures = 0  # the longest run of samples that raised: the limits were not watched then
        self._failing = 0
        self.last_error = ""

    # -- called by the executor
    def attach(self, keeper_pid: int) -> None:
        self.keeper_pid = keeper_pid
        self._t0 = time.monotonic()
        if not self.is_alive():
            self.start()

    def restart_clock(self) -> None:
        """The notebook's wall clock starts now: a kernel started ahead waited for its notebook until now."""
        self._t0 = time.monotonic()

    def cell_started(self) -> None:
        self._cell_cpu0 = self._cpu
        self._cell_interrupted = False
        self._cell_started = time.monotonic()

    def cell_finished(self) -> None:
        self._cell_started = None

    def stop(self) -> None:
        self._halt.set()

    # -- sampling
    def _sandbox_pids(self) -> tuple[int | None, list[int]]:
        if self.keeper_pid is None:
            return None, []
        kids = _children(self.keeper_pid)
        if not kids:
            return None, []
        init = kids[0]
        return init, [init, *descendants(init)]

    def kill(self, reason: str, detail: str) -> None:
        if self.reason is None:
            self.reason, self.detail = reason, detail
        init, pids = self._sandbox_pids()
        for pid in ([init] if init else []) + pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def sample(self) -> None:
        init, pids = self._sandbox_pids()
        if init is None:
            return
        cpu = rss = threads = 0
        stats = {}
        for pid in pids:
            st = _proc_stat(pid)
            if st is not None:
                stats[pid] = st
                cpu += st[0]
                rss += st[1]
                threads += st[2]
        self._cpu = cpu
        memory = rss
        limit = self.limits.memory_mb * 2**20
        if rss > limit:  # resident pages may be shared (fork): count proportional shares
            memory = sum(_pss(pid) for pid in stats)
        peak = self.peak
        peak["memory_mb"] = max(peak["memory_mb"], round(memory / 2**20, 1))
        peak["processes"] = max(peak["processes"], threads)
        peak["cpu_s"] = max(peak["cpu_s"], round(cpu, 2))
        elapsed = time.monotonic() - self._t0
        lim = self.limits
        if memory > limit:
            self.kill("memory", f"the notebook's processes used {memory / 2**20:.0f} MiB (limit {lim.memory_mb} MiB)")
        elif elapsed > lim.notebook_timeout:
            self.kill("timeout", f"the notebook ran longer than {lim.notebook_timeout:g} s")
        elif cpu > lim.notebook_cpu_s:
            self.kill("timeout", f"the notebook used more than {lim.notebook_cpu_s:g} CPU seconds")
        elif self._cell_started is not None:
            cell_cpu = cpu - self._cell_cpu0
            cell_wall = time.monotonic() - self._cell_started
            grace = max(5.0, lim.cell_timeout / 2)
            if cell_cpu > lim.cell_cpu_s and not self._cell_interrupted:
                self._cell_interrupted = True
                self._cell_cpu0 = cpu - lim.cell_cpu_s  # measure the grace from here
                self._interrupt(pids)
            elif cell_cpu > lim.cell_cpu_s + grace or cell_wall > lim.cell_timeout + grace:
                self.kill("timeout", "a cell kept running after it was interrupted "
                                     f"(limits: {lim.cell_timeout:g} s, {lim.cell_cpu_s:g} CPU s per cell)")

    def interrupt_kernel(self) -> None:
        """Interrupt the kernel now (a cell that floods the grader with output)."""
        _, pids = self._sandbox_pids()
        self._interrupt(pids)

    def _interrupt(self, pids: list[int]) -> None:
        if len(pids) > 1:
            try:
                os.kill(pids[1], signal.SIGINT)  # the kernel itself (the init's first child)
            except ProcessLookupError:
                pass

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            try:
                self.sample()
                self._failing = 0
            except Exception as err:  # never let sampling kill the grader, never hide that it failed
                self._failing += 1  # one failed sample can be a process exiting as it is read
                self.failures = max(self.failures, self._failing)
                self.last_error = f"{type(err).__name__}: {err}"[:200]


class Sandbox:
    """One submission's sandbox: scratch directory, launch command, watchdog, clean-up."""

    def __init__(self, layers: Layers, limits: Limits, notebook: Path | None = None, slot_uid: int | None = None,
                 helper_dir: Path | None = None, assignment_files: list[Path] | None = None):
        self.layers = layers
        # what the lesson's release ships beside the notebook (data files, images, helper modules):
        # read-only in the kernel's working directory, as nbgrader's autograde provides them
        self.assignment_files = [Path(p) for p in assignment_files or []]
        self.limits = limits
        self.dir = Path(tempfile.mkdtemp(prefix="seqnlp-sbx-"))
        os.chmod(self.dir, 0o711)
        self.run_dir = self.dir / "run"  # IPC sockets + connection file: the only shared host path
        self.run_dir.mkdir()
        self.root_dir = self.dir / "root"
        self.root_dir.mkdir()
        self.log_path = self.dir / "kernel.log"
        self.spec_path = self.dir / "spec.json"
        self.notebook = notebook
        self.helper_dir = helper_dir  # the folder holding the lesson's seqnlp/; None: the repository's package
        self.notebook_name = "submission.ipynb"  # the student's copy, in its home directory
        self.uid = self.gid = slot_uid if slot_uid is not None else sandbox_uid()
        self.watchdog = Watchdog(limits)
        self.degraded: list[str] = []  # sandbox layers that did not hold for this submission
        self._run_mounted = False
        if os.geteuid() == 0:
            # A small tmpfs, so that the one host directory the sandbox can write to cannot fill the disk.
            try:
                mount("tmpfs", str(self.run_dir), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                      f"size=4m,mode=0700,uid={self.uid},gid={self.gid}")
                self._run_mounted = True
            except SandboxSetupError as err:  # never silently: the submission is not graded in a weaker box
                self.degraded.append(f"the run directory's size-limited tmpfs could not be mounted ({err})")
                os.chown(self.run_dir, self.uid, self.gid)
        os.chmod(self.run_dir, 0o700)

    @property
    def guard_path(self) -> str:
        """The kernel's main program, as the kernel sees it."""
        return GUARD_INSIDE if "filesystem" in self.layers.active else str(GUARD_SCRIPT)

    @property
    def ipc_prefix(self) -> str:
        return str(self.run_dir / "k")

    @property
    def connection_file(self) -> str:
        return str(self.run_dir / "connection.json")

    def kernel_env(self) -> dict[str, str]:
        threads = str(self.limits.threads)
        home = "/home/student" if "filesystem" in self.layers.active else str(self.dir / "home")
        tmp = "/tmp" if "filesystem" in self.layers.active else str(self.dir / "tmp")
        return {
            "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": home,
            "USER": "student",
            "LOGNAME": "student",
            "TMPDIR": tmp,
            "LANG": "C.UTF-8",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            **({"PYTHONPATH": str(self.helper_dir)} if self.helper_dir is not None else {}),
            "NBGRADER_EXECUTION": "autograde",
            "SEQNLP_DATA": str(datasets_dir()),
            "IPYTHONDIR": f"{tmp}/.ipython",
            "JUPYTER_RUNTIME_DIR": f"{tmp}/.jupyter",
            "MPLCONFIGDIR": f"{tmp}/.matplotlib",
            "MPLBACKEND": "Agg",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "OMP_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
            "TF_NUM_INTRAOP_THREADS": threads,
            "TF_NUM_INTEROP_THREADS": threads,
            "TOKENIZERS_PARALLELISM": "false",
            # code the kernel guard trusts besides the Python installation: the course package
            "SEQNLP_TRUSTED_CODE": os.pathsep.join(self.trusted_code()),
        }

    def trusted_code(self) -> list[str]:
        """Folders of course code the kernel imports (read-only inside the sandbox)."""
        return [str(self.helper_dir) if self.helper_dir is not None else str(REPO_ROOT / "seqnlp")]

    def spec(self, argv: list[str]) -> dict:
        lim = self.limits
        memory = lim.memory_mb * 2**20
        fs = "filesystem" in self.layers.active
        spec: dict = {
            "root": str(self.root_dir),
            "log": str(self.log_path),
            "uid": self.uid,
            "gid": self.gid,
            "hostname": "sandbox",
            "argv": argv,
            "parent": os.getpid(),  # the process that starts the keeper (sandbox_exec.py: parent-death check)
            "env": self.kernel_env(),
            "userns": self.layers.mode == "userns",
            "drop_to_uid": os.geteuid() == 0 and "user" in self.layers.active,
            "rlimits": {
                "NPROC": lim.processes,
                "DATA": memory,
                "CPU": [int(lim.notebook_cpu_s) + 5, int(lim.notebook_cpu_s) + 10],
                "FSIZE": lim.file_mb * 2**20,
                "NOFILE": lim.open_files,
                "CORE": 0,
            },
            "namespaces": [ns for ns, layer in _NAMESPACE_LAYERS if layer in self.layers.active],
            "filesystem": fs,
        }
        if fs:
            links = _merged_usr_links()
            spec["symlinks"] = [[target, name] for target, name in links if target]
            binds = [[real, inside] for real, inside in _readonly_paths(self.helper_dir)]
            binds += [[name, name] for target, name in links if not target]
            binds.append([str(GUARD_SCRIPT), GUARD_INSIDE])
            spec["ro_binds"] = binds
            spec["rw_binds"] = [[str(self.run_dir), str(self.run_dir)]]
            size = f"{lim.tmp_mb}m"
            spec["tmpfs"] = [["/tmp", size, "1777"], ["/home/student", size, "0700"]]
            spec["devices"] = list(DEVICES)
            spec["cwd"] = "/home/student"
            for path in self.assignment_files:
                binds.append([os.path.realpath(path), f"/home/student/{path.name}"])
            if self.notebook is not None:
                spec["files"] = [[str(self.notebook), f"/home/student/{self.notebook_name}", 0o600]]
        else:
            for sub in ("home", "tmp"):
                (self.dir / sub).mkdir(exist_ok=True)
                if os.geteuid() == 0:
                    os.chown(self.dir / sub, self.uid, self.gid)
            for path in self.assignment_files:  # no mount namespace: read-only copies
                _readonly_copy(path, self.dir / "home" / path.name)
            spec["cwd"] = str(self.dir / "home")
        if self.layers.mode == "none":
            spec["namespaces"] = []
        return spec

    def command(self, argv: list[str]) -> list[str]:
        """The command that starts ``argv`` inside this sandbox."""
        self.spec_path.write_text(json.dumps(self.spec(argv)))
        os.chmod(self.spec_path, 0o600)
        return [sys.executable, "-I", "-S", str(EXEC_SCRIPT), str(self.spec_path)]

    def share_connection_file(self) -> None:
        """Let the sandboxed kernel read the connection file the manager just wrote."""
        if os.geteuid() == 0:
            os.chown(self.connection_file, self.uid, self.gid)

    def log_tail(self, chars: int = 2000) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(0, size - chars))
                return fh.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def cleanup(self) -> None:
        self.watchdog.stop()
        keeper = self.watchdog.keeper_pid
        if keeper is not None:
            for pid in [*descendants(keeper), keeper]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        if self._run_mounted:
            try:
                umount2(str(self.run_dir), MNT_DETACH)
            except SandboxSetupError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


_NAMESPACE_LAYERS = (("mount", "filesystem"), ("net", "network"), ("pid", "processes"), ("ipc", "processes"),
                     ("uts", "processes"))

# --------------------------------------------------------------------------- detection

_PROBE = r"""
import json, os, socket, sys, resource
out = {"uid": os.getuid(), "pid": os.getpid()}
secret = sys.argv[1]
out["secret_visible"] = os.path.exists(secret) or any(os.path.exists(p) for p in sys.argv[3:])
out["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=2).close()
    out["loopback"] = True
except OSError:
    out["loopback"] = False
with open("/proc/self/status") as fh:
    out["cap_eff"] = [l.split()[1] for l in fh if l.startswith("CapEff")][0]
out["nproc"] = resource.getrlimit(resource.RLIMIT_NPROC)[0]
try:
    import numpy, seqnlp  # noqa: F401
    out["imports"] = True
except Exception as err:
    out["imports"] = repr(err)
print(json.dumps(out))
"""


def _try_sandbox(mode: str, limits: Limits) -> tuple[dict | None, str]:
    layers = Layers(active=list(ALL_LAYERS), mode=mode)
    box = Sandbox(layers, limits)
    server = socket.socket()
    try:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        secret = box.dir / "secret.txt"  # a host file the sandbox must not see
        secret.write_text("x")
        script = box.dir / "probe.py"
        script.write_text(_PROBE)
        spec_files = str(script)
        course = [str(REPO_ROOT / "solutions"), str(REPO_ROOT / ".git"), str(REPO_ROOT / "autograder")]
        argv = [venv_python(), "-I", f"/home/student/{script.name}", str(secret), str(port), *course]
        box.notebook = Path(spec_files)
        box.notebook_name = script.name
        cmd = box.command(argv)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        log = box.log_tail(4000)
        lines = [line for line in log.splitlines() if line.startswith("{")]
        if proc.returncode != 0 or not lines:
            return None, (log.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return json.loads(lines[-1]), ""
    except (OSError, subprocess.SubprocessError, ValueError) as err:
        return None, str(err)
    finally:
        server.close()
        box.cleanup()


_DETECTED: dict[tuple, Layers] = {}


def detect_layers(limits: Limits | None = None, cached: bool = True) -> Layers:
    """Start a throw-away sandbox and check, from inside, that every layer holds (once per process)."""
    limits = limits or Limits()
    key = (os.geteuid(), limits.processes)
    if cached and key in _DETECTED:
        return copy.deepcopy(_DETECTED[key])
    layers = _detect(limits)
    if layers.complete:
        _DETECTED[key] = copy.deepcopy(layers)
    return layers


def _detect(limits: Limits) -> Layers:
    mode = "root" if os.geteuid() == 0 else "userns"
    result, error = _try_sandbox(mode, limits)
    layers = Layers(mode=mode)
    if result is None:
        layers.mode = "none"
        why = f"cannot create namespaces ({error})"
        if mode == "userns":
            why += "; as a normal user the kernel must allow unprivileged user namespaces (docs/GRADING.md)"
        for name in ALL_LAYERS:
            if name in ("limits", "watchdog"):
                layers.active.append(name)
            else:
                layers.missing[name] = why
        return layers
    checks = {
        "filesystem": (not result["secret_visible"],
                       "a host file outside the sandbox (or the course's solutions/) was visible"),
        "network": (not result["loopback"], "the host's loopback was reachable"),
        "processes": (result["pid"] <= 3 and len(result["pids"]) <= 3, f"saw host processes {result['pids'][:5]}"),
        "user": (
            (result["uid"] != 0 or mode == "userns") and int(result["cap_eff"], 16) == 0,
            f"uid {result['uid']} with capabilities {result['cap_eff']}",
        ),
        "limits": (result["nproc"] == limits.processes, f"RLIMIT_NPROC is {result['nproc']}"),
    }
    for name, (ok, why) in checks.items():
        if ok:
            layers.active.append(name)
        else:
            layers.missing[name] = why
    layers.active.append("watchdog")
    if result["imports"] is not True:
        layers.missing["imports"] = f"numpy/seqnlp cannot be imported inside the sandbox: {result['imports']}"
    return layers


def unsafe_layers(found: Layers) -> Layers:
    """What ``--unsafe`` runs with: the layers that work, nothing pretending to be more."""
    if found.mode == "none":
        return Layers(active=["limits", "watchdog"], missing=dict(found.missing), mode="none")
    return found
