"""Partial credit: a claim declared ``claim(points=N, partial=True)`` records what it earned.

```python
@pytest.mark.claim(points=2, partial=True)
def test_rate_is_right_for_every_seed(lesson, partial_credit):
    right = [...]  # one bool per seed
    partial_credit(sum(right) / len(right))  # before the assert: a failing claim keeps it
    assert all(right)
```
The fraction travels in the report's ``user_properties`` (so also from pytest-xdist workers); the
last one recorded counts. A partial claim that records nothing is all or nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from checks.grader.claims import claim_of

CREDIT = "credit"  # the user_properties key


def recorded_fraction(user_properties) -> float | None:
    """The last fraction a claim recorded, or None."""
    fractions = [value for key, value in user_properties if key == CREDIT]
    return fractions[-1] if fractions else None


@pytest.fixture
def partial_credit(request: pytest.FixtureRequest) -> Callable[[float], None]:
    """Record the fraction (0 to 1) of this claim's points that it earned."""
    claim = claim_of(request.node)
    if claim is None or not claim.partial:
        pytest.fail(
            f"{request.node.name} uses partial_credit: declare claim(points=N, partial=True)",
            pytrace=False,
        )

    def record(fraction: float) -> None:
        value = float(fraction)
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ValueError(f"partial credit must be a fraction in [0, 1], got {fraction!r}")
        request.node.user_properties.append((CREDIT, value))

    return record
