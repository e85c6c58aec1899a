"""Claims of the ReLU nets: one node cannot fit the kink, two can, and seed 40352 traps two."""

import copy
import itertools

import pytest
import torch

from checks.compare import expect_close
from checks.grader.i18n import N_
from checks.reference import nets, sweeps
from checks.reference.data import piecewise_data
from checks.reference.oracles import gradient_norm, one_side_fit, two_slope_fit
from checks.reference.sweeps import relu_final_losses
from checks.timing import time_training
from checks.validate import expect_data, expect_fit, expect_near, expect_number
from lessons._diagrams import STYLES

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
    """The lecture's kinked data, from the grader's copy (not piecewise_linear's homework)."""
    return expect_data(piecewise_data(), x_shape=(100, 1))


def _expect_architecture(model, width: int, *, name: str) -> None:
    """``model`` is Sequential(Linear(1, width, bias=False), ReLU(), Linear(width, 1, bias=False))."""
    layers = list(model) if isinstance(model, torch.nn.Sequential) else None
    kinds = (torch.nn.Linear, torch.nn.ReLU, torch.nn.Linear)
    if layers is None or len(layers) != 3 or not all(map(isinstance, layers, kinds)):
        pytest.fail(
            N_("{name}: expected Sequential(Linear, ReLU, Linear), got {got}").format(
                name=name, got=repr(str(model)[:80])
            ),
            pytrace=False,
        )
    shapes = (tuple(layers[0].weight.shape), tuple(layers[2].weight.shape))
    if shapes != ((width, 1), (1, width)):
        pytest.fail(
            N_("{name}: expected 1 -> {width} -> 1 nodes, got weights {shapes}").format(
                name=name, width=width, shapes=shapes
            ),
            pytrace=False,
        )
    if layers[0].bias is not None or layers[2].bias is not None:
        pytest.fail(
            N_("{name}: the lecture's layers have no bias (bias=False)").format(name=name),
            pytrace=False,
        )


def _student_model(lesson, width: int, seed: int) -> torch.nn.Sequential:
    """build_model(width, seed) (yours), checked to be the lecture's net with its exact weights."""
    name = f"build_model({width}, seed={seed})"
    model = lesson.build_model(width, seed=seed)
    _expect_architecture(model, width, name=name)
    lecture = nets.relu_model(width, seed)
    for layer in (0, 2):
        expect_close(
            model[layer].weight,
            lecture[layer].weight,
            name=f"{name} layer {layer + 1} weight",
            what="the lecture's, same seed",
        )
    return model


def fits_ahead(train, kept, device, fixtures) -> None:
    """The fits below when build_model is the lecture's (fits ahead, checks/grader/fits_ahead.py):
    then each is the reference net's, bit for bit."""
    X, y = piecewise_data()
    fits = {"one_node": (1, 1, EPOCHS), "two_nodes": (2, 1, EPOCHS),
            "lecture_two_nodes": (2, 1, EPOCHS), "stuck": (2, STUCK_SEED, STUCK_EPOCHS)}  # fmt: skip
    for width, seed, epochs in {fits[name] for name in fits if name in fixtures}:
        train(nets.relu_model(width, seed), X, y, lr=LR, epochs=epochs, device=device)
    if "sweep" in fixtures:
        _sweep_losses(kept, (X, y), device)


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


def _expect_loss(loss: float, target: float, name: str, what: str) -> None:
    """The loss is within LOSS_TOLERANCE (relative) of the target: both are said if not."""
    expect_near(loss, target, rtol=LOSS_TOLERANCE, name=name, what=what)


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


@pytest.mark.claim(
    points=2,
    ko="build_model(width, seed)는 편향 없는 1 -> width -> 1 ReLU 신경망으로, torch.manual_seed(seed)의 가중치와 정확히 같다: net2 (노드 1개, seed 1), net3 (2개, seed 1), 그리고 seed 40352.",
)
def test_build_model_gives_the_lectures_weights(lesson):
    """build_model(width, seed) is the lecture's bias-free 1 -> width -> 1 ReLU net with the exact
    weights of torch.manual_seed(seed): net2 (1 node, seed 1), net3 (2, seed 1), and seed 40352."""
    for width, seed in ((1, 1), (2, 1), (2, STUCK_SEED)):
        _student_model(lesson, width, seed)


@pytest.mark.claim(
    points=1,
    ko="ReLU 노드 1개(seed 1, 1000 epoch)는 잡음 분산 0.09의 두 배보다 높은 손실에서 끝난다.",
)
def test_one_node_underfits(one_node):
    """One ReLU node (seed 1, 1000 epochs) ends above twice the noise variance 0.09."""
    assert one_node.final_loss > 2 * NOISE_VARIANCE


