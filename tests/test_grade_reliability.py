"""The same submission gets the same grade: serial or ``-n 2``, any test order, 1 or 2 threads.

A tiny course (a real torch fit, a partial-credit claim over seeds, a homework stub, a lesson that
edits shared data in place) is graded four ways; every claim's status, score and reason must match.
The same comparison on the real ``pytest lessons`` is in README "Grading many submissions".
"""

from __future__ import annotations

import pytest

from tests._fake_project import grade, make_project

LINE = """\
import torch


def make_data(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(100, 1, generator=g)
    return x, 2.5 + 4 * x + torch.randn(100, 1, generator=g)


def fit(X, y, *, epochs, seed=1):
    g = torch.Generator().manual_seed(seed)
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.copy_(torch.randn(1, 1, generator=g))
        model.bias.copy_(torch.randn(1, generator=g))
    losses = []
    for _ in range(epochs):  # SGD by hand: torch.optim's first use costs ~1.5 s of imports
        loss = torch.nn.functional.mse_loss(model(X), y)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad
                p.grad = None
        losses.append(loss.detach())
    return torch.stack(losses)


def centre(X):
    X -= X.mean()  # edits its argument in place
    return X
"""

LINE_CHECKS = """\
import pytest
import torch

from checks.validate import private_copy


@pytest.fixture(scope="module")
def shared(lesson):
    return lesson.make_data()


@pytest.fixture
def data(shared):
    with private_copy(shared, what="the data") as copy:
        yield copy


@pytest.fixture(scope="module")
def losses(lesson, shared):
    return lesson.fit(*shared, epochs=200)


@pytest.mark.claim(points=2)
def test_fit_converges(losses):
    '''The loss ends near the noise variance 1.'''
    assert 0.5 < float(losses[-1]) < 1.5


@pytest.mark.claim(points=1)
def test_loss_falls(losses):
    '''The loss falls at every epoch.'''
    assert bool((losses[1:] <= losses[:-1]).all())


@pytest.mark.claim(points=1)
def test_fit_is_exact(losses):
    '''The loss reaches 0 (it cannot: the data is noisy).'''
    assert float(losses[-1]) == 0.0


@pytest.mark.claim(points=4, partial=True)
def test_short_fits_converge_for_every_seed(lesson, data, partial_credit):
    '''After 8 epochs the loss is below 1.5 for each of 8 initial seeds (partial credit).'''
    right = [float(lesson.fit(*data, epochs=8, seed=s)[-1]) < 1.5 for s in range(8)]
    partial_credit(sum(right) / len(right))
    assert all(right), f"{sum(right)} of {len(right)} seeds"


@pytest.mark.claim(points=1)
def test_centre_is_centred(lesson, data):
    '''centre(X) has mean 0.'''
    assert abs(float(lesson.centre(data[0]).mean())) < 1e-6


@pytest.mark.claim(points=1)
def test_data_has_the_true_slope(data):
    '''The data's least-squares slope is near 4.'''
    X, y = data
    A = torch.cat([X, torch.ones_like(X)], dim=1)
    assert abs(float(torch.linalg.lstsq(A, y).solution[0, 0]) - 4) < 0.5
"""

STUB = """\
def solve():
    raise NotImplementedError("Homework (stub): solve it")
"""

STUB_CHECKS = """\
import pytest


@pytest.mark.claim(points=2)
def test_solves(lesson):
    '''solve() returns 1.'''
    assert lesson.solve() == 1
"""

RUNS = {  # three serial runs (one in file order, two shuffled), one on 2 threads, one on -n 2
    "serial, file order": ["-p", "no:randomly"],
    "serial, random order (seed 1)": ["-p", "randomly", "--randomly-seed=1"],
    "serial, random order (seed 2), 2 torch threads": [
        "-p",
        "randomly",
        "--randomly-seed=2",
        "--torch-threads=2",
    ],
    "-n 2, random order (seed 3)": ["-p", "randomly", "--randomly-seed=3", "-n", "2"],
}


def test_the_grade_is_the_same_however_the_course_runs(pytester):
    make_project(
        pytester.path, {"line": LINE, "stub": STUB}, {"line": LINE_CHECKS, "stub": STUB_CHECKS}
    )
    grades = {}
    for run, options in RUNS.items():
        path = pytester.path / f"{len(grades)}.json"
        result = pytester.runpytest_subprocess("lessons", "--grade-json", str(path), *options)
        assert result.ret == pytest.ExitCode.TESTS_FAILED, run
        results = grade(result, path)
        claims = {t["name"]: (t["status"], t["score"], t["output"]) for t in results["tests"]}
        grades[run] = (results["score"], claims)

    first = next(iter(grades.values()))
    assert {run: g for run, g in grades.items() if g != first} == {}
    _, claims = first
    assert len(claims) == 7
    assert claims["line::test_centre_is_centred"][2].endswith(
        "changed in place by the lesson's code: work on a copy (.clone())"
    )
    assert claims["line::test_data_has_the_true_slope"][0] == "passed"  # whatever ran before it
    assert claims["line::test_short_fits_converge_for_every_seed"][1] == 4 * 3 / 8  # 3 seeds
