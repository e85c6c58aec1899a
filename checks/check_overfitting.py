"""Claims of (5/5): wider MOOYAHO nets fit their training data ever better and new data worse."""

import itertools

import pytest
import torch

from checks.timing import time_training

NOISE_VARIANCE = 0.3**2  # what even the true curve scores on held-out data
# Each width must at least cut the mean train loss by a quarter (measured: by 0.32x to 0.52x).
TRAIN_FALL = 0.75
STANDARD_ERRORS = 3  # a paired rise over 100 seeds must exceed 3 standard errors to count
WIDE = 50  # from this width on, the nets fit their training data below the noise (measured 0.028)


@pytest.fixture(scope="module")
def sweep(lesson, device):
    """Train and held-out MSE of 100 seeds x 6 widths (the lesson's settings)."""
    return lesson.width_sweep(device=device)


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
def test_held_out_loss_stops_improving_and_rises(sweep):
    """On held-out data from the same process the mean MSE is lowest at a middle width (measured:
    50 nodes) and the widest nets (200 nodes) score worse than that best width, by more than 3
    standard errors of the paired difference over seeds: more nodes, more overfitting."""
    held = sweep.mean_held_out()
    best = sweep.widths[min(range(len(held)), key=held.__getitem__)]
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
