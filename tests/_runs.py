"""``pytest`` in a course copy as its own run: forked from a ``RunServer`` as ``lessons grade``
forks its runs (torch, matplotlib and pytest imported once for the session: ~2.3 s of CPU a run
less), or a fresh interpreter where there is no server."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from checks.grader import grading_run
from checks.grader.run_server import RunServer

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def run_server():
    """What ``lessons grade`` forks its runs from (a run that imports nothing afresh); None where
    there is none, and runs start fresh interpreters."""
    server = RunServer.start(REPO, grading_run.environment())
    if server is not None:  # a grading run in this worker sweeps what is no run's: not this
        grading_run.spare(server.pid)
    yield server
    if server is not None:
        server.stop()
        grading_run.spare(server.pid, spared=False)


def run_pytest(
    args: list[str], cwd: Path, server: RunServer | None, timeout: float
) -> subprocess.CompletedProcess:
    """Run ``pytest args`` in ``cwd``. Forked, its stdout and stderr are one stream (``stdout``;
    ``stderr`` is empty), as in ``lessons grade``'s logs."""
    if server is None:
        return subprocess.run(
            [sys.executable, "-m", "pytest", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    with tempfile.TemporaryFile() as log:
        forked = server.run(args, cwd, grading_run.environment(), log.fileno())
        try:
            code = forked.wait(timeout=timeout)
        finally:
            with contextlib.suppress(OSError):  # its group, as lessons grade ends a run
                os.killpg(forked.pid, signal.SIGKILL)
            forked.wait()
        log.seek(0)
        output = log.read().decode(errors="replace")
    return subprocess.CompletedProcess(["pytest", *args], code, output, "")
