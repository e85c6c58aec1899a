"""The grader's copy of the lecture's nets that a homework asks for (issue 16: never in lessons/).

Each builder replays the lecture's ``torch.manual_seed(seed)`` and layer order without touching
the caller's random stream (``lecture_seed``).
"""

from __future__ import annotations

import copy

import torch

from lessons._lecture import STEEPNESS
from lessons._seeding import lecture_seed


def relu_model(width: int, seed: int = 1) -> torch.nn.Sequential:
    """``torch.manual_seed(seed)`` then the bias-free ``1 -> width -> 1`` ReLU net: the answer to
    ``relu_nodes.build_model``."""
    with lecture_seed(seed):
        return torch.nn.Sequential(
            torch.nn.Linear(in_features=1, out_features=width, bias=False),
            torch.nn.ReLU(),
            torch.nn.Linear(in_features=width, out_features=1, bias=False),
        )


def line_model(seed: int = 1) -> torch.nn.Linear:
    """``torch.manual_seed(seed)`` then ``Linear(1, 1)``: the answer to
    ``piecewise_linear.build_model``."""
    with lecture_seed(seed):
        return torch.nn.Linear(in_features=1, out_features=1, bias=True)


class MOOYAHO(torch.nn.Module):
    """The lecture's ``MOOYAHO`` layer: ``sigmoid(200 x)``, almost a step at 0.

    ``sigmoid_scale`` tells the engine's fast loop (``lessons/_fast.py``) what this layer computes,
    so the grader's reference fits keep its speed without the engine holding the class.
    """

    sigmoid_scale = STEEPNESS

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(STEEPNESS * input)


def wide_model(width: int = 500, seed: int = 1) -> torch.nn.Sequential:
    """``torch.manual_seed(seed)`` then ``Linear(1, width) -> MOOYAHO -> Linear(width, 1)``: the
    answer to ``custom_activation.build_model``."""
    with lecture_seed(seed):
        return torch.nn.Sequential(
            torch.nn.Linear(in_features=1, out_features=width, bias=True),
            MOOYAHO(),
            torch.nn.Linear(in_features=width, out_features=1, bias=True),
        )


def folded(model: torch.nn.Sequential) -> torch.nn.Sequential:
    """The same function as a wide net, with ``MOOYAHO`` folded into its first layer:
    ``Linear(200 W, 200 b) -> Sigmoid -> Linear``, for handing a net to a lesson.

    A lesson's process has no ``MOOYAHO`` class of the course's (that would be the homework's
    answer), so a reference net crosses as standard layers; the claims measure the net they send.
    """
    first, _, last = model
    scaled = torch.nn.Linear(first.in_features, first.out_features)
    with torch.no_grad():
        scaled.weight.copy_(first.weight * STEEPNESS)
        scaled.bias.copy_(first.bias * STEEPNESS)
    return torch.nn.Sequential(scaled, torch.nn.Sigmoid(), copy.deepcopy(last))
