"""Reproducing the lecture's ``torch.manual_seed(...)`` without touching anyone's global stream."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def lecture_seed(seed: int) -> Iterator[None]:
    """Run the body as the lecture does after ``torch.manual_seed(seed)``, then restore the stream.

    The lecture seeds torch's global generator and then draws in a fixed order (data first, weights
    next). Replaying that order under this context gives the lecture's exact numbers, while the
    caller's global random state is left as it was (design G: no global RNG side effects).
    """
    with torch.random.fork_rng(devices=[]):
        # Only the generator fork_rng restores: torch.manual_seed would also queue a seed for
        # every other device kind, formatting the stack for each (~2 ms a call, 130 calls a run).
        torch.default_generator.manual_seed(seed)
        yield
