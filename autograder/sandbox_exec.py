"""Start one process inside a fresh sandbox: ``python -I -S sandbox_exec.py SPEC.json``.

This file runs before any student code, as the (root) user that grades, and
uses nothing but the standard library so it can run with ``-I -S``. The grader
(:mod:`autograder.sandbox`) writes the JSON spec and launches this script as
the "kernel command" of a Jupyter kernel manager. Three processes result:

keeper (outside, root)
    unshares new mount, network, PID, IPC and UTS namespaces, forks the
    sandbox's init and waits for it. SIGINT is passed on (kernel interrupts);
    SIGTERM/SIGHUP kill the sandbox. When the keeper dies, for any reason, the
    init gets SIGKILL (parent-death signal) and the kernel tears the whole PID
    namespace down with it. The keeper gets SIGKILL in the same way when the
    grader that started it dies. A parent-death signal only covers a parent that
    dies after it is set, so each of the two checks, right after setting it, that
    its parent is still there (the grader's pid is in the spec; the keeper holds
    a pipe open for the init), and stops at once if not: a grading worker killed
    while it was starting a kernel leaves no sandbox behind.
init (PID 1 of the new PID namespace)
    builds a new root file system on a tmpfs (read-only binds of the Python
    installation, ``seqnlp`` and ``datasets/``; private ``/tmp`` and home;
    a minimal ``/dev``; a ``/proc`` that shows only the sandbox), pivots into
    it, detaches the old root, sets resource limits, drops to an unprivileged
    user with no capabilities and ``no_new_privs``, then forks the payload and
    reaps zombies until the payload exits.
payload (PID 2)
    ``exec``s the command of the spec (``python -m ipykernel_launcher ...``).

In ``userns`` mode (not root) the same happens inside a new user namespace in
which the caller is mapped to root; the payload then keeps the caller's uid
(see docs/GRADING.md for what that does and does not protect).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import resource
import select
import signal
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NAMESPACE_FLAGS = {
    "mount": CLONE_NEWNS,
    "uts": CLONE_NEWUTS,
    "ipc": CLONE_NEWIPC,
    "pid": CLONE_NEWPID,
    "net": CLONE_NEWNET,
}

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24

SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "ppc64le": 203, "s390x": 217}

RLIMITS = {
    "NPROC": resource.RLIMIT_NPROC,
    "DATA": resource.RLIMIT_DATA,
    "AS": resource.RLIMIT_AS,
    "CPU": resource.RLIMIT_CPU,
    "FSIZE": resource.RLIMIT_FSIZE,
    "NOFILE": resource.RLIMIT_NOFILE,
    "CORE": resource.RLIMIT_CORE,
    "MEMLOCK": resource.RLIMIT_MEMLOCK,
}

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


class SandboxSetupError(RuntimeError):
    """A step of the sandbox set-up failed; the message names it."""


def _check(result: int, what: str) -> int:
    if result == -1:
        err = ctypes.get_errno()
        raise SandboxSetupError(f"{what}: {os.strerror(err)} (errno {err})")
    return result


def _b(value: str | None) -> bytes | None:
    return None if value is None else value.encode()


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(_b(source), _b(target), _b(fstype), ctypes.c_ulong(flags), _b(data)), f"mount {target}")


def prctl(option: int, arg: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl({option})")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def pivot_root(new_root: str, put_old: str) -> None:
    number = SYS_PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise SandboxSetupError(f"pivot_root: unknown syscall number on {os.uname().machine}")
    _check(_libc.syscall(number, _b(new_root), _b(put_old)), "pivot_root")


def umount2(target: str, flags: int) -> None:
    _check(_libc.umount2(_b(target), flags), f"umount {target}")


def sethostname(name: str) -> None:
    raw = name.encode()
    _check(_libc.sethostname(raw, len(raw)), "sethostname")


# --------------------------------------------------------------------------- file system


def _inside(root: str, path: str) -> str:
    return os.path.join(root, path.lstrip("/"))


def _make_target(target: str, is_dir: bool) -> None:
    if is_dir:
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            with open(target, "w"):
                pass


_OPTION_FLAGS = {"ro": MS_RDONLY, "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}


def _mounts_at_or_below(path: str) -> dict[str, int]:
    """``{mount point: flags it already has}`` for ``path`` and every mount below it."""
    found = {}
    path = path.rstrip("/") or "/"
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            fields = line.split()
            point = fields[4].replace("\\040", " ")
            if point == path or point.startswith(path + "/"):
                found[point] = sum(_OPTION_FLAGS.get(opt, 0) for opt in fields[5].split(","))
    return found


def bind(source: str, target: str, read_only: bool, flags: int = MS_NOSUID | MS_NODEV) -> None:
    """Bind ``source`` at ``target`` with ``flags`` added to whatever each mount already has."""
    _make_target(target, os.path.isdir(source))
    mount(source, target, None, MS_BIND | MS_REC)
    if read_only:
        flags |= MS_RDONLY
    for point, existing in sorted(_mounts_at_or_below(target).items()):
        mount(None, point, None, MS_REMOUNT | MS_BIND | flags | existing)


def build_root(spec: dict) -> None:
    """Assemble the sandbox's root file system under ``spec["root"]`` and pivot into it."""
    root = spec["root"]
    uid, gid = spec["uid"], spec["gid"]
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=8m,mode=0755")
    for target, link in spec.get("symlinks", []):
        path = _inside(root, link)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.symlink(target, path)
    for target, size, mode in spec.get("tmpfs", []):
        path = _inside(root, target)
        os.makedirs(path, exist_ok=True)
        owner = f",uid={uid},gid={gid}" if spec.get("drop_to_uid") else ""
        mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode={mode}{owner}")
    for source, target in spec.get("ro_binds", []):
        bind(source, _inside(root, target), read_only=True)
    for source, target in spec.get("rw_binds", []):
        bind(source, _inside(root, target), read_only=False)
    dev = _inside(root, "/dev")
    os.makedirs(dev, exist_ok=True)
    mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")
    for device in spec.get("devices", []):
        bind(device, _inside(root, device), read_only=False, flags=MS_NOSUID | MS_NOEXEC)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(dev, name))
    shm = os.path.join(dev, "shm")
    os.makedirs(shm)
    owner = f",uid={uid},gid={gid}" if spec.get("drop_to_uid") else ""
    mount("tmpfs", shm, "tmpfs", MS_NOSUID | MS_NODEV, f"size={spec.get('shm_size', '64m')},mode=1777{owner}")
    proc = _inside(root, "/proc")
    os.makedirs(proc, exist_ok=True)
    mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for source, target, mode in spec.get("files", []):
        path = _inside(root, target)
        with open(source, "rb") as src, open(path, "wb") as dst:
            dst.write(src.read())
        os.chmod(path, mode)
        if spec.get("drop_to_uid"):
            os.chown(path, uid, gid)
    os.chdir(root)
    os.makedirs(".oldroot", exist_ok=True)
    pivot_root(".", ".oldroot")
    os.chdir("/")
    umount2("/.oldroot", MNT_DETACH)
    os.rmdir("/.oldroot")
    mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


