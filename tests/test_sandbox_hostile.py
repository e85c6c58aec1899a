"""Hostile submissions cannot change a grade: each earns what it earns without its hostile part.

One course, graded once with ``--grade-json``: an honest lesson, and the same lesson with one
hostile part each (issue 9's list). Every hostile lesson must score what the honest one scores
(a stub left undone: 2 of 4 points), and the results file must be the grader's.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import _pytest
import pytest

from tests._fake_project import grade, make_project, preload_engine
from tests._processes import alive, watching

HONEST = """\
import os
import torch


def answer():
    return 42


def largest(X):
    raise NotImplementedError("Homework (x): the largest eigenvalue of X")
"""

CHECKS = """\
import pytest
import torch


@pytest.mark.claim(points=1)
def test_answer(lesson):
    '''The lesson answers 42.'''
    assert lesson.answer() == 42


@pytest.mark.claim(points=2)
def test_largest(lesson):
    '''largest(X) is the largest eigenvalue of X.'''
    X = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    assert lesson.largest(X) == float(torch.linalg.eigvalsh(X)[-1])


@pytest.mark.claim(points=1)
def test_answer_again(lesson):
    '''The lesson still answers 42.'''
    assert lesson.answer() == 42
"""

FORGED = {"score": 1000, "execution_time": 0, "output": "forged", "tests": []}
# The names the outliving process and the fork bomb's take (PR_SET_NAME, 15 bytes at most), as
# placeholders: each run of the test puts in names of its own (_course), since under pytest -n
# both parametrizations run at once and each must count only its own processes.
OUTLIVES = "lessons-outlive"
BOMB = "lessons-bomb"
# The results file: from the grader's command line where the lesson shares its process (the
# fallback's fork), else where a student would guess it (a box shows neither).
_GRADE_PATH = (
    'sys.argv[sys.argv.index("--grade-json") + 1] if "--grade-json" in sys.argv '
    'else "../out/results.json"'
)

# The worker's reply socket: the one socket object of the process whose descriptor is open (the
# zygote's, inherited as an object, was closed; the preloaded heap is frozen, so gc lists it first).
OPEN = """\
def _open(o):
    try:
        o.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)
        return True
    except OSError:
        return False
"""

HOSTILE = {
    "atexit_rewrite": f"""\
import atexit, json, sys
atexit.register(lambda: open({_GRADE_PATH}, "w").write(json.dumps({FORGED!r})))
""",
    "patched_reports": """\
