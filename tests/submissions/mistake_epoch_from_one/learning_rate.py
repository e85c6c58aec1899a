# expect: fails test_lr_0_1_diverges test_divergence_epoch_reads_any_run
# mistake: counts epochs from 1, so the first non-finite epoch comes out one late
"""Homework: Example 2 with lr 0.1 instead of 0.01 diverges. Explain why, with numbers.

The MSE of a linear model is a quadratic bowl in its weights, with the same Hessian
H = 2/n · AᵀA everywhere (A = [X, 1]). One SGD step multiplies the error along H's eigenvector of
eigenvalue λ by (1 - lr·λ), so training converges only when |1 - lr·λ| < 1 for every λ, that is
lr < 2/λ_max. For the lecture's data λ_max ≈ 43.7 (x³ reaches |x|³ ≈ 20 for the widest points), so
2/λ_max ≈ 0.046: lr 0.01 is safely below, lr 0.1 is twice above. At lr 0.1 the error along the
top eigenvector is multiplied by 1 - 0.1·43.7 ≈ -3.4 every epoch (the loss by ≈ 11.4), until
the loss overflows float32 to inf (NaN after).

Claims: lr 0.1 diverges (the first non-finite epoch is reported), 0.01 < 2/λ < 0.1, the loss
grows by (lr·λ - 1)² per epoch, and rates just below 2/λ converge while rates just above diverge.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from matplotlib.figure import Figure

from lessons._diagrams import dot_source
from lessons._lecture import CUBIC_INPUTS
from lessons._lecture import polynomial_data as make_data
from lessons._lecture import polynomial_model as build_model
from lessons._plots import loss_curve, new_figure, styled
from lessons._train import FitResult, fit

__all__ = [
    "DIVERGING_LR",
    "EPOCHS",
    "build_model",
    "critical_learning_rate",
    "diagram",
    "divergence_epoch",
    "fit",
    "largest_hessian_eigenvalue",
    "make_data",
    "plot_losses",
    "plot_lr_sweep",
]

DIVERGING_LR = 0.1  # the homework's rate, ten times the lecture's 0.01
EPOCHS = 1000  # Example 2's epochs


def divergence_epoch(result: FitResult) -> int | None:
    """Return the first epoch whose training loss is not finite (inf or NaN), or None if none is.

    Homework: look at ``result.losses`` (one loss per epoch).
    """
    finite = torch.isfinite(result.losses)
    return None if bool(finite.all()) else int((~finite).nonzero()[0]) + 1  # counts epochs from 1


def largest_hessian_eigenvalue(X: torch.Tensor) -> float:
    """Return λ_max of the Hessian 2/n · AᵀA of the MSE, A = [X, 1] (the bias is a weight too).

    Homework: build the Hessian H = 2/n · AᵀA (A: X with a column of ones) and take its largest
    eigenvalue (``torch.linalg.eigvalsh`` returns them in ascending order).
    """
    A = torch.cat([X.double(), torch.ones(len(X), 1, dtype=torch.float64)], dim=1)
    hessian = 2.0 / len(A) * A.T @ A
    return float(torch.linalg.eigvalsh(hessian)[-1])


def critical_learning_rate(X: torch.Tensor) -> float:
    """Return the largest learning rate for which full-batch SGD on the MSE still converges.

    Homework: when does |1 - lr·λ| < 1 hold for every eigenvalue λ of the Hessian?
    """
    return 2.0 / largest_hessian_eigenvalue(X)


def diagram(model: torch.nn.Linear, style: str = "compact") -> str:
    """Example 2's diagram of ``Linear(3, 1)`` (DOT source), inputs x, x**2, x**3."""
    return dot_source(model, style, inputs=CUBIC_INPUTS)


def plot_losses(results: Sequence[FitResult], critical_lr: float | None = None) -> Figure:
    """The training loss of each rate on a log axis; a dotted line where a loss stops being finite.

    With ``critical_lr`` (2/λ_max) each label also says the rate as a multiple of it.
    """

    def label(lr: float) -> str:
        return f"lr {lr:.3g}" + (f" = {lr / critical_lr:.2f} × 2/λ_max" if critical_lr else "")

    return loss_curve(
        {label(result.lr): result.losses for result in results},
        title="Homework: Example 2 with lr 0.1 diverges",
        log=True,
    )


@styled
def plot_lr_sweep(results: Sequence[FitResult], critical_lr: float) -> Figure:
    """The loss after training against the learning rate, with 2/λ_max marked.

    Runs whose loss became inf or NaN are crosses at the top, labelled with that epoch.
    """
    figure, ax = new_figure()
    results = sorted(results, key=lambda result: result.lr)
    finite = [r for r in results if divergence_epoch(r) is None]  # your divergence_epoch
    diverged = [r for r in results if divergence_epoch(r) is not None]
    losses = [r.final_loss for r in finite]
    ax.plot([r.lr for r in finite], losses, "o-", label="final loss (finite)")
    top = ax.get_xaxis_transform()  # x in data units, y as a fraction of the axes' height
    ax.plot(
        [r.lr for r in diverged],
        [0.95] * len(diverged),
        "x",
        color="C3",
        markersize=8,
        transform=top,
        label="loss became inf / NaN",
    )
    for r in diverged:
        ax.annotate(
            f"at epoch {divergence_epoch(r)}",
            (r.lr, 0.95),
            xycoords=top,
            xytext=(0, -8),
            textcoords="offset points",
            rotation=90,
            ha="center",
            va="top",
            fontsize=8,
        )
    ax.axvline(critical_lr, color="grey", linestyle="--", label=f"2/λ_max = {critical_lr:.4f}")
    ax.set(
        xscale="log",
        yscale="log",
        ylim=(min(losses) / 3, max(losses) * 30) if losses else None,
        xlabel="learning rate",
        ylabel=f"training loss after {results[0].epochs} epochs",
        title="Example 2: SGD converges below 2/λ_max and diverges above it",
    )
    ax.legend(loc="lower left")
    return figure
