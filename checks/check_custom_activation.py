"""Claims of the custom activation: 500 sigmoid(200x) steps fit the kinked data below its noise."""

import pytest
import torch

from checks.timing import time_training
from checks.validate import expect_data, expect_fit
from lessons._diagrams import STYLES
from lessons._oracles import two_slope_fit

LR, EPOCHS, WIDTH = 0.001, 5000, 500  # the lecture's settings
NOISE_VARIANCE = 0.3**2


@pytest.fixture(scope="module")
def data(lesson):
    return expect_data(lesson.make_data(), x_shape=(100, 1))


@pytest.fixture(scope="module")
def wide_fit(lesson, data, device):
    X, y = data
    fit = lesson.fit(lesson.build_model(WIDTH, seed=1), X, y, lr=LR, epochs=EPOCHS, device=device)
    return expect_fit(fit, epochs=EPOCHS)


@pytest.mark.claim(points=1)
def test_mooyaho_is_almost_a_step(lesson):
    """sigmoid(200x) is 0.5 at 0 and within 1e-4 of 0 / 1 once |x| >= 0.05: a step at 0."""
    x = torch.tensor([-1.0, -0.05, 0.0, 0.05, 1.0])
    out = lesson.mooyaho(x)
    assert out[2] == 0.5
    assert bool((out[:2] < 1e-4).all()) and bool((out[3:] > 1 - 1e-4).all())


@pytest.mark.claim(points=1)
def test_mooyaho_layer_applies_the_function(lesson):
    """The MOOYAHO layer computes mooyaho element-wise, so it can sit in nn.Sequential."""
    x = torch.linspace(-10, 10, 100)
    assert isinstance(lesson.MOOYAHO(), torch.nn.Module)
    assert torch.equal(lesson.MOOYAHO()(x), lesson.mooyaho(x))


@pytest.mark.claim(points=2)
def test_wide_net_fits_below_the_noise_variance(wide_fit):
    """After 5000 epochs the 500-node net's training MSE is below the noise variance 0.09: it has
    started to fit the noise itself (the lecture's "wide nets often overfit")."""
    assert wide_fit.final_loss < NOISE_VARIANCE


@pytest.mark.claim(points=1)
def test_wide_net_beats_every_bias_free_relu_net(wide_fit, data):
    """Its loss is below the two-slope floor, the best any bias-free ReLU net can reach here."""
    _, _, floor = two_slope_fit(*data)
    assert wide_fit.final_loss < floor


@pytest.mark.claim(points=1)
def test_wide_net_fits_both_sides_of_the_kink(wide_fit, data):
    """Unlike one ReLU node it serves both sides: the MSE on x < 0 and on x > 0 are each below
    the noise variance 0.09."""
    X, y = data
    left = (X < 0).flatten()
    residual = (wide_fit.yhat - y).flatten() ** 2
    assert float(residual[left].mean()) < NOISE_VARIANCE
    assert float(residual[~left].mean()) < NOISE_VARIANCE


# Figures and diagrams: ungraded snapshots (checks/grader/snapshots.py), drawn from the fits above.


@pytest.mark.figure
def test_figure_mooyaho(lesson, figure_snapshot):
    assert figure_snapshot == lesson.plot_mooyaho()


@pytest.mark.figure
def test_figure_initial(lesson, data, figure_snapshot):
    assert figure_snapshot == lesson.plot_initial(*data, lesson.build_model(WIDTH, seed=1))


@pytest.mark.figure
def test_figure_fit(lesson, data, wide_fit, figure_snapshot):
    assert figure_snapshot == lesson.plot_fit(*data, wide_fit)


@pytest.mark.figure
def test_figure_losses(lesson, wide_fit, figure_snapshot):
    assert figure_snapshot == lesson.plot_losses(wide_fit)


@pytest.mark.figure
@pytest.mark.parametrize("style", STYLES)
def test_diagram(lesson, style, diagram_snapshot):
    assert diagram_snapshot == lesson.diagram(lesson.build_model(WIDTH), style)


@pytest.mark.claim(points=1)
def test_timed_wide_net_training_fits_below_the_noise(benchmark, lesson, data, device, wide_fit):
    """Benchmark: the 500-node net trained from scratch (seed 1, lr 0.001, 5000 epochs), timed,
    ends below the noise variance with the same final loss as the session's fit (to 1e-6)."""
    X, y = data
    result = time_training(
        benchmark,
        lambda model: lesson.fit(model, X, y, lr=LR, epochs=EPOCHS, device=device),
        fresh=lambda: lesson.build_model(WIDTH, seed=1),
        lesson=lesson,
        device=device,
        epochs=EPOCHS,
        session_result=wide_fit,
        rounds=3,
        what="500 MOOYAHO nodes",
    )
    assert result.final_loss < NOISE_VARIANCE
    assert abs(result.final_loss - wide_fit.final_loss) <= 1e-6 * wide_fit.final_loss
