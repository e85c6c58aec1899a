"""Claims of Example 3: a straight line underfits the kinked data, and training longer cannot help.

The homework is ``make_data`` (graded by its statistics: a student's draw cannot match our noise
bit for bit) and ``best_line_loss`` (graded against the closed form). The line fits train on the
grader's copy of the lecture's data (``checks.reference``), so a ``make_data`` mistake costs only
the ``make_data`` claims.
"""

import numpy as np
import pytest
import torch

from checks.compare import expect_close
from checks.reference import nets
from checks.reference.data import piecewise_data
from checks.reference.oracles import gradient_norm, least_squares, two_slope_fit, with_intercept
from checks.timing import time_training
from checks.validate import expect_data, expect_fit, expect_number
from lessons._diagrams import STYLES
from lessons._train import fit

# The claims call the student's homework functions: a hang there costs a minute, not five.
pytestmark = pytest.mark.timeout(60)

LR, EPOCHS = 0.1, 10000  # the lecture's settings
SEED = 43052
NOISE_SD, SLOPES = 0.3, (1.0, 3.5)
NOISE_VARIANCE = NOISE_SD**2  # the data's noise: the loss a perfect model of the mean would have
# Converged float32 SGD matches the float64 closed form to ~1e-7 relative (measured 6e-8); a
# float32 closed form is 6e-8 relative off the float64 one. 1e-5 allows both with a 100x margin.
LOSS_TOLERANCE = 1e-5
# The grid: torch.linspace in float32 and numpy's float64 linspace cast to float32 differ by at
# most 6e-8 (one unit in the last place at 1.0); 1e-6 allows either and nothing else.
GRID_TOLERANCE = 1e-6
# make_data's statistics are judged on a big draw, so a correct generator passes whatever random
# calls it makes: n = 20000 points, and 5 standard errors (a correct draw fails one such check
# with probability 6e-7). The standard errors: mean σ/√n = 0.0021, sd σ/√(2n) = 0.0015, each side's
# slope σ/√(Σx²) = 0.0052. A sd of 0.09 or 1, slopes swapped or 3 for 3.5 are far outside.
BIG_N = 20000
SAMPLING_SLACK = 5


@pytest.fixture(scope="module")
def data():
    """The lecture's data (our seed 43052), from the grader's copy."""
    return expect_data(piecewise_data(), x_shape=(100, 1))


def _best_line_loss(lesson, X, y, *, what: str) -> float:
    """The student's best_line_loss(X, y), checked against the closed form."""
    got = expect_number(lesson.best_line_loss(X.clone(), y.clone()), name="best_line_loss(X, y)")
    floor = least_squares(with_intercept(X), y)[1]
    off = abs(got - floor) / floor
    assert off < LOSS_TOLERANCE, (
        f"best_line_loss(X, y) on {what} returned {got:.6g}, the least-squares line's MSE is "
        f"{floor:.6g}: {off:.2%} off"
    )
    return got


@pytest.fixture(scope="module")
def line_floor(lesson, data):
    """The lowest MSE any straight line reaches on the lecture's data: best_line_loss (yours)."""
    return _best_line_loss(lesson, *data, what="the lecture's data")


@pytest.fixture(scope="module")
def line_fit(lesson, data, line_floor, device, train):
    """The lecture's straight line trained on the lecture's data (after best_line_loss: nothing
    trains while it is not written)."""
    X, y = data
    result = train(lesson.build_model(), X, y, lr=LR, epochs=EPOCHS, device=device)
    return expect_fit(result, epochs=EPOCHS)


def fits_ahead(train, kept, device, fixtures) -> None:
    """``line_fit`` when build_model is the lecture's line (fits ahead, checks/grader/fits_ahead.py)."""
    if "line_fit" in fixtures:
        train(nets.line_model(), *piecewise_data(), lr=LR, epochs=EPOCHS, device=device)


def _student_data(lesson, seed: int, n: int):
    return expect_data(
        lesson.make_data(seed, n), name=f"make_data({seed}, {n})", x_shape=(n, 1), y_shape=(n, 1)
    )


