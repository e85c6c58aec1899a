"""Claims of (5/5): wider MOOYAHO nets fit their training data ever better and new data worse.

The homework reads the sweep: ``held_out_loss`` (a trained net's MSE on data it never saw) and
``best_width`` (where the mean held-out MSE is lowest). The sweep (600 nets) is trained only once
both read a small made-up case right (``reading``): an untouched lesson trains nothing, and the
claims on the sweep count once the student can read it.
"""

import itertools

import pytest
import torch

from checks.compare import expect_close
from checks.reference import nets, sweeps
from checks.reference.data import piecewise_data
from checks.reference.oracles import mse
from checks.reference.sweeps import WidthSweep, width_sweep
from checks.timing import time_training
from checks.validate import expect_number

NOISE_VARIANCE = 0.3**2  # what even the true curve scores on held-out data
# Each width must at least cut the mean train loss by a quarter (measured: by 0.32x to 0.52x).
TRAIN_FALL = 0.75
STANDARD_ERRORS = 3  # a paired rise over 100 seeds must exceed 3 standard errors to count
WIDE = 50  # from this width on, the nets fit their training data below the noise (measured 0.028)
LR, EPOCHS, TRAIN_POINTS, HELD_OUT_POINTS = 0.01, 500, 20, 1000  # the lesson's settings
WIDTHS, SEEDS, HELD_OUT_SEED_OFFSET = (5, 10, 20, 50, 100, 200), 100, 1_000_000  # the lesson's too
# held_out_loss in float32 or float64, mean of squares or mse_loss: within 2e-7 relative of the
# float64 MSE of the same predictions (measured); 1e-5 is round-off.
RTOL = 1e-5


def _net_and_data(width: int, seed: int, *, train=None):
    """A net of the lesson's kind (the grader's copy), trained by ``train`` (the ``train``
    fixture: lessons.fit) if given, and held-out data: another noise draw of the lecture's
    piecewise process."""
    model = nets.wide_model(width, seed=seed) if train is None else _fit(train, width, seed).model
    # The net crosses to the lesson with MOOYAHO folded into its first layer (the lesson's process
    # has no course MOOYAHO): the same function, and the claims measure the net they send.
    return nets.folded(model), piecewise_data(seed=seed + 7919, n=HELD_OUT_POINTS)


def _fit(train, width: int, seed: int):
    return train(nets.wide_model(width, seed=seed), *piecewise_data(seed=seed, n=TRAIN_POINTS),
                 lr=LR, epochs=EPOCHS)  # fmt: skip


def fits_ahead(train, kept, device, fixtures) -> None:
    """The sweep and the held-out claims' nets (fits ahead, checks/grader/fits_ahead.py)."""
    if "train" in fixtures:  # the held-out claims train theirs themselves
        for width, seed in ((50, 0), (5, 11), (200, 4)):
            _fit(train, width, seed)
    if "sweep" in fixtures:
        _sweep_losses(kept, device)


def _expect_held_out_loss(lesson, model, X, y, *, name: str) -> float:
    """The student's held_out_loss is the float64 MSE of the model's predictions (to RTOL), and
    leaves the model's weights and gradients as they were."""
    before = {key: value.clone() for key, value in model.state_dict().items()}
    got = expect_number(lesson.held_out_loss(model, X.clone(), y.clone()), name=name)
    with torch.no_grad():
        expected = mse(model(X), y)
    changed = [
        key for key, value in model.state_dict().items() if not torch.equal(value, before[key])
    ]
    assert not changed, f"{name} changed the net's {', '.join(changed)}: measure, do not train"
    off = abs(got - expected) / expected
    assert off <= RTOL, (
        f"{name} returned {got:.6g}, expected the MSE {expected:.6g} ({off:.2%} off)"
    )
    return got


def _reference_sweep(device) -> WidthSweep:
    return width_sweep(
        WIDTHS,
        range(SEEDS),
        train_points=TRAIN_POINTS,
        held_out_points=HELD_OUT_POINTS,
        held_out_offset=HELD_OUT_SEED_OFFSET,
        lr=LR,
        epochs=EPOCHS,
        device=device,
    )


