"""Benchmark machine info: torch, CUDA, the GPU and the threads, in every benchmark JSON.

The claims time training with ``checks.timing.time_training``;
``pytest lessons --device all --benchmark-enable --benchmark-json bench.json`` times every lesson
and ``lessons bench-report bench.json`` makes the report.
"""

from __future__ import annotations

from typing import Any

import pytest

from checks.grader.denormals import denormals_flushed


def torch_machine_info() -> dict[str, Any]:
    """torch, CUDA and GPU versions and names, threads and the denormal setting."""
    import torch  # imported late: the box starts first (plugin.py)

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
