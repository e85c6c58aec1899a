"""What determines a fit's result bit for bit, as a key for the fit cache (design N).

A fit of ``lessons.fit`` is a pure function of: the net's architecture and initial weights'
bytes, the data's bytes and memory layout, lr, epochs, the engine asked for and the engine's
source, the device, the torch build, its thread count, whether denormal floats are flushed, and the CPU's vector
instructions (another SIMD path rounds differently). ``key`` hashes all of them; a change in any
gives another key. Only nets the fast engine can plan (``lessons._fast.plan``: the lecture's
layers, no hooks, no frozen or shared weights) have a key: their types say all they compute. A
net with any other layer (a student's activation, a layer living in a lesson's process) gets
None and is trained, never looked up.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import platform
import sys
from functools import cache
from pathlib import Path

import numpy
import torch

from checks.grader.denormals import denormals_flushed
from lessons._fast import plan

FORMAT = 2  # bump when the key's material or the entries' layout changes
ENGINE_MODULES = ("lessons._train", "lessons._fast")  # a layer class's own source: per layer


def tensor_digest(tensor: torch.Tensor) -> str:
    """sha256 of a tensor's dtype, shape and bytes (on the CPU, contiguous)."""
    flat = tensor.detach().cpu().contiguous().reshape(-1)
    digest = hashlib.sha256(f"{flat.dtype}{tuple(tensor.shape)}".encode())
    digest.update(flat.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def tensor_key(tensor: torch.Tensor) -> dict:
    """A tensor as a key sees it: its digest and its memory layout (strides and offset). The same
    values laid out otherwise take other kernels' paths and round otherwise: the lecture's
    ``vstack([x, x², x³]).T`` (a transposed view) and the same numbers copied contiguous (as the
    sandbox sends a lesson's tensor) train Linear(3, 1) to weights a few ulps apart."""
    return {
        "digest": tensor_digest(tensor),
        "layout": [list(tensor.stride()), tensor.storage_offset()],
    }


@cache
def engine_source() -> str:
    """sha256 of the engine's source files: an edit to the training code is another engine."""
    digest = hashlib.sha256()
    for name in ENGINE_MODULES:
        digest.update(Path(importlib.import_module(name).__file__).read_bytes())
    return digest.hexdigest()


def _device(device: str | torch.device) -> dict:
    device = torch.device(device)
    found: dict = {"device": str(device)}
    if device.type == "cuda":
        found["gpu"] = torch.cuda.get_device_name(device)
        found["capability"] = list(torch.cuda.get_device_capability(device))
        found["cuda"] = torch.version.cuda
    return found


def architecture(model: torch.nn.Module) -> list | None:
    """Each layer's kind, shapes and constants, or None for a net the key cannot describe."""
    steps = plan(model)
    if steps is None:
        return None
    return [_layer(kind, layer, steepness) for kind, layer, steepness in steps]


def _layer(kind: str, layer: torch.nn.Module, steepness: float | None) -> list:
    inputs, outputs = getattr(layer, "in_features", None), getattr(layer, "out_features", None)
    bias = getattr(layer, "bias", None) is not None
    cls = type(layer)
    # The class's own source: the autograd loop runs its forward (the grader's MOOYAHO lives in
    # checks/reference/nets.py, not in the engine).
    return [kind, f"{cls.__module__}.{cls.__qualname__}", _module_source(cls.__module__),
            inputs, outputs, bias, steepness]  # fmt: skip


@cache
def _module_source(name: str) -> str | None:
    """sha256 of a module's source file (None for a module without one)."""
    path = getattr(sys.modules.get(name), "__file__", None)
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None


def environment(device: str | torch.device) -> dict:
    """What rounds a computation's floats besides its inputs: device, torch build and threads,
    denormal flushing and the CPU's vector instructions."""
    return {
        **_device(device),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "flush_denormals": denormals_flushed(),
        "cpu": torch.backends.cpu.get_cpu_capability(),
        "machine": platform.machine(),
    }


def material(model, X, y, *, lr, epochs, device, engine) -> dict | None:
    """Everything that determines ``fit(model, X, y, ...)``, or None when the net has no key."""
    layers = architecture(model)
    if layers is None or not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
        return None
    return {
        "format": FORMAT,
        "layers": layers,
        "weights": {name: tensor_key(t) for name, t in model.state_dict().items()},
        "X": tensor_key(X),
        "y": tensor_key(y),
        "lr": float(lr).hex(),  # every bit of the rate
        "epochs": int(epochs),
        "engine": engine,
        "engine_source": engine_source(),
        **environment(device),
    }


def _canonical(value):
    """``value`` as JSON the key can hash: tensors by digest and layout, floats by every bit."""
    if isinstance(value, torch.Tensor):
        return {"tensor": tensor_key(value)}
    if isinstance(value, float):
        return {"float": value.hex()}
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, list | tuple | range):
        return [_canonical(item) for item in value]
    if isinstance(value, dict):
        return {str(name): _canonical(item) for name, item in value.items()}
    raise TypeError(f"the fit cache cannot key a {type(value).__name__}")


def computation_material(what: str, inputs: dict, *, modules: tuple[str, ...], device) -> dict:
    """Everything that determines a grader-side computation (a sweep): its name, its inputs, the
    source of every module it runs (``modules``), and the environment."""
    return {
        "format": FORMAT,
        "computation": what,
        "inputs": _canonical(inputs),
        "sources": {name: _module_source_of(name) for name in modules},
        "numpy": numpy.__version__,  # data drawn with numpy's generator
        **environment(device),
    }


@cache
def _module_source_of(name: str) -> str | None:
    """``_module_source`` of a module, imported if it is not yet."""
    importlib.import_module(name)
    return _module_source(name)


def key(found: dict) -> str:
    """The content address: sha256 of the material, as canonical JSON."""
    return hashlib.sha256(json.dumps(found, sort_keys=True).encode()).hexdigest()
