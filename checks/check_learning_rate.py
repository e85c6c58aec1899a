"""Claims of the homework: lr 0.1 diverges on Example 2, because it exceeds 2/λ_max."""

import math

import pytest
import torch

from checks.benchmarks import time_training
from lessons._oracles import mse_hessian

EPOCHS = 1000  # the lecture's epochs for Example 2
LECTURE_LR, HOMEWORK_LR = 0.01, 0.1
MARGIN = 0.05  # 5% below / above the critical rate: converges / diverges


@pytest.fixture(scope="module")
def data(lesson):
    return lesson.make_data()


@pytest.fixture(scope="module")
def eigenvalue(data):
    """Our own λ_max of 2/n·AᵀA, to grade the student's (float64, symmetric solver)."""
    X, _ = data
    return float(torch.linalg.eigvalsh(mse_hessian(X))[-1])


def _train(lesson, data, lr, device):
    X, y = data
    return lesson.fit(lesson.build_model(), X, y, lr=lr, epochs=EPOCHS, device=device)


@pytest.fixture(scope="module")
def homework_fit(lesson, data, device):
    return _train(lesson, data, HOMEWORK_LR, device)


@pytest.mark.claim(points=2)
def test_lr_0_1_diverges(lesson, homework_fit):
    """With lr 0.1 the loss leaves the finite range within the 1000 epochs; divergence_epoch says
    when (the first epoch whose loss is inf or NaN)."""
    epoch = lesson.divergence_epoch(homework_fit)
    assert epoch is not None, "the loss stayed finite"
    assert not math.isfinite(float(homework_fit.losses[epoch]))
    assert bool(torch.isfinite(homework_fit.losses[:epoch]).all())


@pytest.mark.claim(points=2)
def test_largest_eigenvalue_matches_the_hessian(lesson, data, eigenvalue):
    """largest_hessian_eigenvalue(X) is λ_max of the MSE Hessian 2/n·AᵀA, A = [X, 1] (1e-6 relative)."""
    X, _ = data
    assert abs(lesson.largest_hessian_eigenvalue(X) - eigenvalue) < 1e-6 * eigenvalue


@pytest.mark.claim(points=2)
def test_critical_rate_lies_between_the_two_rates(lesson, data, eigenvalue):
    """critical_learning_rate(X) is 2/λ_max, and 0.01 < 2/λ_max < 0.1: the lecture's rate is
    below it, the homework's above."""
    X, _ = data
    critical = lesson.critical_learning_rate(X)
    assert abs(critical - 2 / eigenvalue) < 1e-6 * critical
    assert LECTURE_LR < critical < HOMEWORK_LR


@pytest.mark.claim(points=2)
def test_loss_grows_by_the_predicted_factor(homework_fit, eigenvalue):
    """Before it overflows, the loss grows each epoch by (lr·λ_max - 1)² (≈ 11.4), within 5%:
    the error along the top eigenvector is multiplied by 1 - lr·λ_max every step."""
    losses = homework_fit.losses.double()
    finite = losses[torch.isfinite(losses)]
    growth = float(finite[-1] / finite[-2])  # late epochs: the top direction dominates
    predicted = (HOMEWORK_LR * eigenvalue - 1) ** 2
    assert abs(growth - predicted) < 0.05 * predicted


@pytest.mark.claim(points=1)
def test_rate_just_below_critical_converges(lesson, data, eigenvalue, device):
    """At 95% of 2/λ_max the loss stays finite and ends below a tenth of where it started."""
    fit = _train(lesson, data, (1 - MARGIN) * 2 / eigenvalue, device)
    assert bool(torch.isfinite(fit.losses).all())
    assert fit.final_loss < 0.1 * float(fit.losses[0])


@pytest.mark.claim(points=1)
def test_rate_just_above_critical_diverges(lesson, data, eigenvalue, device):
    """At 105% of 2/λ_max the loss overflows within 1000 epochs (it grows ≈ 1.21× per epoch)."""
    fit = _train(lesson, data, (1 + MARGIN) * 2 / eigenvalue, device)
    assert not bool(torch.isfinite(fit.losses).all())


@pytest.mark.claim(points=1)
def test_timed_training_at_lr_0_1_diverges_at_the_same_epoch(
    benchmark, lesson, data, device, homework_fit
):
    """Benchmark: Example 2 trained from scratch at lr 0.1 (1000 epochs), timed, leaves the finite
    range at the same epoch as the session's fit."""
    X, y = data
    result = time_training(
        benchmark,
        lambda model: lesson.fit(model, X, y, lr=HOMEWORK_LR, epochs=EPOCHS, device=device),
        fresh=lesson.build_model,
        lesson=lesson,
        device=device,
        epochs=EPOCHS,
        session_result=homework_fit,
        what="Linear(3, 1), lr 0.1",
    )
    assert result.first_nonfinite_epoch is not None
    assert result.first_nonfinite_epoch == homework_fit.first_nonfinite_epoch
