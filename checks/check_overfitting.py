"""Claims of (5/5): wider MOOYAHO nets fit their training data ever better and new data worse.

The homework reads the sweep: ``held_out_loss`` (a trained net's MSE on data it never saw) and
``best_width`` (where the mean held-out MSE is lowest). The sweep (600 nets) is trained only once
both read a small made-up case right (``reading``): an untouched lesson trains nothing, and the
claims on the sweep count once the student can read it.
"""

import itertools

import pytest
import torch

from checks.timing import time_training
from checks.validate import expect_number
from lessons import _lecture
from lessons._oracles import mse

NOISE_VARIANCE = 0.3**2  # what even the true curve scores on held-out data
# Each width must at least cut the mean train loss by a quarter (measured: by 0.32x to 0.52x).
TRAIN_FALL = 0.75
STANDARD_ERRORS = 3  # a paired rise over 100 seeds must exceed 3 standard errors to count
WIDE = 50  # from this width on, the nets fit their training data below the noise (measured 0.028)
LR, EPOCHS, TRAIN_POINTS, HELD_OUT_POINTS = 0.01, 500, 20, 1000  # the lesson's settings
# held_out_loss in float32 or float64, mean of squares or mse_loss: within 2e-7 relative of the
# float64 MSE of the same predictions (measured); 1e-5 is round-off.
RTOL = 1e-5


def _net_and_data(width: int, seed: int, *, train=None):
    """A net of the lesson's kind (the engine's copy), trained by ``train`` (the ``train``
    fixture: lessons.fit) if given, and held-out data: another noise draw of the lecture's
    piecewise process."""
    X, y = _lecture.piecewise_data(seed=seed, n=TRAIN_POINTS)
    model = _lecture.wide_model(width, seed=seed)
    if train is not None:
        model = train(model, X, y, lr=LR, epochs=EPOCHS).model
    return model, _lecture.piecewise_data(seed=seed + 7919, n=HELD_OUT_POINTS)


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


def _expect_best_width(lesson, sweep, *, name: str) -> int:
    means = sweep.held_out.double().mean(1)
    expected = sweep.widths[int(means.argmin())]
    got = lesson.best_width(sweep)
    assert got == expected, (
        f"{name} returned {got!r}, expected width {expected} (mean held-out MSE by width: "
        f"{[round(m, 4) for m in means.tolist()]})"
    )
    return got


def _made_up_sweep(lesson, widths, held_out):
    """A WidthSweep of the lesson's class (train losses are 10x smaller: never the answer)."""
    held_out = torch.tensor(held_out, dtype=torch.float32)
    return lesson.WidthSweep(tuple(widths), held_out / 10, held_out)


@pytest.fixture(scope="module")
def reading(lesson):
    """The homework on small cases, before any sweep trains: an untrained net's held-out loss,
    and the best width of a made-up sweep whose lowest mean is not the lowest single value."""
    model, (X, y) = _net_and_data(5, seed=3)
    _expect_held_out_loss(lesson, model, X, y, name="held_out_loss(an untrained 5-node net, X, y)")
    sweep = _made_up_sweep(lesson, (4, 8, 16), [[0.5, 0.5, 0.5], [0.3, 0.3, 0.01], [0.2, 0.2, 0.2]])
    _expect_best_width(lesson, sweep, name="best_width(a made-up sweep of widths 4, 8, 16)")


@pytest.fixture(scope="module")
def sweep(lesson, device, reading):
    """Train and held-out MSE of 100 seeds x 6 widths (the lesson's settings)."""
    return lesson.width_sweep(device=device)


@pytest.mark.claim(points=2)
def test_held_out_loss_measures_a_trained_net(lesson, train):
    """held_out_loss(model, X, y) is the MSE of a net's predictions on held-out data (to 1e-5
    relative): a 50-node net before and after the lesson's training (seed 0), on 1000 new points."""
    untrained, (X, y) = _net_and_data(50, seed=0)
    _expect_held_out_loss(lesson, untrained, X, y, name="held_out_loss(untrained net, X, y)")
    trained, (X, y) = _net_and_data(50, seed=0, train=train)
    _expect_held_out_loss(lesson, trained, X, y, name="held_out_loss(trained net, X, y)")


@pytest.mark.claim(points=1)
def test_held_out_loss_leaves_the_net_alone(lesson):
    """held_out_loss changes no weight and leaves no gradient behind: asked twice, it measures
    the same net twice (measuring is not training)."""
    model, (X, y) = _net_and_data(20, seed=1)  # measuring needs no training
    first = _expect_held_out_loss(lesson, model, X, y, name="held_out_loss(net, X, y)")
    second = _expect_held_out_loss(lesson, model, X, y, name="held_out_loss(net, X, y), again")
    grads = [name for name, p in model.named_parameters() if p.grad is not None]
    assert not grads, f"held_out_loss left gradients in {', '.join(grads)}: use torch.no_grad()"
    assert first == second, f"held_out_loss gave {first:.6g}, then {second:.6g} on the same net"


