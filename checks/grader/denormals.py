"""Denormal floats are flushed to zero for the session: the 500-node nets train ~3x faster.

The lecture's ``sigmoid(200x)`` works on floats far below 1e-38 (denormals) for most of its inputs,
and x86 CPUs compute on those about a hundred times slower (the net's sigmoid: ~200 µs an epoch,
~25 µs with flushing). Flushing changes none of the lessons' numbers: every lecture run gives the
same bits with and without it (tests/test_fast_training.py). It is a process-wide switch, so this
module alone sets it, once, and puts it back at the end (design F); ``--keep-denormals`` leaves it
alone. It applies to the CPU thread that trains, which is the only one with one torch thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

_SAVED = pytest.StashKey[bool]()


def denormals_flushed() -> bool:
    """Whether this thread flushes denormal floats to zero now (torch has no getter: probe it)."""
    import torch  # imported late: the box starts first (plugin.py)

    return float(torch.tensor([1e-39]) * 1.0) == 0.0


def set_denormals_flushed(flush: bool) -> None:
    """Flush denormals to zero (True) or keep them (False); a no-op where the CPU cannot flush."""
    import torch

    torch.set_flush_denormal(flush)


@contextmanager
def denormals(flush: bool) -> Iterator[None]:
    """Run the body with denormals flushed (True) or kept (False), then restore the setting."""
    saved = denormals_flushed()
    set_denormals_flushed(flush)
    try:
        yield
    finally:
        set_denormals_flushed(saved)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("lessons").addoption(
        "--keep-denormals",
        action="store_true",
        help="do not flush denormal floats to zero (slower; the lessons' numbers are the same)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("keep_denormals"):
        return
    config.stash[_SAVED] = denormals_flushed()
    set_denormals_flushed(True)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _SAVED in config.stash:
        set_denormals_flushed(config.stash[_SAVED])


def pytest_report_header(config: pytest.Config) -> str:
    flushed = denormals_flushed()
    return "lessons: denormal floats " + (
        "flushed to zero (--keep-denormals keeps them)" if flushed else "kept"
    )
