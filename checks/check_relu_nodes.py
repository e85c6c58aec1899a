"""Claims of the ReLU nets: one node cannot fit the kink, two can, and seed 40352 traps two."""

import copy
import itertools

import pytest
import torch

from checks.compare import expect_close
from checks.timing import time_training
from checks.validate import expect_data, expect_fit, expect_number
from lessons import _lecture
from lessons._diagrams import STYLES
from lessons._oracles import gradient_norm, one_side_fit, two_slope_fit

# The claims call the student's homework functions: a hang there costs a minute, not five.
pytestmark = pytest.mark.timeout(120)

LR = 0.1  # the lecture's rate for every ReLU net
EPOCHS, STUCK_SEED, STUCK_EPOCHS = 1000, 40352, 10000
NOISE_VARIANCE = 0.3**2
# Converged float32 SGD matches the float64 closed forms to ~2e-7 relative (measured).
LOSS_TOLERANCE = 1e-4
SLOPE_TOLERANCE = 0.01
# decompose and effective_slopes written another way (the layers' own forward, probing the net at
# x = ±1, numpy) differ from ours by float32 round-off, a few 1e-7 of values of order 1.
ROUND_OFF = 1e-5


@pytest.fixture(scope="module")
def data():
    """The lecture's kinked data, from the engine's copy (not piecewise_linear's homework)."""
    return expect_data(_lecture.piecewise_data(), x_shape=(100, 1))


def _expect_architecture(model, width: int, *, name: str) -> None:
    """``model`` is Sequential(Linear(1, width, bias=False), ReLU(), Linear(width, 1, bias=False))."""
    layers = list(model) if isinstance(model, torch.nn.Sequential) else None
    kinds = (torch.nn.Linear, torch.nn.ReLU, torch.nn.Linear)
    if layers is None or len(layers) != 3 or not all(map(isinstance, layers, kinds)):
        pytest.fail(
            f"{name}: expected Sequential(Linear, ReLU, Linear), got {str(model)[:80]!r}",
            pytrace=False,
        )
    shapes = (tuple(layers[0].weight.shape), tuple(layers[2].weight.shape))
    if shapes != ((width, 1), (1, width)):
        pytest.fail(
            f"{name}: expected 1 -> {width} -> 1 nodes, got weights {shapes}", pytrace=False
        )
    if layers[0].bias is not None or layers[2].bias is not None:
        pytest.fail(f"{name}: the lecture's layers have no bias (bias=False)", pytrace=False)


def _student_model(lesson, width: int, seed: int) -> torch.nn.Sequential:
    """build_model(width, seed) (yours), checked to be the lecture's net with its exact weights."""
    name = f"build_model({width}, seed={seed})"
    model = lesson.build_model(width, seed=seed)
    _expect_architecture(model, width, name=name)
    lecture = _lecture.relu_model(width, seed)
    for layer in (0, 2):
        expect_close(
            model[layer].weight,
            lecture[layer].weight,
            name=f"{name} layer {layer + 1} weight",
            what="the lecture's, same seed",
        )
    return model


@pytest.fixture(scope="module")
def one_node(lesson, data, device, train):
    X, y = data
    fit = train(_student_model(lesson, 1, 1), X, y, lr=LR, epochs=EPOCHS, device=device)
    return expect_fit(fit, epochs=EPOCHS)


@pytest.fixture(scope="module")
def two_nodes(lesson, data, device, train):
    X, y = data
    fit = train(_student_model(lesson, 2, 1), X, y, lr=LR, epochs=EPOCHS, device=device)
    return expect_fit(fit, epochs=EPOCHS)


@pytest.fixture(scope="module")
def stuck(lesson, data, device, train):
    X, y = data
    model = _student_model(lesson, 2, STUCK_SEED)
    fit = train(model, X, y, lr=LR, epochs=STUCK_EPOCHS, device=device)
    return expect_fit(fit, epochs=STUCK_EPOCHS)


def _close(loss: float, target: float) -> bool:
    return abs(loss - target) < LOSS_TOLERANCE * target


def _our_decomposition(model, X: torch.Tensor):
    W1, W2 = model[0].weight.detach().cpu().T, model[2].weight.detach().cpu().T
    u1 = X @ W1
    v1 = torch.relu(u1)
    return u1, v1, v1 @ W2


