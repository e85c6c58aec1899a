"""Example 1: the linear model y = w0 + w1·x + ε, ε ~ N(0, 1), as a network.

The lecture draws this model three ways: "1, x -> w0 + x*w1", "X -> X@W (bias=False)" with
X = [1, x], and "x -> x*w (bias=True)". The last two are real networks (``view="design"`` and
``view="bias"``). The lecture gives no numbers for this example, so the data is ours: seed 43052,
100 sorted standard-normal x, w0 = 2.5, w1 = 4.

Homework: ``design_matrix`` (X = [1, x]) and ``train``, the lecture's training loop itself
(forward, loss, backward, step + zero_grad), returning the per-epoch losses. Claims: ``train``
follows ``lessons.fit`` epoch by epoch (to float32 round-off: loops written six ways differ by at
most 3.9e-7 relative in the loss and not at all in the weights), also on a model and data it never
saw; trained with it, both views reach the closed-form least squares (within 1e-3; final MSE
1.0544, the least-squares MSE to 1e-4), give the same line, and sit within 3 standard errors of
the true weights.
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
    "TRUE_W",
    "build_model",
    "design_matrix",
    "diagram",
    "fit",
    "make_data",
    "plot_fit",
    "plot_losses",
    "train",
    "weights",
]

SEED = _lecture.SEED
TRUE_W = _lecture.LINEAR_TRUE_W  # (w0, w1)
LR = 0.1
EPOCHS = 1000


def make_data(seed: int = SEED, n: int = 100) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(x, y)``, both ``(n, 1)`` float32: sorted x ~ N(0, 1), y = w0 + w1·x + N(0, 1)."""
    return _lecture.linear_data(seed, n)


def design_matrix(x: torch.Tensor) -> torch.Tensor:
    """Return the lecture's X = [1, x], shape (n, 2): a column of ones, then x (``x`` is (n, 1)).

    With it the intercept w0 becomes an ordinary weight: ``X @ W`` is w0 + x·w1.
    Hint: a column of ones shaped like x (``torch.ones_like``), joined to x side by side
    (``torch.cat`` along dimension 1).
    """
    # BEGIN SOLUTION
    # HOMEWORK: return [1, x], shape (n, 2): a column of ones, then x.
    ones = torch.ones_like(x)
    return torch.cat([ones, x], dim=1)
    # END SOLUTION


def train(
    model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, *, lr: float, epochs: int
) -> list[float]:
    """Train ``model`` in place on ``(X, y)`` by full-batch SGD on the MSE, the lecture's loop.

    Return the training loss of every epoch, as a list of ``epochs`` Python floats (a 1-D tensor
    of ``epochs`` losses is as good): ``losses[k]`` is the loss that epoch k computes in step 2,
    before its update. The trained weights stay in ``model``.

    Hint: the lecture's loss function (``torch.nn.MSELoss``) and optimizer (``torch.optim.SGD``
    over the model's parameters, at rate ``lr``); then, every epoch, its four steps: 1. forward,
    2. loss, 3. backward, 4. the optimizer's step, and clearing the gradients for the next epoch
    (a loss tensor's ``.item()`` is its value as a float). Write the loop yourself: the course's
    ``fit`` refuses to run for this homework.
    """
    # BEGIN SOLUTION
    # HOMEWORK: write the lecture's loop and return the per-epoch losses.
    loss_fn = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        yhat = model(X)  # 1. forward
        loss = loss_fn(yhat, y)  # 2. loss
        loss.backward()  # 3. backward
        optimizer.step()  # 4. update ...
        optimizer.zero_grad()  # ... and clear the gradients for the next epoch
        losses.append(loss.item())
    return losses
    # END SOLUTION


def build_model(view: str = "bias", seed: int = 1) -> torch.nn.Linear:
    """One linear node: ``"bias"`` is x*w + b (1 input), ``"design"`` is [1, x] @ W (no bias)."""
    with lecture_seed(seed):
        if view == "bias":
            return torch.nn.Linear(in_features=1, out_features=1, bias=True)
        if view == "design":
            return torch.nn.Linear(in_features=2, out_features=1, bias=False)
    raise ValueError(f"view must be 'bias' or 'design', got {view!r}")


def weights(model: torch.nn.Linear) -> torch.Tensor:
    """(w0, w1) of either view, so the two can be compared."""
    if model.bias is not None:
        return torch.stack([model.bias.detach()[0], model.weight.detach()[0, 0]]).cpu()
    return model.weight.detach()[0].cpu()


def plot_fit(x: torch.Tensor, y: torch.Tensor, result: FitResult) -> Figure:
    """The data, the fitted line (dashed, as the lecture draws fits) and the true line."""
    w0, w1 = TRUE_W
    return data_and_fit(
        x,
        y,
        {
            mse_label("fitted line", result.final_loss): result.yhat,
            f"true line {w0} + {w1}x": w0 + w1 * x,
        },
        title=f"Example 1: y = w0 + w1·x + ε and the SGD fit (lr {result.lr}, {result.epochs} epochs)",
    )


def plot_losses(bias_fit: FitResult, design_fit: FitResult) -> Figure:
    """The training loss of both networks: the same model, so the same curve."""
    return loss_curve(
        {"x*w + b (bias=True)": bias_fit.losses, "[1, x] @ W (bias=False)": design_fit.losses},
        title="Example 1: training loss of the two views",
    )


def diagram(model: torch.nn.Linear, style: str = "compact") -> str:
    """The lecture's diagram of either view (DOT source); the design view's inputs are 1 and x."""
    return dot_source(model, style, inputs=("1", "x") if model.in_features == 2 else ("x",))
