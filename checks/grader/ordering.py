"""Claims run, and are reported, in the lecture's order of lessons, every run.

Within a lesson, the lecture's order is the order its checks file states its claims and figures
(``source_position``): the lesson report lists them so, whatever order pytest ran them in (it
groups the tests of a parametrized module fixture, ``device``, together).

pytest collects ``lessons/`` alphabetically (custom_activation first) and pytest-randomly, where
installed, shuffles: the run, its failures and its report then change order from run to run.
Sorting by the lecture's order last (``trylast``, after any shuffle) is stable, so within a
lesson the claims keep the order pytest gave them (its grouping of parametrized fixtures).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.grader.collection import lesson_name
from checks.grader.scoring import lesson_order


def source_position(item: pytest.Item) -> tuple[int, int]:
    """Where ``item`` stands in its checks file (its line), then among the tests of that line
    (parametrized: the collection's order, the same in every pytest-xdist worker)."""
    return item.location[1] or 0, item.session.items.index(item)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(lesson_order())}

    def key(item: pytest.Item) -> int:
        lesson = lesson_name(Path(item.path))  # claims and figures alike
        return rank.get(lesson, len(rank)) if lesson else len(rank)

    items.sort(key=key)
