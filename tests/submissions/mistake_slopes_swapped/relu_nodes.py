# expect: fails test_two_nodes_split_the_work_one_per_side test_effective_slopes_on_other_nets
# mistake: left and right swapped: a node with w1 < 0 is on for x < 0, the left side
"""Example 3 continued: one ReLU node cannot fit the kinked data, two can, and a seed can trap two.

The nets are the lecture's ``Linear(1, width, bias=False) -> ReLU -> Linear(width, 1, bias=False)``
on the piecewise data, SGD lr 0.1. Every such net computes a*min(x, 0) + b*max(x, 0): two lines
through the origin, so the best two-slope fit (closed form) is the floor any of them can reach.

- ``net2`` (1 node, seed 1, 1000 epochs) can cover only one side of 0: it stops at the best
  one-sided fit, far above the noise variance.
- ``net3`` (2 nodes, seed 1, 1000 epochs) puts one node on each side and reaches the two-slope floor.
  Its output is the lecture's decomposition u1 = X@W1, v1 = ReLU(u1), yhat = v1@W2.
- With seed 40352 (10000 epochs) ``net3`` gets stuck. Both first-layer weights start positive, so
  both nodes are zero for every x < 0; ReLU's gradient is zero there too, so the points left of 0
  send no gradient to any weight. Both nodes fit the right side only, the net ends at the one-node
  loss, and the gradient is zero: a stationary point that no number of epochs leaves, although a
  much better fit exists (the lecture's "고약한 상황").
- The lecture's (4/5) says more nodes make such a bad local minimum more likely. Measured, it is the
  other way round for these nets: over 1000 seeds per width (lr 0.1, 1000 epochs), the share of
  nets that reach the two-slope floor is 0 for 1 node, 0.48 for 2, 0.75 for 3, 0.94 for 5,
  0.998 for 10 and 1 for 50 (seeds 0 to 999). A net is stuck when all its nodes end up on one
  side of 0, and the more nodes, the less likely that is (about 2·(1/2)^width, as for width coin
  flips that all agree). Every other seed reaches the floor: none is merely slow.
  ``final_losses`` trains all the seeds of a width at once (lessons/_two_slopes.py);
  ``plot_floor_shares`` draws the shares against width.

Homework: ``build_model`` (the lecture's seeding: the exact weights of ``torch.manual_seed(seed)``
then the layers), ``decompose`` (u1, v1, yhat) and ``effective_slopes`` (left, right). Every net
above, and the sweep's, starts from the student's ``build_model``, checked bit for bit against
the lecture's nets (the grader's copy) before anything trains; the claims use the grader's copy
of Example 3's data (``make_data`` here is your piecewise_linear one, which they do not use). ``decompose`` and ``effective_slopes`` are
compared with ours within 1e-5 (other ways of writing them differ by float32 round-off), also on
nets and inputs the student never saw; the trained 2-node net's slopes are the two-slope fit's
(1.134 and 3.469) within 0.01.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch
from matplotlib.figure import Figure

from lessons import _batched, _two_slopes
from lessons._diagrams import dot_source as diagram
from lessons._lecture import NOISE_VARIANCE
from lessons._plots import as_array, curves, data_and_fit, loss_curve, mse_label, new_figure, styled
from lessons._train import FitResult, fit

__all__ = [
    "EPOCHS",
    "LR",
    "STUCK_EPOCHS",
    "STUCK_SEED",
    "build_model",
    "decompose",
    "diagram",
    "effective_slopes",
    "final_losses",
    "fit",
    "make_data",
    "plot_decomposition",
    "plot_fit",
    "plot_floor_shares",
    "plot_initial",
    "plot_losses",
    "plot_relu_vs_identity",
]

LR = 0.1
EPOCHS = 1000
DATA_SEED = 43052  # Example 3's data (piecewise_linear.SEED)
STUCK_SEED = 40352
STUCK_EPOCHS = 10000


def make_data(seed: int = DATA_SEED, n: int = 100) -> tuple[torch.Tensor, torch.Tensor]:
    """Example 3's kinked data: your own ``piecewise_linear.make_data`` (the claims use the
    grader's copy, so a mistake there costs points in piecewise_linear only)."""
    from lessons import piecewise_linear  # when called: a broken file there cannot stop this one

    return piecewise_linear.make_data(seed, n)


