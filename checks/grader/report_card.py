"""What ``pytest lessons`` shows a student after the run: the report card's lines (design O).

Pure functions over the claims' outcomes, so the layout is tested without a terminal:

- homework not attempted yet, one line per function (however many claims it holds back);
- each failing claim once: its sentence, then one line on why. Claims that fail the same way
  (one fixture's fit, a wrong ``build_model`` reached from many claims) are one block: the
  reason once, the other claims named under it;
- one line per lesson whose figures were not drawn as the lecture's (figures are not graded).

The score table comes after these lines (``checks.grader.card_reporter``), last on the screen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from checks.grader.cells import cells, cut, wrap
from checks.grader.i18n import Language, language
from checks.grader.scores import Outcome

INDENT = "    "
MIN_HINT = 24  # columns: a shorter start of a stub's instruction says nothing
# Numbers in a reason ("build_model(2, seed=40352)"): a fixture failing for other arguments is
# still one failure to the student.
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")

ENGLISH = language("en")


def _points(points: float) -> str:
    return f"{points:g}"


def not_attempted_lines(
    outcomes: Iterable[Outcome], *, width: int, lang: Language = ENGLISH
) -> list[str]:
    """One line per homework function not written yet: which, how many claims and points wait
    on it, and the start of its stub's instruction (in the card's language where the catalog
    has it: ``checks.grader.extract.extract_homework``; else left out)."""
    _ = lang.gettext
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if o.outcome == "failed" and o.homework:
            groups.setdefault(o.homework, []).append(o)
    if not groups:
        return []
    label_width = max(cells(label) for label in groups)
    lines = wrap(
        _("not attempted yet (write these functions, then rerun their lesson):"),
        width,
        subsequent_indent=INDENT,
    )
    for label, claims in groups.items():
        points = sum(o.points for o in claims)
        count = (_("1 claim") if len(claims) == 1 else _("{n} claims")).format(n=len(claims))
        count += ", " + _("{points} points").format(points=_points(points))
        line = f"  {label:<{label_width}}  {count}{' ' * max(20 - cells(count), 0)}"
        hint = claims[0].reason.split(": ", 2)[-1]  # "not attempted yet: Homework (x): <hint>"
        translated = lang.hint(hint)
        if (lang.code == "en" or translated != hint) and width - cells(line) >= MIN_HINT:
            line += " " + cut(translated, width - cells(line) - 1)  # the stub's, where it fits
        lines.append(line.rstrip())
    return lines


def short_name(claim: str) -> str:
    """A claim named in a list: without ``test_`` and the default device's ``[cpu]``."""
    return claim.removeprefix("test_").removesuffix("[cpu]")


def failure_key(outcome: Outcome) -> tuple[str, str]:
    """Claims of a lesson whose reasons differ only in their numbers fail the same way."""
    return outcome.lesson, _NUMBER.sub("#", outcome.reason)


def failure_lines(
    outcomes: Iterable[Outcome], *, width: int, lang: Language = ENGLISH
) -> list[str]:
    """Each failing claim once: ``FAILED lesson::claim: sentence``, then ``-> why``; claims
    failing the same way share the block."""
    _ = lang.gettext
    groups: dict[tuple[str, str], list[Outcome]] = {}
    for o in outcomes:
        if o.outcome == "failed" and not o.homework:
            groups.setdefault(failure_key(o), []).append(o)
    lines: list[str] = []
    for claims in groups.values():
        first = claims[0]
        sentence = (first.ko if lang.code == "ko" else "") or first.description or first.name
        claim = f"{first.lesson}::{first.name}"
        head = _("FAILED {claim}: {sentence}").format(claim=claim, sentence=sentence)
        # A claim's id is never cut, nor parted from the word before it: a long one overflows
        # its line rather than leave "FAILED" alone on one line and its colon on the next.
        block = wrap(head, width, subsequent_indent=INDENT, break_long_words=False) or [head]
        if len(block) > 1 and claim not in block[0] and block[1].lstrip().startswith(claim):
            block[:2] = [f"{block[0]} {block[1].lstrip()}"]
        lines += block
        reason = lang.reason(first.reason)
        if lang.code == "en":
            lines.append(f"{INDENT}-> {reason}")  # one line, as the grade report has it
        else:  # a translation is read, not grepped: wrapped, as wide as the other lines
            lines += wrap(
                reason,
                width,
                initial_indent=f"{INDENT}-> ",
                subsequent_indent=INDENT + "   ",
                break_on_hyphens=False,
            )
        if len(claims) > 1:
            others = claims[1:]
            points = sum(o.points for o in others)
            text = _("the same failure fails {n} more claim(s) ({points} points): {names}").format(
                n=len(others),
                points=_points(points),
                names=", ".join(short_name(o.name) for o in others),
            )
            lines += wrap(
                text,
                width,
                initial_indent=INDENT,
                subsequent_indent=INDENT,
                break_on_hyphens=False,
            )
    return lines


def figure_lines(failed: dict[str, int], *, lang: Language = ENGLISH) -> list[str]:
    """One line per lesson whose figure snapshots failed: they follow from its homework."""
    _ = lang.gettext
    return [
        _(
            "{lesson}: {n} figure(s) not drawn as in the lecture (figures are not graded; "
            "they follow from the failures above; `pytest -v` shows how)"
        ).format(lesson=lesson, n=n)
        for lesson, n in failed.items()
    ]