@pytest.mark.claim(
    points=1,
    ko="노드 1개는 0의 한쪽에서만 켜질 수 있다: 한쪽만 맞춘 최선의 직선의 MSE에서 끝난다.",
)
def test_one_node_reaches_only_the_best_one_sided_fit(one_node, data):
    """One node can be on for only one side of 0: it ends at the best one-sided line's MSE."""
    _expect_loss(
        one_node.final_loss,
        one_side_fit(*data),
        "one node's final loss",
        "the best one-sided line's MSE",
    )


@pytest.mark.claim(
    points=2,
    ko="노드 2개(seed 1, 1000 epoch)는 두 기울기 적합의 MSE, 곧 편향 없는 어떤 ReLU 신경망도 이 자료에서 더 내려갈 수 없는 바닥에 닿는다.",
)
def test_two_nodes_reach_the_two_slope_floor(two_nodes, data):
    """Two nodes (seed 1, 1000 epochs) reach the best two-slope fit's MSE, the lowest any bias-free
    ReLU net can reach on this data."""
    _, _, floor = two_slope_fit(*data)
    _expect_loss(two_nodes.final_loss, floor, "two nodes' final loss", "the two-slope floor")
    assert two_nodes.final_loss < 1.5 * NOISE_VARIANCE


@pytest.fixture(scope="module")
def lecture_two_nodes(data, device, train):
    """net3 as the lecture trains it, from the engine's builder: decompose and effective_slopes are
    graded on it, so they earn their points whether or not build_model is written yet."""
    X, y = data
    fit = train(nets.relu_model(2, 1), X, y, lr=LR, epochs=EPOCHS, device=device)
    return expect_fit(fit, epochs=EPOCHS)


@pytest.mark.claim(
    points=1,
    ko="노드 하나는 x < 0을, 하나는 x > 0을 맡는다: 학습한 2-노드 신경망(seed 1)의 effective_slopes가 두 기울기 적합과 맞는다 (0.01 이내).",
)
def test_two_nodes_split_the_work_one_per_side(lesson, data, device, request):
    """One node serves x < 0 and one x > 0: effective_slopes of the trained 2-node net (seed 1)
    match the two-slope fit (within 0.01)."""
    untrained = nets.relu_model(2, 1)  # the homework first: nothing trains if it is not written
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


@pytest.mark.claim(
    points=1,
    ko="decompose(model, X)는 강의처럼 2-노드 신경망(seed 1)을 학습 전후로 풀어 쓴다: u1 = X@W1, v1 = ReLU(u1) (100 x 2), 그리고 yhat = v1@W2가 신경망의 출력이다.",
)
def test_decomposition_reproduces_the_net(lesson, data, device, request):
    """decompose(model, X) is the lecture's walk through the 2-node net (seed 1), untrained and
    trained: u1 = X@W1, v1 = ReLU(u1) (100 x 2), and yhat = v1@W2 is what the net computes."""
    X, _ = data
    _expect_decomposition(lesson, nets.relu_model(2, 1), X, what="the untrained 2-node net")
    trained = copy.deepcopy(request.getfixturevalue("lecture_two_nodes").model).cpu()
    _expect_decomposition(lesson, trained, X, what="the trained 2-node net")
    _, _, yhat = lesson.decompose(copy.deepcopy(trained), X.clone())
    with torch.no_grad():
        direct = trained(X)
    expect_close(yhat, direct, name="decompose(model, X) yhat", atol=ROUND_OFF, what="net(X)")


@pytest.mark.claim(
    points=1,
    ko="seed 40352로 노드 2개가 10000 epoch을 학습해도 노드 1개와 같은 손실에서 끝난다.",
)
def test_seed_40352_gets_stuck_at_the_one_node_loss(stuck, data):
    """With seed 40352 two nodes train 10000 epochs and end where one node does."""
    _expect_loss(stuck.final_loss, one_side_fit(*data), "seed 40352's final loss", "one node's")


@pytest.mark.claim(
    points=1,
    ko="첫 층의 가중치가 둘 다 양수(x < 0에서 켜지는 노드가 없음)이고 기울기가 0(노름 < 1e-5)이다: epoch을 늘려도 벗어날 수 없는 정류점이다.",
)
def test_stuck_net_has_no_node_for_negative_x_and_no_gradient(stuck, data):
    """Both first-layer weights are positive (no node is ever on for x < 0) and the gradient is
    zero (norm < 1e-5): a stationary point that more epochs cannot leave."""
    assert bool((stuck.model[0].weight.detach() > 0).all())
    assert gradient_norm(stuck.model, *data) < 1e-5


