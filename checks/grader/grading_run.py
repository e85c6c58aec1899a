"""One grading run: ``python -m pytest lessons --grade-json ...`` in a project copy, fenced in.

The run gets its own process group (a new session), so a hang is ended by killing the whole
group at the wall-clock limit, children included, and the group is killed after a normal exit
too (a process the student's code left behind dies with it). The sandbox's processes are in
groups of their own, and a student's process may leave its group (setsid): so ``lessons grade``
is a child subreaper (Linux), every orphan of a run comes to it, and after each run every
process that is not part of a run still going is killed (``sweep_orphans``). Its output goes to a log capped at
``HEAD + TAIL`` bytes: the first part and the last part (pytest's summary) are kept, a flood in
between is counted and dropped, and the pipe is always drained so the run never blocks on it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from checks.grader.run_server import ForkedRun, RunServer
from checks.grader.sandbox.processes import (
    PR_SET_CHILD_SUBREAPER,
    children_of,
    descendants,
    parents_of_all,
    prctl,
)

HEAD = 256 * 1024
TAIL = 64 * 1024
# Spin-waiting OpenMP threads make a 2-core machine grading two submissions ~100x slower.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# The instructor's shell must not change how a submission is graded.
UNSET = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")
EXIT_CODES = {
    2: "interrupted",
    3: "internal error",
    4: "usage error",
    5: "no claims collected",
}


@dataclass(frozen=True)
class Finished:
    """How a grading run ended."""

    returncode: int | None  # None when it was killed at the time limit
    seconds: float
    timeout: float

    def trouble(self) -> str | None:
        """Why the run's grade is not to be trusted as it is, or None."""
        if self.returncode is None:
            return f"timed out after {self.timeout:g} s"
        if self.returncode < 0:
            return f"pytest was killed by signal {-self.returncode}"
        if self.returncode in (0, 1):  # claims passed / some failed: the grade is whole
            return None
        meaning = EXIT_CODES.get(self.returncode)
        return f"pytest exited with code {self.returncode}" + (f" ({meaning})" if meaning else "")


def pytest_args(results: Path | None, fit_cache: Path | None = None) -> list[str]:
    """pytest's arguments for a run: the student's command, in file order, writing the grade
    (none without ``results``); with ``fit_cache``, the grader's fits are kept there across runs
    (none without it)."""
    return [
        "lessons",
        *("-p", "no:randomly", "-p", "no:cacheprovider", "--color=no"),
        *(("--grade-json", str(results)) if results is not None else ()),
        *(("--fit-cache", str(fit_cache)) if fit_cache is not None else ()),
    ]


def command(results: Path, fit_cache: Path | None = None) -> list[str]:
    """The grading command, as a fresh interpreter runs it."""
    return [sys.executable, "-m", "pytest", *pytest_args(results, fit_cache)]


def environment() -> dict[str, str]:
    """A run's environment: ours, less what would change how it grades, one thread."""
    return {k: v for k, v in os.environ.items() if k not in UNSET} | ONE_THREAD


class CappedLog:
    """Writes the first ``head`` bytes it is given, keeps the last ``tail``, counts the rest."""

    def __init__(self, path: Path, head: int = HEAD, tail: int = TAIL) -> None:
        self._file = path.open("wb")
        self._room, self._tail_max = head, tail
        self._tail = bytearray()
        self._beyond = 0  # bytes past the head

    def write(self, chunk: bytes) -> None:
        if self._file.closed:  # a straggler's output after the run was written up
            return
        kept = chunk[: self._room]
        self._file.write(kept)
        self._room -= len(kept)
        rest = chunk[len(kept) :]
        self._beyond += len(rest)
        self._tail += rest
        if len(self._tail) > 2 * self._tail_max:  # trim now and then, not on every chunk
            del self._tail[: len(self._tail) - self._tail_max]

    def close(self, note: str = "") -> None:
        tail = bytes(self._tail[len(self._tail) - self._tail_max :] if self._tail_max else b"")
        dropped = self._beyond - len(tail)
        if dropped:
            self._file.write(f"\n[... {dropped} bytes of output left out ...]\n".encode())
        self._file.write(tail)
        if note:
            self._file.write(f"\n[lessons grade] {note}\n".encode())
        self._file.close()


