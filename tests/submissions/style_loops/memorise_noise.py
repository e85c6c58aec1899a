# expect: full
# style: plain Python loops and the slope = cov / var formula
"""'It can fit anything': the 500-node ``sigmoid(200x)`` net memorises pure noise.

Exactly the lecture: ``torch.manual_seed(43052)``, X = linspace(-1, 1, 100), y = randn(100, 1): the
targets have no relation to x, so the best honest prediction is 0 (the zero predictor, MSE = mean
y²). The net of ``custom_activation`` (seed 1, lr 0.001, 5000 epochs) ends well below that MSE and
below the best straight line: it has learnt the noise, not a pattern.

Homework: the two baselines the claims compare the net with, computed from the data:
``zero_predictor_loss(y)`` (the MSE of predicting 0: mean y²) and ``best_line_loss(X, y)`` (the
MSE of the least-squares line with its intercept). On the lecture's noise they are 1.144 and
1.116; the net ends at 0.746 (measured), 0.65 and 0.67 of them. The net and the data are the engine's
copies of the lecture's (``lessons._lecture``), not the ``custom_activation`` homework.
"""

from __future__ import annotations

import torch
from matplotlib.figure import Figure

from lessons import _lecture
from lessons._diagrams import dot_source as diagram
from lessons._plots import data_and_fit, loss_curve, mse_label
from lessons._train import FitResult, fit

__all__ = [
    "EPOCHS",
    "LR",
    "SEED",
    "best_line_loss",
    "build_model",
    "diagram",
    "fit",
    "make_data",
    "plot_data",
    "plot_fit",
    "plot_losses",
    "zero_predictor_loss",
]

SEED = _lecture.SEED
LR = 0.001  # the lecture's rate and epochs for its 500-node net
EPOCHS = 5000


def make_data(seed: int = SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the lecture's ``(__X, __y)``: X = linspace(-1, 1, 100) as (100, 1), y ~ N(0, 1)."""
    return _lecture.noise_data(seed)


def build_model(width: int = 500, seed: int = 1) -> torch.nn.Sequential:
    """The 500-node ``sigmoid(200x)`` net: your own ``custom_activation.build_model`` (the claims
    train the grader's copy, so a mistake there costs points in custom_activation only)."""
    from lessons import custom_activation  # when called: a broken file there cannot stop this one

    return custom_activation.build_model(width, seed)


def zero_predictor_loss(y: torch.Tensor) -> float:
    """Return the MSE of predicting 0 for every target, as a number: the mean of y².

    Homework: the loss of ŷ = 0 is the mean of (0 - y)²; compute it in float64 (``y.double()``)
    to keep float32 round-off out of the comparison.
    """
    values = [float(v) for v in y.flatten()]
    return sum(v * v for v in values) / len(values)


def best_line_loss(X: torch.Tensor, y: torch.Tensor) -> float:
    """Return the MSE of the best straight line ŷ = w·x + b through the data (least squares,
    with the intercept b), as a number.

    Homework: solve least squares for the design matrix A = [x, 1] (``torch.linalg.lstsq``, or
    the normal equations AᵀA w = Aᵀy), then take the mean of the squared residuals.
    """
    xs = [float(v) for v in X.flatten()]
    ys = [float(v) for v in y.flatten()]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    slope = sum((a - mx) * (b - my) for a, b in zip(xs, ys, strict=False)) / sum(
        (a - mx) ** 2 for a in xs
    )
    intercept = my - slope * mx
    return sum((slope * a + intercept - b) ** 2 for a, b in zip(xs, ys, strict=False)) / n


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
        references={"zero predictor (mean y²)": zero_predictor_loss(y)},
    )