@pytest.mark.claim(
    points=1,
    ko="이 함정은 이 신경망이 할 수 있는 최선이 아니다: 두 기울기 바닥이 그 손실의 절반보다 낮다.",
)
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
    assert diagram_snapshot == lesson.diagram(nets.relu_model(width), style)


# (4/5) "More nodes, more chance of a bad local minimum", measured: every seed of a width trains at
# once (checks.reference.sweeps), so 1000 seeds per width cost about as much as one fit.
SWEEP_WIDTHS = (1, 2, 3, 5, 10, 50)
SWEEP_SEEDS = 1000
# A seed reaches the floor when its final loss is within 1% of the two-slope floor. Measured, every
# final loss sits at the floor (to 1e-7 relative) or at least 3.9x above it: nothing in between.
FLOOR_MARGIN = 1.01
STUCK_GAP = 3.0
SAMPLING_SLACK = 3  # standard errors of a fraction measured over SWEEP_SEEDS seeds


# The sweep trains the grader's copy of the nets (checks/reference/sweeps.py: the weights of
# checks.reference.nets.relu_model for each seed, checked in tests/test_batched.py), all seeds of a
# width at once. So it is a sweep of your nets when your build_model is that builder: checked here
# on these seeds of every width before anything trains.
SWEEP_SAMPLE = (0, 1, 2, 500, SWEEP_SEEDS - 1)


@pytest.fixture(scope="module")
def sweep(lesson, data, device, kept):
    """The final loss of build_model(width, seed) for seeds 0..999 at each width (lr 0.1, 1000
    epochs, the lecture's settings); computed once per fit cache (``kept``), like a fit."""
    for width in SWEEP_WIDTHS:
        for seed in SWEEP_SAMPLE:
            _student_model(lesson, width, seed)
    losses = _sweep_losses(kept, data, device)
    return {width: losses[str(width)] for width in SWEEP_WIDTHS}


def _sweep_losses(kept, data, device):
    X, y = data
    inputs = {"widths": SWEEP_WIDTHS, "seeds": SWEEP_SEEDS, "X": X, "y": y, "lr": LR,
              "epochs": EPOCHS}  # fmt: skip
    return kept(
        "relu_final_losses",
        inputs,
        lambda: {str(width): _sweep_width(width, data, device) for width in SWEEP_WIDTHS},
        modules=sweeps.MODULES,
        device=device,
    )


def _sweep_width(width: int, data, device) -> torch.Tensor:
    X, y = data
    return relu_final_losses(width, range(SWEEP_SEEDS), X, y, lr=LR, epochs=EPOCHS, device=device)


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


@pytest.mark.claim(
    points=1,
    ko="seed 1000개에서: 노드 1개 신경망은 하나도 두 기울기 바닥에 닿지 못하고 (노드 하나는 0의 한쪽만 맡음), 노드 50개 신경망은 모두 닿는다.",
)
def test_one_node_never_reaches_the_floor_and_fifty_always_do(floor_fractions):
    """Over 1000 seeds: no 1-node net reaches the two-slope floor (one node serves one side of 0),
    and every 50-node net does."""
    assert floor_fractions[1] == 0.0
    assert floor_fractions[50] == 1.0


@pytest.mark.claim(
    points=2,
    ko="강의의 (4/5)는 노드가 많을수록 국소최소점에 빠질 확률이 높다고 한다. 폭마다 seed 1000개로 재 보면 반대다: 바닥에 닿는 신경망의 비율이 폭과 함께 커지고 (노드 1, 2, 3, 5, 10, 50개에 대해 0, 0.48, 0.75, 0.94, 0.998, 1), 표준오차의 3배보다 더 떨어지는 일이 없으며, 노드 10개가 2개보다 0.4 넘게 앞선다.",
)
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


@pytest.mark.claim(
    points=1,
    ko="느리기만 한 seed는 없다: 마지막 손실은 모두 바닥(1% 이내)이거나 그 3배보다 높은, epoch을 늘려도 벗어날 수 없는 한쪽 적합이다 (seed 40352처럼).",
)
def test_every_seed_ends_at_the_floor_or_far_above_it(sweep, data):
    """No seed is merely slow: each final loss is at the floor (within 1%) or more than 3x above it,
    at a one-sided fit that more epochs cannot leave (as for seed 40352)."""
    _, _, floor = two_slope_fit(*data)
    for width, losses in sweep.items():
        between = (losses >= FLOOR_MARGIN * floor) & (losses < STUCK_GAP * floor)
        assert not bool(between.any()), f"width {width}: {int(between.sum())} seeds in between"


