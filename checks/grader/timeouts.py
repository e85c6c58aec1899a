"""A claim's timeout, recognised: pytest-timeout fails the claim with ``Timeout (>60.0s) ...``."""

from __future__ import annotations

import re

_TIMEOUT = re.compile(r"Timeout \(>([0-9.]+)s\) from pytest-timeout")


def timeout_seconds(exc: BaseException) -> float | None:
    """The timeout in seconds that ``exc`` says a claim ran past, or None if it is no timeout."""
    found = _TIMEOUT.match(str(exc))
    return float(found[1]) if found else None
