"""The ``claim`` marker: what a check is worth, validated at collection."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from checks.grader.collection import CHECKS_DIR, lesson_name
from checks.grader.feedback import first_paragraph

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
_KEYS = {"points", "visibility", "partial", "ko"}


@dataclass(frozen=True)
class Claim:
    """One graded statement: its lesson, its name, its points and who may see it.

    A ``partial`` claim may earn a fraction of its points (see ``checks.grader.credit``).
    """

    lesson: str
    name: str
    points: float
    visibility: str = "visible"
    description: str = ""
    partial: bool = False
    ko: str = ""  # the sentence in Korean (``--lang ko``); the docstring is the English one

    @classmethod
    def from_mark(
        cls, mark: pytest.Mark, *, lesson: str, name: str, description: str = ""
    ) -> Claim:
        """Validate ``@pytest.mark.claim(points=N, visibility=..., partial=...)``; build the claim."""
        where = f"{lesson}::{name}"
        if mark.args:
            raise pytest.UsageError(
                f"{where}: use claim(points=N), not positional arguments {mark.args!r}"
            )
        unknown = set(mark.kwargs) - _KEYS
        if unknown:
            raise pytest.UsageError(
                f"{where}: unknown claim argument(s) {sorted(unknown)}; allowed: {sorted(_KEYS)}"
            )
        if "points" not in mark.kwargs:
            raise pytest.UsageError(f"{where}: claim needs points=N")
        points = mark.kwargs["points"]
        if isinstance(points, bool) or not isinstance(points, (int, float)):
            raise pytest.UsageError(f"{where}: claim points must be a number, got {points!r}")
        if not math.isfinite(points) or points <= 0:
            raise pytest.UsageError(
                f"{where}: claim points must be positive and finite, got {points!r}"
            )
        visibility = mark.kwargs.get("visibility", "visible")
        if visibility not in VISIBILITIES:
            raise pytest.UsageError(
                f"{where}: claim visibility must be one of {VISIBILITIES}, got {visibility!r}"
            )
        partial = mark.kwargs.get("partial", False)
        if not isinstance(partial, bool):
            raise pytest.UsageError(
                f"{where}: claim partial must be True or False, got {partial!r}"
            )
        ko = mark.kwargs.get("ko", "")
        if not isinstance(ko, str):
            raise pytest.UsageError(f"{where}: claim ko must be the Korean sentence, got {ko!r}")
        return cls(
            lesson=lesson,
            name=name,
            points=float(points),
            visibility=visibility,
            description=description,
            partial=partial,
            ko=" ".join(ko.split()),
        )


def claim_of(item: pytest.Item) -> Claim | None:
    """The claim an item carries, or None for the machinery's own tests."""
    return item.stash.get(CLAIM_KEY, None)


CLAIM_KEY = pytest.StashKey[Claim]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "claim(points, visibility='visible', partial=False): a graded claim of a lesson; "
        f"visibility is one of {', '.join(VISIBILITIES)}; a partial claim records the fraction "
        "of its points it earned with the partial_credit fixture",
    )
    config.addinivalue_line(
        "markers", "lesson(name): the lesson a claim belongs to (set automatically)"
    )


def _is_check(config: pytest.Config, path: Path) -> bool:
    return path.parent == config.rootpath / CHECKS_DIR and lesson_name(path) is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Validate every claim, attach it to its item, and mark the item with its lesson."""
    for item in items:
        path = Path(item.path)
        mark = item.get_closest_marker("claim")
        if not _is_check(config, path):
            if mark is not None:
                raise pytest.UsageError(
                    f"{item.nodeid}: claims belong in {CHECKS_DIR}/check_<lesson>.py"
                )
            continue
        lesson = lesson_name(path)
        if mark is None and item.get_closest_marker("figure") is not None:
            continue  # a figure snapshot (checks/grader/snapshots.py): checked, not graded
        if mark is None:
            raise pytest.UsageError(
                f"{item.nodeid}: every test in a checks module is a claim; "
                "add @pytest.mark.claim(points=N) (or @pytest.mark.figure for a figure snapshot)"
            )
        doc = first_paragraph(getattr(getattr(item, "obj", None), "__doc__", None))
        claim = Claim.from_mark(mark, lesson=lesson, name=item.name, description=doc)
        item.stash[CLAIM_KEY] = claim
        item.add_marker(pytest.mark.lesson(lesson))
        # user_properties travel with every report, also from pytest-xdist workers.
        item.user_properties.append(("claim", asdict(claim)))