def _expect_decomposition(lesson, model, X: torch.Tensor, *, what: str) -> None:
    """decompose(model, X) is u1 = X@W1, v1 = ReLU(u1), yhat = v1@W2 (to float32 round-off)."""
    model = copy.deepcopy(model).cpu()
    returned = lesson.decompose(model, X.clone())
    if not (isinstance(returned, (tuple, list)) and len(returned) == 3):
        pytest.fail(
            f"decompose(model, X): expected (u1, v1, yhat), got {type(returned).__name__}",
            pytrace=False,
        )
    for got, expected, part in zip(
        returned, _our_decomposition(model, X), ("u1", "v1", "yhat"), strict=True
    ):
        expect_close(
            got,
            expected,
            name=f"decompose(model, X) {part} on {what}",
            atol=ROUND_OFF,
            rtol=ROUND_OFF,
        )


def _our_slopes(model) -> torch.Tensor:
    w1, w2 = model[0].weight.detach().cpu().double().flatten(), model[2].weight.detach().cpu()
    products = w1 * w2.double().flatten()
    return torch.stack([products[w1 < 0].sum(), products[w1 > 0].sum()])


def _student_slopes(lesson, model) -> torch.Tensor:
    returned = lesson.effective_slopes(copy.deepcopy(model).cpu())
    if not (isinstance(returned, (tuple, list)) and len(returned) == 2):
        pytest.fail(
            f"effective_slopes(model): expected (left, right), got {type(returned).__name__}",
            pytrace=False,
        )
    names = ("effective_slopes(model) left", "effective_slopes(model) right")
    return torch.tensor([expect_number(v, name=n) for v, n in zip(returned, names, strict=True)])


@pytest.mark.claim(points=2)
def test_build_model_gives_the_lectures_weights(lesson):
    """build_model(width, seed) is the lecture's bias-free 1 -> width -> 1 ReLU net with the exact
    weights of torch.manual_seed(seed): net2 (1 node, seed 1), net3 (2, seed 1), and seed 40352."""
    for width, seed in ((1, 1), (2, 1), (2, STUCK_SEED)):
        _student_model(lesson, width, seed)


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


@pytest.fixture(scope="module")
def lecture_two_nodes(data, device, train):
    """net3 as the lecture trains it, from the engine's builder: decompose and effective_slopes are
    graded on it, so they earn their points whether or not build_model is written yet."""
    X, y = data
    fit = train(_lecture.relu_model(2, 1), X, y, lr=LR, epochs=EPOCHS, device=device)
    return expect_fit(fit, epochs=EPOCHS)


@pytest.mark.claim(points=1)
def test_two_nodes_split_the_work_one_per_side(lesson, data, device, request):
    """One node serves x < 0 and one x > 0: effective_slopes of the trained 2-node net (seed 1)
    match the two-slope fit (within 0.01)."""
    untrained = _lecture.relu_model(2, 1)  # the homework first: nothing trains if it is not written
    expect_close(
        _student_slopes(lesson, untrained),
        _our_slopes(untrained),
        name="effective_slopes of the untrained 2-node net (left, right)",
        atol=ROUND_OFF,
        rtol=ROUND_OFF,
    )
    trained = request.getfixturevalue("lecture_two_nodes").model
    left, right, _ = two_slope_fit(*data)
    expect_close(
        _student_slopes(lesson, trained),
        torch.tensor([left, right]),
        name="effective_slopes(model) (left, right)",
        atol=SLOPE_TOLERANCE,
        what="the two-slope fit's",
    )


@pytest.mark.claim(points=1)
def test_decomposition_reproduces_the_net(lesson, data, device, request):
    """decompose(model, X) is the lecture's walk through the 2-node net (seed 1), untrained and
    trained: u1 = X@W1, v1 = ReLU(u1) (100 x 2), and yhat = v1@W2 is what the net computes."""
    X, _ = data
    _expect_decomposition(lesson, _lecture.relu_model(2, 1), X, what="the untrained 2-node net")
    trained = copy.deepcopy(request.getfixturevalue("lecture_two_nodes").model).cpu()
    _expect_decomposition(lesson, trained, X, what="the trained 2-node net")
    _, _, yhat = lesson.decompose(copy.deepcopy(trained), X.clone())
    with torch.no_grad():
        direct = trained(X)
    expect_close(yhat, direct, name="decompose(model, X) yhat", atol=ROUND_OFF, what="net(X)")


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
    model = _student_model(lesson, width, seed)
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
    assert diagram_snapshot == lesson.diagram(_lecture.relu_model(width), style)


