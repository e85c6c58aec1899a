"""Claims of "it can fit anything": the 500-node net memorises pure noise.

The homework is the two baselines (``zero_predictor_loss``, ``best_line_loss``); the claims that
compare the net with them use the student's values, checked first. The data and the net are the
grader's copies of the lecture's (``lessons._lecture``, ``checks.reference``): no other lesson's
homework is involved.
Each claim calls the homework before any training, so an untouched lesson trains nothing.
"""

import dataclasses

import pytest
import torch

from checks.reference import nets
from checks.reference.oracles import least_squares, mse, with_intercept
from checks.timing import time_training
from checks.validate import expect_data, expect_fit, expect_number
from lessons import _lecture
from lessons._diagrams import STYLES
from lessons._train import fit

LR, EPOCHS, WIDTH = 0.001, 5000, 500  # the lecture's settings
BELOW = 0.8  # the net must end below 0.8 x each baseline (measured: 0.65 and 0.67 of them)
# Both baselines in float64 are exact to ~1e-16; a float32 mean of y² is within ~1e-7 and a
# float32 least-squares line (normal equations, lstsq) within 5e-8 (measured). A line without
# its intercept is 1.4% off on the lecture's noise, the variance instead of the mean square 1.3%.
# catches: mistake_no_bias mistake_variance
RTOL = 1e-5
LINE_EXPLAINS = 0.05  # the best line explains under 5% of the noise's variance (measured 1.1%)


def _expect_close(got, expected: float, *, name: str, what: str) -> float:
    """``got`` is a number within ``RTOL`` of ``expected``; fail in one line if not."""
    value = expect_number(got, name=name)
    off = abs(value - expected) / abs(expected)
    if not off <= RTOL:
        pytest.fail(
            f"{name} returned {value:.6g}, expected {what} = {expected:.6g} ({off:.2%} off)",
            pytrace=False,
        )
    return value


def _zero_loss(lesson, X, y) -> float:
    return _expect_close(
        lesson.zero_predictor_loss(y.clone()),
        mse(torch.zeros_like(y), y),
        name="zero_predictor_loss(y)",
        what="mean y²",
    )


def _line_loss(lesson, X, y) -> float:
    return _expect_close(
        lesson.best_line_loss(X.clone(), y.clone()),
        least_squares(with_intercept(X), y)[1],
        name="best_line_loss(X, y)",
        what="the least-squares line's MSE",
    )


@pytest.fixture(scope="module")
def data():
    return expect_data(_lecture.noise_data(), x_shape=(100, 1))


# The student's baselines, module-scoped so that a claim listing one before ``noise_fit`` calls
# the homework first: an untouched lesson fails there and trains nothing.
@pytest.fixture(scope="module")
def zero_loss(lesson, data):
    return _zero_loss(lesson, *data)


@pytest.fixture(scope="module")
def line_loss(lesson, data):
    return _line_loss(lesson, *data)


@pytest.fixture(scope="module")
def noise_fit(lesson, data, device, train):
    # The engine's fit, in this process: the lesson's file could define a `fit` that trains nothing.
    return expect_fit(_noise_fit(train, data, device), epochs=EPOCHS)


def _noise_fit(train, data, device):
    X, y = data
    return train(nets.wide_model(WIDTH, seed=1), X, y, lr=LR, epochs=EPOCHS, device=device)


def fits_ahead(train, kept, device, fixtures) -> None:
    """``noise_fit`` (fits ahead, checks/grader/fits_ahead.py)."""
    if "noise_fit" in fixtures:
        _noise_fit(train, _lecture.noise_data(), device)


@pytest.mark.claim(
    points=1,
    ko="zero_predictor_loss(y), 곧 어디서나 0을 예측하는 MSE는 y²의 평균이다 (상대오차 1e-5).",
)
def test_zero_predictor_loss_is_the_mean_square(lesson, data):
    """zero_predictor_loss(y), the MSE of predicting 0 everywhere, is mean y² (to 1e-5 relative)."""
    _zero_loss(lesson, *data)


@pytest.mark.claim(
    points=1,
    ko="best_line_loss(X, y)는 절편을 포함한 최소제곱 직선 ŷ = w·x + b의 MSE다 (상대오차 1e-5).",
)
def test_best_line_loss_is_least_squares(lesson, data):
    """best_line_loss(X, y) is the MSE of the least-squares line ŷ = w·x + b, intercept included
    (to 1e-5 relative)."""
    _line_loss(lesson, *data)


@pytest.mark.claim(
    points=1,
    ko="y는 표준정규분포에서 뽑은 100개처럼 보인다: 평균이 0에서 표준오차의 3배(0.3) 이내이고, 제곱의 평균 zero_predictor_loss(y)는 분산 1 근처의 (0.6, 1.5) 안에 있다.",
)
def test_targets_are_noise_around_zero(zero_loss, data):
    """y looks like 100 standard-normal draws: its mean is within 3 standard errors (0.3) of 0 and
    its mean square, zero_predictor_loss(y), is in (0.6, 1.5) around the variance 1."""
    _, y = data
    assert abs(float(y.mean())) < 0.3, f"mean of y {float(y.mean()):.3g}"
    assert 0.6 < zero_loss < 1.5, f"zero_predictor_loss(y) = mean y² = {zero_loss:.4g}"


