"""Claims of the ReLU nets: one node cannot fit the kink, two can, and seed 40352 traps two."""

import pytest
import torch

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


# Figures and diagrams: ungraded snapshots (checks/snapshots.py), drawn from the fits above.

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
