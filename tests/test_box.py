"""The bubblewrap box: what a graded lesson's process can see and reach (issue 15).

A probe lesson reports, through what its function returns, everything a hostile student would
look at; a thief and a vandal are graded beside an honest classmate by ``lessons grade -j 2``.
Skipped where bubblewrap cannot make a box (the fallback is graded by test_sandbox_hostile.py).
"""

from __future__ import annotations

import io
import json
import os
import socket
import time
from pathlib import Path

import pytest

from checks.grader import bulk
from checks.grader.sandbox import box, codec, models
from checks.grader.sandbox.processes import Settings, Zygote, descendants, parents_of_all
from tests._fake_project import ANSWER_LESSON, grade, make_project, write_files
from tests._processes import alive, watching
from tests.test_bulk import commit

pytestmark = pytest.mark.skipif(box.unavailable() is not None, reason=str(box.unavailable()))

PROBE = '''\
import os
import socket


def seen(paths, port):
    """Everything a lesson's process can find out about the machine it runs on."""
    status = open("/proc/self/status").read().splitlines()
    found = {
        "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "interfaces": [name for _, name in socket.if_nameindex()],
        "environment": dict(os.environ),
        "uid": os.getuid(),
        "capabilities": sorted({line.split()[1] for line in status if line.startswith("Cap")}),
        "visible": [path for path in paths if os.path.exists(path)],
        "checks": [],
        "top": sorted(os.listdir("/")),
    }
    for top, folders, files in os.walk("/"):
        if top.startswith(("/proc", "/sys", "/dev")):
            folders[:] = []
            continue
        for name in files:  # a claims module anywhere (the packages have check_*.py of their own)
            if name.endswith(".py") and not top.startswith("/course"):
                try:
                    with open(os.path.join(top, name), errors="replace") as source:
                        if "mark.claim(" in source.read():
                            found["checks"].append(os.path.join(top, name))
                except OSError:
                    pass
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        found["network"] = "reached the grader's port"
    except OSError as exc:
        found["network"] = type(exc).__name__
    try:
        os.kill(1, 9)  # the box's init (the zygote): spared by the kernel, and the box's own
    except OSError:
        pass
    return found
'''

PROBE_CLAIM = """\
import json, os
from pathlib import Path

import pytest


@pytest.mark.claim(points=1)
def test_probe(lesson):
    '''The probe reports what it sees (the test reads it).'''
    project = Path(__file__).resolve().parents[1]
    paths = [str(project), str(project / "checks"), os.environ["HOME"], os.getcwd()]
    found = lesson.seen(paths, int(os.environ["PROBE_PORT"]))
    Path(os.environ["PROBE_OUT"]).write_text(json.dumps(found))
"""


def test_a_lesson_sees_only_its_box(pytester, monkeypatch):
    make_project(pytester.path, {"probe": PROBE}, {"probe": PROBE_CLAIM})
    listener = socket.create_server(("127.0.0.1", 0))  # a service of the grading machine
    out = pytester.path / "seen.json"
    monkeypatch.setenv("PROBE_PORT", str(listener.getsockname()[1]))
    monkeypatch.setenv("PROBE_OUT", str(out))
    monkeypatch.setenv("SECRET_OF_THE_GRADER", "s3cret")
    results_path = pytester.path / "results.json"
    with listener:
        result = pytester.runpytest_subprocess(
            "lessons", "--grade-json", str(results_path), "-p", "no:randomly"
        )
    results = grade(result, results_path)
    assert results["score"] == 1, result.stdout.str()
    assert "in a bubblewrap box" in result.stdout.str()
    seen = json.loads(out.read_text())

    # Its own few processes (the zygote, which is the box's init, and this worker), no interface
    # but lo, and no way to the machine's services.
    assert len(seen["processes"]) <= 4, seen["processes"]
    assert seen["interfaces"] == ["lo"]
    assert seen["network"] in ("ConnectionRefusedError", "TimeoutError", "OSError")
    # None of the project but its lessons: no claims, no worked solutions, no instructor tree.
    assert seen["visible"] == [], seen["visible"]
    assert seen["checks"] == [], seen["checks"]
    assert "checks" not in seen["top"] and "tests" not in seen["top"]
    # Nothing of the grader's environment.
    env = seen["environment"]
    assert "SECRET_OF_THE_GRADER" not in env and "PROBE_OUT" not in env
    assert not any(str(pytester.path) in value for value in env.values()), env
    assert env["HOME"] == "/tmp" and env.get("PWD", "/course") == "/course"
    # Unprivileged: a uid of its own (as root), and no capability left in any set.
    if os.geteuid() == 0:
        header = next(line for line in result.stdout.lines if "in a bubblewrap box" in line)
        assert seen["uid"] == int(header.split("as uid ")[1].split()[0]) > box.BOX_UID_BASE
    assert seen["capabilities"] == ["0000000000000000"]


DOUBLE = '''\
def double(x):
    """Return twice x."""
    # BEGIN SOLUTION
    return 2 * x
    # END SOLUTION
'''

