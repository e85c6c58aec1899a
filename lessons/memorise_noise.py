"""'It can fit anything': the 500-node ``sigmoid(200x)`` net memorises pure noise.

Exactly the lecture: ``torch.manual_seed(43052)``, X = linspace(-1, 1, 100), y = randn(100, 1): the
targets have no relation to x, so the best honest prediction is 0 (the zero predictor, MSE = mean
y²). The net of ``custom_activation`` (seed 1, lr 0.001, 5000 epochs) ends well below that MSE and
below the best straight line: it has learnt the noise, not a pattern.
"""

from __future__ import annotations

import torch
from matplotlib.figure import Figure

from lessons import _lecture
from lessons._diagrams import dot_source as diagram
from lessons._lecture import wide_model as build_model
from lessons._plots import data_and_fit, loss_curve, mse_label
from lessons._train import FitResult, fit

__all__ = [
    "EPOCHS",
    "LR",
    "SEED",
    "build_model",
    "diagram",
    "fit",
    "make_data",
    "plot_data",
    "plot_fit",
    "plot_losses",
]

SEED = _lecture.SEED
LR = 0.001  # the lecture's rate and epochs for its 500-node net
EPOCHS = 5000


def make_data(seed: int = SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the lecture's ``(__X, __y)``: X = linspace(-1, 1, 100) as (100, 1), y ~ N(0, 1)."""
    return _lecture.noise_data(seed)


def plot_data(X: torch.Tensor, y: torch.Tensor) -> Figure:
    """The lecture's ``plt.plot(__X, __y, '.')``: targets with no relation to x."""
    return data_and_fit(X, y, {}, title=f"Pure noise: y ~ N(0, 1) whatever x is (seed {SEED})")


def plot_fit(X: torch.Tensor, y: torch.Tensor, result: FitResult) -> Figure:
    """The lecture's result: the net's ``yhat`` chases the noise."""
    width = result.model[0].out_features
    label = mse_label(f"{width} nodes after {result.epochs} epochs", result.final_loss)
    return data_and_fit(X, y, {label: result.yhat}, title="The wide net memorises the noise")


def plot_losses(result: FitResult, y: torch.Tensor) -> Figure:
    """The training loss per epoch against the zero predictor's loss, mean y²."""
    return loss_curve(
        {f"lr {result.lr}": result.losses},
        title="Fitting noise: the loss goes below the best honest prediction",
        references={"zero predictor (mean y²)": float((y.double() ** 2).mean())},
    )
