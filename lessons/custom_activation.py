"""Custom activation: 500 ``sigmoid(200x)`` nodes fit the kinked data, noise included.

The lecture's ``mooyaho(x) = sigmoid(200x)`` is almost a step at 0, so each node is a step at
-b/w and 500 of them make a staircase that can follow any curve. The net is the lecture's
``Linear(1, 500) -> MOOYAHO -> Linear(500, 1)`` with biases, seed 1, SGD lr 0.001, 5000 epochs on
the piecewise data. Claims: the activation is a step, and the training loss falls below the noise
variance 0.09 and below the best any bias-free ReLU net can do: the net has started to fit the
noise itself (the lecture's "wide nets often overfit").

Homework: ``mooyaho`` (the function), ``MOOYAHO.forward`` (the same as a layer) and
``build_model(width, seed)`` (the lecture's seeding: its weights, bit for bit). The claims train
the net built by your ``build_model`` with your ``MOOYAHO`` for 10 epochs; when every loss is the
lecture's net's (to 1e-5), the 5000-epoch claims measure the lecture's net, trained by the grader;
otherwise your net trains for 5000 epochs (``fit`` takes its autograd loop for a layer class of
yours: a few seconds). Write the activation so that its gradient stays finite: the
sigmoid written out with ``torch.exp`` computes the right values, but ``exp`` overflows to inf
for x < -0.44 and its gradient is then NaN (inf × 0), so the net cannot train.
"""

from __future__ import annotations

import torch
from matplotlib.figure import Figure

from lessons._diagrams import dot_source as diagram
from lessons._lecture import NOISE_VARIANCE, STEEPNESS
from lessons._plots import curves, data_and_fit, loss_curve, mse_label
from lessons._seeding import lecture_seed
from lessons._train import FitResult, fit

__all__ = [
    "EPOCHS",
    "LR",
    "MOOYAHO",
    "WIDTH",
    "build_model",
    "diagram",
    "fit",
    "make_data",
    "mooyaho",
    "plot_fit",
    "plot_initial",
    "plot_losses",
    "plot_mooyaho",
]

WIDTH = 500
LR = 0.001
EPOCHS = 5000


def make_data(seed: int = 43052, n: int = 100) -> tuple[torch.Tensor, torch.Tensor]:
    """Example 3's kinked data: your own ``piecewise_linear.make_data`` (the claims use the
    grader's copy, so a mistake there costs points in piecewise_linear only)."""
    from lessons import piecewise_linear  # when called: a broken file there cannot stop this one

    return piecewise_linear.make_data(seed, n)


def mooyaho(input: torch.Tensor) -> torch.Tensor:
    """Return sigmoid(200 · input), element by element: a sigmoid so steep that it is almost a
    step at 0 (0.5 at 0, within 1e-4 of 0 or 1 once |input| >= 0.05).

    Homework: one line of torch; ``STEEPNESS`` is the 200.
    """
    # BEGIN SOLUTION
    return torch.sigmoid(STEEPNESS * input)
    # END SOLUTION


class MOOYAHO(torch.nn.Module):
    """``mooyaho`` as a layer, so it can sit in ``nn.Sequential`` (it has no weights)."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Return mooyaho of the layer's input, element by element.

        Homework: what the layer computes; autograd derives its gradient (keep it finite).
        """
        # BEGIN SOLUTION
        return mooyaho(input)
        # END SOLUTION


def build_model(width: int = WIDTH, seed: int = 1) -> torch.nn.Sequential:
    """Return the lecture's net ``Linear(1, width) -> MOOYAHO -> Linear(width, 1)``, both Linear
    layers with biases, its initial weights drawn after ``torch.manual_seed(seed)``.

    Homework: seed, then build the layers in the lecture's order (the draws happen as each
    ``Linear`` is made); ``lecture_seed(seed)`` seeds without touching the caller's random stream.
    """
    # BEGIN SOLUTION
    with lecture_seed(seed):
        layer1 = torch.nn.Linear(in_features=1, out_features=width, bias=True)
        activation1 = MOOYAHO()
        layer2 = torch.nn.Linear(in_features=width, out_features=1, bias=True)
        return torch.nn.Sequential(layer1, activation1, layer2)
    # END SOLUTION


def plot_mooyaho() -> Figure:
    """The lecture's ``plt.plot(_x, mooyaho(_x))`` with ``_x = torch.linspace(-10, 10, 100)``."""
    x = torch.linspace(-10, 10, 100)
    return curves(
        x,
        {"mooyaho(x) = sigmoid(200x)": mooyaho(x)},
        title="The custom activation on [-10, 10]: almost a step at 0",
        xlabel="x",
        ylabel="mooyaho(x)",
    )


def plot_initial(X: torch.Tensor, y: torch.Tensor, model: torch.nn.Sequential) -> Figure:
    """The lecture's ``plt.plot(X, net4(X).data, '--')``: the untrained 500-node net."""
    with torch.no_grad():
        yhat = model(X)
    width = model[0].out_features
    return data_and_fit(
        X, y, {"net(X) before training": yhat}, title=f"{width} MOOYAHO nodes before training"
    )


def plot_fit(X: torch.Tensor, y: torch.Tensor, result: FitResult) -> Figure:
    """The lecture's result: the staircase of 500 steps follows the data, noise included."""
    width = result.model[0].out_features
    label = mse_label(f"after {result.epochs} epochs", result.final_loss)
    title = f"{width} MOOYAHO nodes, lr {result.lr}: the fit follows the noise"
    return data_and_fit(X, y, {label: result.yhat}, title=title)


def plot_losses(result: FitResult) -> Figure:
    """The training loss per epoch, ending below the noise variance."""
    return loss_curve(
        {f"lr {result.lr}": result.losses},
        title="500 MOOYAHO nodes: training loss drops below the noise variance",
        references={"noise variance 0.3²": NOISE_VARIANCE},
    )
