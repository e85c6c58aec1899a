"""``--device cpu|cuda|all``: every claim that takes ``device`` runs on each chosen device."""

from __future__ import annotations

import pytest

DEVICES = ("cpu", "cuda")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("lessons").addoption(
        "--device",
        choices=(*DEVICES, "all"),
        default="cpu",
        help="device the lessons train on: cpu (default), cuda, or all (cpu and cuda)",
    )


def unavailable_reason(device: str) -> str | None:
    """Why ``device`` cannot run here, or None when it can."""
    import torch  # imported late: the box starts first (plugin.py)

    if device == "cuda":
        # A ROCm build runs AMD GPUs as device "cuda" too: it sets torch.version.hip, not .cuda.
        if torch.version.cuda is None and torch.version.hip is None:
            return f"CUDA not available: this torch {torch.__version__} is a CPU-only build"
        if not torch.cuda.is_available():
            return "CUDA not available: torch has CUDA support but sees no GPU"
    return None


def requested_devices(config: pytest.Config) -> tuple[str, ...]:
    choice = config.getoption("device")
    return DEVICES if choice == "all" else (choice,)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``device``; skip absent ones.

    Module scope: each module-scoped fit runs once per device, and pytest keeps a checks module's
    claims together (with session scope it groups every module's device claims first and runs
    the rest of each module later, tearing its fixtures down in between).
    """
    if "device" not in metafunc.fixturenames:
        return
    params = []
    for device in requested_devices(metafunc.config):
        reason = unavailable_reason(device)
        marks = [pytest.mark.skip(reason=reason)] if reason else []
        params.append(pytest.param(device, marks=marks, id=device))
    metafunc.parametrize("device", params, scope="module")
