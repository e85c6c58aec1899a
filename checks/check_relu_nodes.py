"""Claims of the ReLU nets: one node cannot fit the kink, two can, and seed 40352 traps two."""

import itertools

import pytest
import torch

from checks.timing import time_training
from checks.validate import expect_data, expect_fit
from lessons._diagrams import STYLES
from lessons._oracles import gradient_norm, one_side_fit, two_slope_fit

LR = 0.1  # the lecture's rate for every ReLU net
EPOCHS, STUCK_SEED, STUCK_EPOCHS = 1000, 40352, 10000
NOISE_VARIANCE = 0.3**2
# Converged float32 SGD matches the float64 closed forms to ~2e-7 relative (measured).
LOSS_TOLERANCE = 1e-4
SLOPE_TOLERANCE = 0.01


@pytest.fixture(scope="module")
def data(lesson):
    return expect_data(lesson.make_data(), x_shape=(100, 1))


@pytest.fixture(scope="module")
def one_node(lesson, data, device):
    X, y = data
    fit = lesson.fit(lesson.build_model(1, seed=1), X, y, lr=LR, epochs=EPOCHS, device=device)
    return expect_fit(fit, epochs=EPOCHS)


@pytest.fixture(scope="module")
def two_nodes(lesson, data, device):
    X, y = data
    fit = lesson.fit(lesson.build_model(2, seed=1), X, y, lr=LR, epochs=EPOCHS, device=device)
    return expect_fit(fit, epochs=EPOCHS)


@pytest.fixture(scope="module")
def stuck(lesson, data, device):
    X, y = data
    model = lesson.build_model(2, seed=STUCK_SEED)
    fit = lesson.fit(model, X, y, lr=LR, epochs=STUCK_EPOCHS, device=device)
    return expect_fit(fit, epochs=STUCK_EPOCHS)


def _close(loss: float, target: float) -> bool:
    return abs(loss - target) < LOSS_TOLERANCE * target


@pytest.mark.claim(points=1)
def test_one_node_underfits(one_node):
    """One ReLU node (seed 1, 1000 epochs) ends above twice the noise variance 0.09."""
    assert one_node.final_loss > 2 * NOISE_VARIANCE


@pytest.mark.claim(points=1)
def test_one_node_reaches_only_the_best_one_sided_fit(one_node, data):
    """One node can be on for only one side of 0: it ends at the best one-sided line's MSE."""
    assert _close(one_node.final_loss, one_side_fit(*data))


@pytest.mark.claim(points=2)
def test_two_nodes_reach_the_two_slope_floor(two_nodes, data):
    """Two nodes (seed 1, 1000 epochs) reach the best two-slope fit's MSE, the lowest any bias-free
    ReLU net can reach on this data."""
    _, _, floor = two_slope_fit(*data)
    assert _close(two_nodes.final_loss, floor)
    assert two_nodes.final_loss < 1.5 * NOISE_VARIANCE


@pytest.mark.claim(points=1)
def test_two_nodes_split_the_work_one_per_side(lesson, two_nodes, data):
    """One node serves x < 0 and one x > 0: the net's slopes match the two-slope fit (within 0.01)."""
    left, right, _ = two_slope_fit(*data)
    learnt = lesson.effective_slopes(two_nodes.model)
    assert abs(learnt[0] - left) < SLOPE_TOLERANCE and abs(learnt[1] - right) < SLOPE_TOLERANCE


@pytest.mark.claim(points=1)
def test_decomposition_reproduces_the_net(lesson, two_nodes, data):
    """u1 = X@W1, v1 = ReLU(u1), yhat = v1@W2 is exactly what the net computes (to 1e-6)."""
    X, _ = data
    u1, v1, yhat = lesson.decompose(two_nodes.model, X)
    with torch.no_grad():
        direct = two_nodes.model(X.to(yhat.device))
    assert u1.shape == (100, 2) and v1.shape == (100, 2)
    assert bool((v1 >= 0).all())
    assert torch.allclose(yhat, direct, atol=1e-6)


