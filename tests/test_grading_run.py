"""``lessons grade``'s sweep of orphans (checks/grader/grading_run.py) never takes a process of a
run still going for an orphan, however fast that run forks."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from checks.grader import grading_run
from checks.grader.sandbox.processes import children_of

# A run that forks short-lived workers as fast as it can for a while, as a box's zygote forks a
# process per lesson, and exits with the number of its workers that something else killed.
FORKS = """\
import os, signal, time
killed, end = 0, time.monotonic() + {seconds}
while time.monotonic() < end:
    pid = os.fork()
    if pid == 0:
        time.sleep(0.002)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    killed += os.WIFSIGNALED(status)
raise SystemExit(min(killed, 100))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_sweep_leaves_the_workers_of_a_running_run_alone(monkeypatch):
    monkeypatch.setattr(grading_run, "SPARED", set(children_of(os.getpid())))
    monkeypatch.setattr(grading_run, "RUNNING", set())
    run = subprocess.Popen([sys.executable, "-c", FORKS.format(seconds=3)])
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    with grading_run._LOCK:
        grading_run.RUNNING.add(run)
    sweeps = 0
    try:
        while run.poll() is None:  # sweep after sweep while the run forks
            grading_run.sweep_orphans()
            sweeps += 1
    finally:
        with grading_run._LOCK:
            grading_run.RUNNING.discard(run)
    assert run.wait() == 0, f"{run.returncode} of the run's workers were killed by a sweep"
    assert sweeps > 10
    deadline = time.monotonic() + 10
    while orphan.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    # A process of no run is still swept away (killed and reaped by the sweep, so Popen reads no
    # status of its own): it would have slept for a minute.
    assert orphan.poll() is not None
