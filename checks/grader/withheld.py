"""Points held back from students: the release records them, the student's summary says so.

The student release (``python -m checks.grader.release``) cuts every claim that is not ``visible`` out of
the checks and writes ``checks/_withheld.json``: per lesson, how many claims and points are left
out. A student who passes every claim they have then reads that more is graded after submission,
instead of mistaking "all visible claims passed" for full marks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

WITHHELD_FILE = "checks/_withheld.json"


def write(root: Path, withheld: dict[str, dict[str, float]]) -> Path:
    """Record ``{lesson: {"claims": n, "points": p}}`` in the release at ``root``."""
    path = root / WITHHELD_FILE
    path.write_text(json.dumps({"lessons": withheld}, indent=2, sort_keys=True) + "\n")
    return path


def is_release(root: Path) -> bool:
    """Whether the project at ``root`` is a student release (every release writes the file)."""
    return (root / WITHHELD_FILE).is_file()


def read(root: Path) -> dict[str, dict[str, float]]:
    """What the release at ``root`` holds back; empty in the instructor's copy."""
    path = root / WITHHELD_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())["lessons"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{WITHHELD_FILE} is damaged ({exc}): release the project again") from exc


def held_back_total(withheld: dict[str, dict[str, float]], lessons: Iterable[str]) -> float:
    """The points the graded lessons hold back for hidden claims."""
    return sum(withheld[lesson]["points"] for lesson in lessons if lesson in withheld)


def held_back_line(withheld: dict[str, dict[str, float]], lessons: Iterable[str]) -> str | None:
    """The student's summary line on the graded lessons' held-back points, or None if none are."""
    held = {lesson: withheld[lesson]["points"] for lesson in lessons if lesson in withheld}
    if not held:
        return None
    each = ", ".join(f"{lesson}: {points:g}" for lesson, points in held.items())
    return (
        f"{sum(held.values()):g} points are held back for hidden claims ({each}): your instructor "
        "grades them after submission; they are not in the total above"
    )