import _pytest.reports as reports
_init = reports.TestReport.__init__
def _passed(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.outcome = "passed"
reports.TestReport.__init__ = _passed
""",
    "patched_oracle": """\
import torch
torch.linalg.eigvalsh = lambda A: torch.tensor([0.0, 7.0])
def largest(X):
    return 7.0
""",
    "double_fork": f"""\
import json, os, sys, time
_path = ({_GRADE_PATH})
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        while not os.path.exists(_path):
            time.sleep(0.02)
        time.sleep(0.3)
        open(_path, "w").write(json.dumps({FORGED!r}))
    os._exit(0)
""",
    "poisons_checks": f"""\
import sys, types
# In a box the grader's modules are nowhere (no checks/); in the fallback, a fork's copies.
if "checks.grader.grade_json" in sys.modules:
    sys.modules["checks.grader.grade_json"].results = lambda *a, **k: {FORGED!r}
    sys.modules["checks.grader.scoring"].Scorer.record = lambda self, report: None
sys.modules["checks.validate"] = types.ModuleType("checks.validate")
""",
    "exit_in_call": """\
def largest(X):
    os._exit(3)
""",
    "pickle_bomb": """\
class Evil:
    def __reduce__(self):
        return (os.system, ("touch pwned-by-return",))
def largest(X):
    return Evil()
""",
    "forged_reply": """\
import gc, json, pickle, socket, struct
"""
    + OPEN
    + """class Evil:
    def __reduce__(self):
        return (os.system, ("touch pwned-by-reply",))
def largest(X):
    sock = next(o for o in gc.get_objects() if isinstance(o, socket.socket) and _open(o))
    payload = pickle.dumps(Evil())
    tree = {"ok": {"t": "ndarray", "dtype": "|O", "shape": [1], "b": 0}}
    header = json.dumps({"v": tree, "sizes": [len(payload)]}).encode()
    body = struct.pack("!I", len(header)) + header + payload
    sock.sendall(struct.pack("!Q", len(body)) + body)
    return 7.0
""",
    # Replies that declare more than the grader accepts: refused before anything is allocated.
    "oversized_reply": """\
import gc, socket, struct
"""
    + OPEN
    + """def largest(X):
    sock = next(o for o in gc.get_objects() if isinstance(o, socket.socket) and _open(o))
    sock.sendall(struct.pack("!Q", 2**40))  # "a reply of 1 TiB follows"
    return 7.0
""",
    "huge_model": """\
import gc, json, socket, struct
"""
    + OPEN
    + """def largest(X):
    sock = next(o for o in gc.get_objects() if isinstance(o, socket.socket) and _open(o))
    arch = {"kind": "Linear", "in": 16384, "out": 16384, "bias": True}  # 1 GiB of float32
    tree = {"ok": {"t": "module", "arch": arch, "state": {"t": "dict", "v": []}}}
    header = json.dumps({"v": tree, "sizes": []}).encode()
    body = struct.pack("!I", len(header)) + header
    sock.sendall(struct.pack("!Q", len(body)) + body)
    return 7.0
""",
    "memory_hog": """\
def largest(X):
    return float(torch.ones(2**31).sum())  # 8 GiB, under a 1 GiB limit
""",
    "outlives_run": f"""\
import ctypes, time
if os.fork() == 0:
    ctypes.CDLL(None).prctl(15, {OUTLIVES.encode()!r}, 0, 0, 0)  # PR_SET_NAME: found in /proc
    time.sleep(600)
    os._exit(0)
time.sleep(0.5)  # the test polls /proc every 0.1 s: let it see the fork before its lesson ends
""",
    "floods_output": """\
def largest(X):
    while True:
        print("x" * 2**20)
""",
    "rewrites_tree": """\
import pathlib
import _pytest
_root = pathlib.Path(__file__).resolve().parents[1]
for _target in (
    _root / "checks" / "check_rewrites_tree.py",  # the claims graded next time
    _root / "forged.txt",
    pathlib.Path(_pytest.__file__).parent / "forged.txt",  # the virtual environment
):
    try:
        _target.write_text("raise SystemExit('forged')\\n")
    except OSError:
        pass
""",
    "fork_bomb": f"""\
import ctypes, time
for _ in range(600):  # past the limit (512), not much past
    try:
        if os.fork() == 0:
            ctypes.CDLL(None).prctl(15, {BOMB.encode()!r}, 0, 0, 0)
            time.sleep(600)
            os._exit(0)
    except OSError:  # the process-count limit
        break
""",
}
EXITS_AT_IMPORT = "import os\nos._exit(0)\n"


def _course(outlives: str = OUTLIVES, bomb: str = BOMB) -> dict[str, str]:
    lessons = {"honest": HONEST}
    for name, hostile in HOSTILE.items():
        # The hostile part comes after the honest code, so its definitions win.
        lessons[name] = HONEST + "\n" + hostile.replace(OUTLIVES, outlives).replace(BOMB, bomb)
    lessons["exits_at_import"] = EXITS_AT_IMPORT + HONEST
    return lessons


def _scores(results: dict) -> dict[str, float]:
    scores: dict[str, float] = {}
    for test in results["tests"]:
        lesson = test["name"].split("::", 1)[0]
        scores[lesson] = scores.get(lesson, 0) + test["score"]
    return scores


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the sandbox forks (POSIX)")
@pytest.mark.parametrize("box", ["auto", "off"])  # the bubblewrap box, and the fallback
def test_hostile_submissions_earn_the_honest_grade(pytester, box):
    outlives, bomb = f"lesson-outlive{box[0]}", f"lesson-bomb-{box[0]}"
    lessons = _course(outlives, bomb)
    make_project(pytester.path, lessons, dict.fromkeys(lessons, CHECKS))
    preload_engine(pytester.path)  # the box as it ships; these lessons import torch
    path = pytester.path / "out" / "results.json"
    pristine = (pytester.path / "checks" / "check_rewrites_tree.py").read_text()
    with watching(outlives) as outliving, watching(bomb) as bombs:
        result = pytester.runpytest_subprocess(
            "lessons",
            "--grade-json",
            str(path),
            "--sandbox-memory",
            "1",
            "-p",
            "no:randomly",
            "-o",
            f"sandbox_box={box}",
        )
    time.sleep(1.0)  # what a double fork would need to rewrite the file after pytest exits
    results = grade(result, path)
    out = result.stdout.str()

    scores = _scores(results)
    assert scores.pop("exits_at_import") == 0
    assert scores == dict.fromkeys(scores, 2), scores  # every other lesson: the honest grade
    assert results["score"] == 2 * (len(lessons) - 1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert not list(pytester.path.glob("pwned-*")), "a reply ran code in the grader"

    tests = {test["name"]: test for test in results["tests"]}

    def reason(name: str) -> str:
        return tests[name]["output"].splitlines()[-1]

    assert reason("exits_at_import::test_answer") == (
        "the lesson process exited with code 0 while importing exits_at_import"
    )
    assert reason("exit_in_call::test_largest") == (
        "the lesson process exited with code 3 while running exit_in_call.largest"
    )
    assert tests["exit_in_call::test_answer_again"]["status"] == "passed"  # a fresh worker
    # The crafted object stays in the lesson's process (a handle crosses, never its pickle): the
    # claim compares a handle with a number and fails, and no code ran in the grader (above).
    assert reason("pickle_bomb::test_largest") == "claim does not hold: got Evil(), expected 2.0"
    assert reason("forged_reply::test_largest").startswith(
        "the lesson process sent a reply that cannot be read: an array of dtype object"
    )
    assert reason("oversized_reply::test_largest") == (
        "the lesson process sent a reply that cannot be read: a reply of 1099511627776 bytes, "
        "over the limit of 67108864 (ini sandbox_reply_mib)"
    )
    assert reason("huge_model::test_largest") == (
        "the lesson process sent a reply that cannot be read: "
        "a model of 268,451,840 parameters (the limit is 4,194,304)"
    )
    assert "can't allocate memory" in reason("memory_hog::test_largest")
    # Its output is capped (RLIMIT_FSIZE, 64 MiB): the print fails, in the student's call.
    assert reason("floods_output::test_largest").startswith("OSError: [Errno 27] File too large")
    assert (
        reason("honest::test_largest")
        == "not attempted yet: Homework (x): the largest eigenvalue of X"
    )
    assert tests["honest::test_answer"]["status"] == "passed"
    assert json.loads(path.read_text()) == results  # nothing rewrote the file since
    assert outliving.pids, "the lesson's fork was never seen running"
    assert not any(alive(pid) for pid in outliving.pids), (
        "a process the lesson forked outlived the run"
    )
    assert "Traceback" not in out.split("lesson scores")[-1]
    assert not any(alive(pid) for pid in bombs.pids), "a fork bomb's process outlived the run"
    boxed = "in a bubblewrap box" in out
    if box == "off":
        assert not boxed and "NO box (sandbox_box = off)" in out
    if boxed or "confined (" in out:  # no project in view, or a read-only view of every file
        assert (pytester.path / "checks" / "check_rewrites_tree.py").read_text() == pristine
        assert not (pytester.path / "forged.txt").exists()
        assert not (Path(_pytest.__file__).parent / "forged.txt").exists()
    if "pids cgroup" in out or "cgroup: pids" in out:  # the zygote and its workers: 512 at most
        assert bombs.peak <= 512, f"{bombs.peak} processes of a fork bomb ran at once"
    (Path(_pytest.__file__).parent / "forged.txt").unlink(missing_ok=True)  # not root: ours
