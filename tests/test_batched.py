"""Seed s of a batched program is the net ``fit`` trains from seed s (lessons/_batched.py,
lessons/_two_slopes.py), and the multi-seed lessons sweep what they say they sweep."""

from __future__ import annotations

import os

import pytest
import torch

from checks.reference.nets import relu_model, wide_model
from checks.reference.sweeps import _stacked, init_nets, relu_final_losses, width_sweep
from lessons import _batched, _two_slopes, custom_activation, fit, overfitting, relu_nodes

RTOL = 1e-4  # batched sums run in another order than fit's: float32 round-off, nothing more
SLOW = bool(os.environ.get("LESSONS_SLOW_TESTS"))


@pytest.fixture(scope="module")
def data():
    return relu_nodes.make_data()


@pytest.mark.parametrize("width", [1, 2, 5, 50])
def test_bias_free_nets_start_from_the_lessons_weights(width):
    seeds = [0, 1, 2, 40352]
    nets = init_nets(seeds, width, bias=False)
    models = [relu_nodes.build_model(width, seed=s) for s in seeds]
    assert torch.equal(
        _batched.from_models(models).W1,
        _batched.from_models([relu_model(width, s) for s in seeds]).W1,
    )
    assert nets.b1 is None and nets.b2 is None
    assert torch.equal(nets.W1, torch.stack([m[0].weight.detach()[:, 0] for m in models]))
    assert torch.equal(nets.W2, torch.stack([m[2].weight.detach()[0] for m in models]))


@pytest.mark.parametrize("width", [1, 20, 500])
def test_nets_with_biases_start_from_the_lessons_weights(width):
    seeds = [1, 7]
    nets = init_nets(seeds, width, bias=True)
    lessons = _batched.from_models([custom_activation.build_model(width, seed=s) for s in seeds])
    grader = _batched.from_models([wide_model(width, seed=s) for s in seeds])
    for name in ("W1", "W2", "b1", "b2"):
        assert torch.equal(getattr(nets, name), getattr(lessons, name)), name
        assert torch.equal(getattr(nets, name), getattr(grader, name)), name


def test_init_is_uniform_within_one_over_root_fan_in():
    """nn.Linear's kaiming-uniform(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias too."""
    nets = init_nets(range(200), 16, bias=True)
    for weights, bound in ((nets.W1, 1.0), (nets.b1, 1.0), (nets.W2, 0.25), (nets.b2, 0.25)):
        assert float(weights.abs().max()) <= bound
        assert float(weights.abs().max()) > 0.95 * bound  # the whole interval is used
        assert abs(float(weights.mean())) < 0.05 * bound


@pytest.mark.parametrize("width, seeds", [(1, [1, 2]), (2, [1, 40352, 7]), (5, [0, 3]), (50, [11])])
def test_relu_nets_end_where_fit_ends(data, width, seeds):
    X, y = data
    expected = torch.tensor(
        [
            fit(relu_nodes.build_model(width, seed=s), X, y, lr=0.1, epochs=1000).final_loss
            for s in seeds
        ]
    )
    nets = init_nets(seeds, width, bias=False)
    _, batched = _batched.train(nets, X, y, activation="relu", lr=0.1, epochs=1000)
    _, two_slopes = _two_slopes.train(nets, X, y, lr=0.1, epochs=1000)
    assert torch.allclose(batched, expected, rtol=RTOL, atol=0)
    assert torch.allclose(two_slopes, expected, rtol=RTOL, atol=0)
    assert torch.allclose(relu_nodes.final_losses(width, seeds, X, y), expected, rtol=RTOL, atol=0)


def test_two_slopes_give_the_trained_weights_of_fit(data):
    X, y = data
    model = fit(relu_nodes.build_model(3, seed=5), X, y, lr=0.1, epochs=300).model
    trained, _ = _two_slopes.train(init_nets([5], 3, bias=False), X, y, lr=0.1, epochs=300)
    assert torch.allclose(trained.W1[0], model[0].weight.detach()[:, 0], rtol=RTOL, atol=1e-6)
    assert torch.allclose(trained.W2[0], model[2].weight.detach()[0], rtol=RTOL, atol=1e-6)