def _for_lesson(lesson, sweep: WidthSweep):
    """The grader's sweep as the lesson's own ``WidthSweep`` (the same tensors)."""
    return lesson.WidthSweep(sweep.widths, sweep.train, sweep.held_out)


def _expect_best_width(lesson, sweep: WidthSweep, *, name: str) -> int:
    means = sweep.held_out.double().mean(1)
    expected = sweep.widths[int(means.argmin())]
    got = lesson.best_width(_for_lesson(lesson, sweep))
    assert got == expected, (
        f"{name} returned {got!r}, expected width {expected} (mean held-out MSE by width: "
        f"{[round(m, 4) for m in means.tolist()]})"
    )
    return got


def _made_up_sweep(widths, held_out):
    """A made-up WidthSweep whose train losses fall with width, as a real sweep's do: read
    instead of the held-out ones, they point at the widest net."""
    held_out = torch.tensor(held_out, dtype=torch.float32)
    falling = torch.arange(len(widths), 0, -1, dtype=torch.float32).unsqueeze(1) / 100
    return WidthSweep(tuple(widths), falling.expand_as(held_out).clone(), held_out)


# The warm-up's 3x3 sweep, where each way of reading it wrong gives another width than 8 (the
# lowest mean over seeds, 0.2): the lowest single value (0.02) is at width 4, the lowest mean over
# the *widths* (dimension 0: 0.25, 0.28, 0.15) at width 16, the lowest train loss at width 16.
WARM_UP_HELD_OUT = [[0.30, 0.40, 0.02], [0.20, 0.20, 0.20], [0.25, 0.25, 0.22]]


@pytest.fixture(scope="module")
def reading(lesson):
    """The homework on small cases, before any sweep trains: an untrained net's held-out loss,
    and the best width of a made-up sweep that reading it by train loss, by the lowest single
    value or by averaging over the wrong dimension gets wrong."""
    # catches: mistake_width_by_train_loss mistake_wrong_axis
    model, (X, y) = _net_and_data(5, seed=3)
    _expect_held_out_loss(lesson, model, X, y, name="held_out_loss(an untrained 5-node net, X, y)")
    sweep = _made_up_sweep((4, 8, 16), WARM_UP_HELD_OUT)
    _expect_best_width(lesson, sweep, name="best_width(a made-up sweep of widths 4, 8, 16)")


@pytest.fixture(scope="module")
def sweep(lesson, device, reading, kept):
    """Train and held-out MSE of 100 seeds x 6 widths (the lesson's settings), the grader's copy
    of the lesson's sweep: a mistake in piecewise_linear or custom_activation costs nothing here.
    Computed once per fit cache (``kept``), like a fit."""
    found = _sweep_losses(kept, device)
    return WidthSweep(WIDTHS, found["train"], found["held_out"])


def _sweep_losses(kept, device):
    inputs = {"widths": WIDTHS, "seeds": SEEDS, "points": (TRAIN_POINTS, HELD_OUT_POINTS),
              "offset": HELD_OUT_SEED_OFFSET, "lr": LR, "epochs": EPOCHS}  # fmt: skip

    def compute() -> dict[str, torch.Tensor]:
        found = _reference_sweep(device)
        return {"train": found.train, "held_out": found.held_out}

    return kept("width_sweep", inputs, compute, modules=sweeps.MODULES, device=device)


@pytest.mark.claim(
    points=2,
    ko="held_out_loss(model, X, y)는 떼어 둔 자료에서 신경망 예측의 MSE다 (상대오차 1e-5): 노드 50개 신경망을 실습의 학습(seed 0) 전후로, 새 점 1000개에서.",
)
def test_held_out_loss_measures_a_trained_net(lesson, train):
    """held_out_loss(model, X, y) is the MSE of a net's predictions on held-out data (to 1e-5
    relative): a 50-node net before and after the lesson's training (seed 0), on 1000 new points."""
    untrained, (X, y) = _net_and_data(50, seed=0)
    _expect_held_out_loss(lesson, untrained, X, y, name="held_out_loss(untrained net, X, y)")
    trained, (X, y) = _net_and_data(50, seed=0, train=train)
    _expect_held_out_loss(lesson, trained, X, y, name="held_out_loss(trained net, X, y)")


