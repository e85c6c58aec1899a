# expect: fails test_make_data_gives_the_lectures_grid test_noise_has_mean_0_and_sd_0_3
# reason: RecursionError
# hostile: make_data is relu_nodes.make_data, which once was the course's copy
"""Example 3: a straight line underfits piecewise-linear data, however long it trains.

The data: x = linspace(-1, 1, 100), y = x + 0.3·N(0, 1) left of 0 and 3.5·x + 0.3·N(0, 1) right
of it. The lecture draws the noise with an unseeded ``np.random.normal``; we seed a NumPy
generator (seed 43052) so every run sees the same points. The model is the lecture's
``Linear(1, 1)``, SGD lr 0.1, 10000 epochs.

Homework: ``make_data`` (the kinked process) and ``best_line_loss`` (the closed-form
least-squares line's MSE: 0.21050 on our data). A student's draw cannot match our noise bit for
bit, so ``make_data`` is graded by what it must be: the grid, and on 20000 points the two slopes,
the noise's mean 0 and sd 0.3 (each within 5 standard errors), the same data for the same seed.
The line claims train on the engine's copy of the data (``lessons._lecture``): the loss settles
on ``best_line_loss`` (1e-5 relative), no epoch gets under it and the gradient vanishes (a convex
global minimum), and it sits far above the noise variance 0.3² = 0.09 while two slopes joined at
0 reach 0.0758: the model, not the training, is wrong (underfitting).
"""

from __future__ import annotations

import torch
from matplotlib.figure import Figure

from lessons import _lecture
from lessons._diagrams import dot_source
from lessons._plots import data_and_fit, loss_curve, mse_label
from lessons._seeding import lecture_seed
from lessons._train import FitResult, fit

__all__ = [
    "EPOCHS",
    "LR",
    "NOISE_SD",
    "NOISE_VARIANCE",
    "SEED",
    "SLOPES",
    "best_line_loss",
    "build_model",
    "diagram",
    "fit",
    "make_data",
    "plot_data",
    "plot_fit",
    "plot_losses",
]

SEED = 43052
SLOPES = _lecture.SLOPES  # left and right of the kink at x = 0
NOISE_SD = _lecture.NOISE_SD
NOISE_VARIANCE = _lecture.NOISE_VARIANCE
LR = 0.1
EPOCHS = 10000


def make_data(seed: int = SEED, n: int = 100) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the lecture's kinked data ``(X, y)``, both (n, 1) float32, with noise seeded by ``seed``.

    X is ``linspace(-1, 1, n)``; y is 1·x + ε left of 0 and 3.5·x + ε right of it (``SLOPES``),
    with independent noise ε ~ N(0, 0.3²) at every point (``NOISE_SD``). The same seed gives the
    same data, another seed other noise. Hint: the lecture builds ``_x = np.linspace(-1, 1, 100)``
    and ``_y`` point by point with ``np.random.normal() * 0.3``; draw from a generator seeded
    with ``seed`` instead (``np.random.default_rng(seed)``), then ``torch.tensor(...)``.
    """
    from lessons import relu_nodes

    return relu_nodes.make_data(seed, n)


def best_line_loss(X: torch.Tensor, y: torch.Tensor) -> float:
    """Return the lowest MSE that any straight line ``w·x + b`` reaches on ``(X, y)``, a float.

    That is the floor no number of epochs gets a ``Linear(1, 1)`` under. ``X`` and ``y`` are (n, 1).
    Hint: the closed-form least-squares line: append a column of ones to X (for b), solve with
    ``torch.linalg.lstsq`` (in float64: ``.double()``), then take the mean squared residual.
    """
    # BEGIN SOLUTION
    # HOMEWORK: fit the least-squares line w·x + b in closed form; return its MSE as a float.
    A = torch.cat([X, torch.ones_like(X)], dim=1).double()
    target = y.double()
    w = torch.linalg.lstsq(A, target).solution
    return float(((A @ w - target) ** 2).mean())
    # END SOLUTION


def build_model(seed: int = 1) -> torch.nn.Linear:
    """The lecture's straight line ``Linear(1, 1)`` (the lecture does not seed it; we do)."""
    with lecture_seed(seed):
        return torch.nn.Linear(in_features=1, out_features=1, bias=True)


def plot_data(X: torch.Tensor, y: torch.Tensor) -> Figure:
    """The lecture's ``plt.plot(_x, _y, '.')``, with the two true slopes dashed."""
    truth = torch.where(X < 0, X * SLOPES[0], X * SLOPES[1])
    return data_and_fit(
        X,
        y,
        {f"truth: slope {SLOPES[0]:g} left of 0, {SLOPES[1]:g} right": truth},
        title=f"Example 3: piecewise-linear data, noise sd {NOISE_SD} (our seed {SEED})",
    )


def plot_fit(X: torch.Tensor, y: torch.Tensor, result: FitResult) -> Figure:
    """The lecture's result: the best straight line misses the kink (underfitting)."""
    return data_and_fit(
        X,
        y,
        {mse_label(f"straight line, {result.epochs} epochs", result.final_loss): result.yhat},
        title=f"Example 3: a straight line underfits (noise variance {NOISE_VARIANCE:.2f})",
    )


def plot_losses(result: FitResult) -> Figure:
    """The training loss per epoch, flat long before the end, with the noise variance below it."""
    return loss_curve(
        {f"lr {result.lr}": result.losses},
        title="Example 3: the line's loss settles far above the noise",
        references={"noise variance 0.3²": NOISE_VARIANCE},
    )


def diagram(model: torch.nn.Linear, style: str = "compact") -> str:
    """The lecture's diagram of the straight line ``Linear(1, 1)`` (DOT source)."""
    return dot_source(model, style, inputs=("x",))
