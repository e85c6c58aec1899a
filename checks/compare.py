"""What a homework function returned against what it should return, said in one line.

``expect_close(lesson.design_matrix(x), expected, name="design_matrix(x)")`` fails the claim with
"design_matrix(x)[0, 0] should be 1, got 2.31: off by 1.31 (allowed 1e-06)" at the first entry
that is off,
instead of a bare ``assert torch.allclose(...)``; ``expect_losses`` reads the per-epoch losses a
student's training loop returns, as a list of floats or as a 1-D tensor.
"""

from __future__ import annotations

import torch

from checks.grader.i18n import N_
from checks.validate import fail
from lessons._train import FitResult


def as_float64(value, *, name: str) -> torch.Tensor:
    """``value`` (a tensor, a number, or a list or tuple of them) as a float64 CPU tensor."""
    try:
        if isinstance(value, torch.Tensor):
            return value.detach().cpu().double()
        if isinstance(value, (list, tuple)):
            return torch.tensor([float(v) for v in value], dtype=torch.float64)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return torch.tensor(float(value), dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        pass
    fail(
        N_("{name}: expected a tensor or numbers, got {kind} {value}").format(
            name=name, kind=type(value).__name__, value=f"{value!r:.40}"
        )
    )


def expect_close(
    actual,
    expected: torch.Tensor,
    *,
    name: str,
    atol: float | torch.Tensor = 0.0,
    rtol: float = 0.0,
    what: str = "",
) -> torch.Tensor:
    """``actual`` has ``expected``'s shape and is within ``atol + rtol·|expected|`` everywhere
    (``atol`` may be a tensor of ``expected``'s shape: one tolerance per entry).

    ``what`` names the expected value in the message ("the lecture's slope"). Returns ``actual``
    as float64 on the CPU.
    """
    got = as_float64(actual, name=name)
    expected = expected.detach().cpu().double()
    if got.shape != expected.shape:
        fail(
            N_("{name}: expected shape {expected}, got {got}").format(
                name=name, expected=tuple(expected.shape), got=tuple(got.shape)
            )
        )
    allowed = atol + rtol * expected.abs()
    off = (got - expected).abs()
    bad = ~(off <= allowed)  # NaN counts as bad
    if bool(bad.any()):
        index = tuple(int(i) for i in bad.nonzero()[0])  # the first: for losses, the first epoch
        where = f"[{', '.join(map(str, index))}]" if index else ""
        template = N_(
            "{name} should be {expected:.6g} ({what}), got {got:.6g}: off by {off:.3g} "
            "(allowed {allowed:.3g})"
        )
        if not what:
            template = N_(
                "{name} should be {expected:.6g}, got {got:.6g}: off by {off:.3g} "
                "(allowed {allowed:.3g})"
            )
        fail(
            template.format(
                name=f"{name}{where}",
                expected=float(expected[index]),
                what=what,
                got=float(got[index]),
                off=float(off[index]),
                allowed=float(allowed[index]),
            )
        )
    return got


def expect_losses(value, *, epochs: int, name: str) -> torch.Tensor:
    """The per-epoch losses a training loop returned (floats or a 1-D tensor), all finite, as a
    float32 CPU tensor of length ``epochs``.

    A ``FitResult`` is what the course's ``lessons.fit`` returns: a loop that hands it back is the
    course's, not the student's (issue 16; the engine refuses the other ways in, lessons/_own_work.py).
    """
    if isinstance(value, FitResult):
        fail(
            N_(
                "{name} must be your own code: it returned a FitResult, what the course's "
                "lessons.fit returns"
            ).format(name=name)
        )
    losses = as_float64(value, name=name)
    if losses.dim() != 1:
        fail(
            N_("{name}: expected one loss per epoch (1-D), got shape {shape}").format(
                name=name, shape=tuple(losses.shape)
            )
        )
    if len(losses) != epochs:
        fail(
            N_("{name} returned {n} losses for {epochs} epochs: expected one per epoch").format(
                name=name, n=len(losses), epochs=epochs
            )
        )
    bad = (~torch.isfinite(losses)).nonzero()
    if len(bad):
        fail(
            N_("{name} returned a non-finite loss {loss} at epoch {epoch}").format(
                name=name, loss=float(losses[bad[0]]), epoch=int(bad[0])
            )
        )
    return losses.float()