# (4/5) "More nodes, more chance of a bad local minimum", measured: every seed of a width trains at
# once (lesson.final_losses), so 1000 seeds per width cost about as much as one fit.
SWEEP_WIDTHS = (1, 2, 3, 5, 10, 50)
SWEEP_SEEDS = 1000
# A seed reaches the floor when its final loss is within 1% of the two-slope floor. Measured, every
# final loss sits at the floor (to 1e-7 relative) or at least 3.9x above it: nothing in between.
FLOOR_MARGIN = 1.01
STUCK_GAP = 3.0
SAMPLING_SLACK = 3  # standard errors of a fraction measured over SWEEP_SEEDS seeds


# The sweep trains all seeds of a width at once (lessons/_batched.py), from the weights the lecture's
# builder gives each seed; tests/test_batched.py checks that, seed by seed, against
# lessons._lecture.relu_model. So it is a sweep of your nets when your build_model is that builder:
# checked here on these seeds of every width before anything trains.
SWEEP_SAMPLE = (0, 1, 2, 500, SWEEP_SEEDS - 1)


@pytest.fixture(scope="module")
def sweep(lesson, data, device):
    """The final loss of build_model(width, seed) for seeds 0..999 at each width (lr 0.1, 1000
    epochs, the lecture's settings)."""
    for width in SWEEP_WIDTHS:
        for seed in SWEEP_SAMPLE:
            _student_model(lesson, width, seed)
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


@pytest.mark.figure
def test_figure_floor_shares(lesson, floor_fractions, figure_snapshot):
    assert figure_snapshot == lesson.plot_floor_shares(floor_fractions, seeds=SWEEP_SEEDS)


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
        fresh=lambda: _student_model(lesson, 2, 1),
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


# Inputs the student never saw: a hard-coded answer loses these.


@pytest.mark.claim(points=1, visibility="hidden")
def test_build_model_with_other_widths_and_seeds(lesson):
    """build_model(width, seed) is the lecture's net for widths and seeds it never saw (3 nodes
    seed 5, 7 nodes seed 12345, 50 nodes seed 0)."""
    for width, seed in ((3, 5), (7, 12345), (50, 0)):
        _student_model(lesson, width, seed)


def _handmade_net() -> torch.nn.Sequential:
    """Five nodes: two face left, two right, one (w1 = 0) is never on. Slopes -3 and -0.5."""
    net = _lecture.relu_model(5, 0)
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[0.5], [-1.0], [2.0], [-0.25], [0.0]]))
        net[2].weight.copy_(torch.tensor([[1.0, 2.0, -0.5, 4.0, 3.0]]))
    return net


@pytest.mark.claim(points=1, visibility="hidden")
def test_decompose_on_other_nets(lesson):
    """decompose(model, X) is u1 = X@W1, v1 = ReLU(u1), yhat = v1@W2 for nets and inputs it never
    saw (5 and 7 nodes, 13 unsorted points)."""
    X = torch.linspace(-2, 3, 13)[torch.randperm(13, generator=torch.Generator().manual_seed(3))]
    X = X.reshape(13, 1)
    for what, net in (("a 5-node net", _handmade_net()), ("7 nodes", _lecture.relu_model(7, 9))):
        _expect_decomposition(lesson, net, X, what=what)


@pytest.mark.claim(points=1, visibility="hidden")
def test_effective_slopes_on_other_nets(lesson):
    """effective_slopes(model) sums each node's w1·w2 on its own side of 0, for nets it never saw
    (a hand-made 5-node net with slopes -3 and -0.5, and 7 nodes with seed 9)."""
    for what, net in (("a 5-node net", _handmade_net()), ("7 nodes", _lecture.relu_model(7, 9))):
        expect_close(
            _student_slopes(lesson, net),
            _our_slopes(net),
            name=f"effective_slopes of {what} (left, right)",
            atol=ROUND_OFF,
            rtol=ROUND_OFF,
        )
