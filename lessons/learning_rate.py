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

import torch

from lessons._oracles import mse_hessian
from lessons._train import FitResult, fit
from lessons.polynomial_regression import EPOCHS, build_model, make_data

__all__ = [
    "DIVERGING_LR",
    "EPOCHS",
    "build_model",
    "critical_learning_rate",
    "divergence_epoch",
    "fit",
    "largest_hessian_eigenvalue",
    "make_data",
    "mse_hessian",  # the homework's tool: the student release keeps the import used
]

DIVERGING_LR = 0.1  # the homework's rate, ten times the lecture's 0.01


def divergence_epoch(result: FitResult) -> int | None:
    """Return the first epoch whose training loss is not finite (inf or NaN), or None if none is.

    Homework: look at ``result.losses`` (one loss per epoch).
    """
    # BEGIN SOLUTION
    finite = torch.isfinite(result.losses)
    return None if bool(finite.all()) else int((~finite).nonzero()[0])
    # END SOLUTION


def largest_hessian_eigenvalue(X: torch.Tensor) -> float:
    """Return λ_max of the Hessian 2/n · AᵀA of the MSE, A = [X, 1] (the bias is a weight too).

    Homework: build the Hessian (``lessons._oracles.mse_hessian`` does) and take its largest
    eigenvalue (``torch.linalg.eigvalsh`` returns them in ascending order).
    """
    # BEGIN SOLUTION
    return float(torch.linalg.eigvalsh(mse_hessian(X))[-1])
    # END SOLUTION


def critical_learning_rate(X: torch.Tensor) -> float:
    """Return the largest learning rate for which full-batch SGD on the MSE still converges.

    Homework: when does |1 - lr·λ| < 1 hold for every eigenvalue λ of the Hessian?
    """
    # BEGIN SOLUTION
    return 2.0 / largest_hessian_eigenvalue(X)
    # END SOLUTION