@pytest.mark.claim(
    points=1,
    ko="벤치마크: 노드 2개(seed 1, 1000 epoch)를 처음부터 시간을 재며 학습해도 두 기울기 바닥에서, 세션의 적합과 같은 마지막 손실(1e-6 이내)로 끝난다.",
)
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
    _expect_loss(result.final_loss, floor, "the timed run's final loss", "the two-slope floor")
    assert abs(result.final_loss - two_nodes.final_loss) <= 1e-6 * two_nodes.final_loss


@pytest.mark.claim(
    points=1,
    ko="벤치마크: 전체 sweep(폭 6개 x seed 1000개 x 1000 epoch)을 시간을 재며 다시 해도 모든 seed의 마지막 손실이 세션의 sweep과 같다 (1e-6 이내).",
)
def test_timed_seed_sweep_gives_the_same_losses(benchmark, lesson, data, device, sweep):
    """Benchmark: the whole sweep (6 widths x 1000 seeds x 1000 epochs), timed, gives every seed the
    same final loss as the session's sweep (to 1e-6)."""

    def train():
        return {width: _sweep_width(width, data, device) for width in SWEEP_WIDTHS}

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
        expect_close(
            result[width],
            sweep[width],
            rtol=1e-6,
            name=f"timed sweep, width {width}",
            what="the session's sweep",
        )


# Inputs the student never saw: a hard-coded answer loses these.


@pytest.mark.claim(
    points=1,
    visibility="hidden",
    ko="build_model(width, seed)는 처음 보는 폭과 seed에서도 강의의 신경망이다 (노드 3개 seed 5, 7개 seed 12345, 50개 seed 0).",
)
def test_build_model_with_other_widths_and_seeds(lesson):
    """build_model(width, seed) is the lecture's net for widths and seeds it never saw (3 nodes
    seed 5, 7 nodes seed 12345, 50 nodes seed 0)."""
    for width, seed in ((3, 5), (7, 12345), (50, 0)):
        _student_model(lesson, width, seed)


def _handmade_net() -> torch.nn.Sequential:
    """Five nodes: two face left, two right, one (w1 = 0) is never on. Slopes -3 and -0.5."""
    net = nets.relu_model(5, 0)
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[0.5], [-1.0], [2.0], [-0.25], [0.0]]))
        net[2].weight.copy_(torch.tensor([[1.0, 2.0, -0.5, 4.0, 3.0]]))
    return net


@pytest.mark.claim(
    points=1,
    visibility="hidden",
    ko="decompose(model, X)는 처음 보는 신경망과 입력에서도 u1 = X@W1, v1 = ReLU(u1), yhat = v1@W2이다 (노드 5개와 7개, 정렬되지 않은 점 13개).",
)
def test_decompose_on_other_nets(lesson):
    """decompose(model, X) is u1 = X@W1, v1 = ReLU(u1), yhat = v1@W2 for nets and inputs it never
    saw (5 and 7 nodes, 13 unsorted points)."""
    X = torch.linspace(-2, 3, 13)[torch.randperm(13, generator=torch.Generator().manual_seed(3))]
    X = X.reshape(13, 1)
    for what, net in (("a 5-node net", _handmade_net()), ("7 nodes", nets.relu_model(7, 9))):
        _expect_decomposition(lesson, net, X, what=what)


@pytest.mark.claim(
    points=1,
    visibility="hidden",
    ko="effective_slopes(model)는 처음 보는 신경망에서도 각 노드의 w1·w2를 그 노드가 맡은 0의 쪽에서 더한다 (기울기 -3과 -0.5인 손으로 만든 5-노드 신경망, seed 9의 노드 7개).",
)
def test_effective_slopes_on_other_nets(lesson):
    """effective_slopes(model) sums each node's w1·w2 on its own side of 0, for nets it never saw
    (a hand-made 5-node net with slopes -3 and -0.5, and 7 nodes with seed 9)."""
    for what, net in (("a 5-node net", _handmade_net()), ("7 nodes", nets.relu_model(7, 9))):
        expect_close(
            _student_slopes(lesson, net),
            _our_slopes(net),
            name=f"effective_slopes of {what} (left, right)",
            atol=ROUND_OFF,
            rtol=ROUND_OFF,
        )
