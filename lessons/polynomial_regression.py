"""Example 2: polynomial regression y = 1 + 4x + 3x² - 2x³ + ε as one linear node on [x, x², x³].

Exactly the lecture's code: ``torch.manual_seed(43052)``, ``x, _ = torch.randn(100).sort()``,
noise ``torch.randn(100, 1)``, then ``Linear(3, 1)`` built from the same stream, SGD lr 0.01 for
1000 epochs. Claims: the fit approaches the closed-form least-squares solution (our oracle), the
loss falls at every epoch, and the estimates are within a few standard errors of the true weights.
"""

from __future__ import annotations

import torch

from lessons._seeding import lecture_seed
from lessons._train import fit

__all__ = ["BIAS", "EPOCHS", "LR", "SEED", "TRUE_W", "build_model", "features", "fit", "make_data"]

SEED = 43052
TRUE_W = (4.0, 3.0, -2.0)  # weights of x, x², x³
BIAS = 1.0
LR = 0.01
EPOCHS = 1000


def features(x: torch.Tensor) -> torch.Tensor:
    """The lecture's X = [x, x², x³], shape (n, 3)."""
    return torch.vstack([x, x**2, x**3]).T


def _draw() -> tuple[torch.Tensor, torch.Tensor]:
    """The lecture's draws from torch's global stream, in the lecture's order."""
    x, _ = torch.randn(100).sort()
    X = features(x)
    epsilon = torch.randn(100, 1)
    return X, X @ torch.tensor(TRUE_W).reshape(3, 1) + BIAS + epsilon


def make_data(seed: int = SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the lecture's ``(X, y)``: X is (100, 3) = [x, x², x³], y is (100, 1)."""
    with lecture_seed(seed):
        return _draw()


def build_model(seed: int = SEED) -> torch.nn.Linear:
    """The lecture's ``Linear(3, 1)``.

    The lecture builds it right after drawing the data from the same seeded stream, so its initial
    weights depend on those draws: we replay them before construction to get the same weights.
    """
    with lecture_seed(seed):
        _draw()
        return torch.nn.Linear(in_features=3, out_features=1, bias=True)