# --------------------------------------------------------------------------- credentials


def drop_privileges(spec: dict) -> None:
    """No supplementary groups, an unprivileged uid/gid, no capabilities, no way back."""
    if spec.get("drop_to_uid"):
        os.setgroups([])
        os.setresgid(spec["gid"], spec["gid"], spec["gid"])
        os.setresuid(spec["uid"], spec["uid"], spec["uid"])
    elif spec.get("userns"):
        # userns mode: stay the caller, but give up every capability of the namespace.
        for cap in range(64):
            if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                break
        _drop_all_capabilities()
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_all_capabilities() -> None:
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), ctypes.byref(data)), "capset")


def set_limits(spec: dict) -> None:
    for name, value in spec.get("rlimits", {}).items():
        soft, hard = (value, value) if isinstance(value, int) else value
        resource.setrlimit(RLIMITS[name], (soft, hard))


def write_id_maps(pid: int, uid: int, gid: int) -> None:
    """userns mode: map the caller to root inside the new user namespace."""
    with open(f"/proc/{pid}/setgroups", "w") as fh:
        fh.write("deny")
    with open(f"/proc/{pid}/uid_map", "w") as fh:
        fh.write(f"0 {uid} 1")
    with open(f"/proc/{pid}/gid_map", "w") as fh:
        fh.write(f"0 {gid} 1")


