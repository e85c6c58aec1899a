"""The sandbox's processes: a zygote forked early, one worker per lesson forked from it, limits,
the privilege drop, and killing every process a worker started.

Why a zygote: workers are forked from a process that has imported torch and matplotlib but never
touched CUDA nor started a thread (a fork after either is unsafe: CUDA cannot be used in such a
child, and a lock held by another thread stays locked forever), so a fresh worker can be forked
at any time during the run, after a timeout killed its predecessor, in ~5 ms instead of the ~2 s
a fresh interpreter takes to import torch. The zygote is a child subreaper (Linux): whatever a
worker double-forks reparents to the zygote, never to init, and ``shutdown`` kills the zygote's
whole tree and reaps it before the grader writes any result.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import io
import json
import os
import pkgutil
import signal
import socket
import time
import warnings
from dataclasses import asdict, dataclass

# Relative imports: inside the box this package is mounted under another name (box.py).
from .confine import PidsGroup, confine

try:  # POSIX only: elsewhere there is no sandbox (``supported``)
    import pwd
    import resource
except ImportError:  # pragma: no cover (Windows)
    pwd = resource = None

PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
PR_SET_NO_NEW_PRIVS = 38
PR_SET_PDEATHSIG = 1
GIB = 2**30
OUTPUT_LIMIT = 64 * 2**20  # bytes a worker may write to a file (its printed output, mostly)


@dataclass(frozen=True)
class Settings:
    """What each worker is started with (sent to the zygote as JSON)."""

    threads: int = 1
    flush_denormals: bool = True
    memory_gib: float = 0.0  # address space a worker may add to what it starts with; 0: no limit
    max_processes: int = 0  # RLIMIT_NPROC for a dropped user; 0: no limit
    user: str = ""  # drop to this user when running as root; "": stay
    confine: bool = False  # staying root: a read-only view, no capabilities (confine.py)
    keep_devices: bool = False  # confined: device files stay openable (CUDA)
    box: bool = False  # the zygote runs in a bubblewrap box (box.py), dropped to box_uid
    max_reply_mib: float = 64.0  # a reply over this is refused before it is read (codec.receive)
    box_uid: int = 0
    # The box's zygote imports the engine (torch, matplotlib) before it forks a lesson's process;
    # False: a light box, which imports nothing a lesson does not (ini sandbox_preload).
    preload: bool = True


def prctl(option: int, value: int) -> bool:
    """Linux's prctl; False where there is none (macOS) or it fails."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def parents_of_all() -> dict[int, list[int]]:
    """One reading of /proc: each live process's children, by parent pid."""
    parents: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return parents
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry))
    return parents


def thread_count() -> int | None:
    """This process's threads (/proc/self/task); None where there is no /proc to count by. A
    fork is safe only with one: a lock another thread holds stays locked in the child."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def descendants(parents: dict[int, list[int]], pid: int) -> list[int]:
    """Every descendant of ``pid`` in one reading of /proc (``parents_of_all``)."""
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def children_of(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (read from /proc; empty where there is none)."""
    return descendants(parents_of_all(), pid)


def kill_tree(root: int) -> None:
    """SIGKILL every descendant of ``root`` (this process) and reap them, until none is left: a
    process forking while we kill is caught on the next round, since its orphans come to us."""
    for _ in range(100):
        alive = children_of(root)
        for pid in alive:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        reap_all()
        if not alive:
            return
        time.sleep(0.01)


def reap_all(statuses: dict[int, int] | None = None) -> None:
    """Collect every child that has exited, keeping the statuses of those asked about later."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if statuses is not None:
            statuses[pid] = status


def close_fds(keep: set[int]) -> None:
    """Close every inherited descriptor but ``keep``: a worker must not reach the grader's files,
    its pytest-xdist channel (forged reports) or another worker's socket."""
    low = 3
    for fd in sorted(keep | {2**16}):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1