@pytest.mark.claim(
    points=2,
    ko="신경망의 학습 MSE는 0 예측의 MSE(zero_predictor_loss)보다 20% 넘게 낮게 끝난다: 아무 패턴도 없는 값을 맞추고 있다.",
)
def test_net_fits_noise_below_the_zero_predictor(zero_loss, noise_fit):
    """The net's training MSE ends below the zero predictor's MSE (zero_predictor_loss), by more
    than 20%: it is fitting values that carry no pattern."""
    assert noise_fit.final_loss < BELOW * zero_loss, (
        f"final MSE {noise_fit.final_loss:.4g}, zero predictor {zero_loss:.4g}"
    )


@pytest.mark.claim(
    points=1,
    ko="또한 최선의 직선의 MSE(best_line_loss)의 0.8배보다 낮게 끝난다: 그 적합은 단순한 추세가 아니다.",
)
def test_net_beats_the_best_straight_line_on_noise(line_loss, noise_fit):
    """It also ends below 0.8 x the best straight line's MSE (best_line_loss): its fit is no
    simple trend."""
    assert noise_fit.final_loss < BELOW * line_loss, (
        f"final MSE {noise_fit.final_loss:.4g}, best line {line_loss:.4g}"
    )


@pytest.mark.claim(
    points=1,
    ko="예측이 잡음 섞인 목표값과 상관이 있다 (r > 0.5). 그러나 x로는 목표값을 예측할 수 없다: 최선의 직선은 분산의 5%도 설명하지 못한다 (1 - best_line_loss / var y).",
)
def test_predictions_follow_the_noise(line_loss, noise_fit, data):
    """Its predictions correlate with the noisy targets (r > 0.5), although no x predicts them:
    the best straight line explains under 5% of their variance (1 - best_line_loss / var y)."""
    _, y = data
    explained = 1 - line_loss / float(y.double().var(unbiased=False))
    assert explained < LINE_EXPLAINS, f"the best line explains {explained:.1%} of var y"
    r = float(torch.corrcoef(torch.cat([noise_fit.yhat.T, y.T]))[0, 1])
    assert r > 0.5, f"correlation of the net's predictions with y: {r:.3f}"


@pytest.mark.claim(
    points=2,
    visibility="hidden",
    partial=True,
    ko="zero_predictor_loss와 best_line_loss는 학생이 본 적 없는 자료에서도 맞다: 다른 seed의 잡음, 그리고 다른 x 위의 절편 있는 잡음 섞인 직선 (자료와 함수마다 부분 점수).",
)
def test_baselines_hold_on_other_data(lesson, partial_credit):
    """zero_predictor_loss and best_line_loss are right on data the student never saw: noise
    with other seeds, and a noisy line with an offset on other x (partial credit per data set and
    function)."""
    generator = torch.Generator().manual_seed(5)
    trend_x = torch.linspace(0, 4, 37).reshape(37, 1)
    trend_y = 3 - 1.5 * trend_x + 0.5 * torch.randn(37, 1, generator=generator)
    sets = [_lecture.noise_data(1), _lecture.noise_data(2), (trend_x, trend_y)]
    right, first_wrong = 0, None
    for X, y in sets:
        for check in (_zero_loss, _line_loss):
            try:
                check(lesson, X, y)
                right += 1
            except pytest.fail.Exception as failure:
                first_wrong = first_wrong or str(failure)
    partial_credit(right / (2 * len(sets)))
    assert first_wrong is None, f"right in {right} of {2 * len(sets)}; {first_wrong}"


# Figures and diagrams: ungraded snapshots (checks/grader/snapshots.py), drawn from the fits above.
def _for_lesson(result):
    """The grader's fit as a lesson may receive it: its net with MOOYAHO folded into the first
    layer (a lesson's process has no course MOOYAHO to rebuild it from)."""
    return dataclasses.replace(result, model=nets.folded(result.model))


# The fit's figures ask for a baseline first: they appear once the homework runs.


@pytest.mark.figure
def test_figure_data(lesson, data, figure_snapshot):
    assert figure_snapshot == lesson.plot_data(*data)


@pytest.mark.figure
def test_figure_fit(lesson, data, zero_loss, noise_fit, figure_snapshot):
    assert figure_snapshot == lesson.plot_fit(*data, _for_lesson(noise_fit))


@pytest.mark.figure
def test_figure_losses(lesson, data, zero_loss, noise_fit, figure_snapshot):
    assert figure_snapshot == lesson.plot_losses(_for_lesson(noise_fit), data[1])


@pytest.mark.figure
@pytest.mark.parametrize("style", STYLES)
def test_diagram(lesson, style, diagram_snapshot):
    assert diagram_snapshot == lesson.diagram(lesson.build_model(WIDTH), style)


@pytest.mark.claim(
    points=1,
    ko="벤치마크: 노드 500개 신경망을 잡음 위에서 처음부터(seed 1, lr 0.001, 5000 epoch) 시간을 재며 학습해도 0 예측의 0.8배보다 낮게, 세션의 마지막 손실(1e-6 이내)로 끝난다.",
)
def test_timed_training_memorises_the_noise(benchmark, lesson, zero_loss, data, device, noise_fit):
    """Benchmark: the 500-node net trained on the noise from scratch (seed 1, lr 0.001, 5000
    epochs), timed, ends below 0.8 x the zero predictor, with the session's final loss (to 1e-6)."""
    X, y = data
    result = time_training(
        benchmark,
        lambda model: fit(model, X, y, lr=LR, epochs=EPOCHS, device=device),
        fresh=lambda: nets.wide_model(WIDTH, seed=1),
        lesson=lesson,
        device=device,
        epochs=EPOCHS,
        session_result=noise_fit,
        rounds=3,
        what="500 MOOYAHO nodes on noise",
    )
    assert result.final_loss < BELOW * zero_loss
    assert abs(result.final_loss - noise_fit.final_loss) <= 1e-6 * noise_fit.final_loss