@pytest.mark.claim(
    points=1,
    ko="held_out_loss는 가중치를 하나도 바꾸지 않고 그래디언트도 남기지 않는다: 두 번 물으면 같은 신경망을 두 번 잰다 (재는 것은 학습이 아니다).",
)
def test_held_out_loss_leaves_the_net_alone(lesson):
    """held_out_loss changes no weight and leaves no gradient behind: asked twice, it measures
    the same net twice (measuring is not training)."""
    model, (X, y) = _net_and_data(20, seed=1)  # measuring needs no training
    first = _expect_held_out_loss(lesson, model, X, y, name="held_out_loss(net, X, y)")
    second = _expect_held_out_loss(lesson, model, X, y, name="held_out_loss(net, X, y), again")
    grads = [name for name, p in model.named_parameters() if p.grad is not None]
    assert not grads, f"held_out_loss left gradients in {', '.join(grads)}: use torch.no_grad()"
    assert first == second, f"held_out_loss gave {first:.6g}, then {second:.6g} on the same net"


@pytest.mark.claim(
    points=1,
    ko="best_width(sweep)는 seed 100개에 걸쳐 평균한 떼어 둔 자료의 MSE가 가장 낮은 폭이다.",
)
def test_best_width_reads_the_sweep(lesson, sweep):
    """best_width(sweep) is the width whose held-out MSE, averaged over the 100 seeds, is lowest."""
    _expect_best_width(lesson, sweep, name="best_width(sweep)")


def _paired_rise(sweep, low: int, high: int) -> tuple[float, float]:
    """Mean and standard error over seeds of held-out(width ``high``) - held-out(width ``low``)."""
    i, j = sweep.widths.index(low), sweep.widths.index(high)
    diff = (sweep.held_out[j] - sweep.held_out[i]).double()
    return float(diff.mean()), float(diff.std() / len(diff) ** 0.5)


@pytest.mark.claim(
    points=2,
    ko="seed 100개에 걸쳐 평균하면 더 넓은 신경망일수록 학습 MSE가 낮게 끝난다: 폭(5, 10, 20, 50, 100, 200)이 한 단계 넓어질 때마다 이전의 0.75배보다 작아진다.",
)
def test_train_loss_keeps_falling_with_width(sweep):
    """Averaged over 100 seeds, every wider net ends with a lower training MSE: each step in width
    (5, 10, 20, 50, 100, 200) cuts it to less than 0.75 of the previous one."""
    train = sweep.mean_train()
    for narrow, wide in itertools.pairwise(train):
        assert wide < TRAIN_FALL * narrow, f"mean train MSE by width: {train}"


@pytest.mark.claim(
    points=2,
    ko="같은 과정에서 뽑은 떼어 둔 자료에서 평균 MSE는 중간 폭, best_width(sweep)(측정: 노드 50개)에서 가장 낮고, 가장 넓은 신경망(노드 200개)은 그 최선의 폭보다 seed에 걸친 짝지은 차이의 표준오차 3배 넘게 나쁘다: 노드가 많을수록 과적합이 크다.",
)
def test_held_out_loss_stops_improving_and_rises(lesson, sweep):
    """On held-out data from the same process the mean MSE is lowest at a middle width,
    best_width(sweep) (measured: 50 nodes), and the widest nets (200 nodes) score worse than that
    best width, by more than 3 standard errors of the paired difference over seeds: more nodes,
    more overfitting."""
    best = _expect_best_width(lesson, sweep, name="best_width(sweep)")
    held = sweep.mean_held_out()
    assert best not in (sweep.widths[0], sweep.widths[-1]), f"mean held-out MSE by width: {held}"
    rise, standard_error = _paired_rise(sweep, best, sweep.widths[-1])
    assert rise > STANDARD_ERRORS * standard_error, f"rise {rise:.4f} ± {standard_error:.4f}"


@pytest.mark.claim(
    points=1,
    ko="노드 50개부터 평균 학습 MSE는 잡음 분산 0.09보다 낮지만 (신경망이 잡음의 일부를 맞춤) 떼어 둔 자료의 평균 MSE는 그보다 높게 남는다: 맞춘 잡음은 새 자료로 이어지지 않는다.",
)
def test_wide_nets_fit_noise_they_cannot_predict(sweep):
    """From 50 nodes on, the mean train MSE is below the noise variance 0.09 (the nets fit part of
    the noise) while the mean held-out MSE stays above it: fitted noise does not carry over."""
    for width, train, held in zip(
        sweep.widths, sweep.mean_train(), sweep.mean_held_out(), strict=True
    ):
        if width >= WIDE:
            assert train < NOISE_VARIANCE < held, f"width {width}: train {train}, held-out {held}"


