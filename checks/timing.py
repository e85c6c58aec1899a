"""``time_training``: the helper a benchmark claim calls to time a lesson's training.

Benchmarks are off by default (``--benchmark-disable`` in the ini options) so that a student run
trains each fit once: a benchmark claim then checks the fit its module fixture already trained.
With ``--benchmark-enable`` it times the training on a fresh model each round (the report's input:
``lessons bench-report bench.json``).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

import torch

T = TypeVar("T")

ROUNDS = 5  # timed rounds of a fit; each trains a fresh model, so the median is one whole fit


def synchronize(device: str | torch.device) -> None:
    """Wait for the device's queued work: pytest-benchmark's timer knows nothing of CUDA streams."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def time_training(
    benchmark,
    train: Callable[..., T],
    *,
    lesson: ModuleType,
    device: str,
    epochs: int,
    fresh: Callable[[], Any] | None = None,
    session_result: T,
    rounds: int = ROUNDS,
    what: str = "",
) -> T:
    """Time ``train(fresh())`` (``train()`` without ``fresh``), a fresh model each round, and
    return the last round's result; with benchmarks off, train nothing and return
    ``session_result``, the same training the module's fixture already ran.

    ``epochs`` is the number of net-epochs one call trains (seeds × widths × epochs for a sweep):
    the report divides it by the median time. The group is ``lesson[device]``.
    """
    if benchmark.disabled:  # "use" the fixture without training: pedantic would train once more
        return benchmark.pedantic(lambda: session_result)
    name = lesson.__name__.rsplit(".", 1)[-1]
    benchmark.group = f"{name}[{device}]"
    benchmark.extra_info.update(lesson=name, device=device, epochs=epochs, what=what)

    def timed(*args):
        result = train(*args)
        synchronize(device)
        return result

    setup = None if fresh is None else (lambda: ((fresh(),), {}))
    return benchmark.pedantic(timed, setup=setup, rounds=rounds, iterations=1, warmup_rounds=1)
