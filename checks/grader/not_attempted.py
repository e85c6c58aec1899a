"""Figures of homework not done yet are skipped: "not attempted yet", not an error.

In the student release a figure test (``@pytest.mark.figure``: checked, not graded) often draws
from a fit that calls a homework stub, in its body or in a fixture. Untouched homework raises
``NotImplementedError("Homework (<lesson>): ...")`` there (``checks.grader.solutions``), which
pytest would show as an ERROR or FAILED with a traceback into the machinery. Such a figure test
is skipped instead, with the stub's message as the reason.

A graded claim on unwritten homework fails (0 of its points, with the one-line "not attempted
yet" reason of ``checks.grader.feedback``) so that the score counts it. When the stub is reached
from one of its fixtures, pytest would call that an ERROR ("46 errors" in an untouched release):
such a claim is reported as FAILED instead, which is what it is to the student.

Only the stub's message skips a figure: torch raises ``NotImplementedError`` itself for an
operator missing on a device, which is a real error that a skip would hide.
"""

from __future__ import annotations

import re

import pytest

from checks.grader.claims import claim_of
from checks.grader.feedback import failure_reason, where_in_lesson

# What every release stub says first (``checks.grader.solutions.strip_solutions``).
STUB_MESSAGE = re.compile(r"^Homework \([^)]*\): ")
_FUNCTION = re.compile(r" in (\w+)\)$")  # feedback.where_in_lesson: " (at x.py:12 in build_model)"


def is_homework_stub(exc: BaseException) -> bool:
    """Whether ``exc`` is a homework stub's ``NotImplementedError``."""
    return isinstance(exc, NotImplementedError) and bool(STUB_MESSAGE.match(str(exc)))


def homework_label(exc: BaseException, lesson: str) -> str:
    """``lesson.function`` of the homework stub that raised ``exc`` ("" if it is not a stub):
    the not-attempted claims are grouped by it. The function is the one the lesson's process
    reported the stub raising in, else the lesson's innermost frame."""
    if not is_homework_stub(exc):
        return ""
    where = getattr(exc, "lesson_where", None)
    if where is None:
        where = where_in_lesson(pytest.ExceptionInfo.from_exception(exc))
    found = _FUNCTION.search(where or "")
    return f"{lesson}.{found[1]}" if found else lesson


def _is_figure(item: pytest.Item) -> bool:
    return item.get_closest_marker("figure") is not None and claim_of(item) is None


def _skip_if_not_attempted(item: pytest.Item):
    """Run a phase of ``item``; a figure test's homework stub becomes a skip."""
    try:
        return (yield)
    except NotImplementedError as exc:
        if not (_is_figure(item) and is_homework_stub(exc)):
            raise
        reason = failure_reason(pytest.ExceptionInfo.from_exception(exc))
    # Outside `except`: no "during handling" chain. The item's location, not this module's, is
    # where `-rs` says the skip happened (what pytest does for a skip marker).
    raise pytest.skip.Exception(reason, _use_item_location=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    """A fixture of a figure test (a fit, say) that calls unwritten homework: skip the figure."""
    return (yield from _skip_if_not_attempted(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """A figure test whose own body calls unwritten homework: skip it."""
    return (yield from _skip_if_not_attempted(item))


def pytest_report_teststatus(report: pytest.TestReport):
    """A claim whose fixture reached unwritten homework failed; it did not error."""
    reason = getattr(report, "claim_reason", "")
    if report.when == "setup" and report.failed and reason.startswith("not attempted yet"):
        return "failed", "F", "FAILED"
    return None
