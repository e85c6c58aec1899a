"""The fast engine (lessons/_fast.py) gives the autograd loop's numbers to the last bit.

Each lecture run is trained twice, from the same initial weights: once by ``fit``'s autograd loop
(the lecture's four steps, denormals kept, as the lecture runs) and once by ``fit``'s default
engine (denormals flushed, as ``pytest lessons`` runs). Every epoch's loss, the last ``yhat`` and
every final weight must be equal bit for bit; the lecture's own code (tests/lecture_reference.py)
must give the same bits too.
"""

from __future__ import annotations

import os

import pytest
import torch

from checks.grader.denormals import denormals
from checks.reference import nets
from checks.reference.data import piecewise_data
from lessons import (
    _fast,
    fit,
    linear_model,
    memorise_noise,
    piecewise_linear,
    polynomial_regression,
    relu_nodes,
)
from tests import lecture_reference


def _design_data():
    x, y = linear_model.make_data()
    return linear_model.design_matrix(x), y


# name: (model builder, data, lr, epochs), the lecture's settings
RUNS = {
    "linear, x*w + b": (lambda: linear_model.build_model("bias"), linear_model.make_data, 0.1, 1000),
    "linear, [1, x] @ W": (lambda: linear_model.build_model("design"), _design_data, 0.1, 1000),
    "polynomial, lr 0.01": (polynomial_regression.build_model, polynomial_regression.make_data, 0.01, 1000),
    "polynomial, lr 0.1 (diverges)": (polynomial_regression.build_model, polynomial_regression.make_data, 0.1, 1000),
    "straight line": (piecewise_linear.build_model, piecewise_linear.make_data, 0.1, 10000),
    "1 ReLU node": (lambda: relu_nodes.build_model(1), relu_nodes.make_data, 0.1, 1000),
    "2 ReLU nodes, seed 1": (lambda: relu_nodes.build_model(2), relu_nodes.make_data, 0.1, 1000),
    "2 ReLU nodes, seed 40352": (lambda: relu_nodes.build_model(2, 40352), relu_nodes.make_data, 0.1, 10000),
    # the grader's MOOYAHO (checks/reference): the fast loop knows it by its sigmoid_scale
    "500 MOOYAHO nodes": (nets.wide_model, piecewise_data, 0.001, 5000),
    "500 MOOYAHO nodes on noise": (nets.wide_model, memorise_noise.make_data, 0.001, 5000),
}  # fmt: skip


# The 500-node runs take ~5 s each with the autograd loop: by default their first 1000 epochs are
# compared (denormals appear from the first epoch); LESSONS_FULL_LENGTH=1 compares all 5000.
SHORTENED = (
    {}
    if os.environ.get("LESSONS_FULL_LENGTH")
    else {"500 MOOYAHO nodes": 1000, "500 MOOYAHO nodes on noise": 1000}
)


