"""The lecture's training loop (steps 1-4), shared by every lesson.

Students read this code: it is the lecture's loop, written once.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lessons._fast import supports as fast_supports
from lessons._fast import train as fast_train
from lessons._own_work import refuse_inside_homework

ENGINES = ("auto", "autograd")


@dataclass(frozen=True)
class FitResult:
    """What one training run leaves behind.

    ``losses[k]`` is the loss of epoch ``k`` exactly as the lecture's step 2 computes it (before
    that epoch's update). ``yhat`` is the last epoch's forward output, the lecture's ``yhat.data``.
    Both live on the CPU so that claims read alike on every device.
    """

    model: torch.nn.Module
    losses: torch.Tensor
    yhat: torch.Tensor
    lr: float
    epochs: int
    device: str
    engine: str = "autograd"

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])


def fit(
    model: torch.nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float,
    epochs: int,
    device: str | torch.device = "cpu",
    engine: str = "auto",
) -> FitResult:
    """Train ``model`` on ``(X, y)`` with full-batch SGD on the MSE loss, as the lecture does.

    The model is moved to ``device`` and trained in place. The data is moved too, so the same
    CPU-drawn data gives every device the same problem.

    ``engine="autograd"`` runs the loop below: the lecture's four steps. ``"auto"`` (the default)
    runs the same computation with its backward pass written out (``lessons/_fast.py``) when the
    net is one the lecture builds: the same kernels, so the same numbers to the last bit
    (tests/test_fast_training.py), about three times faster. Other nets take the loop below.
    """
    refuse_inside_homework("lessons.fit")  # linear_model's homework is this loop: its own
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
    model = model.to(device)
    X, y = X.to(device), y.to(device)
    if engine == "auto" and fast_supports(model, X, y):
        losses, yhat = fast_train(model, X, y, lr=lr, epochs=epochs)
        return FitResult(model, losses.cpu(), yhat.cpu(), lr, epochs, str(device), engine="fast")
    loss_fn = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    # Losses stay on the device until the end: reading each one would synchronise a GPU every epoch.
    losses = []
    for _ in range(epochs):
        yhat = model(X)  # 1. forward
        loss = loss_fn(yhat, y)  # 2. loss
        loss.backward()  # 3. backward
        optimizer.step()  # 4. update ...
        optimizer.zero_grad()  # ... and clear the gradients for the next epoch
        losses.append(loss.detach())
    return FitResult(
        model=model,
        losses=torch.stack(losses).cpu(),
        yhat=yhat.detach().cpu(),
        lr=lr,
        epochs=epochs,
        device=str(device),
    )
