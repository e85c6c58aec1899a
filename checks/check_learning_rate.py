"""Claims of the homework: lr 0.1 diverges on Example 2, because it exceeds 2/λ_max."""

import math

import pytest
import torch

from checks.reference.oracles import first_nonfinite_epoch, mse_hessian
from checks.timing import time_training
from checks.validate import (
    expect_data,
    expect_fit,
    expect_index,
    expect_number,
    fail,
    private_copy,
)
from lessons import _lecture
from lessons._diagrams import STYLES
from lessons._train import FitResult, fit

# The claims call the student's homework functions: a hang there costs a minute, not five.
pytestmark = pytest.mark.timeout(60)

EPOCHS = 1000  # the lecture's epochs for Example 2
LECTURE_LR, HOMEWORK_LR = 0.01, 0.1
MARGIN = 0.05  # 5% below / above the critical rate: converges / diverges


@pytest.fixture(scope="module")
def lecture_data():
    """Example 2's data, the engine's copy (lessons._lecture): the homework is not the data."""
    return expect_data(_lecture.polynomial_data(), x_shape=(100, 3))


@pytest.fixture
def data(lecture_data):
    """Each claim's own copy of the data: homework that edits X in place fails only that claim."""
    with private_copy(lecture_data, what="the data (X, y)") as copy:
        yield copy


@pytest.fixture(scope="module")
def eigenvalue(lecture_data):
    """Our own λ_max of 2/n·AᵀA, to grade the student's (float64, symmetric solver)."""
    X, _ = lecture_data
    return _largest_eigenvalue(X)


def _largest_eigenvalue(X):
    return float(torch.linalg.eigvalsh(mse_hessian(X))[-1])


def _train(train, data, lr, device):
    X, y = data
    # The engine's fit, in this process: the lesson's file could define a `fit` that trains nothing.
    result = train(_lecture.polynomial_model(), X, y, lr=lr, epochs=EPOCHS, device=device)
    return expect_fit(result, epochs=EPOCHS, finite=False)


def _run(losses) -> FitResult:
    """A made-up run with these per-epoch losses, to read with divergence_epoch."""
    model = torch.nn.Linear(3, 1)
    return FitResult(
        model, torch.tensor(losses), torch.zeros(100, 1), HOMEWORK_LR, len(losses), "cpu"
    )


def fits_ahead(train, kept, device, fixtures) -> None:
    """``homework_fit``, the rates around the critical one and ``sweep`` (fits ahead,
    checks/grader/fits_ahead.py)."""
    data = _lecture.polynomial_data()
    rates = _sweep_rates(_largest_eigenvalue(data[0]))
    sweep, around = ("sweep" in fixtures), ("sweep" in fixtures or "data" in fixtures)
    wanted = [HOMEWORK_LR] if "homework_fit" in fixtures else []
    wanted += (rates[:-2] if sweep else []) + (rates[-2:] if around else [])  # 2/λ_max ± 5%
    for lr in wanted:
        train(_lecture.polynomial_model(), *data, lr=lr, epochs=EPOCHS, device=device)


def _sweep_rates(eigenvalue: float) -> list[float]:
    critical = 2 / eigenvalue
    return [*SWEEP_RATES, (1 - MARGIN) * critical, (1 + MARGIN) * critical]


# The homework before any training: a claim lists one of these module fixtures before a fit, so
# an untouched lesson fails on its stub and trains nothing.
@pytest.fixture(scope="module")
def reads_divergence(lesson):
    """divergence_epoch runs (on a made-up run; its answers are graded by the claims)."""
    lesson.divergence_epoch(_run((1.0, 2.0, math.inf)))


@pytest.fixture(scope="module")
def student_eigenvalue(lesson, lecture_data):
    """The student's largest_hessian_eigenvalue of the lecture's X (on a copy of X)."""
    X = lecture_data[0].clone()
    return expect_number(lesson.largest_hessian_eigenvalue(X), name="largest_hessian_eigenvalue")


