"""Closed-form answers that claims compare training and homework against (the grader's side only)."""

from __future__ import annotations

import copy

import torch


def with_intercept(X: torch.Tensor) -> torch.Tensor:
    """The design matrix A = [X, 1] of a linear model with bias, in float64."""
    X = X.double().reshape(len(X), -1)
    return torch.cat([X, torch.ones(len(X), 1, dtype=X.dtype)], dim=1)


def least_squares(A: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, float]:
    """The least-squares coefficients of ``y ~ A @ w`` and their MSE, in float64."""
    A, y = A.double(), y.double().reshape(len(y), 1)
    w = torch.linalg.lstsq(A, y, driver="gelsd").solution
    return w, float(((A @ w - y) ** 2).mean())


def mse(prediction: torch.Tensor, y: torch.Tensor) -> float:
    """The mean squared error, in float64."""
    return float(((prediction.double().reshape(y.shape) - y.double()) ** 2).mean())


def two_slope_fit(x: torch.Tensor, y: torch.Tensor) -> tuple[float, float, float]:
    """The best ``yhat = a*min(x,0) + b*max(x,0)`` (two lines through the origin, kink at 0).

    Every bias-free ReLU net with one input is of this form, so its MSE is a floor for any of them.
    Returns (slope left, slope right, MSE).
    """
    x = x.double().reshape(-1, 1)
    A = torch.cat([x.clamp(max=0), x.clamp(min=0)], dim=1)
    w, loss = least_squares(A, y)
    return float(w[0]), float(w[1]), loss


def one_side_fit(x: torch.Tensor, y: torch.Tensor) -> float:
    """The MSE of the best ``yhat = b*relu(s*x)``: a line through the origin on one side, 0 elsewhere.

    That is every 1-node bias-free ReLU net, and every wider one whose units all face one way.
    """
    x = x.double().reshape(-1, 1)
    side_losses = [least_squares(x.clamp(min=0), y)[1], least_squares(x.clamp(max=0), y)[1]]
    return min(side_losses)


def mse_hessian(X: torch.Tensor) -> torch.Tensor:
    """The Hessian 2/n * AᵀA of the MSE of a linear model with bias on data ``X`` (A = [X, 1]).

    The MSE is quadratic in the weights, so this matrix is the same at every point.
    """
    A = with_intercept(X)
    return 2.0 / len(A) * A.T @ A


def gradient_norm(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """The norm of the MSE gradient at the model's current weights (a copy is used: no side effects)."""
    probe = copy.deepcopy(model).cpu()
    torch.nn.functional.mse_loss(probe(X), y).backward()
    return float(torch.cat([p.grad.flatten() for p in probe.parameters()]).norm())


def first_nonfinite_epoch(losses: torch.Tensor) -> int | None:
    """The first epoch whose loss is inf or NaN, or None: the answer to
    ``learning_rate.divergence_epoch``."""
    bad = (~torch.isfinite(losses)).nonzero()
    return int(bad[0]) if len(bad) else None
