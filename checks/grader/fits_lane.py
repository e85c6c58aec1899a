"""The lane of fits ahead: forked copies of the grader (one per core, at most 4) train them into
the fit cache on disk, beside the claims (issue 18).

Measured on a cold ``pytest lessons``: the fits-ahead thread was the run's critical path, 6.8 s
of fits one after another from the end of collection (1.6 s) to the last claim, while the run
as a whole used about one core (8.7 s of CPU in 8.9 s). A second thread would share the GIL
(the engine is a Python loop of small torch operations); a forked process does not.

So the jobs (keys, in the claims' order) are shared out as they go: each is taken once, by
whoever is free first: one of the lane's processes, or a claim that asks for it before anyone
took it (it trains it itself, as without fits ahead). The lane is forked where the grader has no
other thread (counted in ``/proc/self/task``: a fork is then safe); elsewhere ``fits_ahead``'s
thread trains the jobs, as before. Who took what is one byte per job in memory shared with the
lane (``multiprocessing``'s ``Array``, under its lock). A lane process trains through the same
``FitCache`` methods, writes each entry as the thread would (a temporary file renamed into
place), and reports each key on a pipe; a claim that needs a key the lane took waits for that
report, then reads the entry from disk, checked like any other. If the lane failed or was
killed, the claim trains the fit itself. An entry is the same bits whoever trains it
(tests/test_fits_lane.py).

The lane runs trusted code only (the grader's fits; never a lesson, which lives in its box),
dies with the grader (``PR_SET_PDEATHSIG``), ignores pytest's alarm and Ctrl-C, writes nothing
but its pipe and the cache, and leaves with ``os._exit`` (no pytest hook, atexit or finalizer of
the grader runs in it). The session's end kills it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import warnings
from collections.abc import Callable

from checks.grader.sandbox.processes import PR_SET_PDEATHSIG, prctl, thread_count

Job = tuple[str, Callable[[], bool]]  # a key, and what trains it (True: it trained)
FREE, GRADER = 0, 1  # who took a job; the lane's processes are 2, 3, ...
MAX_PROCESSES = 4  # the course asks for ~25 fits; more processes would only hold memory
LOCK_WAIT = 10.0  # s: the lock is held for a byte's read and write; a lane killed holding it
# would leave it locked, and a job then counts as the grader's


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Lane:
    """The grader's end of the forked lane: the shared jobs, and the keys it has reported."""

    def __init__(self, jobs: list[Job], owners, cache) -> None:
        self.jobs = jobs
        self.index = {key: i for i, (key, _) in enumerate(jobs)}
        self.cache = cache
        self._owners = owners  # a multiprocessing Array of bytes, with its lock
        self._pipe = None
        self._done: set[str] = set()
        self.errors: list[str] = []  # jobs that failed in a lane (their claims trained them)
        self.pids: list[int] = []
        self._ended = False
        self._lock = threading.Lock()  # the claims' thread reads reports; stop() drains

    @classmethod
    def fork(cls, cache, jobs: list[Job], flushed: bool) -> Lane | None:
        """Fork the lane's processes (one per core, at most 4), sharing ``jobs`` with the
        grader; None where that is not safe or not worth it (one core, a thread already
        running, no fork, no shared memory)."""
        cores = _cores()
        # thread_count() None (no /proc to count by): no fork either
        if len(jobs) < 2 or not hasattr(os, "fork") or cores < 2 or thread_count() != 1:
            return None
        try:
            import multiprocessing

            owners = multiprocessing.get_context("fork").Array("b", len(jobs))
        except (ImportError, OSError, ValueError):  # no semaphores (no /dev/shm)
            return None
        lane = cls(jobs, owners, cache)
        read, write, parent = *os.pipe(), os.getpid()
        for process in range(2, 2 + min(cores, MAX_PROCESSES)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # one thread: counted above
                pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    os.close(read)
                    lane._serve(process, write, flushed, parent)
                except BaseException:
                    code = 70
                finally:
                    os._exit(code)
            lane.pids.append(pid)
        os.close(write)  # the pipe ends when every process of the lane has ended
        lane._pipe = os.fdopen(read, "r")
        return lane

    def take(self, i: int, who: int) -> int:
        """Take job ``i`` for ``who`` if it is free; who has it now."""
        lock = self._owners.get_lock()
        if not lock.acquire(timeout=LOCK_WAIT):
            return who  # each side does it: never a wait
        try:
            if self._owners[i] == FREE:
                self._owners[i] = who
            return self._owners[i]
        finally:
            lock.release()

    def before(self, key: str) -> None:
        """A claim (or the thread) is about to compute ``key``: a job nobody took is the
        grader's from now on; one the lane took is waited for (its entry is on disk then, or
        the lane failed)."""
        i = self.index.get(key)
        if i is not None and self.take(i, GRADER) != GRADER:
            with self._lock:
                while key not in self._done and not self._ended:
                    self._read_report()

    def _read_report(self) -> None:
        line = self._pipe.readline()
        if not line:
            self._ended = True
            return
        key, _, how = line.rstrip("\n").partition(" ")
        self._done.add(key)
        if how == "trained":
            self.cache.trained_elsewhere(key)
        elif how.startswith("failed "):
            self.errors.append(how.removeprefix("failed "))

    def stop(self) -> None:
        """Kill the lane (the claims are done), reap it, and count what it reported."""
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        with self._lock:
            while not self._ended:
                self._read_report()
            self._pipe.close()

    def _serve(self, me: int, fd: int, flushed: bool, parent: int) -> None:
        """One process of the lane (``me``: its owner number), in the forked child."""
        from checks.grader.denormals import set_denormals_flushed

        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the grader ended before that
            return
        signal.setitimer(signal.ITIMER_REAL, 0)  # a claim's timeout alarm is the grader's
        for number in (signal.SIGALRM, signal.SIGINT):
            signal.signal(number, signal.SIG_DFL)
        warnings.simplefilter("ignore")  # its stderr is the grader's captured output
        set_denormals_flushed(flushed)
        self.cache.lane = None  # the child trains its own jobs without asking itself
        with os.fdopen(fd, "w", buffering=1) as pipe:
            for i, (key, job) in enumerate(self.jobs):
                if self.take(i, me) != me:
                    continue
                try:
                    how = "trained" if job() else "had"
                except Exception as exc:  # the claim that needs it trains it
                    how = "failed " + f"{type(exc).__name__}: {exc}".replace("\n", " ")[:300]
                pipe.write(f"{key} {how}\n")  # one write under PIPE_BUF: never interleaved