@pytest.mark.claim(points=1)
def test_best_width_reads_the_sweep(lesson, sweep):
    """best_width(sweep) is the width whose held-out MSE, averaged over the 100 seeds, is lowest."""
    _expect_best_width(lesson, sweep, name="best_width(sweep)")


def _paired_rise(sweep, low: int, high: int) -> tuple[float, float]:
    """Mean and standard error over seeds of held-out(width ``high``) - held-out(width ``low``)."""
    i, j = sweep.widths.index(low), sweep.widths.index(high)
    diff = (sweep.held_out[j] - sweep.held_out[i]).double()
    return float(diff.mean()), float(diff.std() / len(diff) ** 0.5)


@pytest.mark.claim(points=2)
def test_train_loss_keeps_falling_with_width(sweep):
    """Averaged over 100 seeds, every wider net ends with a lower training MSE: each step in width
    (5, 10, 20, 50, 100, 200) cuts it to less than 0.75 of the previous one."""
    train = sweep.mean_train()
    for narrow, wide in itertools.pairwise(train):
        assert wide < TRAIN_FALL * narrow, f"mean train MSE by width: {train}"


@pytest.mark.claim(points=2)
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


@pytest.mark.claim(points=1)
def test_wide_nets_fit_noise_they_cannot_predict(sweep):
    """From 50 nodes on, the mean train MSE is below the noise variance 0.09 (the nets fit part of
    the noise) while the mean held-out MSE stays above it: fitted noise does not carry over."""
    for width, train, held in zip(
        sweep.widths, sweep.mean_train(), sweep.mean_held_out(), strict=True
    ):
        if width >= WIDE:
            assert train < NOISE_VARIANCE < held, f"width {width}: train {train}, held-out {held}"


@pytest.mark.claim(points=1)
def test_timed_width_sweep_gives_the_same_losses(benchmark, lesson, device, sweep):
    """Benchmark: the whole sweep (6 widths x 100 seeds x 500 epochs), timed, gives every net the
    same train and held-out MSE as the session's sweep (to 1e-6)."""
    result = time_training(
        benchmark,
        lambda: lesson.width_sweep(device=device),
        lesson=lesson,
        device=device,
        epochs=len(lesson.WIDTHS) * lesson.SEEDS * lesson.EPOCHS,
        session_result=sweep,
        rounds=3,
        what="width sweep, 6 widths x 100 seeds",
    )
    assert torch.allclose(result.train, sweep.train, rtol=1e-6, atol=0)
    assert torch.allclose(result.held_out, sweep.held_out, rtol=1e-6, atol=0)


@pytest.mark.claim(points=1, visibility="hidden")
def test_held_out_loss_holds_for_other_nets(lesson, train):
    """held_out_loss is right for other widths, seeds and data sizes, and for a plain Linear."""
    for width, seed in ((5, 11), (200, 4)):
        model, (X, y) = _net_and_data(width, seed=seed, train=train)
        _expect_held_out_loss(lesson, model, X[:37], y[:37], name=f"held_out_loss({width} nodes)")
    line = torch.nn.Linear(1, 1)
    with torch.no_grad():
        line.weight.fill_(2.0), line.bias.fill_(-0.5)
    X, y = _lecture.piecewise_data(seed=12, n=64)
    _expect_held_out_loss(lesson, line, X, y, name="held_out_loss(Linear(1, 1))")


@pytest.mark.claim(points=1, visibility="hidden")
def test_best_width_holds_for_other_sweeps(lesson):
    """best_width reads made-up sweeps right: the best width first, last or in the middle, and
    the lowest mean where a single seed's lowest value or the train losses point elsewhere."""
    cases = [
        ((3, 30, 300), [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]),
        ((3, 30, 300), [[0.9, 0.8], [0.7, 0.6], [0.2, 0.1]]),
        ((7, 70, 700, 7000), [[0.5, 0.5], [0.6, 0.001], [0.2, 0.3], [0.4, 0.4]]),
    ]
    for widths, held_out in cases:
        _expect_best_width(
            lesson, _made_up_sweep(lesson, widths, held_out), name=f"best_width({widths})"
        )
    # train losses lowest at the widest net, held-out lowest at the narrowest
    held_out = torch.tensor([[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]])
    sweep = lesson.WidthSweep(
        (10, 20, 40), torch.tensor([[0.3] * 2, [0.2] * 2, [0.1] * 2]), held_out
    )
    _expect_best_width(lesson, sweep, name="best_width(train falling, held-out rising)")


@pytest.mark.figure
def test_figure_width_sweep(lesson, sweep, figure_snapshot):
    assert figure_snapshot == lesson.plot_width_sweep(sweep)