@pytest.fixture(scope="module")
def homework_fit(lesson, lecture_data, device, train):
    return _train(train, lecture_data, HOMEWORK_LR, device)


@pytest.mark.claim(
    points=2,
    ko="lr 0.1이면 손실이 1000 epoch 안에 유한한 범위를 벗어난다; divergence_epoch가 그때를 말한다 (손실이 inf 또는 NaN인 첫 epoch).",
)
def test_lr_0_1_diverges(lesson, reads_divergence, homework_fit):
    """With lr 0.1 the loss leaves the finite range within the 1000 epochs; divergence_epoch says
    when (the first epoch whose loss is inf or NaN)."""
    epoch = expect_index(lesson.divergence_epoch(homework_fit), name="divergence_epoch")
    first = first_nonfinite_epoch(homework_fit.losses)
    if epoch != first:
        cause = (
            "an earlier epoch is already not finite"
            if epoch is not None and epoch > first
            else "that epoch's loss is still finite"
            if epoch is not None
            else "the loss does leave the finite range"
        )
        fail(f"divergence_epoch returned {epoch}, expected {first} ({cause})")


@pytest.mark.claim(
    points=2,
    ko="largest_hessian_eigenvalue(X)는 MSE의 헤시안 2/n·AᵀA, A = [X, 1]의 λ_max다 (상대오차 1e-6).",
)
def test_largest_eigenvalue_matches_the_hessian(lesson, data, eigenvalue):
    """largest_hessian_eigenvalue(X) is λ_max of the MSE Hessian 2/n·AᵀA, A = [X, 1] (1e-6 relative)."""
    X, _ = data
    largest = expect_number(lesson.largest_hessian_eigenvalue(X), name="largest_hessian_eigenvalue")
    off = abs(largest - eigenvalue) / eigenvalue
    assert off < 1e-6, f"largest_hessian_eigenvalue(X) returned {largest:.6g}, {off:.2%} off λ_max"


@pytest.mark.claim(
    points=2,
    ko="critical_learning_rate(X)는 2/λ_max이고, 0.01 < 2/λ_max < 0.1이다: 강의의 학습률은 그보다 작고, 숙제의 학습률은 크다.",
)
def test_critical_rate_lies_between_the_two_rates(lesson, data, eigenvalue):
    """critical_learning_rate(X) is 2/λ_max, and 0.01 < 2/λ_max < 0.1: the lecture's rate is
    below it, the homework's above."""
    X, _ = data
    critical = expect_number(lesson.critical_learning_rate(X), name="critical_learning_rate")
    off = abs(critical - 2 / eigenvalue) / critical
    assert off < 1e-6, f"critical_learning_rate(X) returned {critical:.6g}, {off:.2%} off 2/λ_max"
    assert LECTURE_LR < critical < HOMEWORK_LR


# The three claims below test the student's numbers against training itself: untouched
# homework earns none of them.
@pytest.mark.claim(
    points=2,
    ko="넘치기 전까지 손실은 epoch마다 (lr·λ_max - 1)²배(≈ 11.4)로 5% 이내에서 커진다 (λ_max는 largest_hessian_eigenvalue(X)): 가장 큰 고유벡터 방향의 오차가 매 단계 1 - lr·λ_max배가 된다.",
)
def test_loss_grows_by_the_predicted_factor(student_eigenvalue, homework_fit):
    """Before it overflows, the loss grows each epoch by (lr·λ_max - 1)² (≈ 11.4), within 5%,
    with λ_max from largest_hessian_eigenvalue(X): the error along the top eigenvector is
    multiplied by 1 - lr·λ_max every step."""
    eigenvalue = student_eigenvalue
    losses = homework_fit.losses.double()
    finite = losses[torch.isfinite(losses)]
    growth = float(finite[-1] / finite[-2])  # late epochs: the top direction dominates
    predicted = (HOMEWORK_LR * eigenvalue - 1) ** 2
    assert abs(growth - predicted) < 0.05 * predicted, (
        f"the loss grew {growth:.4g}× per epoch; with largest_hessian_eigenvalue(X) = "
        f"{eigenvalue:.6g} the prediction is {predicted:.4g}×"
    )


