"""``pytest --claims``: a table of every claim, its lesson, points and visibility; runs nothing.

It behaves like ``--collect-only`` (nothing runs, the same selection options apply, the same exit
codes), but prints the claims table instead of the tree of collected nodes.
"""

from __future__ import annotations

import pytest

from checks.grader.claims import Claim, claim_of
from checks.grader.scoring import lesson_order


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("lessons").addoption(
        "--claims",
        action="store_true",
        default=False,
        help="list the claims (lesson, points, visibility) and exit, like --collect-only",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("claims"):
        config.option.collectonly = True  # nothing runs; pytest-xdist stands aside


def claims_table(claims: list[Claim]) -> list[str]:
    """The table's lines, in the order given, and a total."""
    lesson_width = max([len("lesson"), *(len(c.lesson) for c in claims)])
    name_width = max([len("claim"), *(len(c.name) for c in claims)])
    lines = [f"{'lesson':<{lesson_width}}  {'claim':<{name_width}}  {'points':>6}  ko  visibility"]
    for c in claims:
        partial = "  (partial credit)" if c.partial else ""
        korean = "yes" if c.ko else "-"  # its sentence in Korean, for --lang ko
        lines.append(
            f"{c.lesson:<{lesson_width}}  {c.name:<{name_width}}  {c.points:>6g}  {korean:<3} "
            f"{c.visibility}{partial}"
        )
    points = sum(c.points for c in claims)
    lessons = len({c.lesson for c in claims})
    hidden = sum(c.points for c in claims if c.visibility != "visible")
    lines.append(
        f"{len(claims)} claims in {lessons} lessons, {points:g} points"
        + (f", of which {hidden:g} not visible to students" if hidden else "")
    )
    untranslated = [c for c in claims if not c.ko]
    if untranslated:
        lessons_without = ", ".join(dict.fromkeys(c.lesson for c in untranslated))
        lines.append(
            f'{len(untranslated)} claim(s) have no Korean sentence yet (claim(..., ko="..."), '
            f"ko '-' above): {lessons_without}"
        )
    return lines


@pytest.hookimpl(wrapper=True)
def pytest_collection_finish(session: pytest.Session):
    """Print the claims table in place of --collect-only's tree of nodes."""
    listing = session.config.getoption("claims")
    if listing:
        session.config.option.collectonly = False  # the terminal reporter prints no tree ...
    try:
        return (yield)
    finally:
        if listing:
            session.config.option.collectonly = True  # ... and nothing runs
            claims = [claim_of(item) for item in _in_lecture_order(session.items)]
            claims = [c for c in claims if c is not None]
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None and claims:
                reporter.write_sep("=", "claims")
                for line in claims_table(claims):
                    reporter.write_line(line)


def _in_lecture_order(items: list[pytest.Item]) -> list[pytest.Item]:
    """Lessons as the lecture orders them, claims as their file does: collection order is
    pytest's grouping by device (and pytest-randomly's shuffle), which reads as noise here."""
    rank = {name: i for i, name in enumerate(lesson_order())}

    def key(item: pytest.Item):
        claim = claim_of(item)
        lesson = claim.lesson if claim else ""
        return (
            rank.get(lesson, len(rank)),
            lesson,
            str(item.path),
            item.location[1] or 0,
            item.name,
        )

    return sorted(items, key=key)