def _truth(X: torch.Tensor) -> torch.Tensor:
    X = X.double()
    return torch.where(X < 0, SLOPES[0] * X, SLOPES[1] * X)


def _expect_grid(X: torch.Tensor, *, name: str) -> None:
    grid = torch.from_numpy(np.linspace(-1, 1, len(X))).reshape(-1, 1)
    expect_close(X, grid, name=name, atol=GRID_TOLERANCE, what="linspace(-1, 1, n)")


def _expect_noise(lesson, seed: int, n: int) -> None:
    """The residuals y - truth of make_data(seed, n) have mean 0 and sd 0.3 (5 standard errors)."""
    X, y = _student_data(lesson, seed, n)
    residuals = y.double() - _truth(X)
    mean, sd = float(residuals.mean()), float(residuals.std())
    mean_bound = SAMPLING_SLACK * NOISE_SD / n**0.5
    sd_bound = SAMPLING_SLACK * NOISE_SD / (2 * n) ** 0.5
    assert abs(mean) < mean_bound, (
        f"make_data({seed}, {n}): y - truth has mean {mean:.4f}, expected 0 ± {mean_bound:.4f}"
    )
    assert abs(sd - NOISE_SD) < sd_bound, (
        f"make_data({seed}, {n}): y - truth has sd {sd:.4f}, expected {NOISE_SD} ± {sd_bound:.4f}"
    )


def _expect_kink(lesson, seed: int, n: int) -> None:
    """The best two slopes of make_data(seed, n) are 1 and 3.5 (5 standard errors)."""
    X, y = _student_data(lesson, seed, n)
    left, right, _ = two_slope_fit(X, y)
    sum_squares = (X.double() ** 2).sum() / 2  # per side: the grid is symmetric about 0
    bound = float(SAMPLING_SLACK * NOISE_SD / sum_squares**0.5)
    for side, slope, truth in (("left", left, SLOPES[0]), ("right", right, SLOPES[1])):
        assert abs(slope - truth) < bound, (
            f"make_data({seed}, {n}): the best slope {side} of 0 is {slope:.4f}, expected "
            f"{truth} ± {bound:.4f}"
        )


@pytest.mark.claim(
    points=1,
    ko="make_data()는 (X, y)를 돌려준다: 둘 다 (100, 1) float32, X = linspace(-1, 1, 100); make_data(seed, n)은 점 n개를 준다.",
)
def test_make_data_gives_the_lectures_grid(lesson):
    """make_data() returns (X, y), both (100, 1) float32, X = linspace(-1, 1, 100); make_data(seed,
    n) gives n points."""
    X, _ = _student_data(lesson, SEED, 100)
    _expect_grid(X, name="make_data() X")
    X, _ = expect_data(lesson.make_data(), x_shape=(100, 1))
    _expect_grid(X, name="make_data() X")
    X, _ = _student_data(lesson, 1, 7)
    _expect_grid(X, name="make_data(1, 7) X")


@pytest.mark.claim(
    points=1,
    ko="make_data의 과정은 0의 왼쪽에서 기울기 1, 오른쪽에서 3.5다: 점 20000개에서 최선의 두 기울기 적합이 둘 다 표준오차의 5배(±0.026) 이내로 되찾는다.",
)
def test_data_has_a_kink_at_zero(lesson):
    """make_data's process has slope 1 left of 0 and 3.5 right of it: on 20000 points the best
    two-slope fit recovers both within 5 standard errors (±0.026)."""
    _expect_kink(lesson, SEED, BIG_N)


@pytest.mark.claim(
    points=2,
    ko="make_data의 잡음은 N(0, 0.3²)이다: 점 20000개에서 y - 참값의 평균은 0(±0.011), 표준편차는 0.3(±0.0075), 표준오차의 5배 이내.",
)
def test_noise_has_mean_0_and_sd_0_3(lesson):
    """make_data's noise is N(0, 0.3²): on 20000 points y - truth has mean 0 (±0.011) and sd 0.3
    (±0.0075), 5 standard errors."""
    _expect_noise(lesson, SEED, BIG_N)


