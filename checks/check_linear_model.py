"""Claims of Example 1: a linear node trained by SGD is least squares, whichever way it is drawn."""

import pytest
import torch

from checks.timing import time_training
from checks.validate import expect_data, expect_fit
from lessons._diagrams import STYLES
from lessons._oracles import least_squares, with_intercept

LR, EPOCHS = 0.1, 1000
# SGD has converged when it agrees with the closed form to float32 round-off of ~1e-6, far below
# the estimates' own sampling error (~0.1): 1e-3 leaves room for any device's summation order.
WEIGHT_TOLERANCE = 1e-3
STANDARD_ERRORS = 3  # a 3-sigma band holds for each weight with probability 0.997


@pytest.fixture(scope="module")
def data(lesson):
    return expect_data(lesson.make_data(), x_shape=(100, 1))


@pytest.fixture(scope="module")
def oracle(data):
    x, y = data
    return least_squares(with_intercept(x), y)


@pytest.fixture(scope="module")
def bias_fit(lesson, data, device):
    x, y = data
    fit = lesson.fit(lesson.build_model("bias"), x, y, lr=LR, epochs=EPOCHS, device=device)
    return expect_fit(fit, epochs=EPOCHS)


@pytest.fixture(scope="module")
def design_fit(lesson, data, device):
    x, y = data
    X = lesson.design_matrix(x)
    fit = lesson.fit(lesson.build_model("design"), X, y, lr=LR, epochs=EPOCHS, device=device)
    return expect_fit(fit, epochs=EPOCHS)


def _w0_w1(oracle) -> torch.Tensor:
    w, _ = oracle  # with_intercept puts the intercept last
    return torch.stack([w[1, 0], w[0, 0]]).float()


@pytest.mark.claim(points=2)
def test_bias_view_recovers_least_squares(lesson, bias_fit, oracle):
    """x*w + b trained by SGD (lr 0.1, 1000 epochs) lands on the closed-form least-squares (w0, w1)."""
    error = (lesson.weights(bias_fit.model) - _w0_w1(oracle)).abs().max()
    assert error < WEIGHT_TOLERANCE


@pytest.mark.claim(points=2)
def test_design_matrix_view_recovers_least_squares(lesson, design_fit, oracle):
    """[1, x] @ W without bias, trained the same way, lands on the same least-squares (w0, w1)."""
    error = (lesson.weights(design_fit.model) - _w0_w1(oracle)).abs().max()
    assert error < WEIGHT_TOLERANCE


@pytest.mark.claim(points=1)
def test_both_views_give_the_same_fit(bias_fit, design_fit):
    """The two networks are the same model: their fitted lines agree at every point (to 1e-3)."""
    assert (bias_fit.yhat - design_fit.yhat).abs().max() < WEIGHT_TOLERANCE


@pytest.mark.claim(points=1)
def test_training_loss_reaches_the_least_squares_minimum(bias_fit, oracle):
    """The final training MSE equals the least-squares MSE (relative gap < 1e-4): nothing is left
    to learn for a straight line."""
    _, floor = oracle
    assert abs(bias_fit.final_loss - floor) < 1e-4 * floor


@pytest.mark.claim(points=1)
def test_estimates_are_near_the_true_weights(lesson, bias_fit, data):
    """Each estimate is within 3 standard errors of the true (w0, w1) = (2.5, 4) (noise sd 1)."""
    x, _ = data
    A = torch.cat([torch.ones_like(x), x], dim=1).double()
    standard_errors = torch.linalg.inv(A.T @ A).diagonal().sqrt().float()  # sigma = 1 is known
    error = (lesson.weights(bias_fit.model) - torch.tensor(lesson.TRUE_W)).abs()
    assert (error < STANDARD_ERRORS * standard_errors).all()


# Figures and diagrams: ungraded snapshots (checks/grader/snapshots.py), drawn from the fits above.


@pytest.mark.figure
def test_figure_fit(lesson, data, bias_fit, figure_snapshot):
    assert figure_snapshot == lesson.plot_fit(*data, bias_fit)


@pytest.mark.figure
def test_figure_losses(lesson, bias_fit, design_fit, figure_snapshot):
    assert figure_snapshot == lesson.plot_losses(bias_fit, design_fit)


@pytest.mark.figure
@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("view", ["bias", "design"])
def test_diagram(lesson, view, style, diagram_snapshot):
    assert diagram_snapshot == lesson.diagram(lesson.build_model(view), style)


@pytest.mark.claim(points=1)
def test_timed_training_recovers_least_squares(benchmark, lesson, data, device, bias_fit, oracle):
    """Benchmark: x*w + b trained from scratch (lr 0.1, 1000 epochs), timed, lands on the
    least-squares (w0, w1) with the same final loss as the session's fit (to 1e-6)."""
    x, y = data
    result = time_training(
        benchmark,
        lambda model: lesson.fit(model, x, y, lr=LR, epochs=EPOCHS, device=device),
        fresh=lambda: lesson.build_model("bias"),
        lesson=lesson,
        device=device,
        epochs=EPOCHS,
        session_result=bias_fit,
        what="x*w + b",
    )
    assert (lesson.weights(result.model) - _w0_w1(oracle)).abs().max() < WEIGHT_TOLERANCE
    assert abs(result.final_loss - bias_fit.final_loss) <= 1e-6 * bias_fit.final_loss