class Zygote:
    """The grader's handle on the zygote process: spawn a worker, wait for one, shut all down."""

    def __init__(self, settings: Settings, rootpath: str = ".") -> None:
        self.settings = settings
        self.rootpath = rootpath  # the project whose lessons a box holds
        self.pid = 0
        self.process = None  # the box's bwrap (a subprocess.Popen), when boxed
        self.log = None  # the box's stderr: why it died, when it does
        self.group = None  # the box's control group (cgroups.BoxGroup), where one can be made
        self.sock: socket.socket | None = None
        self.asked = 0  # requests sent: each reply carries its request's number (a claim's
        # timeout can cut a wait short; that late reply must not answer the next request)
        self.pids: PidsGroup | None = None  # the process-count limit of a confined root

    def start(self) -> None:
        # Datagrams in order: one reply is one message, never half of one or two run together.
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        if self.settings.box:
            self._start_box(ours, theirs)
            return
        preload_engine()  # before the fork: the zygote and workers have it
        with warnings.catch_warnings():
            # pytest-xdist workers run execnet threads; only this thread lives on in the child,
            # which touches no lock those threads hold before it serves.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            try:
                ours.close()
                zygote_main(theirs, self.settings)
            finally:
                os._exit(0)
        theirs.close()
        self.pid, self.sock = pid, ours
        if self.settings.confine and self.settings.max_processes > 0:
            # RLIMIT_NPROC never binds root: a pids cgroup does, where one can be made. The
            # zygote joins before its first worker (it only forks when asked).
            self.pids = PidsGroup.create(self.settings.max_processes)
            if self.pids is not None:
                try:
                    self.pids.join(pid)
                except OSError:
                    self.pids.remove()
                    self.pids = None

    def _start_box(self, ours: socket.socket, theirs: socket.socket) -> None:
        """The zygote in a box of its own (box.py): bwrap, with the box's control group joined
        before it execs, so that nothing the box forks is ever outside the group."""
        import subprocess
        import tempfile
        from pathlib import Path

        from . import box, cgroups

        settings = self.settings
        self.group = cgroups.BoxGroup.create(
            pids=settings.max_processes,
            memory=int(2 * settings.memory_gib * GIB) if settings.memory_gib else 0,
        )
        argv = box.command(
            Path(self.rootpath),
            theirs.fileno(),
            settings_dict(settings),
            keep_devices=settings.keep_devices,
        )
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (read when the box dies)
        join = self.group.join if self.group is not None else None
        try:
            self.process = subprocess.Popen(
                argv,
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=self.log,
                stderr=self.log,
                preexec_fn=join,
            )
        finally:
            theirs.close()
        self.pid, self.sock = self.process.pid, ours

    def wait_ready(self, limit: float = 300.0) -> None:
        """Wait until a box's zygote has loaded the engine (torch, matplotlib: seconds, more on
        a busy machine), so that no claim's timeout is spent on it. A forked zygote is ready at
        once; a request sent before this simply skips the ready message (its id is 0)."""
        if not self.settings.box or self.sock is None:
            return
        self.sock.settimeout(limit)
        try:
            while True:
                reply = self.sock.recv(4096)
                if not reply:  # it died starting: the first request says why
                    return
                if json.loads(reply).get("ready"):
                    return
        except (TimeoutError, OSError):
            return  # the first request waits, or says why it cannot
        finally:
            if self.sock is not None:
                self.sock.settimeout(None)

    def died_because(self) -> str:
        """The last line the box printed (bwrap's error, a traceback's last line), if any."""
        if self.log is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self.log.seek(0)
            lines = self.log.read()[-4000:].decode(errors="replace").strip().splitlines()
            return lines[-1] if lines else ""
        return ""

    def alive(self) -> bool:
        return self.sock is not None

    def _ask(self, request: dict, fds: list[int] = ()) -> dict:
        """Send ``request``, return its reply. A claim's timeout can interrupt us while we wait
        (the zygote still busy importing, say): that reply then comes later and is skipped by its
        number, so the next request never reads an earlier one's answer."""
        if self.sock is None:
            raise OSError("the sandbox's zygote is not running")
        self.asked += 1
        data = json.dumps({**request, "id": self.asked}).encode()
        try:
            socket.send_fds(self.sock, [data], list(fds))
            while True:
                reply = self.sock.recv(4096)
                if not reply:
                    break
                answer = json.loads(reply)
                if answer.get("id") == self.asked:
                    return answer
        except (BrokenPipeError, ConnectionResetError):
            pass  # it died between two requests: as at end-of-file
        self.sock.close()
        self.sock = None
        why = self.died_because()
        raise OSError("the sandbox's zygote has exited" + (f": {why}" if why else ""))

    def gone(self) -> bool:
        """Whether a started zygote has died (with its box) since, found without asking it: its
        socket hung up. ``spawn`` then starts another box."""
        if self.sock is not None:
            try:
                peeked = self.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            except BlockingIOError:
                return False  # alive, nothing to read (a late reply would be read as alive)
            except OSError:
                peeked = b""
            if peeked:
                return False
            self.sock.close()
            self.sock = None
        return self.pid != 0

    def warm_up_figures(self) -> None:
        """Have the zygote draw one figure before it forks a lesson's process (``warm_up_figures``
        below): the run's figure tests will draw."""
        self._ask({"op": "figures"})

    def spawn(self, lesson: str, fds: list[int]) -> int:
        """Fork a worker for ``lesson`` on the socket ``fds[0]``, its output on ``fds[1:]``.

        A box whose zygote died (killed from outside the box, or for memory: a lesson's kill(-1)
        spares it, the box's init) is replaced by a fresh one first, so that the other lessons are still graded.
        Only a box: it starts by fork and exec (bwrap), never by forking this process, which may
        be running threads by now (the fits ahead)."""
        if self.process is not None and self.gone():
            self.shutdown()  # reaps the dead box and removes its control group
            self.start()
            self.wait_ready()
        return self._ask({"op": "spawn", "lesson": lesson}, fds)["pid"]

    def wait(self, pid: int, grace: float = 2.0) -> int:
        """The wait status of worker ``pid``; killed (with what it started) after ``grace`` s."""
        return self._ask({"op": "wait", "pid": pid, "grace": grace})["status"]

    def kill(self, pid: int) -> None:
        """Kill worker ``pid`` and everything it started."""
        with contextlib.suppress(OSError):
            self._ask({"op": "kill", "pid": pid})

    def _stop_unasked(self) -> bool:
        """Stop a zygote that was never asked anything, so forked no worker, without waiting
        for its imports; False where that cannot be done here. A forked zygote: the SIGKILL in
        ``shutdown``. A box: its inner bwrap (the first process of the box's pid namespace,
        whose death ends every process in it) is killed here, and the outer one, our child,
        reaps it and exits as when the zygote ends; killed first, the outer one would leave
        the inner one to init."""
        if self.process is None:
            return True
        children = parents_of_all().get(self.pid, [])
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        return bool(children)

    def shutdown(self) -> None:
        """Kill every worker and everything they started, reap them, then the zygote itself."""
        if self.sock is not None:
            # Only a request forks a worker: with none sent (a run that ended at collection, a
            # usage error) there is nothing to reap, and asking would wait out the zygote's
            # imports (~2.5 s) just to kill it.
            if self.asked or not self._stop_unasked():
                with contextlib.suppress(OSError):
                    self._ask({"op": "shutdown"})  # a dead zygote's socket is closed by _ask
            if self.sock is not None:
                self.sock.close()
                self.sock = None
        if self.pid:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)  # it has already exited, unless it hung
            if self.process is not None:
                self.process.wait()  # bwrap's death takes the whole box (--die-with-parent)
                self.process = None
            else:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(self.pid, 0)
            self.pid = 0
        if self.group is not None:
            self.group.remove()  # kills whatever of the box is left, then the group
            self.group = None
        if self.log is not None:
            self.log.close()
            self.log = None
        if self.pids is not None:
            self.pids.remove()  # empty now: the zygote's tree is gone
            self.pids = None