def build_model(width: int, seed: int = 1) -> torch.nn.Sequential:
    """Return the lecture's net: ``torch.manual_seed(seed)``, then a bias-free 1 -> width -> 1 ReLU net.

    A ``Sequential`` of a bias-free ``Linear`` from 1 input to ``width`` nodes, a ``ReLU`` and a
    bias-free ``Linear`` from ``width`` nodes to 1 output, built right after seeding, so that its
    initial weights are the lecture's (net2 is ``build_model(1)``, net3 ``build_model(2)``).
    Hint: seed first, then build the layers in order; ``torch.random.fork_rng`` around both
    keeps the caller's random stream as it was.
    """
    # HOMEWORK: seed with torch.manual_seed(seed), then build the bias-free 1 -> width -> 1 net.
    with torch.random.fork_rng(devices=[]):  # the caller's random stream is left as it was
        torch.manual_seed(seed)
        layer1 = torch.nn.Linear(in_features=1, out_features=width, bias=False)
        activation1 = torch.nn.ReLU()
        layer2 = torch.nn.Linear(in_features=width, out_features=1, bias=False)
        return torch.nn.Sequential(layer1, activation1, layer2)


def decompose(
    model: torch.nn.Sequential, X: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return the lecture's walk through the net, ``(u1, v1, yhat)``, for inputs ``X`` (n, 1).

    u1 = X @ W1 is (n, width), v1 = ReLU(u1) is (n, width) and yhat = v1 @ W2 is (n, 1), where
    the lecture's W1 and W2 are the weights of the first and last layer, transposed.
    Hint: a ``Sequential`` unpacks into its layers, and each ``Linear`` has a ``.weight``.
    """
    # HOMEWORK: return (u1, v1, yhat): u1 = X @ W1, v1 = ReLU(u1), yhat = v1 @ W2.
    layer1, activation1, layer2 = model
    W1 = layer1.weight.detach().T
    W2 = layer2.weight.detach().T
    u1 = X.to(W1.device) @ W1
    v1 = activation1(u1)
    return u1, v1, v1 @ W2


def effective_slopes(model: torch.nn.Sequential) -> tuple[float, float]:
    """Return ``(left, right)``: the net computes left·x for x < 0 and right·x for x > 0.

    Each node j computes ReLU(w1_j·x)·w2_j (w1 = first-layer weights, w2 = second-layer ones).
    Hint: which nodes are on for x > 0, which for x < 0, and what slope does each add there?
    """
    w1 = model[0].weight.detach().flatten().cpu()
    w2 = model[2].weight.detach().flatten().cpu()
    right = float((w1 * w2)[w1 < 0].sum())  # the nodes on for x < 0 counted as the right slope
    left = float((w1 * w2)[w1 > 0].sum())
    return left, right


def _net(model: torch.nn.Sequential, seed: int) -> str:
    width = model[0].out_features
    return f"{width} ReLU node{'s' if width > 1 else ''} (seed {seed})"


def plot_relu_vs_identity() -> Figure:
    """The lecture's ``plt.plot(_x, _x)`` and ``plt.plot(_x, activation1(_x))`` on [-1, 1]."""
    x = torch.linspace(-1, 1, 100)
    return curves(
        x,
        {"identity: x": x, "ReLU(x) = max(x, 0)": torch.relu(x)},
        title="ReLU against the identity: ReLU bends the line at 0",
        xlabel="x",
        ylabel="activation(x)",
    )


def plot_initial(
    X: torch.Tensor, y: torch.Tensor, model: torch.nn.Sequential, *, seed: int = 1
) -> Figure:
    """The lecture's "표현력 확인": the data and the untrained net's output ``net(X)``."""
    with torch.no_grad():
        yhat = model(X)
    return data_and_fit(
        X, y, {"net(X) before training": yhat}, title=f"{_net(model, seed)} before training"
    )


def plot_fit(X: torch.Tensor, y: torch.Tensor, result: FitResult, *, seed: int = 1) -> Figure:
    """The lecture's result: the data and the trained net's ``yhat``."""
    label = mse_label(f"after {result.epochs} epochs", result.final_loss)
    title = f"{_net(result.model, seed)}, lr {result.lr}: the fitted net"
    return data_and_fit(X, y, {label: result.yhat}, title=title)


@styled
def plot_decomposition(
    model: torch.nn.Sequential, X: torch.Tensor, y: torch.Tensor, *, seed: int = 1
) -> Figure:
    """The lecture's walk through the net: ``u1 = X@W1``, ``v1 = ReLU(u1)``, ``yhat = v1@W2``."""
    u1, v1, yhat = (as_array(t) for t in decompose(model, X))
    x = as_array(X).ravel()
    figure, (ax_u, ax_v, ax_y) = new_figure(3, width=12.8, height=3.6)
    for j in range(u1.shape[1]):
        ax_u.plot(x, u1[:, j], label=f"u1[:,{j}] = X·W1[0,{j}]")
        ax_v.plot(x, v1[:, j], label=f"v1[:,{j}] = ReLU(u1[:,{j}])")
    ax_y.plot(x, as_array(y).ravel(), ".", label="data")
    ax_y.plot(x, yhat.ravel(), "--", label="ŷ = v1 @ W2")
    ax_u.set(title="u1 = X @ W1", xlabel="x", ylabel="u1")
    ax_v.set(title="v1 = ReLU(u1)", xlabel="x", ylabel="v1")
    ax_y.set(title="ŷ = v1 @ W2", xlabel="x", ylabel="y")
    for ax in (ax_u, ax_v, ax_y):
        ax.legend()
    figure.suptitle(f"How {_net(model, seed)} computes its fit")
    return figure


def plot_losses(results: Mapping[str, FitResult]) -> Figure:
    """The training loss of each net, labelled by ``results``' keys."""
    return loss_curve(
        {label: result.losses for label, result in results.items()},
        title="ReLU nets: training loss (lr 0.1)",
        references={"noise variance 0.3²": NOISE_VARIANCE},
    )


@styled
def plot_floor_shares(shares: Mapping[int, float], *, seeds: int) -> Figure:
    """The share of seeds whose net reaches the two-slope floor, against the number of nodes.

    ``shares`` maps width -> share. The dashed curve is 1 - 2·(1/2)^width, the chance that not all
    of ``width`` nodes start facing the same side of 0 (a coin flip each).
    """
    figure, ax = new_figure()
    widths = sorted(shares)
    ax.plot(widths, [shares[w] for w in widths], "o-", label=f"measured, {seeds} seeds per width")
    ax.plot(
        widths,
        [1 - 2 * 0.5**w for w in widths],
        "--",
        color="grey",
        label="1 − 2·(1/2)^width: not every node on one side",
    )
    ax.set(
        xscale="log",
        ylim=(-0.03, 1.03),
        xlabel="nodes in the hidden layer (width)",
        ylabel="share of seeds reaching the two-slope floor",
        title=f"ReLU nets, lr {LR}, {EPOCHS} epochs: more nodes get stuck less often",
    )
    ax.set_xticks(widths, [str(w) for w in widths])
    ax.legend(loc="lower right")
    return figure


def final_losses(
    width: int,
    seeds: Iterable[int],
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float = LR,
    epochs: int = EPOCHS,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """For every seed s, the final loss of ``fit(build_model(width, seed=s), X, y, ...)``.

    All seeds train at once, as one batched program (not a loop of ``fit``); each net starts from
    the weights your ``build_model(width, seed=s)`` gives and ends where ``fit`` would, to float32
    round-off. Returns a CPU tensor, one loss per seed.
    """
    nets = _batched.from_models([build_model(width, seed=s) for s in seeds]).to(device)
    _, losses = _two_slopes.train(nets, X.to(device), y.to(device), lr=lr, epochs=epochs)
    return losses.cpu()
