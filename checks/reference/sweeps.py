"""The multi-seed sweeps the claims measure, on the grader's side (issue 16).

Net ``s`` starts from exactly the weights of the reference builder for seed ``s``
(``checks.reference.nets``): ``init_nets`` draws them as ``torch.manual_seed(s)`` then
``Linear(1, width)``, activation, ``Linear(width, 1)`` would, without building a module per seed,
and the engine's batched programs (``lessons/_batched.py``, ``lessons/_two_slopes.py``) train
them all at once. tests/test_batched.py checks both, seed by seed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

from checks.reference.data import piecewise_data
from lessons import _batched, _two_slopes
from lessons._batched import Nets

# Every module a sweep runs, for the fit cache's key (a kept sweep is recomputed after any edit).
MODULES = (__name__, "checks.reference.data", "lessons._lecture", "lessons._batched",
           "lessons._two_slopes")  # fmt: skip


def _linear_init(
    generator: torch.Generator, fan_in: int, fan_out: int, bias: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``nn.Linear(fan_in, fan_out, bias)``'s initial weight and bias, drawn from ``generator``.

    The same calls as ``Linear.reset_parameters``: kaiming-uniform with a = sqrt(5) for the weight,
    which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), then the bias from the same interval.
    """
    weight = torch.empty(fan_out, fan_in)
    torch.nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    if not bias:
        return weight, None
    bound = 1 / math.sqrt(fan_in)
    return weight, torch.nn.init.uniform_(torch.empty(fan_out), -bound, bound, generator=generator)


def init_nets(seeds: Iterable[int], width: int, *, bias: bool) -> Nets:
    """For each seed s the weights of ``torch.manual_seed(s)``, then ``Linear(1, width, bias)``,
    an activation, ``Linear(width, 1, bias)``: the lecture's nets, drawn in the lecture's order.

    Drawing is a loop over seeds (a few µs each); training is not.
    """
    W1, b1, W2, b2 = [], [], [], []
    for seed in seeds:
        generator = torch.Generator().manual_seed(seed)
        w, b = _linear_init(generator, 1, width, bias)
        W1.append(w[:, 0])
        b1.append(b)
        w, b = _linear_init(generator, width, 1, bias)
        W2.append(w[0])
        b2.append(None if b is None else b[0])
    stack = lambda ts: torch.stack(ts) if bias else None  # noqa: E731
    return Nets(torch.stack(W1), torch.stack(W2), stack(b1), stack(b2))


def relu_final_losses(
    width: int,
    seeds: Iterable[int],
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float,
    epochs: int,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """For every seed s the final loss of ``fit(relu_model(width, s), X, y, ...)``, all seeds at
    once (the two-slope shortcut); a CPU tensor, one loss per seed."""
    nets = init_nets(seeds, width, bias=False).to(device)
    _, losses = _two_slopes.train(nets, X.to(device), y.to(device), lr=lr, epochs=epochs)
    return losses.cpu()


def _stacked(draw, seeds: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """One data set per seed, stacked: X is shared (the same grid), y is ``[S, n, 1]``."""
    sets = [draw(seed) for seed in seeds]
    return sets[0][0], torch.stack([y for _, y in sets])


@dataclass(frozen=True)
class WidthSweep:
    """Final MSE of each net: ``train[i, s]``, ``held_out[i, s]`` at width ``widths[i]``, seed s
    (the grader's own record; a lesson gets its own ``WidthSweep`` made from these tensors)."""

    widths: tuple[int, ...]
    train: torch.Tensor
    held_out: torch.Tensor

    def mean_train(self) -> list[float]:
        return self.train.double().mean(1).tolist()

    def mean_held_out(self) -> list[float]:
        return self.held_out.double().mean(1).tolist()


def width_sweep(
    widths: Sequence[int],
    seeds: Sequence[int],
    *,
    train_points: int,
    held_out_points: int,
    held_out_offset: int,
    lr: float,
    epochs: int,
    device: str | torch.device = "cpu",
) -> WidthSweep:
    """``train`` and ``held_out``, each ``[widths, seeds]``: the final MSE of ``wide_model(width, s)``
    trained on ``piecewise_data(s, train_points)``, on that set and on
    ``piecewise_data(s + held_out_offset, held_out_points)``: the overfitting lesson's sweep."""
    seeds = list(seeds)
    X, y = _stacked(lambda s: piecewise_data(s, train_points), seeds)
    X_held, y_held = _stacked(lambda s: piecewise_data(s + held_out_offset, held_out_points), seeds)
    train, held = [], []
    for width in widths:
        nets = init_nets(seeds, width, bias=True).to(device)
        nets, _ = _batched.train(nets, X, y, activation="mooyaho", lr=lr, epochs=epochs)
        train.append(_batched.mse(nets, X, y, activation="mooyaho").cpu())
        held.append(_batched.mse(nets, X_held, y_held, activation="mooyaho").cpu())
    return WidthSweep(tuple(widths), torch.stack(train), torch.stack(held))
