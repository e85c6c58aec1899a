"""One torch thread by default: on these tiny tensors extra threads only spin-wait (design J)."""

from __future__ import annotations

import pytest

_SAVED = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("lessons").addoption(
        "--torch-threads",
        type=int,
        default=1,
        help="torch intra-op threads for the session (default 1: more only slow these tiny nets)",
    )


def pytest_configure(config: pytest.Config) -> None:
    import torch  # imported late: the box starts first (plugin.py)

    threads = config.getoption("torch_threads")
    if threads < 1:
        raise pytest.UsageError(f"--torch-threads must be >= 1, got {threads}")
    config.stash[_SAVED] = torch.get_num_threads()
    torch.set_num_threads(threads)


def pytest_unconfigure(config: pytest.Config) -> None:
    import torch

    if _SAVED in config.stash:
        torch.set_num_threads(config.stash[_SAVED])


def pytest_report_header(config: pytest.Config) -> str:
    import torch

    return (
        f"lessons: torch {torch.__version__}, {torch.get_num_threads()} torch thread(s) "
        "(--torch-threads), device(s): " + config.getoption("device")
    )