def preload_engine() -> None:
    """Import the engine (``lessons/_*.py``, and matplotlib and numpy with it) and warm up what
    every lesson's first optimizer step would load, in the grader before the zygote is forked
    (a box's zygote: in the box, inside.py).

    Every worker is forked from the zygote: what it has loaded, each worker starts with, instead
    of loading it again for each lesson (measured: the sandboxed ``pytest lessons`` took 1.45x the
    in-process run without this). Done in the grader rather than the zygote: the grader loads all
    of it anyway for its own claims (reference fits, figures), so it is paid once, not twice, and
    the first claim never waits for the zygote (~2.4 s measured when torch._dynamo was part of it).
    The engine is the instructor's code, never a student's (no ``lessons.<name>`` is imported
    here); a module that fails to import is left for the worker to report. Nothing here starts
    a thread (counted in /proc/self/task), so forking after it stays safe.
    """
    import torch  # here, not at the top: lessons grade imports this module and needs no torch

    import lessons

    from . import lazy_dynamo

    lazy_dynamo.install()  # before anything can import the real package

    for info in pkgutil.iter_modules(lessons.__path__):
        if info.name.startswith("_"):
            with contextlib.suppress(Exception):
                importlib.import_module(f"lessons.{info.name}")
    # A process's first optimizer step reaches torch._dynamo: the stand-in answers it
    # (lazy_dynamo.py; the real package is 1.7 s of CPU that every box paid), and one step on
    # a scalar warms up what the rest of it loads (3 ms). It starts no thread.
    with contextlib.suppress(Exception):
        weight = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.SGD([weight], lr=0.1)
        (2 * weight).sum().backward()
        optimizer.step()