@pytest.mark.claim(points=1)
def test_seed_40352_gets_stuck_at_the_one_node_loss(stuck, data):
    """With seed 40352 two nodes train 10000 epochs and end where one node does."""
    assert _close(stuck.final_loss, one_side_fit(*data))


@pytest.mark.claim(points=1)
def test_stuck_net_has_no_node_for_negative_x_and_no_gradient(stuck, data):
    """Both first-layer weights are positive (no node is ever on for x < 0) and the gradient is
    zero (norm < 1e-5): a stationary point that more epochs cannot leave."""
    assert bool((stuck.model[0].weight.detach() > 0).all())
    assert gradient_norm(stuck.model, *data) < 1e-5


@pytest.mark.claim(points=1)
def test_stuck_net_is_far_from_the_best_fit(stuck, data):
    """The trap is not the best this net could do: the two-slope floor is under half its loss."""
    _, _, floor = two_slope_fit(*data)
    assert floor < 0.5 * stuck.final_loss


# Figures and diagrams: ungraded snapshots (checks/grader/snapshots.py), drawn from the fits above.

FITS = {"one_node": 1, "two_nodes": 1, "stuck": STUCK_SEED}  # fit fixture -> the seed it used
NETS = [(1, 1), (2, 1), (2, STUCK_SEED)]  # (width, seed) of the lecture's nets


@pytest.mark.figure
def test_figure_relu_vs_identity(lesson, figure_snapshot):
    assert figure_snapshot == lesson.plot_relu_vs_identity()


@pytest.mark.figure
@pytest.mark.parametrize(("width", "seed"), NETS)
def test_figure_initial(lesson, data, width, seed, figure_snapshot):
    model = lesson.build_model(width, seed=seed)
    assert figure_snapshot == lesson.plot_initial(*data, model, seed=seed)


@pytest.mark.figure
@pytest.mark.parametrize("fit", FITS)
def test_figure_fit(lesson, data, fit, device, request, figure_snapshot):
    result = request.getfixturevalue(fit)
    assert figure_snapshot == lesson.plot_fit(*data, result, seed=FITS[fit])


@pytest.mark.figure
@pytest.mark.parametrize("fit", ["two_nodes", "stuck"])
def test_figure_decomposition(lesson, data, fit, device, request, figure_snapshot):
    model = request.getfixturevalue(fit).model
    assert figure_snapshot == lesson.plot_decomposition(model, *data, seed=FITS[fit])


@pytest.mark.figure
def test_figure_losses(lesson, one_node, two_nodes, stuck, figure_snapshot):
    runs = {"1 node, seed 1": one_node, "2 nodes, seed 1": two_nodes}
    runs[f"2 nodes, seed {STUCK_SEED}"] = stuck
    assert figure_snapshot == lesson.plot_losses(runs)


@pytest.mark.figure
@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("width", [1, 2])
def test_diagram(lesson, width, style, diagram_snapshot):
    assert diagram_snapshot == lesson.diagram(lesson.build_model(width), style)


# (4/5) "More nodes, more chance of a bad local minimum", measured: every seed of a width trains at
# once (lesson.final_losses), so 1000 seeds per width cost about as much as one fit.
SWEEP_WIDTHS = (1, 2, 3, 5, 10, 50)
SWEEP_SEEDS = 1000
# A seed reaches the floor when its final loss is within 1% of the two-slope floor. Measured, every
# final loss sits at the floor (to 1e-7 relative) or at least 3.9x above it: nothing in between.
FLOOR_MARGIN = 1.01
STUCK_GAP = 3.0
SAMPLING_SLACK = 3  # standard errors of a fraction measured over SWEEP_SEEDS seeds


@pytest.fixture(scope="module")
def sweep(lesson, data, device):
    """The final loss of seeds 0..999 at each width (lr 0.1, 1000 epochs, the lecture's settings)."""
    X, y = data
    return {
        width: lesson.final_losses(
            width, range(SWEEP_SEEDS), X, y, lr=LR, epochs=EPOCHS, device=device
        )
        for width in SWEEP_WIDTHS
    }


