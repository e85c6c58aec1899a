"""Benchmarked training: each lesson's fits timed with pytest-benchmark, per lesson and device.

Benchmarks are off by default (``--benchmark-disable`` in the ini options) so that a student run
trains each fit once: a benchmark claim then checks the fit its module fixture already trained.
``pytest lessons --device all --benchmark-enable --benchmark-json bench.json`` times every lesson's
training on a fresh model each round and writes the report's input (``python -m
checks.bench_report bench.json``). The machine info records torch, CUDA, the GPU and the threads.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

import pytest
import torch

from checks.denormals import denormals_flushed

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


def torch_machine_info() -> dict[str, Any]:
    """torch, CUDA and GPU versions and names, threads and the denormal setting."""
    cuda = torch.cuda.is_available()
    return {
        "version": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if cuda else None,
        "gpu": torch.cuda.get_device_name(0) if cuda else None,
        "gpu_count": torch.cuda.device_count() if cuda else 0,
        "torch_threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "denormals_flushed": denormals_flushed(),
    }


@pytest.hookimpl(optionalhook=True)
def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict) -> None:
    """Add the torch build, CUDA version, GPU name and thread count to the benchmark report."""
    machine_info["torch"] = torch_machine_info()
