"""``lessons grade``'s run server (checks/grader/run_server.py): a run forked from it is what a
fresh interpreter was, its exit comes back as ``Popen`` gives it, and a dead server costs no
grade: the run starts fresh instead."""

from __future__ import annotations

import json
import os
import signal

import pytest

from checks.grader import grading_run
from checks.grader.run_server import RunServer
from tests._fake_project import ANSWER_CLAIM, ANSWER_LESSON, REPO, make_project, write_files

# What the run sees, written where the test reads it (its output goes to the log pipe).
FACTS = """\
import json, os, sys


def test_facts():
    facts = {
        "session": os.getsid(0) == os.getpid(),
        "path0": sys.path[0],
        "cwd": os.getcwd(),
        "marker": os.environ.get("RUN_MARKER"),
        "threads": os.environ.get("OMP_NUM_THREADS"),
        "ours": sorted(m for m in sys.modules if m.split(".")[0] in ("checks", "lessons")),
        "stdin": os.read(0, 10).decode(),
    }
    with open("facts.json", "w") as handle:
        json.dump(facts, handle)
    print("written to the log")
"""

ARGS = ["-q", "-s", "-p", "no:randomly", "-p", "no:cacheprovider"]


@pytest.fixture(scope="module")
def server():
    started = RunServer.start(REPO, grading_run.environment())
    assert started is not None, "no run server on this machine"
    # As lessons grade spares its own: a grading run in this process (the dead-server test)
    # sweeps every descendant that is no run's, and this server lives across the module's tests
    # (seen in CI: killed by that sweep, the next test's request met a broken pipe).
    grading_run.spare(started.pid)
    yield started
    started.stop()
    grading_run.spare(started.pid, spared=False)


def test_a_forked_run_is_what_a_fresh_interpreter_was(server, tmp_path):
    write_files(tmp_path, {"test_facts.py": FACTS})
    env = grading_run.environment() | {"RUN_MARKER": "this run's"}

    run = server.run([*ARGS, "test_facts.py"], tmp_path, env)
    output = run.stdout.read().decode()

    assert run.wait() == 0, output
    facts = json.loads((tmp_path / "facts.json").read_text())
    assert facts == {
        "session": True,  # its own process group, killed as one
        "path0": str(tmp_path),  # as `python -m pytest` in the copy puts it
        "cwd": str(tmp_path),
        "marker": "this run's",
        "threads": "1",
        "ours": [],  # the server's copy of checks/ and lessons/ is not the run's
        "stdin": "",
    }
    assert "written to the log" in output and "1 passed" in output


def test_exit_codes_and_kills_come_back_as_popen_gives_them(server, tmp_path):
    write_files(tmp_path, {"test_fails.py": "def test_fails():\n    assert False\n"})
    failed = server.run([*ARGS, "test_fails.py"], tmp_path, grading_run.environment())
    failed.stdout.read()
    assert failed.wait() == 1

    write_files(tmp_path, {"test_sleeps.py": "import time\n\ndef test_s():\n    time.sleep(60)\n"})
    sleeping = server.run([*ARGS, "test_sleeps.py"], tmp_path, grading_run.environment())
    os.killpg(sleeping.pid, signal.SIGKILL)  # what grading_run does at the time limit
    assert sleeping.wait() == -signal.SIGKILL


def test_a_run_whose_server_died_starts_fresh_and_is_graded(tmp_path):
    course = make_project(
        tmp_path / "course", {"answer": ANSWER_LESSON}, {"answer": ANSWER_CLAIM.format(points=2)}
    )
    server = RunServer.start(REPO, grading_run.environment())
    assert server is not None
    server.process.kill()
    server.process.wait()
    results = tmp_path / "results.json"

    finished = grading_run.run(course, results, tmp_path / "run.log", timeout=120, server=server)

    assert finished.trouble() is None, (tmp_path / "run.log").read_text()[-2000:]
    assert json.loads(results.read_text())["score"] == 2
