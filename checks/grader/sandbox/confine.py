"""A worker that must stay root (the sandbox's user cannot read Python, say: a Python installed
under /root) is confined instead (Linux): its own mount namespace where every file system is
read-only and device files cannot be opened, a fresh private tmpfs on /dev/shm as scratch space
(``TMPDIR``: the project itself may lie under /tmp, so /tmp stays visible, read-only), every
capability dropped for good, and a pids cgroup for the process-count limit (RLIMIT_NPROC never binds root).

Why each piece: root without capabilities still owns root's files, so only a read-only view keeps
it from rewriting the grader's tree, the virtual environment (a module the grader imports later)
or another submission's grade; without CAP_SYS_ADMIN it cannot remount that view writable, and
without CAP_SYS_PTRACE it cannot reach into the grader's memory. It can still signal processes
of its own uid, the grader's included: that stops its own grade, it forges none.

Docker's default profile refuses ``unshare`` (no CAP_SYS_ADMIN): there ``available`` is False,
and a root container is meant to use the user drop (Python under /usr is world-readable).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import struct
import tempfile

CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV = 1, 2, 4
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 47, 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522
SCRATCH = "/dev/shm"
SCRATCH_SIZE = "256m"  # a lesson's temporary files (none of ours writes any)
PIDS_ROOT = "/sys/fs/cgroup/pids"  # cgroup v1's pids hierarchy


class ConfineError(OSError):
    """A step of the confinement failed (the kernel or the container does not allow it)."""


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise ConfineError(errno, f"{what}: {os.strerror(errno)}")


def mount_points() -> list[str]:
    """Every mount point this process sees, parents before children (from mountinfo)."""
    with open("/proc/self/mountinfo") as info:
        points = [line.split()[4] for line in info]
    return [p.encode().decode("unicode_escape") for p in points]  # "\040" is a space


def read_only_view(keep_devices: bool = False) -> None:
    """This process (and what it forks) sees every file system read-only, device files
    unopenable (``keep_devices``: CUDA needs /dev/nvidia*), and a private tmpfs as scratch."""
    libc = _libc()
    _check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    # Our changes must not propagate back to the grader's mounts.
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | (0 if keep_devices else MS_NODEV)
    for point in mount_points():
        if libc.mount(None, point.encode(), None, flags, None) != 0:
            errno = ctypes.get_errno()
            # A mount hidden under a later one over the same point cannot be reached: fine.
            if not os.path.ismount(point) or errno == 2:
                continue
            raise ConfineError(errno, f"remount {point} read-only: {os.strerror(errno)}")
    if os.path.isdir(SCRATCH):
        options = f"size={SCRATCH_SIZE},mode=1777".encode()
        _check(
            libc.mount(b"lessons-tmp", SCRATCH.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options),
            f"mount a tmpfs on {SCRATCH}",
        )
        os.environ["TMPDIR"] = SCRATCH
        tempfile.tempdir = SCRATCH  # the grader may have asked (and cached) before the fork


def drop_capabilities() -> None:
    """No capability now, none regained by exec (bounding set emptied, no ambient ones)."""
    drop_bounding_set()
    clear_capabilities()


def drop_bounding_set() -> None:
    """No capability can be gained again, by exec or otherwise (needs CAP_SETPCAP)."""
    libc = _libc()
    with open("/proc/sys/kernel/cap_last_cap") as last:
        last_cap = int(last.read())
    for cap in range(last_cap + 1):
        _check(libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), f"drop capability {cap}")


def clear_capabilities() -> None:
    """Empty the ambient, effective, permitted and inheritable sets (needs no capability)."""
    libc = _libc()
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)  # EINVAL on old kernels: none
    header = ctypes.create_string_buffer(struct.pack("Ii", LINUX_CAPABILITY_VERSION_3, 0))
    data = ctypes.create_string_buffer(24)  # two (effective, permitted, inheritable) triples
    _check(libc.capset(header, data), "capset (drop all)")


def confine(keep_devices: bool = False) -> None:
    """Both, in the order that works: the view needs CAP_SYS_ADMIN, which goes last."""
    read_only_view(keep_devices)
    drop_capabilities()


class PidsGroup:
    """A pids cgroup (v1) capping the zygote and its workers together, made by the grader."""

    def __init__(self, path: str) -> None:
        self.path = path

    @classmethod
    def create(cls, limit: int) -> PidsGroup | None:
        """None where there is no writable pids hierarchy (most containers)."""
        if limit <= 0 or not os.path.isdir(PIDS_ROOT):
            return None
        path = os.path.join(PIDS_ROOT, f"lessons-sandbox-{os.getpid()}")
        try:
            os.makedirs(path, exist_ok=True)
            with open(os.path.join(path, "pids.max"), "w") as pids_max:
                pids_max.write(str(limit))
        except OSError:
            cls(path).remove()
            return None
        return cls(path)

    def join(self, pid: int) -> None:
        """Move ``pid`` into the group: what it forks is counted there too."""
        with open(os.path.join(self.path, "cgroup.procs"), "w") as procs:
            procs.write(str(pid))

    def remove(self) -> None:
        """Remove the group once empty (the grader calls this after the zygote's tree is gone)."""
        with contextlib.suppress(OSError):
            os.rmdir(self.path)


def available() -> str | None:
    """None when a forked child can confine itself here; else why not (probed, then exits)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        message = b""
        try:
            confine()
        except BaseException as exc:
            message = str(exc).encode()[:500] or b"failed"
        finally:
            os.write(write, message)
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as reader:
        message = reader.read()
    os.waitpid(pid, 0)
    return message.decode(errors="replace") or None
