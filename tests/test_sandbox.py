"""The sandbox's boundary: what crosses (and how it reads in a claim), what is refused, and that
the grader's process never imports a lesson."""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from checks.grader.sandbox import codec
from checks.grader.sandbox.client import SandboxError, lesson_exception
from checks.grader.sandbox.hooks import _runs_claims
from checks.grader.sandbox.processes import Settings, Zygote, apply_limits

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the sandbox forks (POSIX)")

FEATURES = '''\
from collections import OrderedDict
from dataclasses import dataclass

import torch
from matplotlib.figure import Figure

from lessons._train import fit

WIDTHS = (1, 2)


class Steep(torch.nn.Module):
    """A student's own activation: its forward must run as the student wrote it."""

    def forward(self, x):
        return torch.sigmoid(50 * x)


def build_model(width=2, seed=1):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(1, width), Steep(), torch.nn.Linear(width, 1))


def named_model():
    layers = [("hidden", torch.nn.Linear(1, 3)), ("act", torch.nn.ReLU())]
    return torch.nn.Sequential(OrderedDict([*layers, ("out", torch.nn.Linear(3, 1))]))


def loss_with_gradients(model, X, y):
    loss = ((model(X) - y) ** 2).mean()
    loss.backward()  # leaves .grad behind: part of what the call did
    return float(loss)


@dataclass(frozen=True)
class Sweep:
    widths: tuple
    losses: torch.Tensor

    def mean(self):
        return self.losses.double().mean(1).tolist()


def sweep():
    return Sweep(WIDTHS, torch.arange(6.0).reshape(2, 3))


def centre(X):
    X -= X.mean()
    return X


def plot(values):
    figure = Figure()
    figure.subplots().plot(values)
    return figure


def generator():
    yield 1


def fails():
    class Custom(Exception):
        pass

    raise Custom("a student's own error")
'''

FEATURE_CHECKS = '''\
import pytest
import torch

from checks.grader.sandbox.values import RenderedFigure
from lessons._train import FitResult


@pytest.mark.claim(points=1)
def test_models_cross_and_train_in_place(lesson):
    """A model is a real module here; fit trains it in the worker and the weights come back."""
    model = lesson.build_model(2, seed=1)
    assert isinstance(model, torch.nn.Sequential) and isinstance(model[1], torch.nn.Module)
    X = torch.linspace(-1, 1, 20).reshape(20, 1)
    y = (X > 0).float()
    before = model[0].weight.detach().clone()
    with torch.no_grad():
        expected = model[2](torch.sigmoid(50 * model[0](X)))
        assert torch.equal(model(X), expected)  # the student's layer, evaluated in the worker
    result = lesson.fit(model, X, y, lr=0.1, epochs=5)
    assert type(result) is FitResult and result.losses.shape == (5,)
    assert result.model is model  # the same object, as in one process
    assert not torch.equal(model[0].weight, before)  # trained in place, synced back
    again = lesson.fit(model, X, y, lr=0.1, epochs=5)  # the worker trains its own object on
    assert again.losses[0] < result.losses[0]
    named = lesson.named_model()  # a student may name the layers: they cross by name
    assert [name for name, _ in named.named_children()] == ["hidden", "act", "out"]
    assert named[0] is named.hidden and named.out.weight.shape == (1, 3)
    assert named[0].weight.grad is None
    lesson.loss_with_gradients(named, X, y)
    assert named[0].weight.grad is not None  # gradients come back with the weights


@pytest.mark.claim(points=1)
def test_records_constants_and_figures(lesson):
    """Fields are data, methods run in the worker, figures come back as PNG bytes."""
    sweep = lesson.sweep()
    assert sweep.widths == (1, 2) and sweep.mean() == [1.0, 4.0]
    assert lesson.WIDTHS == (1, 2) and lesson.__name__ == "lessons.features"
    figure = lesson.plot([1.0, 2.0])
    assert isinstance(figure, RenderedFigure) and figure.png.startswith(bytes([137]) + b"PNG")


@pytest.mark.claim(points=1)
def test_in_place_edits_reach_the_grader(lesson):
    """A tensor argument the lesson edits in place is edited here too (as in one process)."""
    X = torch.tensor([1.0, 2.0, 3.0])
    assert lesson.centre(X).tolist() == [-1.0, 0.0, 1.0]
    assert X.tolist() == [-1.0, 0.0, 1.0]


@pytest.mark.claim(points=1)
def test_generator(lesson):
    """Refused: a generator does not cross."""
    lesson.generator()


@pytest.mark.claim(points=1)
def test_custom_error(lesson):
    """A student's own exception type becomes a generic error naming it."""
    lesson.fails()


@pytest.mark.claim(points=1)
def test_missing(lesson):
    """A missing name reads as in one process."""
    lesson.no_such_function()
'''


