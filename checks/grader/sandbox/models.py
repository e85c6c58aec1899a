"""A torch model as data: an allow-listed architecture plus its weights, rebuilt from the engine's
own classes on the other side.

Allowed, by exact class (a subclass could override ``forward``): ``Linear`` (with or without
bias), ``ReLU``, ``Sigmoid``, ``Tanh``, ``Identity`` and ``Sequential`` of those. There is no
course ``MOOYAHO`` among them: rebuilt in a lesson's process it would hand the student the
homework's answer (issue 16); the grader folds its reference MOOYAHO into the first layer before
sending a net (``checks.reference.nets.folded``). A layer of any other class without parameters or buffers (a
student's own activation) is described as ``remote``: the side that rebuilds it asks its
``make_remote`` hook for a stand-in (in the grader: a layer whose forward runs in the worker).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .codec import CodecError

ACTIVATIONS = {"ReLU": nn.ReLU, "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh, "Identity": nn.Identity}
MAX_LAYERS = 64
# Parameters a model crossing from a lesson may declare, counted before any layer is built: the
# course's largest net has ~1,500 (500 MOOYAHO nodes); 2**22 (16 MiB of float32) leaves a wide
# margin, and a ~300-byte reply declaring Linear(16384, 16384) no longer costs the grader 1 GiB.
MAX_PARAMETERS = 2**22
GRAD = "#grad"  # a parameter's gradient travels as "<name>#grad" beside its weights


def architecture(module: nn.Module, remote_handle) -> dict:
    """The module's architecture as JSON data; ``remote_handle(layer)`` names a layer of another
    class without parameters (or returns None to refuse it)."""
    kind = type(module)
    if kind is nn.Sequential:
        children = list(module.children())
        if len(children) > MAX_LAYERS:
            raise CodecError(f"a Sequential of {len(children)} layers")
        # The children's names are kept: a student may name them (Sequential(OrderedDict(...)))
        # and the weights are synced by name.
        return {
            "kind": "Sequential",
            "names": [name for name, _ in module.named_children()],
            "layers": [architecture(c, remote_handle) for c in children],
        }
    if kind is nn.Linear:
        return {"kind": "Linear", "in": module.in_features, "out": module.out_features,
                "bias": module.bias is not None}  # fmt: skip
    for name, cls in ACTIVATIONS.items():
        if kind is cls:
            return {"kind": name}
    has_state = any(True for _ in module.parameters()) or any(True for _ in module.buffers())
    handle = None if has_state else remote_handle(module)
    if handle is None:
        raise CodecError(
            f"a torch model of class {kind.__qualname__} (models cross as nn.Sequential of "
            "Linear, ReLU, Sigmoid, Tanh, Identity, or layers without parameters)"
        )
    return {"kind": "remote", "handle": handle, "name": kind.__qualname__}


def build(arch, make_remote) -> nn.Module:
    """A fresh module of this architecture from the engine's classes (its weights are to be
    loaded; building one changes no random stream), refused whole if it declares more than
    ``MAX_PARAMETERS`` parameters."""
    declared = parameters(arch)
    if declared > MAX_PARAMETERS:
        raise CodecError(f"a model of {declared:,} parameters (the limit is {MAX_PARAMETERS:,})")
    return _build(arch, make_remote)


def parameters(arch, depth: int = 0) -> int:
    """The parameters an architecture declares (its Linear layers' weights and biases)."""
    if not isinstance(arch, dict) or depth > 4:
        raise CodecError("a malformed model")
    if arch.get("kind") == "Sequential":
        layers = arch.get("layers")
        if not isinstance(layers, list) or len(layers) > MAX_LAYERS:
            raise CodecError("a malformed model")
        return sum(parameters(layer, depth + 1) for layer in layers)
    if arch.get("kind") == "Linear":
        sizes = (arch.get("in"), arch.get("out"))
        if not all(type(s) is int and 0 < s <= 2**24 for s in sizes):
            raise CodecError("a malformed Linear layer")
        return sizes[0] * sizes[1] + (sizes[1] if arch.get("bias") is True else 0)
    return 0


def _build(arch, make_remote, depth: int = 0) -> nn.Module:
    if not isinstance(arch, dict) or depth > 4:
        raise CodecError("a malformed model")
    kind = arch.get("kind")
    if kind == "Sequential":
        layers = arch.get("layers")
        if not isinstance(layers, list) or len(layers) > MAX_LAYERS:
            raise CodecError("a malformed model")
        built = [_build(layer, make_remote, depth + 1) for layer in layers]
        names = arch.get("names", [str(i) for i in range(len(built))])
        if not (
            isinstance(names, list)
            and len(names) == len(built) == len(set(names))
            and all(_is_layer_name(name) for name in names)
        ):
            raise CodecError("a malformed model (its layers' names)")
        return nn.Sequential(OrderedDict(zip(names, built, strict=True)))
    if kind == "Linear":
        sizes = (arch.get("in"), arch.get("out"))
        if not all(type(s) is int and 0 < s <= 2**24 for s in sizes):
            raise CodecError("a malformed Linear layer")
        # Built as usual, its random draw inside fork_rng so no caller's stream moves; the
        # weights are overwritten by ``load``. (skip_init's to_empty costs ~0.5 s on its first
        # call in each process: ~4 s of a sandboxed `pytest lessons`.)
        with torch.random.fork_rng(devices=[]):
            return nn.Linear(*sizes, bias=arch.get("bias") is True)
    if kind in ACTIVATIONS:
        return ACTIVATIONS[kind]()
    if kind == "remote":
        return make_remote(arch)
    raise CodecError(f"a model layer of kind {kind!r}")


def _is_layer_name(name) -> bool:
    return isinstance(name, str) and 0 < len(name) <= 64 and (name.isidentifier() or name.isdigit())


def state(module: nn.Module) -> dict[str, torch.Tensor]:
    """The parameters (and buffers) by name, and each parameter's gradient if it has one: what is
    synced both ways (a gradient left behind is part of what a call did, as in one process)."""
    own = module.state_dict(keep_vars=True)
    weights = {name: t.detach() for name, t in own.items()}
    grads = {f"{name}{GRAD}": t.grad for name, t in own.items() if t.grad is not None}
    return {**weights, **grads}


def load(module: nn.Module, weights: dict) -> None:
    """Put ``weights`` into ``module``'s own tensors, moving them where the weights are (a model
    trained on a GPU lives there afterwards, as in one process)."""
    if not isinstance(weights, dict):
        raise CodecError("a malformed model state")
    own = module.state_dict(keep_vars=True)
    grads = {name.removesuffix(GRAD): t for name, t in weights.items() if name.endswith(GRAD)}
    weights = {name: t for name, t in weights.items() if not name.endswith(GRAD)}
    if set(own) != set(weights) or not set(grads) <= set(own):
        raise CodecError(f"a model state with tensors {sorted(weights)} for {sorted(own)}")
    with torch.no_grad():
        for name, tensor in own.items():
            new = weights[name]
            if not isinstance(new, torch.Tensor) or new.dtype != tensor.dtype:
                raise CodecError(f"a malformed model state ({name})")
            if new.shape == tensor.shape and new.device == tensor.device:
                tensor.copy_(new)
            else:
                tensor.data = new.detach()  # freshly decoded: ours, no second copy
            grad = grads.get(name)
            if grad is not None and not (
                isinstance(grad, torch.Tensor) and grad.shape == tensor.shape
            ):
                raise CodecError(f"a malformed gradient ({name})")
            if isinstance(tensor, nn.Parameter):
                tensor.grad = None if grad is None else grad.to(tensor.device, tensor.dtype)
