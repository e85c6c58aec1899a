"""A light box (ini ``sandbox_preload = none``): nothing loaded before a lesson's process is forked,
torch set up the moment a lesson or a received tensor imports it (on_import.py, design J)."""

from __future__ import annotations

import sys

import pytest

from checks.grader.sandbox import box
from checks.grader.sandbox.on_import import when_imported

LIGHT = ("-o", "sandbox_preload=none")

PLAIN = '''\
import sys


def loaded():
    """Which of the heavy modules this process has, without importing any."""
    return sorted(name for name in ("torch", "numpy", "matplotlib") if name in sys.modules)


def double(x):
    return x * 2


def torch_state():
    torch = sys.modules["torch"]
    return _state(torch)


def _state(torch):
    tiny = torch.tensor([1e-39], dtype=torch.float32)  # a float32 denormal
    return {
        "threads": torch.get_num_threads(),
        "flushed": (tiny * 1.0).item() == 0.0,
        "dynamo": type(sys.modules.get("torch._dynamo")).__name__,
    }
'''

WITH_TORCH = '''\
import sys

import torch

STATE_AT_IMPORT = (torch.get_num_threads(), (torch.tensor([1e-39]) * 1.0).item() == 0.0)


def at_import():
    return list(STATE_AT_IMPORT)


def loaded():
    return sorted(name for name in ("torch", "numpy", "matplotlib") if name in sys.modules)


def trained():
    """One optimizer step: eager mode never imports the real torch._dynamo."""
    weight = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=0.1)
    (2 * weight).sum().backward()
    optimizer.step()
    return weight.detach(), type(sys.modules["torch._dynamo"]).__name__
'''

CLAIMS_PLAIN = '''\
import torch
import pytest

EXPECTED = {expected!r}


@pytest.mark.claim(points=1)
def test_nothing_heavy_loaded(lesson):
    """The lesson's process loaded only what the lesson did."""
    assert lesson.loaded() == EXPECTED


@pytest.mark.claim(points=1)
def test_a_tensor_sent_in_imports_torch_there_set_up(lesson):
    """A tensor the grader sends is decoded (torch imported then) and sent back."""
    assert torch.equal(lesson.double(torch.ones(3)), torch.full((3,), 2.0))
    state = lesson.torch_state()
    assert state == {{"threads": 3, "flushed": True, "dynamo": "LazyDynamo"}}, state
'''

CLAIMS_TORCH = '''\
import torch
import pytest


@pytest.mark.claim(points=1)
def test_torch_set_up_before_the_lessons_own_code(lesson):
    """The lesson's import of torch came back with the run's threads and denormal setting."""
    assert lesson.at_import() == [3, True]


@pytest.mark.claim(points=1)
def test_training_keeps_the_lazy_dynamo(lesson):
    """An optimizer step works, on the stand-in torch._dynamo."""
    weight, dynamo = lesson.trained()
    assert torch.equal(weight, torch.tensor([-0.2])) and dynamo == "LazyDynamo"
'''


@pytest.mark.parametrize(
    ("preload", "expected"), [("none", []), ("engine", ["matplotlib", "numpy", "torch"])]
)
def test_a_light_box_loads_nothing_a_lesson_does_not(project, preload, expected):
    if box.unavailable():
        pytest.skip(box.unavailable())
    project.lesson("plain", PLAIN)
    project.checks("plain", CLAIMS_PLAIN.format(expected=expected))

    result = project.run("lessons", "-o", f"sandbox_preload={preload}", "--torch-threads=3")

    result.assert_outcomes(passed=2)


def test_a_light_box_sets_torch_up_inside_the_lessons_import(project):
    if box.unavailable():
        pytest.skip(box.unavailable())
    project.lesson("uses_torch", WITH_TORCH)
    project.checks("uses_torch", CLAIMS_TORCH)

    result = project.run("lessons", *LIGHT, "--torch-threads=3")

    result.assert_outcomes(passed=2)


def test_an_unknown_preload_is_a_usage_error(project):
    project.passing("alpha")

    result = project.run("lessons", "-o", "sandbox_preload=some")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ERROR: ini sandbox_preload must be engine or none, got 'some'" in result.stderr.lines


def test_when_imported_runs_after_the_modules_code_and_once(tmp_path, monkeypatch):
    (tmp_path / "watched_module_x.py").write_text("VALUE = 41\n")
    monkeypatch.syspath_prepend(tmp_path)
    monkeypatch.delitem(sys.modules, "watched_module_x", raising=False)
    seen = []
    when_imported("watched_module_x", lambda module: seen.append(module.VALUE))
    assert seen == []

    import watched_module_x  # noqa: F401 (imported for the hook)

    assert seen == [41]
    when_imported("watched_module_x", lambda module: seen.append(module.VALUE + 1))  # loaded: now
    assert seen == [41, 42]
    monkeypatch.delitem(sys.modules, "watched_module_x")