@pytest.mark.claim(
    points=1,
    ko="make_data(seed, n)은 재현된다: 같은 seed는 같은 자료를, 다른 seed는 같은 격자 위의 (거의) 모든 점에서 다른 잡음을 준다.",
)
def test_same_seed_same_data_other_seed_other_noise(lesson):
    """make_data(seed, n) is reproducible: the same seed gives the same data, another seed gives
    other noise at (almost) every point, on the same grid."""
    X, y = _student_data(lesson, 5, 50)
    again = _student_data(lesson, 5, 50)
    assert torch.equal(X, again[0]) and torch.equal(y, again[1]), (
        "make_data(5, 50) called twice returned different data"
    )
    other_X, other_y = _student_data(lesson, 6, 50)
    assert torch.equal(X, other_X), "make_data(6, 50) X differs from make_data(5, 50) X"
    same = int((y == other_y).sum())
    assert same <= 1, f"make_data(6, 50) y equals make_data(5, 50) y at {same} of 50 points"


@pytest.mark.claim(
    points=2,
    ko="강의의 자료에서 best_line_loss(X, y)는 최소제곱 직선의 MSE다 (상대오차 1e-5).",
)
def test_best_line_loss_is_the_closed_form(lesson, data):
    """best_line_loss(X, y) on the lecture's data is the least-squares line's MSE (1e-5 relative)."""
    _best_line_loss(lesson, *data, what="the lecture's data")


@pytest.mark.claim(
    points=2,
    ko="10000 epoch 뒤 직선의 손실은 best_line_loss(X, y)와 같다 (상대오차 1e-5).",
)
def test_line_settles_on_the_least_squares_floor(line_fit, line_floor):
    """After 10000 epochs the line's loss equals best_line_loss(X, y) (1e-5 relative)."""
    gap = abs(line_fit.final_loss - line_floor) / line_floor
    assert gap < LOSS_TOLERANCE, (
        f"the trained line ends at {line_fit.final_loss:.6g}, best_line_loss(X, y) is "
        f"{line_floor:.6g}: {gap:.1e} apart"
    )


@pytest.mark.claim(
    points=2,
    ko="최선의 직선의 손실 best_line_loss(X, y)와 학습한 직선의 손실은 잡음 분산 0.09의 두 배보다 높게 남는다: 오차의 대부분은 모형의 탓이다.",
)
def test_straight_line_underfits(line_fit, line_floor):
    """The best line's loss, best_line_loss(X, y), and the trained line's stay above twice the noise
    variance 0.09: most of the error is the model's."""
    assert line_floor > 2 * NOISE_VARIANCE, f"best_line_loss(X, y) is {line_floor:.4g}"
    assert line_fit.final_loss > 2 * NOISE_VARIANCE


@pytest.mark.claim(
    points=2,
    ko="10000 epoch 중 어느 것도 best_line_loss(X, y) 아래로 가지 못하고 그래디언트는 사라졌다 (노름 < 1e-4): 직선의 MSE는 볼록하므로 이것이 어떤 직선에게나 전역 최소다.",
)
def test_more_epochs_cannot_help(line_fit, line_floor, data):
    """No epoch of the 10000 gets under best_line_loss(X, y), and the gradient has vanished (norm
    < 1e-4): the MSE of a line is convex, so this is the global minimum for any straight line."""
    under = (line_fit.losses.double() < line_floor * (1 - LOSS_TOLERANCE)).nonzero()
    assert not len(under), (
        f"epoch {int(under[0])}'s loss {float(line_fit.losses[under[0]]):.6g} is under "
        f"best_line_loss(X, y) = {line_floor:.6g}"
    )
    assert gradient_norm(line_fit.model, *data) < 1e-4


@pytest.mark.claim(
    points=1,
    ko="0에서 이어진 두 기울기(자료의 모양)는 best_line_loss(X, y)의 절반보다 낮게 간다: 자료는 멀쩡하고, 모형이 너무 단순하다.",
)
def test_a_kinked_model_would_fit_far_better(line_floor, data):
    """Two slopes joined at 0 (the shape of the data) reach less than half of best_line_loss(X, y):
    the data is fine, the model is too simple."""
    _, _, two_slope_loss = two_slope_fit(*data)
    assert two_slope_loss < 0.5 * line_floor, (
        f"two slopes reach {two_slope_loss:.4g}, best_line_loss(X, y) is {line_floor:.4g}"
    )