def warm_up_figures() -> None:
    """Draw and encode one small figure: a process's first figure loads fonts, text caches and
    PIL's encoders (~0.15 s measured in a fresh fork), which every lesson's process forked after
    this has. The zygote does it when the grader asks (``Zygote.warm_up_figures``): only a run
    whose figure tests will draw (not a grading run, which shows none, nor a rerun whose figures
    all come from the figure cache: ~0.1 s sooner to its first claim)."""
    with contextlib.suppress(Exception):
        from matplotlib.figure import Figure

        figure = Figure(figsize=(2, 2))
        axes = figure.subplots()
        axes.plot([0, 1], [1, 0], label="$w_0$")
        axes.set_xlabel("epoch")
        axes.legend()
        figure.savefig(io.BytesIO(), format="png")


def zygote_main(sock: socket.socket, settings: Settings) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the grader's: it shuts us down
    keep: set[int] = set()
    if settings.box:
        # A box's zygote was exec'd with nothing of the grader's but the socket; what it has open
        # now is its own preload's (matplotlib's font files, read lazily by cached fonts that
        # every worker inherits): a worker that closed them would fail its first figure.
        keep = _open_fds() - {sock.fileno()}
    else:
        close_fds({0, 1, 2, sock.fileno()})
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    # The worker's own modules (ours, no lesson's): compiled once here rather than in every forked
    # worker, whose first reply the grader waits for (~14 ms a lesson: no .pyc is ever written).
    from . import worker  # noqa: F401

    statuses: dict[int, int] = {}
    workers: set[int] = set()
    warmed = False
    while True:
        message, fds, _, _ = socket.recv_fds(sock, 4096, 3)
        if not message:
            kill_tree(os.getpid())
            return
        request = json.loads(message)
        reap_all(statuses)
        op = request["op"]
        if op == "spawn":
            pid = _fork_worker(sock, fds, request["lesson"], settings, keep)
            workers.add(pid)
            reply = {"pid": pid}
        elif op == "wait":
            reply = {"status": _wait(request["pid"], request["grace"], statuses)}
            workers.discard(request["pid"])
            _sweep(workers, statuses)
        elif op == "figures":
            if settings.preload and not warmed:  # a light box draws in each lesson's process
                opened = _open_fds()
                warm_up_figures()
                gc.freeze()  # with the preload's heap: a worker's collector passes never scan it
                warmed = True
                if settings.box:  # kept open in every worker, as the preload's (above)
                    keep |= _open_fds() - opened
            reply = {}
        elif op == "kill":
            _kill(request["pid"])
            reply = {"status": _wait(request["pid"], 0, statuses)}
            workers.discard(request["pid"])
            _sweep(workers, statuses)
        else:  # shutdown
            kill_tree(os.getpid())
            sock.send(json.dumps({"id": request["id"]}).encode())
            return
        for fd in fds:
            os.close(fd)
        sock.send(json.dumps({**reply, "id": request["id"]}).encode())


def _open_fds() -> set[int]:
    return {int(fd) for fd in os.listdir("/proc/self/fd")}


def _sweep(workers: set[int], statuses: dict[int, int]) -> None:
    """Kill what an ended worker left behind: every process under the zygote that is not a live
    worker nor one of theirs (a double-forked daemon is reparented to us, the subreaper), so
    nothing of a lesson outlives it to slow down the lessons graded after it."""
    zygote = os.getpid()
    parents = parents_of_all()  # one reading for both: see grading_run.sweep_orphans
    keep = set(workers)
    for worker in workers:
        keep.update(descendants(parents, worker))
    for pid in descendants(parents, zygote):
        if pid not in keep:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    reap_all(statuses)


