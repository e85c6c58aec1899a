"""The lecture's loop with its backward pass written out: same kernels, same numbers, faster.

On nets this small an epoch of ``fit``'s autograd loop is mostly bookkeeping: recording the graph,
walking it in ``backward()``, the module calls and ``optimizer.step()`` (2-node net: ~150 µs an
epoch, of which the arithmetic itself is ~25 µs). For the nets the lecture builds (a ``Linear``, or
a ``Sequential`` of ``Linear``, ``ReLU`` and steep-sigmoid layers) this module calls exactly the
kernels that autograd and ``optim.SGD`` call, on the same inputs, in the same order, with no graph:

    forward   F.linear, relu, sigmoid(200 * x), mse_loss        what the modules call
    backward  mse_loss_backward, mm, sum, threshold_backward,   what autograd's nodes call
              sigmoid_backward, mul
    update    _foreach_add_(params, grads, alpha=-lr)          what optim.SGD calls

The same kernels on the same inputs give the same bits: every epoch's loss and the final weights are
identical to the autograd loop's (tests/test_fast_training.py checks each lecture run). Any other
net (another layer, a hook, a subclass, a frozen or shared weight) is left to the autograd loop.
"""

from __future__ import annotations

import torch
from torch import nn

from lessons._own_work import refuse_inside_homework

aten = torch.ops.aten


def _steepness_of(layer: nn.Module) -> float | None:
    """s for a layer whose class declares ``sigmoid_scale = s`` (it computes sigmoid(s x)),
    or None for other layers.

    The grader's reference ``MOOYAHO`` (checks/reference/nets.py) declares it, so its fits keep
    this loop's speed while the engine holds no class that answers the MOOYAHO homework. The
    declaration is trusted: in the grader's process only the grader's own classes are ever
    built (a student's layer crosses as a stand-in without it); in a lesson's process a class
    that declares it and computes something else only fools that lesson's own training.
    """
    scale = vars(type(layer)).get("sigmoid_scale")
    has_state = any(True for _ in layer.parameters()) or any(True for _ in layer.buffers())
    return float(scale) if isinstance(scale, float) and not has_state else None


def _kind(layer: nn.Module) -> str | None:
    if type(layer) is nn.Linear:
        return "linear"
    if type(layer) is nn.ReLU:
        return "relu"
    if _steepness_of(layer) is not None:
        return "mooyaho"
    return None


def _has_hooks(module: nn.Module) -> bool:
    names = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
    return any(getattr(module, name) for name in names)


def plan(model: nn.Module) -> tuple[tuple[str, nn.Module, float | None], ...] | None:
    """``(kind, layer, steepness)`` per layer if this engine trains the model exactly, else None."""
    if type(model) is nn.Linear:
        layers = (model,)
    elif type(model) is nn.Sequential:
        layers = tuple(model)
    else:
        return None
    kinds = tuple(_kind(layer) for layer in layers)
    if not layers or kinds[0] != "linear" or None in kinds:
        return None
    if len({id(layer) for layer in layers}) != len(layers):
        return None  # a layer used twice collects two gradients
    if any(_has_hooks(module) for module in (model, *layers)):
        return None
    if nn.modules.module._global_forward_hooks or nn.modules.module._global_forward_pre_hooks:
        return None
    params = list(model.parameters())
    if not all(p.requires_grad and p.grad is None for p in params):
        return None  # a frozen weight is not updated; a leftover grad is added to the first one
    return tuple(
        (kind, layer, _steepness_of(layer)) for kind, layer in zip(kinds, layers, strict=True)
    )


def supports(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> bool:
    """Whether ``train`` gives exactly what the autograd loop gives for this model and data."""
    steps = plan(model)
    return (
        steps is not None
        and X.dim() == 2
        and y.dim() == 2
        and y.shape == (X.shape[0], steps[-1][1].out_features)
        and X.dtype == y.dtype == steps[0][1].weight.dtype
    )


def _forward(steps, X):
    """Run the net; return every layer's output (the last is yhat)."""
    outs = []
    h = X
    for kind, layer, steepness in steps:
        if kind == "linear":
            h = torch.nn.functional.linear(h, layer.weight, layer.bias)
        elif kind == "relu":
            h = torch.relu(h)
        else:
            h = torch.sigmoid(steepness * h)
        outs.append(h)
    return outs


def _backward(steps, X, outs, grad):
    """Walk back from d loss / d yhat; return ``(params, grads)``, in ``parameters()`` order."""
    params, grads = [], []
    for i in range(len(steps) - 1, -1, -1):
        (kind, layer, steepness), out = steps[i], outs[i]
        if kind == "linear":
            inp = outs[i - 1] if i else X
            # Linear is addmm(b, x, W.t()) (mm without a bias); autograd's node for it computes
            # d W = grad.t() @ x and d b = grad summed over the rows.
            if layer.bias is not None:
                params.append(layer.bias)
                grads.append(grad.sum(0))
            params.append(layer.weight)
            grads.append(torch.mm(grad.t(), inp))
            if i:  # the data needs no gradient
                grad = torch.mm(grad, layer.weight)
        elif kind == "relu":
            grad = aten.threshold_backward.default(grad, out, 0)  # grad where out > 0, else 0
        else:  # sigmoid(200 h): grad * (1 - s) * s, then * 200
            grad = aten.sigmoid_backward.default(grad, out) * steepness
    return params[::-1], grads[::-1]


def train(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, lr: float, epochs: int):
    """Train in place as the autograd loop does; return ``(losses, yhat)`` on the model's device.

    Call only when ``supports(model, X, y)``; model and data must be on one device.
    """
    refuse_inside_homework("lessons._fast.train", own=train)
    steps = plan(model)
    one = torch.ones((), dtype=y.dtype, device=y.device)  # backward() starts from d loss = 1
    losses = []
    with torch.no_grad():
        for _ in range(epochs):
            outs = _forward(steps, X)  # 1. forward
            yhat = outs[-1]
            loss = torch._C._nn.mse_loss(yhat, y, 1)  # 2. loss (1 = mean)
            grad = aten.mse_loss_backward.default(one, yhat, y, 1)  # 3. backward ...
            params, grads = _backward(steps, X, outs, grad)
            torch._foreach_add_(params, grads, alpha=-lr)  # 4. update (no grads to clear)
            losses.append(loss)
    return torch.stack(losses), yhat