@pytest.mark.claim(
    points=1,
    ko="벤치마크: 전체 sweep(폭 6개 x seed 100개 x 500 epoch)을 시간을 재며 다시 해도 모든 신경망의 학습 MSE와 떼어 둔 자료의 MSE가 세션의 sweep과 같다 (1e-6 이내).",
)
def test_timed_width_sweep_gives_the_same_losses(benchmark, lesson, device, sweep):
    """Benchmark: the whole sweep (6 widths x 100 seeds x 500 epochs), timed, gives every net the
    same train and held-out MSE as the session's sweep (to 1e-6)."""
    result = time_training(
        benchmark,
        lambda: _reference_sweep(device),
        lesson=lesson,
        device=device,
        epochs=len(WIDTHS) * SEEDS * EPOCHS,
        session_result=sweep,
        rounds=3,
        what="width sweep, 6 widths x 100 seeds",
    )
    expect_close(
        result.train,
        sweep.train,
        rtol=1e-6,
        name="timed sweep's train MSE",
        what="the session's sweep",
    )
    expect_close(
        result.held_out,
        sweep.held_out,
        rtol=1e-6,
        name="timed sweep's held-out MSE",
        what="the session's sweep",
    )


@pytest.mark.claim(
    points=1,
    visibility="hidden",
    ko="held_out_loss는 다른 폭, seed, 자료 크기에서도, 그리고 평범한 Linear에서도 맞다.",
)
def test_held_out_loss_holds_for_other_nets(lesson, train):
    """held_out_loss is right for other widths, seeds and data sizes, and for a plain Linear."""
    for width, seed in ((5, 11), (200, 4)):
        model, (X, y) = _net_and_data(width, seed=seed, train=train)
        _expect_held_out_loss(lesson, model, X[:37], y[:37], name=f"held_out_loss({width} nodes)")
    line = torch.nn.Linear(1, 1)
    with torch.no_grad():
        line.weight.fill_(2.0), line.bias.fill_(-0.5)
    X, y = piecewise_data(seed=12, n=64)
    _expect_held_out_loss(lesson, line, X, y, name="held_out_loss(Linear(1, 1))")


@pytest.mark.claim(
    points=1,
    visibility="hidden",
    ko="best_width는 만들어 낸 sweep도 바르게 읽는다: 최선의 폭이 처음, 끝, 가운데에 있을 때, 그리고 seed 하나의 최솟값이나 학습 손실이 다른 곳을 가리킬 때도 평균이 가장 낮은 폭을 고른다.",
)
def test_best_width_holds_for_other_sweeps(lesson):
    """best_width reads made-up sweeps right: the best width first, last or in the middle, and
    the lowest mean where a single seed's lowest value or the train losses point elsewhere."""
    # catches: mistake_hard_coded mistake_width_by_train_loss
    cases = [
        ((3, 30, 300), [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]),
        ((3, 30, 300), [[0.9, 0.8], [0.7, 0.6], [0.2, 0.1]]),
        ((7, 70, 700, 7000), [[0.5, 0.5], [0.6, 0.001], [0.2, 0.3], [0.4, 0.4]]),
    ]
    for widths, held_out in cases:
        _expect_best_width(lesson, _made_up_sweep(widths, held_out), name=f"best_width({widths})")
    # train losses lowest at the widest net, held-out lowest at the narrowest
    held_out = torch.tensor([[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]])
    sweep = WidthSweep((10, 20, 40), torch.tensor([[0.3] * 2, [0.2] * 2, [0.1] * 2]), held_out)
    _expect_best_width(lesson, sweep, name="best_width(train falling, held-out rising)")


@pytest.mark.figure
def test_figure_width_sweep(lesson, sweep, figure_snapshot):
    assert figure_snapshot == lesson.plot_width_sweep(_for_lesson(lesson, sweep))