def test_mooyaho_nets_end_where_fit_ends(data):
    X, y = data
    seeds, width, epochs = [1, 2, 3], 20, 1000
    nets = init_nets(seeds, width, bias=True)
    trained, batched = _batched.train(nets, X, y, activation="mooyaho", lr=0.001, epochs=epochs)
    fits = [
        fit(custom_activation.build_model(width, seed=s), X, y, lr=0.001, epochs=epochs)
        for s in seeds
    ]
    assert torch.allclose(batched, torch.tensor([f.final_loss for f in fits]), rtol=RTOL, atol=0)
    after = _batched.mse(trained, X, y, activation="mooyaho")
    with torch.no_grad():
        direct = torch.stack([((f.model(X) - y) ** 2).mean() for f in fits])
    assert torch.allclose(after, direct, rtol=RTOL, atol=0)


def _fit_losses(width: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One seed of the width sweep trained by ``fit``: its train and held-out MSE."""
    X, y = overfitting.make_data(seed)
    X_held, y_held = overfitting.held_out_data(seed)
    model = fit(
        overfitting.build_model(width, seed=seed),
        X,
        y,
        lr=overfitting.LR,
        epochs=overfitting.EPOCHS,
    ).model
    with torch.no_grad():
        return ((model(X) - y) ** 2).mean(), ((model(X_held) - y_held) ** 2).mean()


def test_width_sweep_trains_seed_s_on_its_own_data_and_scores_it_on_fresh_data():
    """Where training is calm (50 nodes), every seed matches fit to round-off."""
    widths, seeds = (50,), [0, 1, 2, 3]
    sweep = overfitting.width_sweep(widths, seeds)
    for i, width in enumerate(widths):
        for j, seed in enumerate(seeds):
            train, held = _fit_losses(width, seed)
            assert torch.allclose(sweep.train[i, j], train, rtol=RTOL, atol=0)
            assert torch.allclose(sweep.held_out[i, j], held, rtol=RTOL, atol=0)


def test_narrow_step_nets_match_fit_until_their_training_turns_chaotic():
    """5 sigmoid(200x) nodes at lr 0.01 on 20 points: seed by seed, batched and fit agree to
    round-off for the first 50 epochs; later a step crossing a data point amplifies any round-off
    difference, and fit itself ends as far from its own float64 run."""
    seeds, width = list(range(10)), 5
    X, y = _stacked(overfitting.make_data, seeds)
    nets = init_nets(seeds, width, bias=True)
    _, batched = _batched.train(nets, X, y, activation="mooyaho", lr=overfitting.LR, epochs=50)
    fits = [
        fit(
            overfitting.build_model(width, seed=s),
            *overfitting.make_data(s),
            lr=overfitting.LR,
            epochs=50,
        )
        for s in seeds
    ]
    assert torch.allclose(batched, torch.tensor([f.final_loss for f in fits]), rtol=RTOL, atol=0)
    # Seed 0, 500 epochs: float32 against float64, both with fit: round-off alone moves the end.
    X0, y0 = overfitting.make_data(0)
    single = fit(
        overfitting.build_model(width, seed=0), X0, y0, lr=overfitting.LR, epochs=overfitting.EPOCHS
    )
    double = fit(
        overfitting.build_model(width, seed=0).double(),
        X0.double(),
        y0.double(),
        lr=overfitting.LR,
        epochs=overfitting.EPOCHS,
    )
    assert abs(single.final_loss - double.final_loss) > 1e-3 * double.final_loss


@pytest.mark.skipif(not SLOW, reason="a loop of 100 fits (~5-10 s): set LESSONS_SLOW_TESTS=1")
@pytest.mark.parametrize("width", [5, 200])
def test_width_sweep_means_match_a_loop_of_fit(width):
    """The claims use means over 100 seeds: batched and a loop of fit agree on them to 2%."""
    seeds = range(overfitting.SEEDS)
    sweep = overfitting.width_sweep((width,), seeds)
    losses = torch.tensor([[float(loss) for loss in _fit_losses(width, s)] for s in seeds])
    train, held = losses[:, 0], losses[:, 1]
    assert abs(float(sweep.train.mean()) / float(train.mean()) - 1) < 0.02
    assert abs(float(sweep.held_out.mean()) / float(held.mean()) - 1) < 0.02


def test_held_out_data_is_fresh_data_from_the_same_process():
    X, y = overfitting.make_data(0)
    X_held, y_held = overfitting.held_out_data(0)
    assert X.shape == (overfitting.TRAIN_POINTS, 1) and X_held.shape == (
        overfitting.HELD_OUT_POINTS,
        1,
    )
    assert float(X_held.min()) == -1.0 and float(X_held.max()) == 1.0
    assert not torch.equal(y[:5], overfitting.make_data(1)[1][:5])  # each seed its own noise
    truth = torch.where(X_held < 0, X_held, 3.5 * X_held)
    assert abs(float(((y_held - truth) ** 2).mean()) - overfitting.NOISE_VARIANCE) < 0.02


def test_two_slopes_refuse_nets_with_biases(data):
    with pytest.raises(ValueError, match="bias-free"):
        _two_slopes.train(init_nets([0], 2, bias=True), *data, lr=0.1, epochs=1)


def test_data_of_the_wrong_shape_is_refused(data):
    nets = init_nets([0, 1], 2, bias=True)
    with pytest.raises(ValueError, match=r"\[n, 1\]"):
        _batched.train(
            nets, torch.zeros(3, 1, 1), torch.zeros(3, 1, 1), activation="relu", lr=0.1, epochs=1
        )
    with pytest.raises(ValueError, match="activation"):
        _batched.train(nets, *data, activation="tanh", lr=0.1, epochs=1)


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU (none visible to torch here)"
)
def test_batched_training_on_cuda_matches_the_cpu(data):
    X, y = data
    nets = init_nets(range(8), 20, bias=True)
    _, cpu = _batched.train(nets, X, y, activation="mooyaho", lr=0.001, epochs=500)
    _, cuda = _batched.train(nets.to("cuda"), X, y, activation="mooyaho", lr=0.001, epochs=500)
    assert torch.allclose(cuda.cpu(), cpu, rtol=RTOL, atol=0)
    _, cpu = _two_slopes.train(init_nets(range(8), 5, bias=False), X, y, lr=0.1, epochs=500)
    cuda_nets = init_nets(range(8), 5, bias=False).to("cuda")
    _, cuda = _two_slopes.train(cuda_nets, X, y, lr=0.1, epochs=500)
    assert torch.allclose(cuda.cpu(), cpu, rtol=RTOL, atol=0)


def test_the_graders_sweeps_are_the_lessons_sweeps(data):
    """The claims measure the grader's sweeps (checks/reference/sweeps.py, from the reference
    nets); a lesson's own sweep stacks the nets of its build_model. With the lecture's builders
    the two are the same numbers, bit for bit."""
    X, y = data
    seeds = range(20)
    grader = relu_final_losses(3, seeds, X, y, lr=0.1, epochs=200)
    assert torch.equal(grader, relu_nodes.final_losses(3, seeds, X, y, lr=0.1, epochs=200))
    widths, seeds = (5, 50), range(4)
    ours = width_sweep(
        widths,
        seeds,
        train_points=overfitting.TRAIN_POINTS,
        held_out_points=overfitting.HELD_OUT_POINTS,
        held_out_offset=overfitting.HELD_OUT_SEED_OFFSET,
        lr=overfitting.LR,
        epochs=50,
    )
    theirs = overfitting.width_sweep(widths, seeds, epochs=50)
    assert torch.equal(ours.train, theirs.train) and torch.equal(ours.held_out, theirs.held_out)
