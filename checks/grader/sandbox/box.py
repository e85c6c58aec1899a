"""The box a submission's lesson processes run in, made by bubblewrap (``bwrap``, Debian's
``bubblewrap``: the sandbox under Flatpak), not by namespace code of our own.

What the box holds (read-only): the system's ``/usr`` (and its ``/lib`` links), a few files of
``/etc`` (the linker cache, fonts), Python and the installed packages, the engine
(``lessons/__init__.py``, ``lessons/_*.py``), the submission's own lesson files at
``/course/lessons``, and the few machinery modules that run beside student code (``BOX_MODULES``,
mounted as the package ``lessons_sandbox``). No ``checks/`` (no claims, no reference answers), no
``tests/``, no other submission, no instructor checkout. A private ``/tmp``, a fresh ``/proc``
and a minimal ``/dev``; its own PID, IPC, UTS and network namespaces (only ``lo``); a cleared
environment; killed with the grader (``--die-with-parent``); its own session (no terminal).

Run as root, bwrap keeps only CAP_SETUID/SETGID/SETPCAP for the box's first process, which
drops to a uid of its own (``box_uid``: one per grading process, so concurrent submissions share
no uid, no process count, no keyring) and empties every capability set before it imports
anything of the lessons (``inside.py``). Run as another user, bwrap makes a user namespace and
the box runs as that user.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

# The modules of this package that run inside the box (the zygote, the worker and what crosses
# the wire): the grader-side ones (hooks, client, proxy, box) stay out.
BOX_MODULES = (
    "__init__.py",
    "processes.py",
    "confine.py",
    "worker.py",
    "codec.py",
    "models.py",
    "values.py",
    "inside.py",
    "heap.py",
    "lazy_dynamo.py",
    "on_import.py",
)
PACKAGE = "lessons_sandbox"  # the name they are imported by inside the box
COURSE = "/course"  # the box's project root: only lessons/ is there
MACHINERY = "/opt/lessons-box"
TMP_SIZE = 256 * 2**20  # bytes of the box's private /tmp
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "fonts", "localtime", "nsswitch.conf")
BOX_UID_BASE = 1_000_000_000  # + the grader's pid: no user on the machine has such a uid


def box_uid() -> int:
    """The uid (and gid) of this grading process's box: unique among live graders."""
    return BOX_UID_BASE + os.getpid()


@functools.cache
def unavailable() -> str | None:
    """None when bubblewrap can make a box here; else why not, in words for a course admin."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux (this is {sys.platform})"
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    probe = [*_namespaces(), "--ro-bind", "/", "/", "--", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap failed to start: {exc}"
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip().splitlines()
        return f"the kernel refuses bubblewrap's namespaces ({why[-1] if why else done.returncode})"
    return None


def _namespaces() -> list[str]:
    """A new PID, IPC, UTS, network (only ``lo``) and, where allowed, cgroup namespace. As root,
    no user namespace: the box's uid is then a real, unprivileged uid of the machine (inside.py
    drops to it); as another user, a user namespace is what lets bwrap make the others."""
    flags = ["bwrap", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net"]
    flags += ["--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    # The zygote is the PID namespace's init: the kernel delivers it no signal sent from inside
    # the box that it has no handler for, so a lesson's kill(-1) (every process it can signal)
    # cannot end the box under the lessons after it. It reaps orphans already (a subreaper).
    flags += ["--as-pid-1"]
    if os.geteuid() != 0:
        flags.insert(1, "--unshare-user")
    return flags


def command(rootpath: Path, fd: int, settings: dict, *, keep_devices: bool) -> list[str]:
    """The bwrap command line that starts the box's zygote on the inherited socket ``fd``."""
    argv = [*_namespaces(), "--hostname", "lessons-box", "--clearenv"]
    argv += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/", name)
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            argv += ["--ro-bind", str(path), str(path)]
    for name in ETC:
        argv += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    # The private /tmp first: Python or the packages may live below /tmp (a CI checkout's
    # virtual environment), and a tmpfs mounted after them would hide them.
    argv += ["--perms", "1777", "--size", str(TMP_SIZE), "--tmpfs", "/tmp"]
    for path in python_paths(rootpath):
        argv += [*_parents(path), "--ro-bind", path, path]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    if keep_devices:  # CUDA: the GPU's device files and what the driver reads in /sys
        argv += [arg for dev in _nvidia_devices() for arg in ("--dev-bind", dev, dev)]
        argv += ["--ro-bind", "/sys", "/sys"]
    argv += _font_cache()
    argv += _course(rootpath) + _machinery()
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "USER": "lessons",  # getpass.getuser() reads it: the box's uid has no passwd entry
        "LOGNAME": "lessons",
        "LANG": "C.UTF-8",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "PYTHONPATH": f"{COURSE}:{MACHINERY}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
    }
    # The machine's own numeric settings, nothing of the grader's (no PWD, HOME, paths).
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "CUDA_VISIBLE_DEVICES"):
        if name in os.environ:
            env[name] = os.environ[name]
    for name, value in env.items():
        argv += ["--setenv", name, value]
    argv += ["--chdir", COURSE]
    if os.geteuid() == 0:
        argv += ["--cap-drop", "ALL"]
        argv += [
            arg for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP") for arg in ("--cap-add", cap)
        ]
    argv += ["--", sys.executable, "-s", "-B", "-m", f"{PACKAGE}.inside", str(fd)]
    return [*argv, json.dumps(settings)]


