"""Claims of Example 3: a straight line underfits the kinked data, and training longer cannot help."""

import pytest

from checks.timing import time_training
from checks.validate import expect_data, expect_fit
from lessons._diagrams import STYLES
from lessons._oracles import gradient_norm, least_squares, two_slope_fit, with_intercept

LR, EPOCHS = 0.1, 10000  # the lecture's settings
NOISE_VARIANCE = 0.3**2  # the data's noise: the loss a perfect model of the mean would have
# Converged float32 SGD matches the float64 closed form to ~1e-7 relative (measured 6e-8).
LOSS_TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def data(lesson):
    return expect_data(lesson.make_data(), x_shape=(100, 1))


@pytest.fixture(scope="module")
def line_floor(data):
    """The lowest MSE any straight line reaches on this data (closed-form least squares)."""
    X, y = data
    return least_squares(with_intercept(X), y)[1]


@pytest.fixture(scope="module")
def line_fit(lesson, data, device):
    X, y = data
    fit = lesson.fit(lesson.build_model(), X, y, lr=LR, epochs=EPOCHS, device=device)
    return expect_fit(fit, epochs=EPOCHS)


@pytest.mark.claim(points=1)
def test_data_has_a_kink_at_zero(data):
    """The best two-slope fit recovers slopes near 1 (x < 0) and 3.5 (x > 0), within 0.3."""
    X, y = data
    left, right, _ = two_slope_fit(X, y)
    assert abs(left - 1.0) < 0.3 and abs(right - 3.5) < 0.3


@pytest.mark.claim(points=2)
def test_line_settles_on_the_least_squares_floor(line_fit, line_floor):
    """After 10000 epochs the line's loss equals the closed-form least-squares loss (1e-5 relative)."""
    assert abs(line_fit.final_loss - line_floor) < LOSS_TOLERANCE * line_floor


@pytest.mark.claim(points=2)
def test_straight_line_underfits(line_fit):
    """The line's loss stays above twice the noise variance 0.09: most of its error is the model's."""
    assert line_fit.final_loss > 2 * NOISE_VARIANCE


@pytest.mark.claim(points=2)
def test_more_epochs_cannot_help(line_fit, data):
    """The gradient has vanished (norm < 1e-4) and the MSE of a line is convex, so this is the
    global minimum for any straight line: more epochs cannot lower it."""
    X, y = data
    assert gradient_norm(line_fit.model, X, y) < 1e-4


@pytest.mark.claim(points=1)
def test_a_kinked_model_would_fit_far_better(line_floor, data):
    """Two slopes joined at 0 (the shape of the data) reach less than half the line's floor:
    the data is fine, the model is too simple."""
    X, y = data
    _, _, two_slope_loss = two_slope_fit(X, y)
    assert two_slope_loss < 0.5 * line_floor


# Figures and diagrams: ungraded snapshots (checks/grader/snapshots.py), drawn from the fits above.


@pytest.mark.figure
def test_figure_data(lesson, data, figure_snapshot):
    assert figure_snapshot == lesson.plot_data(*data)


@pytest.mark.figure
def test_figure_fit(lesson, data, line_fit, figure_snapshot):
    assert figure_snapshot == lesson.plot_fit(*data, line_fit)


@pytest.mark.figure
def test_figure_losses(lesson, line_fit, figure_snapshot):
    assert figure_snapshot == lesson.plot_losses(line_fit)


@pytest.mark.figure
@pytest.mark.parametrize("style", STYLES)
def test_diagram(lesson, style, diagram_snapshot):
    assert diagram_snapshot == lesson.diagram(lesson.build_model(), style)


@pytest.mark.claim(points=1)
def test_timed_training_settles_on_the_floor(benchmark, lesson, data, device, line_fit, line_floor):
    """Benchmark: the straight line trained from scratch (lr 0.1, 10000 epochs), timed, settles on
    the least-squares floor with the same final loss as the session's fit (to 1e-6)."""
    X, y = data
    result = time_training(
        benchmark,
        lambda model: lesson.fit(model, X, y, lr=LR, epochs=EPOCHS, device=device),
        fresh=lesson.build_model,
        lesson=lesson,
        device=device,
        epochs=EPOCHS,
        session_result=line_fit,
        what="Linear(1, 1), 10000 epochs",
    )
    assert abs(result.final_loss - line_floor) < LOSS_TOLERANCE * line_floor
    assert abs(result.final_loss - line_fit.final_loss) <= 1e-6 * line_fit.final_loss
