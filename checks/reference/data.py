"""The grader's copy of the lecture's data that a homework asks for (issue 16: never in lessons/)."""

from __future__ import annotations

import numpy as np
import torch

from lessons._lecture import NOISE_SD, SEED, SLOPES


def cubic_features(x: torch.Tensor) -> torch.Tensor:
    """X = [x, x², x³], shape (n, 3): the answer to ``polynomial_regression.features``."""
    return torch.vstack([x, x**2, x**3]).T


def piecewise_data(seed: int = SEED, n: int = 100) -> tuple[torch.Tensor, torch.Tensor]:
    """Example 3's kinked data, (n, 1) float32 each; the noise is seeded (the lecture's is not):
    the answer to ``piecewise_linear.make_data``.

    Computed in float64 and converted with ``torch.tensor`` as the lecture's lists are; the noise
    is drawn point by point from left to right, as its ``map(_f, _x)`` does.
    """
    rng = np.random.default_rng(seed)
    x = np.linspace(-1, 1, n)
    noise = rng.normal(size=n) * NOISE_SD
    y = np.where(x < 0, x * SLOPES[0], x * SLOPES[1]) + noise
    return torch.tensor(x.tolist()).reshape(n, 1), torch.tensor(y.tolist()).reshape(n, 1)