def python_paths(rootpath: Path) -> list[str]:
    """Python and its packages: the interpreter's prefixes and every import path outside the
    project (the project's own folder never: only its lessons are mounted, at ``COURSE``)."""
    root = str(rootpath.resolve())
    found = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    found.update(p for p in sys.path if p and os.path.isabs(p))
    paths = set()
    for path in found:
        real = os.path.realpath(path)
        if not os.path.isdir(real) or real == "/" or _under(real, "/usr"):
            continue
        if _under(real, root) and not _under(real, os.path.realpath(sys.prefix)):
            continue  # the project itself (a virtual environment inside it is fine)
        paths.add(real)
    # A path inside another one is mounted with it.
    return sorted(p for p in paths if not any(p != q and _under(p, q) for q in paths))


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _parents(path: str) -> list[str]:
    """The folders above ``path`` made world-searchable in the box (bwrap copies the host's
    modes otherwise: /root is 0700, and Python may live below it)."""
    args, parent = [], Path(path).parent
    for folder in reversed([parent, *parent.parents]):
        if str(folder) not in ("/", "/tmp"):  # /tmp is the box's own tmpfs (mode 1777)
            args += ["--perms", "0755", "--dir", str(folder)]
    return args


def _course(rootpath: Path) -> list[str]:
    """The project's ``lessons/*.py``, one file at a time: the engine and the lessons as this run
    grades them (a grading copy holds the submission's and released stubs). Nothing else of the
    project: no ``checks/``, no caches, nothing above ``lessons/``."""
    source = rootpath.resolve() / "lessons"
    args = ["--perms", "0755", "--dir", COURSE, "--perms", "0755", "--dir", f"{COURSE}/lessons"]
    for path in sorted(source.glob("*.py")):
        if path.is_file() and not path.is_symlink():
            args += ["--ro-bind", str(path), f"{COURSE}/lessons/{path.name}"]
    return args


def _machinery() -> list[str]:
    here = Path(__file__).parent
    target = f"{MACHINERY}/{PACKAGE}"
    args = ["--perms", "0755", "--dir", MACHINERY, "--perms", "0755", "--dir", target]
    for name in BOX_MODULES:
        args += ["--ro-bind", str(here / name), f"{target}/{name}"]
    return args


def _font_cache() -> list[str]:
    """matplotlib's font list, read-only: without it every box spends ~1 s rebuilding it.

    Its folder as ``matplotlib.get_cachedir()`` finds it on Linux (MPLCONFIGDIR, else the XDG
    cache folder), without importing matplotlib: that took ~0.13 s before the box could start,
    and the grader beside a box never draws. A folder matplotlib could not use holds no list:
    the box then builds its own in its /tmp, as it would anyway."""
    configured = os.environ.get("MPLCONFIGDIR")
    try:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except RuntimeError:  # no home folder
        return []
    cache = Path(configured) if configured else Path(xdg, "matplotlib")
    try:
        files = sorted(cache.glob("fontlist-*.json"))
    except OSError:
        return []
    if not files:
        return []
    args = ["--perms", "0777", "--dir", "/tmp/matplotlib"]
    return [*args, "--ro-bind", str(files[-1]), f"/tmp/matplotlib/{files[-1].name}"]


def _nvidia_devices() -> list[str]:
    return sorted(str(p) for p in Path("/dev").glob("nvidia*") if not p.is_dir())
