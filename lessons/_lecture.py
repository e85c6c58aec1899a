"""The lecture's constants, and the data and nets that no homework asks for.

What a homework asks for (the piecewise data, the ReLU and MOOYAHO nets, the cubic features)
is not here: a lesson may import the engine, so the engine holds no answer (issue 16). The
claims' copies of those are on the grader's side (``checks/reference/``), and a lesson that needs
another lesson's data or net takes it from that lesson (the student's own code).

Each function replays the lecture's draws in the lecture's order under its seed, without touching
the caller's global random stream (``lecture_seed``).
"""

from __future__ import annotations

import torch

from lessons._seeding import lecture_seed

SEED = 43052  # the lecture's torch.manual_seed for the polynomial and the noise data

# Example 1: y = w0 + w1·x + ε (the lecture gives no numbers: these are ours)
LINEAR_TRUE_W = (2.5, 4.0)  # (w0, w1)

# Example 2: y = 1 + 4x + 3x² - 2x³ + ε
POLY_TRUE_W = (4.0, 3.0, -2.0)  # weights of x, x², x³
POLY_BIAS = 1.0
CUBIC_INPUTS = ("x", "x**2", "x**3")  # the lecture's names of the features, for diagrams

# Example 3: slope 1 left of 0, 3.5 right of it, noise sd 0.3
SLOPES = (1.0, 3.5)
NOISE_SD = 0.3
NOISE_VARIANCE = NOISE_SD**2

STEEPNESS = 200.0  # mooyaho(x) = sigmoid(200 x)


def linear_data(seed: int = SEED, n: int = 100) -> tuple[torch.Tensor, torch.Tensor]:
    """Example 1's ``(x, y)``, both ``(n, 1)`` float32: sorted x ~ N(0, 1), y = w0 + w1·x + N(0, 1).

    Drawn from a generator of its own, so it touches no global stream. Here, not in the lesson
    alone, so that the grader can train the claims' reference fits on it ahead of them.
    """
    generator = torch.Generator().manual_seed(seed)
    x, _ = torch.randn(n, generator=generator).sort()
    x = x.reshape(n, 1)
    noise = torch.randn(n, 1, generator=generator)
    w0, w1 = LINEAR_TRUE_W
    return x, w0 + w1 * x + noise


def _polynomial_draw() -> tuple[torch.Tensor, torch.Tensor]:
    """The lecture's draws from torch's global stream, in the lecture's order."""
    x, _ = torch.randn(100).sort()
    X = torch.vstack([x, x**2, x**3]).T  # inline: a function here would answer ``features``
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


def noise_data(seed: int = SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """'Fit anything': X = linspace(-1, 1, 100) as (100, 1), y ~ N(0, 1) with the lecture's seed."""
    with lecture_seed(seed):
        X = torch.linspace(-1, 1, 100).reshape(100, 1)
        return X, torch.randn(100, 1)