def _kill(pid: int) -> None:
    for target in [pid, *children_of(pid)]:
        with contextlib.suppress(OSError):
            os.kill(target, signal.SIGKILL)


def _wait(pid: int, grace: float, statuses: dict[int, int]) -> int:
    deadline = time.monotonic() + grace
    pause = 0.0005  # a killed worker is gone in ~1 ms: polls from 0.5 ms up to 5 ms (a fixed
    # 5 ms was ~9 ms a lesson at every lesson's end, the grader waiting on the reply)
    while pid not in statuses:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return statuses.get(pid, 0)
        if done:
            return status
        if time.monotonic() > deadline:
            _kill(pid)
            deadline = float("inf")
        time.sleep(pause)
        pause = min(2 * pause, 0.005)
    return statuses.pop(pid)


def _fork_worker(
    sock: socket.socket, fds: list[int], lesson: str, settings: Settings, keep: set[int]
) -> int:
    zygote = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    try:
        sock.close()
        channel, out, err = fds
        os.setpgid(0, 0)  # Ctrl-C in the terminal reaches the grader, not the workers
        # The zygote killed at once with its grader's group (a wall-clock limit) cannot kill
        # its tree: the kernel kills the worker then (what the worker starts is for the
        # subreaper above: lessons grade sweeps it).
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != zygote:  # the zygote died before that
            os._exit(70)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.dup2(out, 1)
        os.dup2(err, 2)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        close_fds({channel} | (keep - {0, 1, 2}))
        from . import worker  # imported by the zygote already

        worker.main(socket.socket(fileno=channel), lesson, settings)
    except BaseException:  # a worker never returns into the zygote's loop
        os._exit(70)
    os._exit(0)


def apply_limits(settings: Settings) -> None:
    """In a worker, before the lesson is imported: no core files, address space and process
    count capped, and (as root) the unprivileged user, for good (no way back, no setuid gains),
    or, staying root, the confinement (a read-only view of the files, no capabilities)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # Its stdout and stderr are pytest's capture files: a print loop would fill the disk (and
    # the grader's memory when pytest reads them back). Past this a write fails (EFBIG: Python
    # ignores SIGXFSZ; a program it starts that does not is killed by it).
    resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_LIMIT, OUTPUT_LIMIT))
    if settings.memory_gib > 0:
        limit = _address_space() + int(settings.memory_gib * GIB)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if os.geteuid() == 0 and settings.user:
        entry = pwd.getpwnam(settings.user)
        if settings.max_processes > 0:  # counted per user: it binds only a user that is not root
            limit = settings.max_processes
            resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))
        os.setgroups([])
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)
        os.environ["HOME"] = "/nonexistent"
    elif os.geteuid() == 0 and settings.confine:
        confine(settings.keep_devices)
    prctl(PR_SET_NO_NEW_PRIVS, 1)


def user_exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


def unreadable_as(user: str, paths: list[str]) -> str | None:
    """The first of ``paths`` that ``user`` cannot read (None: all readable), probed in a forked
    child that drops to ``user``: a worker that cannot read Python or the project cannot run."""
    entry = pwd.getpwnam(user)
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.setgroups([])
            os.setgid(entry.pw_gid)
            os.setuid(entry.pw_uid)
            code = next((i + 1 for i, p in enumerate(paths) if not os.access(p, os.R_OK)), 0)
        finally:
            os._exit(min(code, 255))
    _, status = os.waitpid(pid, 0)
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 255
    return None if code == 0 else paths[min(code, len(paths)) - 1]


def _address_space() -> int:
    """This process's virtual size in bytes (the worker starts as a copy of the grader)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def describe_exit(status: int) -> str:
    """``exited with code 0`` / ``was killed by signal 9 (SIGKILL)`` from a wait status."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else ""
        hint = {
            signal.SIGKILL: " (out of memory, or its time ran out)",
            signal.SIGXFSZ: f" (it wrote more than {OUTPUT_LIMIT // 2**20} MiB of output)",
        }.get(number, "")
        return f"was killed by signal {number} ({name}){hint}"
    return f"exited with code {os.WEXITSTATUS(status)}"


def settings_dict(settings: Settings) -> dict:
    return asdict(settings)


def supported() -> bool:
    """Forking workers needs POSIX; the zygote's subreaper and /proc tree walk need Linux."""
    return hasattr(os, "fork") and hasattr(socket, "send_fds") and pwd is not None
