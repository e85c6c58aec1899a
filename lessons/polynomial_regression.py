"""Example 2: polynomial regression y = 1 + 4x + 3x² - 2x³ + ε as one linear node on [x, x², x³].

Exactly the lecture's code: ``torch.manual_seed(43052)``, ``x, _ = torch.randn(100).sort()``,
noise ``torch.randn(100, 1)``, then ``Linear(3, 1)`` built from the same stream, SGD lr 0.01 for
1000 epochs.

Homework: ``features`` (X = [x, x², x³]) and ``least_squares``, the closed-form fit with the bias
that SGD approaches (w ≈ (3.746, 2.865, -1.908), bias 1.023, MSE 0.98907). Claims: the student's
closed form matches ours (within 1e-4; float32 normal equations, pinv and lstsq are at most
6.7e-6 off), also on data it never saw; SGD on the student's features ends within 0.02 of it
(measured 0.0046) and within 0.1% of its MSE, the loss falls at every epoch, and the estimates are
within 3 standard errors of the true weights.
"""

from __future__ import annotations

import torch
from matplotlib.figure import Figure

from lessons import _lecture
from lessons._diagrams import dot_source
from lessons._plots import data_and_fit, loss_curve, mse_label
from lessons._train import FitResult, fit

__all__ = [
    "BIAS",
    "EPOCHS",
    "LR",
    "SEED",
    "TRUE_W",
    "build_model",
    "diagram",
    "features",
    "fit",
    "least_squares",
    "make_data",
    "plot_data",
    "plot_fit",
    "plot_losses",
]

SEED = _lecture.SEED
TRUE_W = _lecture.POLY_TRUE_W  # weights of x, x², x³
BIAS = _lecture.POLY_BIAS
LR = 0.01
EPOCHS = 1000


def features(x: torch.Tensor) -> torch.Tensor:
    """Return the lecture's X = [x, x², x³] for the n points of a 1-D ``x``: shape (n, 3).

    Row i is (x_i, x_i², x_i³), so that ``Linear(3, 1)`` computes w1·x + w2·x² + w3·x³ + bias.
    Hint: stack the three as rows (``torch.vstack``), then transpose.
    """
    # BEGIN SOLUTION
    # HOMEWORK: return [x, x², x³] as an (n, 3) tensor, one row per point.
    return torch.vstack([x, x**2, x**3]).T
    # END SOLUTION


def least_squares(X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Return the closed-form least-squares fit of ``y ≈ X @ w + bias``: ``(w, bias)``.

    ``X`` is (n, 3) (the features), ``y`` is (n, 1). ``w`` is a tensor of the 3 weights, shape
    (3,), in the order of X's columns; ``bias`` is a float. This is the point SGD approaches: the
    weights with the lowest mean squared error of all.
    Hint: append a column of ones to X (the bias is its weight), then solve the least-squares
    problem, with ``torch.linalg.lstsq`` (its ``.solution``) or the normal equations
    AᵀA w = Aᵀy; float64 (``.double()``) keeps round-off small.
    """
    # BEGIN SOLUTION
    # HOMEWORK: solve least squares with a column of ones for the bias; return (w (3,), bias).
    A = torch.cat([X, torch.ones(len(X), 1, dtype=X.dtype)], dim=1).double()
    solution = torch.linalg.lstsq(A, y.double().reshape(len(y), 1)).solution.flatten()
    return solution[:3].float(), float(solution[3])
    # END SOLUTION


def make_data(seed: int = SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the lecture's ``(X, y)``: X is (100, 3) = [x, x², x³], y is (100, 1)."""
    return _lecture.polynomial_data(seed)


def build_model(seed: int = SEED) -> torch.nn.Linear:
    """The lecture's ``Linear(3, 1)``.

    The lecture builds it right after drawing the data from the same seeded stream, so its initial
    weights depend on those draws: we replay them before construction to get the same weights.
    """
    return _lecture.polynomial_model(seed)


def plot_data(X: torch.Tensor, y: torch.Tensor) -> Figure:
    """The lecture's ``plt.plot(X[:,0], y, '.')`` with its commented-out true curve ``X@W + bias``."""
    truth = X @ torch.tensor(TRUE_W).reshape(3, 1) + BIAS
    return data_and_fit(
        X[:, 0],
        y,
        {"true curve 1 + 4x + 3x² − 2x³": truth},
        title=f"Example 2: the lecture's data (seed {SEED}), noise ε ~ N(0, 1)",
    )


def plot_fit(X: torch.Tensor, y: torch.Tensor, result: FitResult) -> Figure:
    """The lecture's result: the data and ``yhat`` of ``Linear(3, 1)`` after training."""
    return data_and_fit(
        X[:, 0],
        y,
        {
            mse_label(
                f"SGD fit, lr {result.lr}, {result.epochs} epochs", result.final_loss
            ): result.yhat
        },
        title="Example 2: Linear(3, 1) on [x, x², x³] fits the cubic",
    )


def plot_losses(result: FitResult) -> Figure:
    """The training loss per epoch (log scale: it falls by decades)."""
    return loss_curve(
        {f"lr {result.lr}": result.losses}, title="Example 2: training loss falls at every epoch"
    )


def diagram(model: torch.nn.Linear, style: str = "compact") -> str:
    """The lecture's diagram of ``Linear(3, 1)`` (DOT source), inputs x, x**2, x**3."""
    return dot_source(model, style, inputs=_lecture.CUBIC_INPUTS)
