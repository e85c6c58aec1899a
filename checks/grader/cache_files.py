"""The grader's cache folders (the fit cache, the figure cache): private to the grader's user,
their entries written whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest


def private_cache_folder(config: pytest.Config, name: str) -> Path | None:
    """``name`` in pytest's cache folder (``.pytest_cache/d/<name>``), mode 0700; None under
    ``-p no:cacheprovider``."""
    cache = getattr(config, "cache", None)
    if cache is None:
        return None
    folder = cache.mkdir(name)
    folder.chmod(0o700)  # pytest makes its folders readable by all; this one is the grader's
    return folder


def write_entry(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """``write(file)`` into a temporary file renamed to ``path`` (its folder made, 0700): a
    reader (another ``-j`` run) sees the old entry or the new one, never half. A full disk or a
    read-only folder writes nothing: the next run computes the entry again, no more."""
    temporary = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            write(file)
        os.replace(temporary, path)
    except OSError:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
