"""A preloaded Python that starts ``lessons grade``'s runs by forking (issue 18).

A grading run is ``python -m pytest lessons --grade-json ...`` in a project copy. Started as a
fresh interpreter, each run spends ~2.5 s of CPU importing torch, matplotlib and pytest's plugins
before it grades anything: on 2 cores grading two at a time, about a quarter of the machine. The
server imports them once (third-party modules only, never this project's: each run imports its
own copy's), freezes that heap (``sandbox.heap.frozen_imports``) and forks one child per run. The child is
what the fresh interpreter was: a session of its own (its process group, killed as one), the log
pipe as stdout and stderr, /dev/null as stdin, no other descriptor, the copy as its working
directory and ``sys.path[0]``, the run's environment; then ``pytest.main`` with the run's
arguments, whose exit code is its own.

The server is single-threaded (a fork of a threaded process can inherit a lock held for good). It
sends a run's pid back at once, and ``lessons grade`` counts it among its runs before any orphan
sweep can see it; it sends the exit status once it has reaped the run. It is no subreaper: what a
run leaves behind still goes to ``lessons grade``, whose sweep kills it (``grading_run``). Where
the server cannot start, or has died, runs start as fresh interpreters, as before.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path

# What a run imports before its first claim, torch and the engine's libraries first; a module
# missing here costs its run the import, nothing else.
PRELOAD = (
    "torch",
    "numpy",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "matplotlib.style",
    "PIL.Image",
    "pytest",  # not its plugins: pytest rewrites their asserts as it loads them, and warns
    # about each one found imported already
)
OURS = ("checks", "lessons", "conftest")  # each run imports these from its own copy
POLL = 0.05  # seconds between looks for finished runs while some are going


class RunServer:
    """``lessons grade``'s handle on the server: start a run, wait for it, stop the server."""

    def __init__(self, process: subprocess.Popen, sock: socket.socket) -> None:
        self.process = process
        self.sock = sock

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    def start(cls, cwd: Path, env: dict[str, str]) -> RunServer | None:
        """A server preloaded in ``cwd`` with ``env``, or None where there cannot be one."""
        if not (hasattr(os, "fork") and hasattr(socket, "send_fds")):
            return None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "checks.grader.run_server", str(theirs.fileno())],
                cwd=cwd,
                env=env,
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
        except OSError:
            ours.close()
            return None
        finally:
            theirs.close()
        if ours.recv(64) != b"ready":  # it could not preload: runs start fresh
            ours.close()
            process.wait()
            return None
        return cls(process, ours)

    def alive(self) -> bool:
        return self.process.poll() is None

    def run(
        self, argv: list[str], cwd: Path, env: dict[str, str], output: int | None = None
    ) -> ForkedRun:
        """Fork a run of ``pytest argv`` in ``cwd``; its output goes to the descriptor
        ``output``, or else comes out of ``run.stdout`` (a pipe)."""
        reader, writer = os.pipe() if output is None else (None, os.dup(output))
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            request = json.dumps({"argv": argv, "cwd": str(cwd), "env": env}).encode()
            socket.send_fds(self.sock, [request], [writer, theirs.fileno()])
            reply = ours.recv(4096)
            if not reply:
                raise OSError("the run server died before it started the run")
        except OSError:
            if reader is not None:
                os.close(reader)
            ours.close()
            raise
        finally:
            os.close(writer)
            theirs.close()
        stdout = os.fdopen(reader, "rb") if reader is not None else None
        return ForkedRun(json.loads(reply)["pid"], stdout, ours)

    def stop(self) -> None:
        self.sock.close()  # the server ends its runs' groups and exits when it reads the end
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class ForkedRun:
    """One run the server forked, with what ``grading_run`` uses of a ``subprocess.Popen``."""

    def __init__(self, pid: int, stdout, sock: socket.socket) -> None:
        self.pid = pid
        self.stdout = stdout
        self._sock = sock
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        """The run's exit code (negative: killed by that signal), as ``Popen.wait`` gives it."""
        if self.returncode is not None:
            return self.returncode
        self._sock.settimeout(timeout)
        try:
            reply = self._sock.recv(4096)
        except TimeoutError:
            raise subprocess.TimeoutExpired(["pytest"], timeout or 0) from None
        # No reply: the server died and cannot say; the run is ended as one killed (its group is
        # killed next by grading_run), so its grade is marked incomplete, never taken as whole.
        status = json.loads(reply)["status"] if reply else signal.SIGKILL
        self.returncode = os.waitstatus_to_exitcode(status)
        self._sock.close()
        return self.returncode


def _serve(sock: socket.socket) -> None:
    runs: dict[int, socket.socket] = {}  # pid -> the socket its status goes back on
    try:
        while True:
            ready, _, _ = select.select([sock], [], [], POLL if runs else None)
            if ready:
                message, fds, _, _ = socket.recv_fds(sock, 1 << 20, 2)
                if not message:
                    return  # lessons grade is done (or gone)
                log, reply = fds
                reply_sock = socket.socket(fileno=reply)
                started, child_started = os.pipe()
                pid = os.fork()
                if pid == 0:
                    _child(json.loads(message), log, child_started)  # never returns
                os.close(log)
                os.close(child_started)
                # Its pid goes back once it leads its own group, as Popen's does: a kill of the
                # group right after must not miss it.
                os.read(started, 1)
                os.close(started)
                reply_sock.send(json.dumps({"pid": pid}).encode())
                runs[pid] = reply_sock
            _reap(runs)
    finally:
        for pid, reply_sock in runs.items():
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            reply_sock.close()


def _reap(runs: dict[int, socket.socket]) -> None:
    for pid in list(runs):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            reply_sock = runs.pop(pid)
            with contextlib.suppress(OSError):
                reply_sock.send(json.dumps({"status": status}).encode())
            reply_sock.close()


def _child(request: dict, log: int, started: int) -> None:
    """Become the run: what ``python -m pytest ...`` in the copy would have been."""
    code = 3  # pytest's "internal error", should anything below fail
    try:
        os.setsid()
        os.write(started, b"s")
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.closerange(3, 2**16)  # the server's socket and every other run's reply socket
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        for name in [m for m in sys.modules if m.split(".")[0] in OURS]:
            del sys.modules[name]  # this server's copy of them; the run imports its own
        sys.path[0] = request["cwd"]  # as `python -m` puts it
        import importlib

        importlib.invalidate_caches()
        import pytest

        sys.argv = ["pytest", *request["argv"]]
        code = pytest.main(request["argv"])
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(int(code))


def main(fd: int) -> None:
    """Preload, say "ready", serve until ``lessons grade`` closes its end."""
    sock = socket.socket(fileno=fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is lessons grade's to handle
    from checks.grader.sandbox.heap import frozen_imports
    from checks.grader.sandbox.processes import thread_count

    with frozen_imports():
        import importlib

        for name in PRELOAD:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
    if (thread_count() or 1) > 1:  # no /proc: nothing to count by, nothing known to start one
        return  # a preload started a thread: forking would not be safe; runs start fresh
    sock.send(b"ready")
    _serve(sock)


if __name__ == "__main__":
    main(int(sys.argv[1]))