# Inputs the student never saw: a hard-coded answer loses these.
# catches: mistake_hardcoded


@pytest.mark.claim(
    points=2,
    visibility="hidden",
    partial=True,
    ko="make_data(seed, n)은 처음 보는 seed와 크기에서도 강의의 격자, 꺾임, 잡음을 갖는다 (seed 1과 2의 점 20001개, 점 3개의 격자; 검사마다 부분 점수).",
)
def test_make_data_with_other_seeds_and_sizes(lesson, partial_credit):
    """make_data(seed, n) has the lecture's grid, kink and noise for seeds and sizes it never saw
    (20001 points with seeds 1 and 2, grid of 3 points; partial credit per check)."""
    checks = [
        lambda: _expect_grid(_student_data(lesson, 3, 3)[0], name="make_data(3, 3) X"),
        *(lambda seed=seed: _expect_noise(lesson, seed, BIG_N + 1) for seed in (1, 2)),
        *(lambda seed=seed: _expect_kink(lesson, seed, BIG_N + 1) for seed in (1, 2)),
    ]
    _graded_parts(checks, partial_credit)


def _graded_parts(checks, partial_credit) -> None:
    """Run every check; record the share that held; fail with the first failure's line."""
    failures = []
    for check in checks:
        try:
            check()
        except (AssertionError, pytest.fail.Exception) as failure:
            failures.append(str(failure).splitlines()[0])
    partial_credit(1 - len(failures) / len(checks))
    assert not failures, f"{len(failures)} of {len(checks)} wrong: {failures[0]}"


def _other_line_data():
    """Data the student never saw: the kinked process with seed 5 and 37 points, a noisy straight
    line and an unsorted parabola."""
    generator = torch.Generator().manual_seed(9)
    x = torch.rand(200, 1, generator=generator) * 5 - 3
    noise = torch.randn(200, 1, generator=generator)
    return {
        "the kinked data, seed 5, 37 points": piecewise_data(5, 37),
        "a noisy line": (x[:50], 2.0 - 0.5 * x[:50] + 0.1 * noise[:50]),
        "an unsorted parabola": (x, x**2 + 0.3 * noise),
    }


@pytest.mark.claim(
    points=2,
    visibility="after_due_date",
    partial=True,
    ko="best_line_loss(X, y)는 처음 보는 자료에서도 최소제곱 직선의 MSE다 (자료 세 개; 자료마다 부분 점수).",
)
def test_best_line_loss_on_other_data(lesson, partial_credit):
    """best_line_loss(X, y) is the least-squares line's MSE on data it never saw (three data sets;
    partial credit per data set)."""
    checks = [
        lambda X=X, y=y, what=what: _best_line_loss(lesson, X, y, what=what)
        for what, (X, y) in _other_line_data().items()
    ]
    _graded_parts(checks, partial_credit)


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


@pytest.mark.claim(
    points=1,
    ko="벤치마크: 직선을 처음부터(lr 0.1, 10000 epoch) 시간을 재며 학습해도 best_line_loss(X, y)에, 세션의 적합과 같은 마지막 손실(1e-6 이내)로 자리 잡는다.",
)
def test_timed_training_settles_on_the_floor(benchmark, lesson, data, device, line_fit, line_floor):
    """Benchmark: the straight line trained from scratch (lr 0.1, 10000 epochs), timed, settles on
    best_line_loss(X, y) with the same final loss as the session's fit (to 1e-6)."""
    X, y = data
    result = time_training(
        benchmark,
        lambda model: fit(model, X, y, lr=LR, epochs=EPOCHS, device=device),
        fresh=lesson.build_model,
        lesson=lesson,
        device=device,
        epochs=EPOCHS,
        session_result=line_fit,
        what="Linear(1, 1), 10000 epochs",
    )
    assert abs(result.final_loss - line_floor) < LOSS_TOLERANCE * line_floor
    assert abs(result.final_loss - line_fit.final_loss) <= 1e-6 * line_fit.final_loss