def _drain(stream, log: CappedLog) -> None:
    for chunk in iter(lambda: stream.read1(65536), b""):
        log.write(chunk)


def _kill_group(process: subprocess.Popen | ForkedRun) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone already
        os.killpg(process.pid, signal.SIGKILL)


# Runs in progress, so that an interrupted `lessons grade` (Ctrl-C) can end them all.
RUNNING: set[subprocess.Popen | ForkedRun] = set()
SPARED: set[int] = set()  # processes we had before grading: not left behind by a run
_LOCK = threading.Lock()


def kill_running() -> None:
    """Kill the process group of every grading run in progress."""
    with _LOCK:
        for process in RUNNING:
            _kill_group(process)


def adopt_orphans() -> bool:
    """Make this process a child subreaper: what a run leaves behind comes here (Linux only).

    Processes this one had already (a test's own helpers) are no run's and are spared.
    """
    with _LOCK:
        SPARED.update(children_of(os.getpid()))
    return prctl(PR_SET_CHILD_SUBREAPER, 1)


def spare(pid: int, spared: bool = True) -> None:
    """Keep ``pid`` (our run server) out of every sweep, or no longer (``spared=False``, once it
    has ended: its number may be another process's later). Its runs are swept as any run's."""
    with _LOCK:
        if spared:
            SPARED.add(pid)
        else:
            SPARED.discard(pid)


def sweep_orphans() -> None:
    """Kill and reap every descendant of this process that belongs to no run still going.

    Runs are started under the lock, so a run being started is never taken for an orphan. An
    orphan's own children come to us when it dies: the sweep goes on until none is left.
    """
    me = os.getpid()
    for _ in range(100):
        with _LOCK:
            # One reading of /proc for both: read twice, a worker a running run forked between
            # the readings was in ours and not in its run's, and was killed as an orphan (seen:
            # a -j 3 run's lesson process SIGKILLed mid-claim when another run ended).
            parents = parents_of_all()
            keep = set(SPARED)
            for process in RUNNING:
                keep |= {process.pid, *descendants(parents, process.pid)}
            orphans = [pid for pid in descendants(parents, me) if pid not in keep]
            for pid in orphans:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        if not orphans:
            return
        for pid in orphans:  # only our own children can be reaped; the others come to us
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG if _parent_of(pid) != me else 0)
        time.sleep(0.01)


def _start(
    work: Path, results: Path, fit_cache: Path | None, server: RunServer | None
) -> subprocess.Popen | ForkedRun:
    env = environment()
    if server is not None and server.alive():
        with contextlib.suppress(OSError):  # it died: this run starts fresh, as do the next
            return server.run(pytest_args(results, fit_cache), work, env)
    return subprocess.Popen(
        command(results, fit_cache),
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: killed as one
    )


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return int(stat.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def run(
    work: Path,
    results: Path,
    log_path: Path,
    *,
    timeout: float,
    fit_cache: Path | None = None,
    server: RunServer | None = None,
) -> Finished:
    """Grade the project copy at ``work`` into ``results``; its output goes to ``log_path``.
    With a live ``server`` the run is forked from it, else started as a fresh interpreter."""
    log = CappedLog(log_path)
    started = time.monotonic()
    with _LOCK:  # a sweep never sees this run half-started
        process = _start(work, results, fit_cache, server)
        RUNNING.add(process)
    reader = threading.Thread(target=_drain, args=(process.stdout, log), daemon=True)
    reader.start()
    try:
        returncode: int | None = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        returncode = None
    finally:
        _kill_group(process)
        process.wait()
        with _LOCK:
            RUNNING.discard(process)
        sweep_orphans()  # the sandbox's processes, and any that left the group
    # A process that left the group (setsid) may hold the pipe open: do not wait on it forever.
    reader.join(timeout=5)
    finished = Finished(returncode, time.monotonic() - started, timeout)
    log.close(finished.trouble() or f"pytest exited with code {returncode}")
    return finished
