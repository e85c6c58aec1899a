"""Score arithmetic and the score table: pure functions over claim outcomes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from checks.grader.cells import cells


@dataclass(frozen=True)
class Outcome:
    """How one claim ended: ``passed``, ``failed`` or ``skipped``, and why (one line).

    ``fraction`` is what a partial claim recorded it earned (None: all or nothing).
    ``homework`` names the homework function (``lesson.function``) whose stub failed it, if any.
    """

    lesson: str
    name: str
    points: float
    outcome: str
    reason: str = ""
    description: str = ""
    visibility: str = "visible"
    partial: bool = False
    fraction: float | None = None
    homework: str = ""
    ko: str = ""  # the claim's sentence in Korean, if its marker gives one

    @property
    def earned(self) -> float:
        if self.outcome == "skipped":
            return 0.0
        if self.fraction is not None:
            return self.points * self.fraction
        return self.points if self.outcome == "passed" else 0.0


@dataclass(frozen=True)
class LessonScore:
    lesson: str
    passed: int
    graded: int
    skipped: int
    earned: float
    possible: float


def lesson_scores(outcomes: Iterable[Outcome], order: Iterable[str] = ()) -> list[LessonScore]:
    """Per lesson: claims passed / graded and points earned / possible; skipped claims count for
    neither (a device that is absent is not the student's fault). Lessons in ``order`` come first.
    """
    by_lesson: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_lesson.setdefault(outcome.lesson, []).append(outcome)
    rank = {name: i for i, name in enumerate(order)}
    names = sorted(by_lesson, key=lambda name: (rank.get(name, len(rank)), name))
    scores = []
    for name in names:
        graded = [o for o in by_lesson[name] if o.outcome != "skipped"]
        scores.append(
            LessonScore(
                lesson=name,
                passed=sum(o.outcome == "passed" for o in graded),
                graded=len(graded),
                skipped=len(by_lesson[name]) - len(graded),
                earned=sum(o.earned for o in graded),
                possible=sum(o.points for o in graded),
            )
        )
    return scores


def _num(x: float) -> str:
    return f"{x:g}"


def _identity(text: str) -> str:
    return text


def _left(text: str, width: int) -> str:
    return text + " " * max(width - cells(text), 0)


def _right(text: str, width: int) -> str:
    return " " * max(width - cells(text), 0) + text


def score_table(scores: list[LessonScore], _: Callable[[str], str] = _identity) -> list[str]:
    """The per-lesson table and the total, as lines of text (``_`` translates its words)."""
    lesson, claims, points, total = _("lesson"), _("claims"), _("points"), _("total")
    width = max([cells(lesson), cells(total), *(len(s.lesson) for s in scores)])
    lines = [f"{_left(lesson, width)}  {_right(claims, 9)}  {_right(points, 11)}"]
    for s in scores:
        skipped = f"  ({s.skipped} skipped)" if s.skipped else ""
        lines.append(
            f"{s.lesson:<{width}}  {f'{s.passed}/{s.graded}':>9}  "
            f"{f'{_num(s.earned)}/{_num(s.possible)}':>11}{skipped}"
        )
    passed = sum(s.passed for s in scores)
    graded = sum(s.graded for s in scores)
    earned = sum(s.earned for s in scores)
    possible = sum(s.possible for s in scores)
    lines.append(
        f"{_left(total, width)}  {f'{passed}/{graded}':>9}  {f'{_num(earned)}/{_num(possible)}':>11}"
    )
    return lines
