"""Many seeds at once: S nets ``1 -> width -> 1`` trained as one batched tensor program.

A multi-seed claim trains the same net from hundreds of seeds. A Python loop over ``fit`` would pay
the per-epoch cost once per seed; here every weight carries a leading seed axis (``W1[s]`` is net
``s``'s first layer) and each epoch is a handful of batched ops (``baddbmm``/``bmm``), whatever the
number of seeds. The backward pass is written out by hand (the chain rule for a one-hidden-layer
net, below) and the update is plain full-batch SGD, as in ``fit``.

Nets come from models (``from_models``: a lesson stacks the nets its own ``build_model`` gives)
or, on the grader's side, from ``checks.reference.sweeps.init_nets``; net ``s`` ends where
``fit`` ends to float32 round-off (tests/test_batched.py checks it, seed by seed).
The shortcut for the bias-free ReLU nets is in ``lessons/_two_slopes.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from lessons._lecture import STEEPNESS

ACTIVATIONS = ("relu", "mooyaho")


@dataclass(frozen=True)
class Nets:
    """S nets ``Linear(1, width) -> activation -> Linear(width, 1)``, net ``s`` at index ``s``.

    ``W1[s]`` is net s's ``layer1.weight[:, 0]`` and ``W2[s]`` its ``layer2.weight[0]`` (both
    ``[S, width]``); ``b1`` (``[S, width]``) and ``b2`` (``[S]``) are None for bias-free nets.
    """

    W1: torch.Tensor
    W2: torch.Tensor
    b1: torch.Tensor | None = None
    b2: torch.Tensor | None = None

    @property
    def seeds(self) -> int:
        return self.W1.shape[0]

    @property
    def width(self) -> int:
        return self.W1.shape[1]

    def to(self, device: str | torch.device) -> Nets:
        move = lambda t: None if t is None else t.to(device)  # noqa: E731
        return Nets(move(self.W1), move(self.W2), move(self.b1), move(self.b2))


def from_models(models: Sequence[torch.nn.Sequential]) -> Nets:
    """Stack the weights of ``Sequential(Linear(1, w), activation, Linear(w, 1))`` models."""
    first = [m[0] for m in models]
    last = [m[2] for m in models]
    bias = first[0].bias is not None
    return Nets(
        W1=torch.stack([layer.weight.detach()[:, 0] for layer in first]),
        W2=torch.stack([layer.weight.detach()[0] for layer in last]),
        b1=torch.stack([layer.bias.detach() for layer in first]) if bias else None,
        b2=torch.stack([layer.bias.detach()[0] for layer in last]) if bias else None,
    )


def _scale(activation: str) -> float:
    """The factor inside the activation: MOOYAHO is sigmoid(200 u), ReLU is relu(u)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if activation == "relu":
        return 1.0
    return STEEPNESS


def _per_seed(t: torch.Tensor, seeds: int) -> torch.Tensor:
    """``[n, 1]`` (shared by every seed) or ``[S, n, 1]`` (one set per seed) -> ``[S, n, 1]``."""
    if t.dim() == 2:
        t = t.unsqueeze(0)
    if t.dim() != 3 or t.shape[2] != 1 or t.shape[0] not in (1, seeds):
        raise ValueError(f"expected [n, 1] or [{seeds}, n, 1], got {list(t.shape)}")
    return t.expand(seeds, -1, -1).contiguous()


def _hidden(nets: Nets, x: torch.Tensor, activation: str) -> torch.Tensor:
    """The hidden layer's output ``[S, n, width]``: act(scale (x W1 + b1))."""
    scale = _scale(activation)
    W1 = (scale * nets.W1).unsqueeze(1)  # [S, 1, width]: x [S, n, 1] * W1 is x W1
    u = x * W1 if nets.b1 is None else torch.addcmul((scale * nets.b1).unsqueeze(1), x, W1)
    return u.relu_() if activation == "relu" else u.sigmoid_()


def _slope(h: torch.Tensor, activation: str) -> torch.Tensor:
    """The activation's derivative (over its scale), from its output h: relu' = [h > 0], the
    sign of h >= 0; sigmoid' = h (1 - h)."""
    return h.sign() if activation == "relu" else torch.addcmul(h, h, h, value=-1)


def _output(nets: Nets, h: torch.Tensor) -> torch.Tensor:
    """``yhat = h W2 + b2``, ``[S, n, 1]``."""
    yhat = torch.bmm(h, nets.W2.unsqueeze(2))
    return yhat if nets.b2 is None else yhat.add_(nets.b2.reshape(-1, 1, 1))


def predict(nets: Nets, X: torch.Tensor, *, activation: str) -> torch.Tensor:
    """Every net's prediction on ``X`` (``[n, 1]`` or ``[S, n, 1]``), shape ``[S, n, 1]``."""
    x = _per_seed(X.to(nets.W1), nets.seeds)
    return _output(nets, _hidden(nets, x, activation))


def mse(nets: Nets, X: torch.Tensor, y: torch.Tensor, *, activation: str) -> torch.Tensor:
    """Every net's mean squared error on ``(X, y)``, shape ``[S]``."""
    y = _per_seed(y.to(nets.W1), nets.seeds)
    return ((predict(nets, X, activation=activation) - y) ** 2).mean((1, 2))


def train(
    nets: Nets, X: torch.Tensor, y: torch.Tensor, *, activation: str, lr: float, epochs: int
) -> tuple[Nets, torch.Tensor]:
    """Full-batch SGD on the MSE for every net at once; return the trained nets and each one's
    loss at the last epoch (before its update, as ``FitResult.final_loss``), shape ``[S]``.

    ``X`` and ``y`` are ``[n, 1]`` (the same data for every seed) or ``[S, n, 1]`` (one data set
    per seed); they are moved to the nets' device.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    scale = _scale(activation)
    W1, W2 = nets.W1.clone(), nets.W2.clone()
    b1 = None if nets.b1 is None else nets.b1.clone()
    b2 = None if nets.b2 is None else nets.b2.clone()
    current = Nets(W1, W2, b1, b2)  # updated in place below
    x, y = _per_seed(X.to(W1), nets.seeds), _per_seed(y.to(W1), nets.seeds)
    xg_rows = torch.cat([x, torch.ones_like(x)], dim=2)  # [S, n, 2]: x and 1 for d W1 and d b1
    n = x.shape[1]
    for _ in range(epochs):
        h = _hidden(current, x, activation)  # 1. forward
        error = _output(current, h) - y
        # 2. loss = mean(error²); 3. backward: d loss / d yhat = 2/n · error
        grad = error * (2.0 / n)
        grad_W2 = torch.bmm(grad.transpose(1, 2), h).squeeze(1)  # Σ_i grad_i h_ij
        # d yhat_i / d W1_j = W2_j act'(u_ij) scale x_i, and the same without x_i for b1_j:
        # both sums over i in one bmm, [S, 2, width]
        slope = _slope(h, activation)
        sums = torch.bmm((grad * xg_rows).transpose(1, 2), slope) * (scale * W2).unsqueeze(1)
        # 4. update
        W1.sub_(sums[:, 0], alpha=lr)
        W2.sub_(grad_W2, alpha=lr)
        if b1 is not None:
            b1.sub_(sums[:, 1], alpha=lr)
            b2.sub_(grad.sum((1, 2)), alpha=lr)
    return current, (error**2).mean((1, 2))
