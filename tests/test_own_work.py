"""The course's training loop refuses to be linear_model's homework (lessons/_own_work.py).

``lessons.fit`` must stay in every lesson's reach, so it cannot be taken away from the one lesson
whose homework is the loop itself; instead it refuses to run while linear_model's ``train`` (or
any code of that file) is running, however it was reached. The end-to-end cases, graded as a
submission, are tests/submissions/hostile_*; these are the same ways in, one by one, in-process.
"""

from __future__ import annotations

import concurrent.futures
import functools
import importlib
import sys

import pytest
import torch

from lessons import fit, linear_model

REFUSAL = "train must be your own code: it ran the course's training loop"


def _problem():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        x = torch.randn(20, 1)
        return torch.nn.Linear(1, 1), x, 3 * x + 1


def _call_train():
    model, X, y = _problem()
    return linear_model.train(model, X, y, lr=0.1, epochs=5)


def _wrapper(model, X, y, *, lr, epochs):  # defined here, not in the lesson's file
    return fit(model, X, y, lr=lr, epochs=epochs).losses.tolist()


def _via_importlib(model, X, y, *, lr, epochs):
    return importlib.import_module("lessons._train").fit(model, X, y, lr=lr, epochs=epochs).losses


def _via_sys_modules(model, X, y, *, lr, epochs):
    losses, _ = sys.modules["lessons._fast"].train(model, X, y, lr=lr, epochs=epochs)
    return losses


def _via_thread_pool(model, X, y, *, lr, epochs):
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fit, model, X, y, lr=lr, epochs=epochs).result().losses


def _exec_in_fresh_globals():
    namespace = {}
    exec(
        "from lessons import fit\n"
        "def train(model, X, y, *, lr, epochs):\n"
        "    return fit(model, X, y, lr=lr, epochs=epochs).losses\n",
        namespace,
    )
    return namespace["train"]


HOSTILE = {
    "wrapper": _wrapper,
    "lambda": lambda model, X, y, *, lr, epochs: fit(model, X, y, lr=lr, epochs=epochs).losses,
    "partial of a wrapper": functools.partial(_wrapper),
    "importlib": _via_importlib,
    "sys.modules, the fast loop": _via_sys_modules,
    "a thread pool": _via_thread_pool,
    "exec with fresh globals": _exec_in_fresh_globals(),
    "an alias of the fast loop": sys.modules["lessons._fast"].train,
}


@pytest.mark.parametrize("way", HOSTILE)
def test_fit_refuses_to_run_inside_the_training_loop_homework(way, monkeypatch):
    monkeypatch.setattr(linear_model, "train", HOSTILE[way])
    with pytest.raises(RuntimeError, match=REFUSAL):
        _call_train()


def test_a_helper_defined_in_the_lessons_file_is_refused_too(monkeypatch):
    """Code whose globals are the lesson's (a helper of the file) counts as the homework."""
    helper = type(_wrapper)(_wrapper.__code__, vars(linear_model), "helper")
    monkeypatch.setattr(linear_model, "train", lambda *a, **k: [0.0])  # train itself is innocent
    model, X, y = _problem()
    with pytest.raises(RuntimeError, match=REFUSAL):
        helper(model, X, y, lr=0.1, epochs=5)


def test_an_alias_of_fit_is_left_to_the_claims(monkeypatch):
    """``train = fit`` runs (the grader's own fit calls look the same from inside) and returns a
    FitResult, which the claims refuse in one line (checks/compare.py)."""
    from checks.compare import expect_losses

    monkeypatch.setattr(linear_model, "train", fit)
    returned = _call_train()
    with pytest.raises(
        pytest.fail.Exception, match="train must be your own code: it returned a FitResult"
    ):
        expect_losses(returned, epochs=5, name="train")


def test_the_students_own_loop_and_everyone_elses_fit_run():
    """The instructor's train (the lecture's loop) runs; fit runs outside the homework, also on
    another thread, and gives the same losses."""
    losses = _call_train()
    model, X, y = _problem()
    assert torch.allclose(torch.tensor(losses), fit(model, X, y, lr=0.1, epochs=5).losses)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        model, X, y = _problem()
        assert pool.submit(fit, model, X, y, lr=0.1, epochs=5).result().epochs == 5
