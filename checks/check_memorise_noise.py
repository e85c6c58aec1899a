"""Claims of "it can fit anything": the 500-node net memorises pure noise."""

import pytest
import torch

from checks.timing import time_training
from checks.validate import expect_data, expect_fit
from lessons._diagrams import STYLES
from lessons._oracles import least_squares, mse, with_intercept

LR, EPOCHS, WIDTH = 0.001, 5000, 500  # the lecture's settings


@pytest.fixture(scope="module")
def data(lesson):
    return expect_data(lesson.make_data(), x_shape=(100, 1))


@pytest.fixture(scope="module")
def noise_fit(lesson, data, device):
    X, y = data
    fit = lesson.fit(lesson.build_model(WIDTH, seed=1), X, y, lr=LR, epochs=EPOCHS, device=device)
    return expect_fit(fit, epochs=EPOCHS)


@pytest.fixture(scope="module")
def zero_loss(data):
    """The MSE of predicting 0 everywhere: the best honest answer, since y does not depend on x."""
    _, y = data
    return mse(torch.zeros_like(y), y)


@pytest.mark.claim(points=1)
def test_targets_are_noise_around_zero(data):
    """y is 100 standard-normal draws: mean within 3 standard errors (0.3) of 0, variance in (0.6, 1.5)."""
    _, y = data
    assert y.shape == (100, 1)
    assert abs(float(y.mean())) < 0.3 and 0.6 < float(y.var()) < 1.5


@pytest.mark.claim(points=2)
def test_net_fits_noise_below_the_zero_predictor(noise_fit, zero_loss):
    """The net's training MSE ends below the zero predictor's MSE, by more than 20%: it is fitting
    values that carry no pattern."""
    assert noise_fit.final_loss < 0.8 * zero_loss


@pytest.mark.claim(points=1)
def test_net_beats_the_best_straight_line_on_noise(noise_fit, data):
    """It also ends below the best straight line (least squares): its fit is no simple trend."""
    X, y = data
    _, line_loss = least_squares(with_intercept(X), y)
    assert noise_fit.final_loss < 0.8 * line_loss


@pytest.mark.claim(points=1)
def test_predictions_follow_the_noise(noise_fit, data):
    """Its predictions correlate with the noisy targets (r > 0.5), although no x predicts them."""
    _, y = data
    r = torch.corrcoef(torch.cat([noise_fit.yhat.T, y.T]))[0, 1]
    assert r > 0.5


# Figures and diagrams: ungraded snapshots (checks/grader/snapshots.py), drawn from the fits above.


@pytest.mark.figure
def test_figure_data(lesson, data, figure_snapshot):
    assert figure_snapshot == lesson.plot_data(*data)


@pytest.mark.figure
def test_figure_fit(lesson, data, noise_fit, figure_snapshot):
    assert figure_snapshot == lesson.plot_fit(*data, noise_fit)


@pytest.mark.figure
def test_figure_losses(lesson, data, noise_fit, figure_snapshot):
    assert figure_snapshot == lesson.plot_losses(noise_fit, data[1])


@pytest.mark.figure
@pytest.mark.parametrize("style", STYLES)
def test_diagram(lesson, style, diagram_snapshot):
    assert diagram_snapshot == lesson.diagram(lesson.build_model(WIDTH), style)


@pytest.mark.claim(points=1)
def test_timed_training_memorises_the_noise(benchmark, lesson, data, device, noise_fit, zero_loss):
    """Benchmark: the 500-node net trained on the noise from scratch (seed 1, lr 0.001, 5000
    epochs), timed, ends below 0.8 x the zero predictor, with the session's final loss (to 1e-6)."""
    X, y = data
    result = time_training(
        benchmark,
        lambda model: lesson.fit(model, X, y, lr=LR, epochs=EPOCHS, device=device),
        fresh=lambda: lesson.build_model(WIDTH, seed=1),
        lesson=lesson,
        device=device,
        epochs=EPOCHS,
        session_result=noise_fit,
        rounds=3,
        what="500 MOOYAHO nodes on noise",
    )
    assert result.final_loss < 0.8 * zero_loss
    assert abs(result.final_loss - noise_fit.final_loss) <= 1e-6 * noise_fit.final_loss
