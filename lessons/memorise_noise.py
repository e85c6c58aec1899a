"""'It can fit anything': the 500-node ``sigmoid(200x)`` net memorises pure noise.

Exactly the lecture: ``torch.manual_seed(43052)``, X = linspace(-1, 1, 100), y = randn(100, 1): the
targets have no relation to x, so the best honest prediction is 0 (the zero predictor, MSE = mean
y²). The net of ``custom_activation`` (seed 1, lr 0.001, 5000 epochs) ends well below that MSE and
below the best straight line: it has learnt the noise, not a pattern.
"""

from __future__ import annotations

import torch

from lessons._seeding import lecture_seed
from lessons._train import fit
from lessons.custom_activation import EPOCHS, LR, build_model

__all__ = ["EPOCHS", "LR", "SEED", "build_model", "fit", "make_data"]

SEED = 43052


def make_data(seed: int = SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the lecture's ``(__X, __y)``: X = linspace(-1, 1, 100) as (100, 1), y ~ N(0, 1)."""
    with lecture_seed(seed):
        X = torch.linspace(-1, 1, 100).reshape(100, 1)
        return X, torch.randn(100, 1)