DOUBLE_CLAIM = """\
import pytest


@pytest.mark.claim(points=3)
def test_double_of_two_is_four(lesson):
    '''double(2) is 4.'''
    assert lesson.double(2) == 4
"""

ANSWER_CLAIM = """\
import pytest


@pytest.mark.claim(points=2)
def test_answer_is_42(lesson):
    '''The lesson answers 42.'''
    assert lesson.answer() == 42
"""

# Writes no homework: looks for someone else's double() wherever it can read, runs it if found.
THIEF = """\
import os


def _steal():
    roots = ["/"]
    for pid in os.listdir("/proc"):  # the grader's and classmates' folders, by their cwd or root
        for link in ("cwd", "root"):
            try:
                roots.append(os.readlink(f"/proc/{pid}/{link}"))
            except OSError:
                pass
    for root in roots:
        for top, folders, files in os.walk(root):
            if top.startswith(("/proc", "/sys", "/dev", "/usr")):
                folders[:] = []
                continue
            for name in files:
                path = os.path.join(top, name)
                if name.endswith(".py") and path != __file__:
                    try:
                        text = open(path, errors="replace").read()
                    except OSError:
                        continue
                    if "Return twice x" in text and "NotImplementedError" not in text:
                        space = {}
                        exec(text, space)
                        return space["double"]
    return None


def double(x):
    stolen = _steal()
    if stolen is None:
        raise NotImplementedError("Homework (double): nothing to steal")
    return stolen(x)
"""

# Right answers, plus everything it can do to others: kill every process it sees (but its own
# zygote, which would take its own lesson with it), and leave busy processes behind (a double
# fork out of its worker).
VANDAL = """\
import os, signal, time

for pid in os.listdir("/proc"):
    if pid.isdigit() and int(pid) not in (os.getpid(), os.getppid()):
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
for _ in range(2):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            import ctypes
            ctypes.CDLL(None).prctl(15, b"lessons-vandal", 0, 0, 0)
            while True:
                pass
        os._exit(0)
time.sleep(0.5)  # the test polls every 0.1 s: let it see the loops before this lesson ends


def answer():
    return 42
"""


def test_classmates_graded_at_once_reach_nothing_of_each_other(tmp_path):
    course = make_project(
        tmp_path / "course",
        {"answer": ANSWER_LESSON, "double": DOUBLE},
        {"answer": ANSWER_CLAIM, "double": DOUBLE_CLAIM},
    )
    write_files(course, {"tests/submissions/right/lessons/double.py": DOUBLE})  # worked ones
    commit(course)
    subs, out = tmp_path / "subs", tmp_path / "grades"
    write_files(subs / "honest", {"lessons/answer.py": ANSWER_LESSON, "lessons/double.py": DOUBLE})
    write_files(subs / "thief", {"lessons/answer.py": ANSWER_LESSON, "lessons/double.py": THIEF})
    write_files(subs / "vandal", {"lessons/answer.py": VANDAL})
    log = io.StringIO()
    with watching("lessons-vandal") as vandals:
        rows = bulk.grade_all(subs, out, root=course, jobs=2, timeout=600, stream=log)
    totals = {row.submission: (row.total, row.status) for row in rows}
    assert totals == {
        "honest": (5, "graded"),
        "thief": (2, "graded"),  # found no one's double(): what the release earns for it
        "vandal": (2, "graded"),  # its answer, and double() as released
    }, log.getvalue()
    thief = (out / "thief.json").read_text()
    assert "nothing to steal" in thief, thief
    assert vandals.pids, "the vandal's processes were never seen running"
    assert not any(alive(pid) for pid in vandals.pids), "a vandal's process outlived its lesson"


def test_a_reply_over_the_cap_is_refused_before_it_is_read():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(codec._LENGTH.pack(2**40))
        with pytest.raises(codec.CodecError, match="a reply of 1099511627776 bytes"):
            codec.receive(ours, limit=2**20)


def test_a_message_with_a_huge_data_part_is_refused_before_parsing():
    header = json.dumps({"v": "x" * (codec.MAX_HEADER + 1), "sizes": []}).encode()
    message = memoryview(len(header).to_bytes(4, "big") + header)
    with pytest.raises(codec.CodecError, match="data part"):
        codec.unpack(message)


def test_a_model_over_the_parameter_budget_is_refused_before_any_layer_is_built():
    layer = {"kind": "Linear", "in": 16384, "out": 16384, "bias": True}
    arch = {"kind": "Sequential", "names": ["0", "1"], "layers": [{"kind": "ReLU"}, layer]}
    with pytest.raises(codec.CodecError, match="268,451,840 parameters"):
        models.build(arch, make_remote=None)
    small = {"kind": "Linear", "in": 1, "out": 500, "bias": True}
    assert models.parameters(small) == 1000
    assert models.build(small, make_remote=None).weight.shape == (500, 1)