@pytest.fixture(scope="module")
def floor_fractions(sweep, data):
    """The share of seeds that reach the two-slope floor, per width."""
    _, _, floor = two_slope_fit(*data)
    return {
        w: float((losses < FLOOR_MARGIN * floor).double().mean()) for w, losses in sweep.items()
    }


@pytest.mark.claim(points=1)
def test_one_node_never_reaches_the_floor_and_fifty_always_do(floor_fractions):
    """Over 1000 seeds: no 1-node net reaches the two-slope floor (one node serves one side of 0),
    and every 50-node net does."""
    assert floor_fractions[1] == 0.0
    assert floor_fractions[50] == 1.0


@pytest.mark.claim(points=2)
def test_more_nodes_make_a_bad_local_minimum_rarer_not_likelier(floor_fractions):
    """The lecture's (4/5) says more nodes make a bad local minimum likelier. Measured over 1000
    seeds per width it is the other way round: the share of nets that reach the floor grows with
    width (measured 0, 0.48, 0.75, 0.94, 0.998, 1 for 1, 2, 3, 5, 10, 50 nodes), never falling by
    more than 3 standard errors, and 10 nodes beat 2 by more than 0.4."""
    shares = [floor_fractions[w] for w in SWEEP_WIDTHS]
    for narrow, wide in itertools.pairwise(shares):
        standard_error = max(narrow * (1 - narrow), 1 / SWEEP_SEEDS) ** 0.5 / SWEEP_SEEDS**0.5
        assert wide >= narrow - SAMPLING_SLACK * standard_error, f"shares by width: {shares}"
    assert floor_fractions[10] - floor_fractions[2] > 0.4, f"shares by width: {shares}"


@pytest.mark.claim(points=1)
def test_every_seed_ends_at_the_floor_or_far_above_it(sweep, data):
    """No seed is merely slow: each final loss is at the floor (within 1%) or more than 3x above it,
    at a one-sided fit that more epochs cannot leave (as for seed 40352)."""
    _, _, floor = two_slope_fit(*data)
    for width, losses in sweep.items():
        between = (losses >= FLOOR_MARGIN * floor) & (losses < STUCK_GAP * floor)
        assert not bool(between.any()), f"width {width}: {int(between.sum())} seeds in between"


@pytest.mark.claim(points=1)
def test_timed_two_node_training_reaches_the_floor(benchmark, lesson, data, device, two_nodes):
    """Benchmark: training 2 nodes (seed 1, 1000 epochs) from scratch, timed, ends at the two-slope
    floor with the same final loss as the session's fit (to 1e-6)."""
    X, y = data
    result = time_training(
        benchmark,
        lambda model: lesson.fit(model, X, y, lr=LR, epochs=EPOCHS, device=device),
        fresh=lambda: lesson.build_model(2, seed=1),
        lesson=lesson,
        device=device,
        epochs=EPOCHS,
        session_result=two_nodes,
        what="2 nodes, seed 1",
    )
    _, _, floor = two_slope_fit(*data)
    assert _close(result.final_loss, floor)
    assert abs(result.final_loss - two_nodes.final_loss) <= 1e-6 * two_nodes.final_loss


@pytest.mark.claim(points=1)
def test_timed_seed_sweep_gives_the_same_losses(benchmark, lesson, data, device, sweep):
    """Benchmark: the whole sweep (6 widths x 1000 seeds x 1000 epochs), timed, gives every seed the
    same final loss as the session's sweep (to 1e-6)."""
    X, y = data

    def train():
        return {
            width: lesson.final_losses(
                width, range(SWEEP_SEEDS), X, y, lr=LR, epochs=EPOCHS, device=device
            )
            for width in SWEEP_WIDTHS
        }

    result = time_training(
        benchmark,
        train,
        lesson=lesson,
        device=device,
        epochs=len(SWEEP_WIDTHS) * SWEEP_SEEDS * EPOCHS,
        session_result=sweep,
        rounds=3,
        what="seed sweep, 6 widths x 1000 seeds",
    )
    for width in SWEEP_WIDTHS:
        assert torch.allclose(result[width], sweep[width], rtol=1e-6, atol=0)
