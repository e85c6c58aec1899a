"""Many bias-free ReLU nets at once, in O(seeds × width) an epoch: each is just two slopes.

For the lecture's nets ``Linear(1, width, bias=False) -> ReLU -> Linear(width, 1, bias=False)``
with first-layer weights ``a`` and second-layer weights ``b``, node j computes
``relu(a_j x) = relu(a_j) relu(x) + relu(-a_j) relu(-x)`` (check the four sign cases), so the net
computes ``R relu(x) + L relu(-x)`` with ``R = Σ_j b_j relu(a_j)`` (its slope right of 0) and
``L = Σ_j b_j relu(-a_j)`` (minus its slope left of 0): two lines through the origin, as the
relu_nodes lesson says. With p = relu(x), q = relu(-x) (p·q = 0 at every point), the MSE is

    loss = (R² Σp² - 2R Σpy + L² Σq² - 2L Σqy + Σy²) / n
    d loss / d R = 2/n (R Σp² - Σpy),    d loss / d L = 2/n (L Σq² - Σqy)

and the chain rule through R and L gives every weight's gradient:
``d b_j = relu(a_j) dR + relu(-a_j) dL`` and ``d a_j = b_j ([a_j > 0] dR - [a_j < 0] dL)``
(ReLU's derivative at 0 is 0, as in torch). The data enter only through the five sums, computed
once, so an epoch for 1000 seeds costs a few small ops on ``[seeds, width]`` tensors; the same SGD
as ``fit`` otherwise (tests/test_batched.py: same final loss as ``fit`` and as ``_batched.train``).
"""

from __future__ import annotations

import torch

from lessons._batched import Nets


def train(
    nets: Nets, X: torch.Tensor, y: torch.Tensor, *, lr: float, epochs: int
) -> tuple[Nets, torch.Tensor]:
    """Full-batch SGD of bias-free ReLU nets on ``(X, y)`` (``[n, 1]`` each, shared by all seeds);
    return the trained nets and each one's loss at the last epoch (before its update), ``[S]``."""
    if nets.b1 is not None or nets.b2 is not None:
        raise ValueError("the two-slope shortcut holds for bias-free nets only")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    a, b = nets.W1.clone(), nets.W2.clone()
    x, y = X.to(a).reshape(-1), y.to(a).reshape(-1)
    n = x.shape[0]
    p, q = x.clamp(min=0), (-x).clamp(min=0)
    Spp, Spy, Sqq, Sqy = (p * p).sum(), (p * y).sum(), (q * q).sum(), (q * y).sum()
    for epoch in range(epochs):
        right, left = a.clamp(min=0), (-a).clamp(min=0)  # relu(a_j), relu(-a_j)
        R = (b * right).sum(1, keepdim=True)  # 1. forward: the two slopes
        L = (b * left).sum(1, keepdim=True)
        if epoch == epochs - 1:  # 2. loss, from the residuals (no cancellation)
            loss = ((R * p + L * q - y) ** 2).mean(1)
        dR = (R * Spp - Spy) * (2.0 / n)  # 3. backward
        dL = (L * Sqq - Sqy) * (2.0 / n)
        grad_b = right * dR + left * dL
        grad_a = b * (dR * (a > 0) - dL * (a < 0))
        a.sub_(grad_a, alpha=lr)  # 4. update
        b.sub_(grad_b, alpha=lr)
    return Nets(W1=a, W2=b), loss