def _same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal values, NaN where NaN (a diverged run is NaN in both)."""
    return a.shape == b.shape and bool(((a == b) | (a.isnan() & b.isnan())).all())


@pytest.mark.parametrize("name", RUNS)
def test_fast_engine_reproduces_the_autograd_loop_bit_for_bit(name):
    build, make_data, lr, epochs = RUNS[name]
    epochs = SHORTENED.get(name, epochs)
    X, y = make_data()
    with denormals(False):
        reference = fit(build(), X, y, lr=lr, epochs=epochs, engine="autograd")
    with denormals(True):
        fast = fit(build(), X, y, lr=lr, epochs=epochs)
    assert (reference.engine, fast.engine) == ("autograd", "fast")
    assert _same_bits(fast.losses, reference.losses)
    assert _same_bits(fast.yhat, reference.yhat)
    for p, q in zip(fast.model.parameters(), reference.model.parameters(), strict=True):
        assert _same_bits(p.detach(), q.detach())
        assert p.grad is None and q.grad is None


def test_the_lectures_own_code_gives_the_same_bits():
    """The lecture's cells, verbatim (loss_fn(y, yhat), net.zero_grad()), match the lessons' fits."""
    X, y = relu_nodes.make_data()
    cells = lecture_reference.run(["polynomial_regression", "net3 (2 nodes, seed 1)"])
    poly = fit(
        polynomial_regression.build_model(),
        *polynomial_regression.make_data(),
        lr=0.01,
        epochs=1000,
    )
    two = fit(relu_nodes.build_model(2), X, y, lr=0.1, epochs=1000)
    for (_, cell), result in zip(cells.values(), (poly, two), strict=True):
        # The lecture's last loss is computed before its last update, as FitResult.losses[-1] is.
        assert _same_bits(cell["loss"], result.losses[-1])
        for p, q in zip(cell["net"].parameters(), result.model.parameters(), strict=True):
            assert _same_bits(p.detach(), q.detach())


def test_lecture_reference_data_is_the_lessons_data():
    X, y = lecture_reference.piecewise_data()
    X2, y2 = piecewise_linear.make_data()
    assert torch.equal(X, X2) and torch.equal(y, y2)
    assert all(
        torch.equal(a, b)
        for a, b in zip(lecture_reference.noise_data(), memorise_noise.make_data(), strict=True)
    )


class Doubler(torch.nn.Module):
    def forward(self, x):
        return 2 * x


@pytest.mark.parametrize(
    "model",
    [
        torch.nn.Sequential(torch.nn.Linear(1, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1)),
        torch.nn.Sequential(torch.nn.Linear(1, 2), Doubler(), torch.nn.Linear(2, 1)),
        torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(1, 1)),
        torch.nn.Sequential(),
    ],
    ids=["tanh", "custom module", "activation first", "empty"],
)
def test_nets_the_engine_does_not_know_take_the_autograd_loop(model):
    X, y = torch.ones(4, 1), torch.zeros(4, 1)
    assert not _fast.supports(model, X, y)


def test_hooks_frozen_shared_or_leftover_gradients_take_the_autograd_loop():
    X, y = torch.ones(4, 1), torch.zeros(4, 1)
    hooked = torch.nn.Linear(1, 1)
    hooked.register_forward_hook(lambda *args: None)
    frozen = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.ReLU(), torch.nn.Linear(1, 1))
    frozen[0].weight.requires_grad_(False)
    layer = torch.nn.Linear(1, 1)
    shared = torch.nn.Sequential(layer, torch.nn.ReLU(), layer)
    leftover = torch.nn.Linear(1, 1)
    leftover.weight.grad = torch.ones_like(leftover.weight)
    for model in (hooked, frozen, shared, leftover):
        assert not _fast.supports(model, X, y)
    assert _fast.supports(torch.nn.Linear(1, 1), X, y)


def test_data_that_would_broadcast_takes_the_autograd_loop():
    model = torch.nn.Linear(1, 1)
    assert not _fast.supports(model, torch.ones(4, 1), torch.zeros(4))
    assert not _fast.supports(model, torch.ones(4, 1), torch.zeros(4, 1, dtype=torch.float64))
    result = fit(
        torch.nn.Linear(1, 1),
        torch.ones(4, 1),
        torch.zeros(4, 1, dtype=torch.float64).float(),
        lr=0.1,
        epochs=2,
    )
    assert result.engine == "fast"


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="engine"):
        fit(
            torch.nn.Linear(1, 1),
            torch.ones(4, 1),
            torch.zeros(4, 1),
            lr=0.1,
            epochs=1,
            engine="jax",
        )


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU (none visible to torch here)"
)
@pytest.mark.parametrize("name", ["2 ReLU nodes, seed 1", "500 MOOYAHO nodes"])
def test_fast_engine_reproduces_the_autograd_loop_on_cuda(name):
    build, make_data, lr, epochs = RUNS[name]
    X, y = make_data()
    reference = fit(build(), X, y, lr=lr, epochs=epochs, device="cuda", engine="autograd")
    fast = fit(build(), X, y, lr=lr, epochs=epochs, device="cuda")
    assert fast.engine == "fast"
    assert _same_bits(fast.losses, reference.losses)
    for p, q in zip(fast.model.parameters(), reference.model.parameters(), strict=True):
        assert _same_bits(p.detach().cpu(), q.detach().cpu())
