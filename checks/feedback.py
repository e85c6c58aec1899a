"""One line a student understands, for each way a claim can fail."""

from __future__ import annotations

import pytest


def first_paragraph(doc: str | None) -> str:
    """The docstring's first paragraph on one line: what the claim says in plain words."""
    if not doc:
        return ""
    return " ".join(doc.strip().split("\n\n")[0].split())


def failure_reason(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """Why a claim failed, in one line: no traceback wall for a student."""
    exc = excinfo.value
    if isinstance(exc, NotImplementedError):
        return f"not attempted yet: {exc}" if str(exc) else "not attempted yet"
    message = str(exc).strip()
    first = message.splitlines()[0] if message else ""
    if isinstance(exc, (pytest.fail.Exception, pytest.skip.Exception)):
        return first
    if isinstance(exc, AssertionError):
        return f"claim does not hold: {first}" if first else "claim does not hold"
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
