"""The lecture's data and nets, as the engine keeps them: never replaced by a submission.

The lessons ask students to write these (``make_data``, ``build_model``, ``MOOYAHO``, ...); the
claims of *other* lessons, the batched sweeps and the fast engine use the copies here, so a mistake
in one lesson's homework costs points in that lesson only (no cascade), and no engine module
imports a lesson module (a lesson is the student's file).

Each function replays the lecture's draws in the lecture's order under its seed, without touching
the caller's global random stream (``lecture_seed``).
"""

from __future__ import annotations

import numpy as np
import torch

from lessons._seeding import lecture_seed

SEED = 43052  # the lecture's torch.manual_seed for the polynomial and the noise data

# Example 2: y = 1 + 4x + 3x² - 2x³ + ε
POLY_TRUE_W = (4.0, 3.0, -2.0)  # weights of x, x², x³
POLY_BIAS = 1.0
CUBIC_INPUTS = ("x", "x**2", "x**3")  # the lecture's names of the features, for diagrams

# Example 3: slope 1 left of 0, 3.5 right of it, noise sd 0.3
SLOPES = (1.0, 3.5)
NOISE_SD = 0.3
NOISE_VARIANCE = NOISE_SD**2

STEEPNESS = 200.0  # mooyaho(x) = sigmoid(200 x)


def cubic_features(x: torch.Tensor) -> torch.Tensor:
    """X = [x, x², x³], shape (n, 3)."""
    return torch.vstack([x, x**2, x**3]).T


def _polynomial_draw() -> tuple[torch.Tensor, torch.Tensor]:
    """The lecture's draws from torch's global stream, in the lecture's order."""
    x, _ = torch.randn(100).sort()
    X = cubic_features(x)
    epsilon = torch.randn(100, 1)
    return X, X @ torch.tensor(POLY_TRUE_W).reshape(3, 1) + POLY_BIAS + epsilon


def polynomial_data(seed: int = SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """Example 2's ``(X, y)``: X is (100, 3) = [x, x², x³], y is (100, 1)."""
    with lecture_seed(seed):
        return _polynomial_draw()


def polynomial_model(seed: int = SEED) -> torch.nn.Linear:
    """Example 2's ``Linear(3, 1)``, built after the data's draws from the same stream."""
    with lecture_seed(seed):
        _polynomial_draw()
        return torch.nn.Linear(in_features=3, out_features=1, bias=True)


def piecewise_data(seed: int = SEED, n: int = 100) -> tuple[torch.Tensor, torch.Tensor]:
    """Example 3's kinked data, (n, 1) float32 each; the noise is seeded (the lecture's is not).

    Computed in float64 and converted with ``torch.tensor`` as the lecture's lists are; the noise
    is drawn point by point from left to right, as its ``map(_f, _x)`` does.
    """
    rng = np.random.default_rng(seed)
    x = np.linspace(-1, 1, n)
    noise = rng.normal(size=n) * NOISE_SD
    y = np.where(x < 0, x * SLOPES[0], x * SLOPES[1]) + noise
    return torch.tensor(x.tolist()).reshape(n, 1), torch.tensor(y.tolist()).reshape(n, 1)


def relu_model(width: int, seed: int = 1) -> torch.nn.Sequential:
    """``torch.manual_seed(seed)`` then the bias-free ``1 -> width -> 1`` ReLU net."""
    with lecture_seed(seed):
        return torch.nn.Sequential(
            torch.nn.Linear(in_features=1, out_features=width, bias=False),
            torch.nn.ReLU(),
            torch.nn.Linear(in_features=width, out_features=1, bias=False),
        )


class MOOYAHO(torch.nn.Module):
    """The lecture's ``MOOYAHO`` layer: ``sigmoid(200 x)``, almost a step at 0."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(STEEPNESS * input)


def wide_model(width: int = 500, seed: int = 1) -> torch.nn.Sequential:
    """``torch.manual_seed(seed)`` then ``Linear(1, width) -> MOOYAHO -> Linear(width, 1)``."""
    with lecture_seed(seed):
        return torch.nn.Sequential(
            torch.nn.Linear(in_features=1, out_features=width, bias=True),
            MOOYAHO(),
            torch.nn.Linear(in_features=width, out_features=1, bias=True),
        )


def noise_data(seed: int = SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """'Fit anything': X = linspace(-1, 1, 100) as (100, 1), y ~ N(0, 1) with the lecture's seed."""
    with lecture_seed(seed):
        X = torch.linspace(-1, 1, 100).reshape(100, 1)
        return X, torch.randn(100, 1)
