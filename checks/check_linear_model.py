"""Claims of Example 1: a linear node trained by SGD is least squares, whichever way it is drawn.

The homework is ``design_matrix`` and ``train`` (the lecture's loop): every fit below is the
student's ``train``, and ``lessons._train.fit`` (the engine, which a submission cannot replace) is
the reference it is compared with.
"""

import pytest
import torch

from checks.compare import expect_close, expect_losses
from checks.reference.oracles import least_squares, with_intercept
from checks.timing import time_training
from checks.validate import expect_data
from lessons import _lecture
from lessons._diagrams import STYLES
from lessons._seeding import lecture_seed
from lessons._train import FitResult

# The claims call the student's homework functions: a hang there costs a minute, not five.
pytestmark = pytest.mark.timeout(60)

LR, EPOCHS = 0.1, 1000
ENGINES = ("autograd", "auto")  # the reference run on both of lessons.fit's engines
# SGD has converged when it agrees with the closed form to float32 round-off of ~1e-6, far below
# the estimates' own sampling error (~0.1): 1e-3 leaves room for any device's summation order.
WEIGHT_TOLERANCE = 1e-3
STANDARD_ERRORS = 3  # a 3-sigma band holds for each weight with probability 0.997
# A loop written another way (manual MSE, zero_grad first, a by-hand update under no_grad, the
# lecture's loss_fn(y, yhat), a gradient written out) lands on the same weights as lessons.fit to
# the last bit on CPU, and its losses differ by at most 3.9e-7 relative (float32 round-off of the
# mean). 1e-5 is a 25x margin over that, for a GPU's summation order too, and still catches a loop
# that skips zero_grad (gap 0.18 at epoch 1) or reports the loss after the update.
# catches: mistake_no_zero_grad mistake_loss_after_step
ROUND_OFF = 1e-5
# Data and nets the student never saw: other x, other true line, other init, other lr and epochs.
# Far from converged (the last loss is 3.9x and 5.1x the least-squares floor in the two views), so
# where the run ends tells how many steps it took. Measured: one step short moves a weight by
# 1100x to 1500x what ROUND_OFF allows, training 1000 epochs whatever `epochs` says by 40000x. At
# lr 0.05 and 200 epochs both mistakes ended 0 and 1.2e-7 from the right run: converged in float32.
UNSEEN_LR, UNSEEN_EPOCHS = 0.02, 30


@pytest.fixture(scope="module")
def data(lesson):
    return expect_data(lesson.make_data(), x_shape=(100, 1))


@pytest.fixture(scope="module")
def oracle(data):
    x, y = data
    return least_squares(with_intercept(x), y)


def _linear(view: str, seed: int) -> torch.nn.Linear:
    """The lesson's two nets, built here (``build_model`` is the lesson's, not the homework)."""
    with lecture_seed(seed):
        return torch.nn.Linear(1 if view == "bias" else 2, 1, bias=view == "bias")


def _design(x: torch.Tensor) -> torch.Tensor:
    return torch.cat([torch.ones_like(x), x], dim=1)


def _student_fit(lesson, model, X, y, *, lr, epochs, device) -> FitResult:
    """The student's ``train`` on ``device``: its losses, and the weights it left in ``model``."""
    model, X, y = model.to(device), X.to(device), y.to(device)
    returned = lesson.train(model, X, y, lr=lr, epochs=epochs)
    losses = expect_losses(returned, epochs=epochs, name="train")
    with torch.no_grad():
        yhat = model(X).cpu()  # the trained line (the figures draw it)
    return FitResult(model, losses, yhat, lr, epochs, str(device))


def _w0_w1(model: torch.nn.Linear) -> torch.Tensor:
    """(w0, w1) of either view, in float64 on the CPU."""
    if model.bias is not None:
        return torch.cat([model.bias.detach(), model.weight.detach()[0]]).cpu().double()
    return model.weight.detach()[0].cpu().double()


def _oracle_w0_w1(oracle) -> torch.Tensor:
    w, _ = oracle  # with_intercept puts the intercept last
    return torch.stack([w[1, 0], w[0, 0]])


def _matches_reference(result: FitResult, reference: FitResult, *, what: str) -> None:
    """The student's run follows the reference run: every epoch's loss and the trained weights."""
    expect_close(
        result.losses,
        reference.losses,
        name=f"train({what}) losses",
        rtol=ROUND_OFF,
        what="lessons.fit's loss at that epoch",
    )
    expected = _w0_w1(reference.model)
    expect_close(
        _w0_w1(result.model),
        expected,
        name=f"train({what}) trained (w0, w1)",
        atol=ROUND_OFF,
        rtol=ROUND_OFF,
        what="lessons.fit's weight",
    )