def test_the_box_holds_no_project_file_but_the_lessons(tmp_path):
    project = make_project(tmp_path / "p", {"answer": ANSWER_LESSON}, {"answer": ANSWER_CLAIM})
    argv = box.command(project, 3, {}, keep_devices=False)
    binds = [argv[i + 1] for i, arg in enumerate(argv) if arg in ("--ro-bind", "--ro-bind-try")]
    inside_project = [b for b in binds if b.startswith(str(project.resolve()))]
    assert inside_project, "the lessons are bound from the project"
    assert all(Path(b).parent == project.resolve() / "lessons" for b in inside_project), binds
    assert "--unshare-net" in argv and "--die-with-parent" in argv and "--clearenv" in argv
    assert os.path.basename(argv[argv.index("--") + 1]).startswith("python")


def test_a_box_asked_nothing_is_stopped_without_waiting_for_its_imports():
    """A run that ends before it asks for any lesson (a usage error, a collection error) stops its
    box without asking the zygote to shut down, which waited out its imports (~2.5 s of every
    such run): no request ever forked a worker. The inner bwrap is killed, the outer one reaps it
    and exits, and nothing of the box lives on."""
    settings = Settings(box=True, box_uid=box.box_uid() if os.geteuid() == 0 else 0)
    zygote = Zygote(settings, str(Path(__file__).resolve().parents[1]))
    zygote.start()
    outer = zygote.process
    namespace: list[int] = []
    for _ in range(500):  # the outer bwrap forks the inner one at once; look until it has
        namespace = descendants(parents_of_all(), outer.pid)
        if namespace or outer.poll() is not None:
            break
        time.sleep(0.01)
    assert namespace, f"the box did not start: {zygote.died_because()}"

    zygote.shutdown()

    assert zygote.asked == 0  # no shutdown request: it would have waited for the imports
    assert outer.returncode not in (None, 0)  # stopped, not ended by a request
    assert not any(alive(pid) for pid in [outer.pid, *namespace])


# Kill every process they may signal: in a box, every process of it but its init (the zygote).
KILLS_ALL = """\
import os, signal


def _kill_all():
    try:
        os.kill(-1, signal.SIGKILL)  # Linux spares the caller
    except OSError:
        pass
"""
KILLS_IN_CALL = (
    KILLS_ALL
    + """

def answer():
    open("/tmp/killed-all", "w").close()  # the box's own /tmp: a fresh box has none
    _kill_all()
    return 42
"""
)
SAME_BOX = """\
import os


def answer():
    return 42 if os.path.exists("/tmp/killed-all") else "a fresh box"
"""
KILLS_AT_IMPORT = KILLS_ALL + "\n\n_kill_all()\n\n\ndef answer():\n    return 42\n"
TWO_CLAIMS = """\
import pytest


@pytest.mark.claim(points=1)
def test_answers_42(lesson):
    '''The lesson answers 42.'''
    assert lesson.answer() == 42


@pytest.mark.claim(points=1)
def test_answers_42_again(lesson):
    '''The lesson still answers 42.'''
    assert lesson.answer() == 42
"""


def test_a_lesson_that_kills_every_process_it_can_ends_no_other_lesson(pytester):
    """kill(-1) from a lesson's process reaches every process of the box the kernel lets it
    signal: the zygote is the box's init (bwrap --as-pid-1), which it may not, so the lessons
    after it are still graded, in the same box (before, the zygote died with its box and every
    later claim of the run failed: "BrokenPipeError"; a fresh box would not do here either)."""
    lessons = {"a_kills": KILLS_IN_CALL, "b_kills_at_import": KILLS_AT_IMPORT, "c": SAME_BOX}
    make_project(pytester.path, lessons, dict.fromkeys(lessons, TWO_CLAIMS))
    path = pytester.path / "results.json"
    result = pytester.runpytest_subprocess(
        "lessons", "--grade-json", str(path), "-p", "no:randomly"
    )
    results = grade(result, path)
    failed = {t["name"]: t["output"] for t in results["tests"] if t["status"] != "passed"}
    assert not failed and results["score"] == 6, (failed, result.stdout.str()[-3000:])


def test_a_box_whose_zygote_died_is_replaced_for_the_next_lesson():
    """Were the zygote to die anyway (killed from outside the box, say), the next lesson's
    process is started in a fresh box, not refused for the rest of the run."""
    settings = Settings(box=True, box_uid=box.box_uid() if os.geteuid() == 0 else 0)
    zygote = Zygote(settings, str(Path(__file__).resolve().parents[1]))
    zygote.start()
    zygote.wait_ready()
    first = zygote.process
    ours, theirs = socket.socketpair()
    try:
        assert not zygote.gone()
        for pid in descendants(parents_of_all(), first.pid):  # the box: its init is the zygote
            os.kill(pid, 9)
        first.wait(timeout=30)
        for _ in range(100):  # the zygote's end of the socket closes as the box goes
            if zygote.gone():
                break
            time.sleep(0.05)
        assert zygote.gone()
        worker = zygote.spawn("polynomial_regression", [theirs.fileno(), 1, 2])
        assert zygote.process is not first and zygote.process.poll() is None
        assert worker > 0 and not zygote.gone()
    finally:
        ours.close()
        theirs.close()
        zygote.shutdown()