# --------------------------------------------------------------------------- processes


def _exit_code(status: int) -> int:
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return 1


def _closed(fd: int) -> bool:
    """Whether the write end of the pipe ``fd`` reads from is closed (its holder is gone)."""
    readable, _, _ = select.select([fd], [], [], 0)
    return bool(readable) and os.read(fd, 1) == b""


def run_init(spec: dict, keeper_alive: int | None = None) -> int:
    """PID 1 of the sandbox: set everything up, start the payload, reap until it exits.

    ``keeper_alive`` reads a pipe whose write end only the keeper holds: at EOF the keeper is gone."""
    os.setpgid(0, 0)  # interrupts reach the payload only through us
    if spec.get("filesystem"):
        build_root(spec)
    if "uts" in spec.get("namespaces", []):
        sethostname(spec.get("hostname", "sandbox"))
    set_limits(spec)
    drop_privileges(spec)  # sets the parent-death signal (after the uid change, which would clear it)
    if keeper_alive is not None:
        if _closed(keeper_alive):
            return 1  # the keeper died before the signal was set: nobody would ever stop this sandbox
        os.close(keeper_alive)
    payload = os.fork()
    if payload == 0:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.umask(0o022)
        os.chdir(spec.get("cwd", "/"))
        try:
            os.execve(spec["argv"][0], spec["argv"], spec.get("env", {}))
        except OSError as err:
            os.write(2, f"sandbox: cannot start {spec['argv'][0]}: {err}\n".encode())
        os._exit(127)

    def forward(signum, _frame):
        try:
            os.kill(payload, signal.SIGKILL if signum == signal.SIGTERM else signum)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            return 0
        if pid == payload:
            return _exit_code(status)


def main(argv: list[str]) -> int:
    with open(argv[1]) as fh:
        spec = json.load(fh)
    log = os.open(spec["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.close(null)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if spec.get("parent") not in (None, os.getppid()):
        return 1  # the grader that started us died before the signal was set

    flags = 0
    for name in spec.get("namespaces", []):
        flags |= NAMESPACE_FLAGS[name]
    userns = bool(spec.get("userns"))
    outer_uid, outer_gid = os.getuid(), os.getgid()
    if userns:
        flags |= CLONE_NEWUSER
    if flags:
        unshare(flags)
    if userns:
        write_id_maps(os.getpid(), outer_uid, outer_gid)
    if flags & CLONE_NEWNS:
        mount(None, "/", None, MS_REC | MS_PRIVATE)

    keeper_alive, held = os.pipe()  # the init reads EOF once the keeper is gone
    init = os.fork()
    if init == 0:
        os.close(held)
        try:
            code = run_init(spec, keeper_alive)
        except BaseException as err:  # report set-up failures in the kernel log
            os.write(2, f"sandbox: set-up failed: {err}\n".encode())
            code = 125
        os._exit(code)
    os.close(keeper_alive)  # `held` stays open as long as the keeper lives

    def forward(signum, _frame):
        try:
            os.kill(init, signal.SIGINT if signum == signal.SIGINT else signal.SIGKILL)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    while True:
        try:
            pid, status = os.waitpid(init, 0)
        except ChildProcessError:
            return 1
        if pid == init:
            return _exit_code(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