def _references(train, x, y, device) -> list[FitResult]:
    """lessons.fit's run of x*w + b on ``(x, y)``, on each engine: what train must follow."""
    return [
        train(_linear("bias", 1), x, y, lr=LR, epochs=EPOCHS, device=device, engine=engine)
        for engine in ENGINES
    ]


def fits_ahead(train, kept, device, fixtures) -> None:
    """``example_1_references`` on the lecture's data (fits ahead, checks/grader/fits_ahead.py):
    a lesson whose make_data is the lecture's asks for these very fits. The autograd one is
    ~1.5 s of the grader's time that the lesson's process waited out, and each Gradescope
    submission trained it again (the image's cache holds what fits_ahead names)."""
    if "example_1_references" in fixtures:
        _references(train, *_lecture.linear_data(), device)


@pytest.fixture(scope="module")
def example_1_references(data, device, train) -> list[FitResult]:
    return _references(train, *data, device)


@pytest.fixture(scope="module")
def bias_fit(lesson, data, device):
    x, y = data
    return _student_fit(lesson, _linear("bias", 1), x, y, lr=LR, epochs=EPOCHS, device=device)


@pytest.fixture(scope="module")
def design_fit(lesson, data, device):
    x, y = data
    X = lesson.design_matrix(x)
    expect_close(X, _design(x), name="design_matrix(x)")
    return _student_fit(lesson, _linear("design", 1), X, y, lr=LR, epochs=EPOCHS, device=device)


@pytest.mark.claim(
    points=1,
    ko="design_matrix(x)는 강의의 X = [1, x]다: 1로 된 열, 그다음 x, 모양 (100, 2).",
)
def test_design_matrix_is_ones_then_x(lesson, data):
    """design_matrix(x) is the lecture's X = [1, x]: a column of ones, then x, shape (100, 2)."""
    x, _ = data
    X = lesson.design_matrix(x.clone())
    expect_close(X, _design(x), name="design_matrix(x)", what="[1, x]")


@pytest.mark.claim(
    points=2,
    ko="train(model, x, y, lr=0.1, epochs=1000)은 강의의 학습 루프다: 예제1에서 epoch마다의 손실과 학습된 가중치가 lessons.fit(두 엔진 모두)과 float32 반올림 오차까지 같다.",
)
def test_train_matches_fit_on_example_1(bias_fit, example_1_references):
    """train(model, x, y, lr=0.1, epochs=1000) is the lecture's loop: on Example 1 its loss at
    every epoch and its trained weights are lessons.fit's (both engines), to float32 round-off."""
    for reference in example_1_references:
        _matches_reference(bias_fit, reference, what="x*w + b")


@pytest.mark.claim(
    points=2,
    ko="여러분의 train으로 학습한 x*w + b (lr 0.1, 1000 epoch)는 닫힌 꼴의 최소제곱 (w0, w1)에 1e-3 이내로 닿는다.",
)
def test_bias_view_recovers_least_squares(bias_fit, oracle):
    """x*w + b trained by your train (lr 0.1, 1000 epochs) lands on the closed-form least-squares
    (w0, w1), within 1e-3."""
    expect_close(
        _w0_w1(bias_fit.model),
        _oracle_w0_w1(oracle),
        name="trained (w0, w1)",
        atol=WEIGHT_TOLERANCE,
        what="least squares",
    )


@pytest.mark.claim(
    points=2,
    ko="편향 없는 [1, x] @ W (여러분의 design_matrix와 train)도 같은 최소제곱 (w0, w1)에 1e-3 이내로 닿는다.",
)
def test_design_matrix_view_recovers_least_squares(design_fit, oracle):
    """[1, x] @ W without bias (your design_matrix, your train) lands on the same least-squares
    (w0, w1), within 1e-3."""
    expect_close(
        _w0_w1(design_fit.model),
        _oracle_w0_w1(oracle),
        name="trained W of [1, x] @ W",
        atol=WEIGHT_TOLERANCE,
        what="least squares",
    )


@pytest.mark.claim(
    points=1,
    ko="두 신경망은 같은 모형이다: 적합한 직선이 모든 점에서 (1e-3까지) 같다.",
)
def test_both_views_give_the_same_fit(bias_fit, design_fit):
    """The two networks are the same model: their fitted lines agree at every point (to 1e-3)."""
    expect_close(
        design_fit.yhat,
        bias_fit.yhat,
        name="fitted line of [1, x] @ W at row",
        atol=WEIGHT_TOLERANCE,
        what="x*w + b's",
    )


@pytest.mark.claim(
    points=1,
    ko="train이 돌려주는 마지막 손실은 최소제곱 MSE와 같다 (상대 차이 < 1e-4): 직선이 더 배울 것이 없다.",
)
def test_training_loss_reaches_the_least_squares_minimum(bias_fit, oracle):
    """The last loss train returns equals the least-squares MSE (relative gap < 1e-4): nothing is
    left to learn for a straight line."""
    _, floor = oracle
    gap = abs(bias_fit.final_loss - floor) / floor
    assert gap < 1e-4, (
        f"train's last loss is {bias_fit.final_loss:.6g}, least squares {floor:.6g}: {gap:.1e} off"
    )