def test_what_crosses_reads_as_in_one_process(project):
    project.lesson("features", FEATURES)
    project.checks("features", FEATURE_CHECKS)
    result = project.run("lessons", "-q")
    out = result.stdout.str()
    result.assert_outcomes(passed=3, failed=3)
    assert (
        "-> features.generator returned a generator (builtins.generator), which cannot leave" in out
    )
    assert "-> Custom: a student's own error (at features.py:67 in fails)" in out
    assert "-> lessons.features has no 'no_such_function': was it renamed or deleted?" in out
    # The grader's process imported no lesson module: only the package and the engine.
    lessons = [m for m in sys.modules if m.startswith("lessons.") and not m[8:].startswith("_")]
    assert lessons == []


def test_no_sandbox_is_refused_with_grade_json(project):
    project.passing("one")
    result = project.run("lessons", "--no-sandbox", "--grade-json", "out.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--no-sandbox with --grade-json" in result.stderr.str()
    assert project.run("lessons", "--no-sandbox").ret == pytest.ExitCode.OK


def _round_trip(value):
    encoder = codec.Encoder()
    chunks = codec.pack(encoder.encode(value), encoder.buffers)
    tree, buffers = codec.unpack(memoryview(b"".join(chunks)))
    return codec.Decoder(buffers).decode(tree)


def test_data_round_trips():
    value = {
        "n": [1, 2.5, float("inf"), None, True, "x", b"\x00\x01"],
        (1, 2): (torch.arange(6.0).reshape(2, 3), torch.zeros(0, dtype=torch.int64)),
        3: range(2, 9, 3),
        "a": np.arange(4, dtype=np.int16),
        "d": [torch.float64, torch.device("cpu"), torch.tensor(True)],
    }
    back = _round_trip(value)
    assert back.keys() == value.keys() and back["n"] == value["n"] and back[3] == value[3]
    assert torch.equal(back[(1, 2)][0], value[(1, 2)][0]) and back[(1, 2)][1].shape == (0,)
    assert back["a"].dtype == np.int16 and back["a"].tolist() == [0, 1, 2, 3]
    assert back["d"][:2] == value["d"][:2] and bool(back["d"][2])
    assert torch.isnan(_round_trip(torch.tensor([float("nan")])))[0]


def test_container_subclasses_cross_as_plain_containers():
    """A namedtuple, torch.Size or OrderedDict a student returns is data: its items cross."""
    from collections import OrderedDict, namedtuple

    pair = namedtuple("Pair", "left right")(1.0, 2.0)
    back = _round_trip([pair, torch.zeros(2, 3).shape, OrderedDict(a=np.float32(0.5))])
    assert back == [(1.0, 2.0), (2, 3), {"a": 0.5}]
    assert type(back[0]) is tuple and type(back[2]) is dict


def _crafted(tree, buffers=()) -> memoryview:
    header = json.dumps({"v": tree, "sizes": [len(b) for b in buffers]}).encode()
    return memoryview(struct.pack("!I", len(header)) + header + b"".join(buffers))


@pytest.mark.parametrize(
    ("tree", "buffers", "refused"),
    [
        ({"t": "ndarray", "dtype": "|O", "shape": [1], "b": 0}, [b"x" * 8], "dtype object"),
        (
            {"t": "tensor", "dtype": "float32", "shape": [4], "device": "cpu", "b": 0},
            [b"x"],
            "1 bytes",
        ),
        ({"t": "tensor", "dtype": "object", "shape": [], "device": "cpu", "b": 0}, [b""], "dtype"),
        ({"t": "pickle", "v": "gASV"}, [], "unknown kind"),
        ({"t": "bytes", "b": 5}, [], "buffer index"),
        ({"t": "list", "v": [{"t": "list", "v": []}]}, [], None),
    ],
)
def test_crafted_messages_are_refused_not_run(tree, buffers, refused):
    tree_, buffers_ = codec.unpack(_crafted(tree, buffers))
    if refused is None:
        assert codec.Decoder(buffers_).decode(tree_) == [[]]
        return
    with pytest.raises(codec.CodecError, match=refused):
        codec.Decoder(buffers_).decode(tree_)


def test_nesting_is_bounded():
    deep = []
    for _ in range(codec.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(codec.CodecError, match="nested"):
        codec.Encoder().encode(deep)


def test_student_exceptions_keep_their_builtin_type():
    error = {"type": "NotImplementedError", "builtin": True, "message": "Homework (x): do it"}
    exc = lesson_exception({**error, "where": " (at x.py:3 in f)"})
    assert type(exc) is NotImplementedError and str(exc) == "Homework (x): do it"
    assert exc.lesson_where == " (at x.py:3 in f)"
    assert type(lesson_exception({**error, "type": "SystemExit"})) is not SystemExit
    assert isinstance(lesson_exception({"refused": "no"}), SandboxError)


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping privileges needs root")
def test_a_dropped_worker_cannot_write_what_root_owns(tmp_path):
    target = tmp_path / "results.json"
    target.write_text("{}")
    os.chmod(tmp_path, 0o755)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            apply_limits(Settings(user="nobody", max_processes=64, memory_gib=1))
            try:
                target.write_text("forged")
            except PermissionError:
                code = 0 if os.getuid() != 0 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0 and target.read_text() == "{}"


def test_a_request_cut_short_leaves_no_reply_for_the_next():
    """A claim's timeout fired while the grader waited on the zygote: that late reply must not
    answer the next request (seen in CI, with a zygote still importing: every later claim
    failed with "KeyError: 'pid'"). Here the zygote is busy waiting out a worker's grace."""

    def cut_short(*_):
        raise TimeoutError

    zygote = Zygote(Settings())
    zygote.start()
    ours, theirs = socket.socketpair()
    previous = signal.signal(signal.SIGALRM, cut_short)
    try:
        worker = zygote.spawn("polynomial_regression", [theirs.fileno(), 1, 2])
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(TimeoutError):
            zygote.wait(worker, grace=1.0)  # answered in 1 s, after the worker is killed
        # Its own reply (no such child: status 0), not the late one (the worker's SIGKILL).
        assert zygote.wait(2**22 + 1, grace=0) == 0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        ours.close()
        theirs.close()
        zygote.shutdown()


@pytest.mark.parametrize(
    "option", ["collectonly", "claims", "help", "markers", "showfixtures", "show_fixtures_per_test"]
)
def test_runs_that_only_print_start_no_box(option):
    """``pytest --help``, ``--markers``, ``--fixtures``, ``--co`` and ``--claims`` run no claim:
    no box is started for them (it took ~4 s of CPU)."""
    config = SimpleNamespace(option=SimpleNamespace(dist="no"))
    assert _runs_claims(config)
    setattr(config.option, option, True)
    assert not _runs_claims(config)