@pytest.mark.claim(
    points=1,
    ko="critical_learning_rate(X)의 95%에서 손실은 유한하게 남고 처음 값의 10분의 1보다 낮게 끝난다.",
)
def test_rate_just_below_critical_converges(lesson, data, device, train):
    """At 95% of critical_learning_rate(X) the loss stays finite and ends below a tenth of where
    it started."""
    critical = expect_number(lesson.critical_learning_rate(data[0]), name="critical_learning_rate")
    fit = _train(train, data, (1 - MARGIN) * critical, device)
    nonfinite = first_nonfinite_epoch(fit.losses)
    if nonfinite is not None:
        fail(
            f"at lr {(1 - MARGIN) * critical:.4g} (0.95 × critical_learning_rate) the loss is not "
            f"finite from epoch {nonfinite}, expected it to stay finite: the "
            "critical rate returned is too large"
        )
    if not fit.final_loss < 0.1 * float(fit.losses[0]):
        fail(
            f"final loss {fit.final_loss:.4g}, expected below a tenth of the first {float(fit.losses[0]):.4g}"
        )


@pytest.mark.claim(
    points=1,
    ko="critical_learning_rate(X)의 105%에서 손실은 1000 epoch 안에 넘친다 (epoch마다 ≈ 1.21배로 커진다).",
)
def test_rate_just_above_critical_diverges(lesson, data, device, train):
    """At 105% of critical_learning_rate(X) the loss overflows within 1000 epochs (it grows
    ≈ 1.21× per epoch)."""
    critical = expect_number(lesson.critical_learning_rate(data[0]), name="critical_learning_rate")
    fit = _train(train, data, (1 + MARGIN) * critical, device)
    if first_nonfinite_epoch(fit.losses) is None:
        fail(
            f"at lr {(1 + MARGIN) * critical:.4g} (1.05 × critical_learning_rate) the loss stayed "
            f"finite (last {fit.final_loss:.4g}), expected it to overflow: the critical rate "
            "returned is too small (2/λ_max, not 1/λ_max?)"
        )


# Figures and diagrams: ungraded snapshots (checks/grader/snapshots.py), drawn from the fits above.

SWEEP_RATES = (0.005, 0.01, 0.02, 0.03, 0.04, 0.06, 0.08)  # with 2/λ_max ± 5% and lr 0.1


@pytest.fixture(scope="module")
def sweep(lesson, reads_divergence, lecture_data, eigenvalue, homework_fit, device, train):
    """One fit per learning rate around 2/λ_max (the lr 0.1 fit is homework_fit), by rate; after
    the homework runs, so an untouched lesson trains nothing for its figures."""
    fits = {lr: _train(train, lecture_data, lr, device) for lr in _sweep_rates(eigenvalue)}
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
    assert diagram_snapshot == lesson.diagram(_lecture.polynomial_model(), style)


@pytest.mark.claim(
    points=1,
    visibility="hidden",
    ko="divergence_epoch는 모든 손실이 유한하면 None이고, lr 0.1의 학습만이 아니라 어디에 있든 첫 inf 또는 NaN을 찾는다.",
)
def test_divergence_epoch_reads_any_run(lesson):
    """divergence_epoch is None when every loss is finite and finds the first inf or NaN wherever
    it is, not only in the lr 0.1 run."""
    inf, nan = math.inf, math.nan
    cases = {(1.0, 0.5, 0.25): None, (1.0, inf, nan): 1, (3.0, 2.0, nan): 2, (nan, 1.0): 0}
    for losses, expected in cases.items():
        run = _run(losses)
        epoch = expect_index(lesson.divergence_epoch(run), name="divergence_epoch")
        assert epoch == expected, f"losses {losses}: expected {expected}, got {epoch}"


