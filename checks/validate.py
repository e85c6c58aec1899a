"""Checks on what a lesson's code returns, before a claim relies on it.

Each helper fails the claim with one line a student understands ("fit returned NaN loss at epoch
12", "make_data() y: expected shape (100, 1), got (100,)") instead of an IndexError three frames
deep, and returns the value it checked so fixtures read ``return expect_fit(lesson.fit(...))``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest
import torch

from checks.grader.i18n import N_


def fail(message: str):
    """Fail the claim with ``message`` alone: one line for the student, no traceback."""
    pytest.fail(message, pytrace=False)


def expect_tensor(
    value,
    *,
    name: str,
    shape: Sequence[int] | None = None,
    dtype: torch.dtype | None = None,
    device: str | None = None,
) -> torch.Tensor:
    """``value`` is a tensor of this shape, dtype and device type (each only if given)."""
    if not isinstance(value, torch.Tensor):
        fail(N_("{name}: expected a tensor, got {got}").format(name=name, got=type(value).__name__))
    if shape is not None and tuple(value.shape) != tuple(shape):
        fail(
            N_("{name}: expected shape {expected}, got {got}").format(
                name=name, expected=tuple(shape), got=tuple(value.shape)
            )
        )
    if dtype is not None and value.dtype != dtype:
        fail(
            N_("{name}: expected dtype {expected}, got {got}").format(
                name=name, expected=dtype, got=value.dtype
            )
        )
    if device is not None and value.device.type != device:
        fail(
            N_("{name}: expected a tensor on {expected}, got one on {got}").format(
                name=name, expected=device, got=value.device
            )
        )
    return value


def expect_data(data, *, name: str = "make_data()", x_shape, y_shape=(100, 1)):
    """``(X, y)``: two float32 CPU tensors of the lesson's shapes."""
    if not (isinstance(data, tuple) and len(data) == 2):
        fail(
            N_("{name}: expected a pair (X, y), got {got}").format(
                name=name, got=type(data).__name__
            )
        )
    X, y = data
    expect_tensor(X, name=f"{name} X", shape=x_shape, dtype=torch.float32, device="cpu")
    expect_tensor(y, name=f"{name} y", shape=y_shape, dtype=torch.float32, device="cpu")
    return data


def expect_fit(result, *, epochs: int, finite: bool = True, name: str = "fit"):
    """A FitResult with one CPU loss per epoch, all finite unless the claim expects divergence."""
    losses = getattr(result, "losses", None)
    if losses is None or not hasattr(result, "model"):
        fail(
            N_("{name}: expected a FitResult (.model, .losses), got {got}").format(
                name=name, got=type(result).__name__
            )
        )
    expect_tensor(losses, name=N_("{name} losses").format(name=name), shape=(epochs,), device="cpu")
    if finite:
        bad = (~torch.isfinite(losses)).nonzero()
        if len(bad):
            epoch = int(bad[0])
            kind = "NaN" if math.isnan(float(losses[epoch])) else "infinite"
            fail(
                N_("{name} returned {kind} loss at epoch {epoch}").format(
                    name=name, kind=kind, epoch=epoch
                )
            )
    return result


def expect_number(value, *, name: str) -> float:
    """A finite real number (a Python number or a one-element tensor), as a float."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            fail(
                N_("{name}: expected one number, got a tensor of shape {shape}").format(
                    name=name, shape=tuple(value.shape)
                )
            )
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(N_("{name}: expected a number, got {got}").format(name=name, got=type(value).__name__))
    if not math.isfinite(value):
        fail(N_("{name} returned {got}").format(name=name, got=value))
    return float(value)


def expect_near(value: float, target: float, *, rtol: float, name: str, what: str) -> float:
    """``value`` is within ``rtol`` (relative) of ``target``; the message says both and how far
    apart they are."""
    off = abs(value - target) / abs(target) if target else abs(value)
    if not off < rtol:
        fail(
            N_(
                "{name} is {got:.6g}, expected {what} {expected:.6g} (within {rtol:.2g}): "
                "{off:.3g} off"
            ).format(name=name, got=value, what=what, expected=target, rtol=rtol, off=off)
        )
    return value


def expect_index(value, *, name: str) -> int | None:
    """An int (or a one-element integer tensor), or None."""
    if value is None:
        return None
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_floating_point():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int):
        fail(
            N_("{name}: expected an int or None, got {kind} {value}").format(
                name=name, kind=type(value).__name__, value=f"{value!r:.40}"
            )
        )
    return value


@contextmanager
def private_copy(tensors: Sequence[torch.Tensor], *, what: str) -> Iterator[tuple]:
    """Hand out copies of shared tensors; after use, fail if the lesson's code changed them.

    A lesson that edits its input in place then fails the one claim that ran it, while the other
    claims still get the untouched originals, whatever order they run in.
    """
    copies = tuple(t.clone() for t in tensors)
    yield copies
    if not all(torch.equal(c, t) or _same_nan(c, t) for c, t in zip(copies, tensors, strict=True)):
        fail(
            N_(
                "{what} was changed in place by the lesson's code: work on a copy (.clone())"
            ).format(what=what)
        )


def _same_nan(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and bool(torch.isclose(a, b, rtol=0, atol=0, equal_nan=True).all())