@pytest.mark.claim(
    points=1,
    ko="각 추정값은 참값 (w0, w1) = (2.5, 4)에서 표준오차의 3배 이내다 (잡음 표준편차 1).",
)
def test_estimates_are_near_the_true_weights(lesson, bias_fit, data):
    """Each estimate is within 3 standard errors of the true (w0, w1) = (2.5, 4) (noise sd 1)."""
    x, _ = data
    A = _design(x).double()
    standard_errors = torch.linalg.inv(A.T @ A).diagonal().sqrt()  # sigma = 1 is known
    expect_close(
        _w0_w1(bias_fit.model),
        torch.tensor(lesson.TRUE_W, dtype=torch.float64),
        name="trained (w0, w1)",
        atol=STANDARD_ERRORS * standard_errors,
        what="the truth, give or take 3 standard errors",
    )


# Inputs the student never saw: a hard-coded answer for Example 1 loses these.


def _unseen_data() -> tuple[torch.Tensor, torch.Tensor]:
    """50 unsorted x in [-2, 3], y = -1.5 + 0.7x + N(0, 0.5²)."""
    generator = torch.Generator().manual_seed(7)
    x = torch.rand(50, 1, generator=generator) * 5 - 2
    return x, -1.5 + 0.7 * x + 0.5 * torch.randn(50, 1, generator=generator)


@pytest.mark.claim(
    points=1,
    visibility="hidden",
    ko="design_matrix(x)는 처음 보는 x(정렬되지 않은 점 7개, 음수 포함)에서도 [1, x]다.",
)
def test_design_matrix_on_other_x(lesson):
    """design_matrix(x) is [1, x] for x it never saw (7 unsorted points, negative ones too)."""
    x = torch.tensor([[0.5], [-2.0], [3.25], [0.0], [-0.1], [7.0], [1.0]])
    expect_close(lesson.design_matrix(x.clone()), _design(x), name="design_matrix(x)")


@pytest.mark.claim(
    points=2,
    visibility="hidden",
    ko="train은 처음 보는 모형과 자료(두 관점, 다른 seed, 점 50개, lr 0.05, 200 epoch)에서도 lessons.fit을 따른다: epoch마다 같은 손실, 같은 가중치.",
)
def test_train_on_unseen_data(lesson, device, train):
    """train follows lessons.fit on a model and data it never saw (both views, other seeds, 50
    points, lr 0.02, 30 epochs: far from converged): the same loss at every epoch and the same
    weights, so a loop that trains one epoch too few or ignores epochs loses these points."""
    # catches: mistake_one_epoch_short mistake_ignores_epochs mistake_hardcoded
    x, y = _unseen_data()
    for view, seed, X in (("bias", 11, x), ("design", 5, _design(x))):
        result = _student_fit(
            lesson,
            _linear(view, seed),
            X,
            y,
            lr=UNSEEN_LR,
            epochs=UNSEEN_EPOCHS,
            device=device,
        )
        reference = train(
            _linear(view, seed), X, y, lr=UNSEEN_LR, epochs=UNSEEN_EPOCHS, engine="autograd"
        )
        _matches_reference(result, reference, what=f"{view} view, unseen data")


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


@pytest.mark.claim(
    points=1,
    ko="벤치마크: 여러분의 train으로 x*w + b를 처음부터(lr 0.1, 1000 epoch) 시간을 재며 학습해도 최소제곱 (w0, w1)에, 세션의 적합과 같은 마지막 손실(1e-6 이내)로 닿는다.",
)
def test_timed_training_recovers_least_squares(benchmark, lesson, data, device, bias_fit, oracle):
    """Benchmark: x*w + b trained from scratch by your train (lr 0.1, 1000 epochs), timed, lands
    on the least-squares (w0, w1) with the same final loss as the session's fit (to 1e-6)."""
    x, y = data
    result = time_training(
        benchmark,
        lambda model: _student_fit(lesson, model, x, y, lr=LR, epochs=EPOCHS, device=device),
        fresh=lambda: _linear("bias", 1),
        lesson=lesson,
        device=device,
        epochs=EPOCHS,
        session_result=bias_fit,
        what="x*w + b",
    )
    expect_close(
        _w0_w1(result.model),
        _oracle_w0_w1(oracle),
        name="timed run's (w0, w1)",
        atol=WEIGHT_TOLERANCE,
        what="least squares",
    )
    assert abs(result.final_loss - bias_fit.final_loss) <= 1e-6 * bias_fit.final_loss