@pytest.mark.claim(
    points=1,
    visibility="hidden",
    ko="largest_hessian_eigenvalue(X)는 다른 모양과 크기의 자료에서도 2/n·AᵀA의 λ_max다 (상대오차 1e-6): 열 두 개, 열 한 개, 열 배 큰 x.",
)
def test_largest_eigenvalue_holds_on_other_data(lesson):
    """largest_hessian_eigenvalue(X) is λ_max of 2/n·AᵀA for data of other shapes and scales too
    (1e-6 relative): two columns, one column, ten times larger x."""
    generator = torch.Generator().manual_seed(3)
    for rows, columns, scale in ((40, 2, 1.0), (25, 1, 10.0), (60, 4, 0.3)):
        X = torch.randn(rows, columns, generator=generator) * scale
        expected = _largest_eigenvalue(X)
        name = f"largest_hessian_eigenvalue(X of shape {(rows, columns)})"
        largest = expect_number(lesson.largest_hessian_eigenvalue(X.clone()), name=name)
        off = abs(largest - expected) / expected
        assert off < 1e-6, f"{name} returned {largest:.6g}, expected {expected:.6g} ({off:.2%} off)"


@pytest.mark.claim(
    points=2,
    visibility="after_due_date",
    partial=True,
    ko="critical_learning_rate(X)는 다른 seed 다섯 개로 뽑은 예제2의 자료에서도 2/λ_max다 (부분 점수: seed마다 점수의 5분의 1).",
)
def test_critical_rate_holds_on_other_data(lesson, partial_credit):
    """critical_learning_rate(X) is 2/λ_max on Example 2's data drawn with five other seeds too
    (partial credit: a fifth of the points per seed)."""
    right, wrong = [], []
    for seed in (1, 2, 3, 4, 5):
        X, _ = _lecture.polynomial_data(seed)
        expected = 2 / _largest_eigenvalue(X)
        critical = expect_number(lesson.critical_learning_rate(X), name="critical_learning_rate")
        right.append(abs(critical - expected) < 1e-6 * expected)
        if not right[-1]:
            wrong.append(f"seed {seed}: returned {critical:.6g}, expected 2/λ_max = {expected:.6g}")
    partial_credit(sum(right) / len(right))
    assert all(right), f"right for {sum(right)} of {len(right)} seeds; {wrong[0] if wrong else ''}"


@pytest.mark.claim(
    points=1,
    ko="벤치마크: 예제2를 lr 0.1(1000 epoch)로 처음부터 시간을 재며 학습해도, divergence_epoch가 읽기에 세션의 적합과 같은 epoch에서 유한한 범위를 벗어난다.",
)
def test_timed_training_at_lr_0_1_diverges_at_the_same_epoch(
    benchmark, lesson, reads_divergence, data, device, homework_fit
):
    """Benchmark: Example 2 trained from scratch at lr 0.1 (1000 epochs), timed, leaves the finite
    range at the same epoch as the session's fit, as divergence_epoch reads it."""
    X, y = data
    result = time_training(
        benchmark,
        lambda model: fit(model, X, y, lr=HOMEWORK_LR, epochs=EPOCHS, device=device),
        fresh=_lecture.polynomial_model,
        lesson=lesson,
        device=device,
        epochs=EPOCHS,
        session_result=homework_fit,
        what="Linear(3, 1), lr 0.1",
    )
    # Read through the homework's divergence_epoch: an untouched release scores nothing here.
    epoch = expect_index(lesson.divergence_epoch(result), name="divergence_epoch")
    expected = first_nonfinite_epoch(homework_fit.losses)
    timed = first_nonfinite_epoch(result.losses)
    if not epoch == timed == expected:
        fail(
            f"divergence_epoch of the timed run returned {epoch}, expected {expected} (the "
            f"session's fit; the timed run's first non-finite epoch is {timed})"
        )
