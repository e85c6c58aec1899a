"""Claims of the homework: lr 0.1 diverges on Example 2, because it exceeds 2/λ_max."""

import math

import pytest
import torch

from lessons._diagrams import STYLES
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


# Figures and diagrams: ungraded snapshots (checks/snapshots.py), drawn from the fits above.

SWEEP_RATES = (0.005, 0.01, 0.02, 0.03, 0.04, 0.06, 0.08)  # with 2/λ_max ± 5% and lr 0.1


@pytest.fixture(scope="module")
def sweep(lesson, data, eigenvalue, homework_fit, device):
    """One fit per learning rate around 2/λ_max (the lr 0.1 fit is homework_fit), by rate."""
    critical = 2 / eigenvalue
    rates = [*SWEEP_RATES, (1 - MARGIN) * critical, (1 + MARGIN) * critical]
    fits = {lr: _train(lesson, data, lr, device) for lr in rates}
    return {**fits, HOMEWORK_LR: homework_fit}


@pytest.mark.figure
def test_figure_losses(lesson, sweep, eigenvalue, figure_snapshot):
    critical = 2 / eigenvalue
    rates = [LECTURE_LR, (1 - MARGIN) * critical, (1 + MARGIN) * critical, HOMEWORK_LR]
    assert figure_snapshot == lesson.plot_losses([sweep[lr] for lr in rates], critical)


@pytest.mark.figure
def test_figure_lr_sweep(lesson, sweep, eigenvalue, figure_snapshot):
    assert figure_snapshot == lesson.plot_lr_sweep(list(sweep.values()), 2 / eigenvalue)


@pytest.mark.figure
@pytest.mark.parametrize("style", STYLES)
def test_diagram(lesson, style, diagram_snapshot):
    assert diagram_snapshot == lesson.diagram(lesson.build_model(), style)
