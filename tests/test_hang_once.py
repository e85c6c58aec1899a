"""A homework function that hangs costs one timeout per run, not one per claim that calls it."""

from __future__ import annotations

from checks.grader.timeouts import timeout_seconds
from tests._fake_project import by_name, grade

TIMEOUT = 2  # s per claim call (func_only: starting the lesson's process is not timed)

HANGS = """\
import time


def hang():
    time.sleep(1000)


def answer():
    return 42
"""

CLAIMS = f'''\
import pytest

pytestmark = pytest.mark.timeout({TIMEOUT}, func_only=True)


@pytest.mark.claim(points=1)
def test_first(lesson):
    """The first claim that calls hang()."""
    lesson.hang()


@pytest.mark.claim(points=1)
def test_second(lesson):
    """The second claim that calls hang()."""
    lesson.hang()


@pytest.mark.claim(points=1)
def test_third(lesson):
    """The third claim that calls hang()."""
    lesson.hang()


@pytest.mark.claim(points=1)
def test_other_function_still_runs(lesson):
    """A function that does not hang is still called after hang() timed out."""
    assert lesson.answer() == 42
'''


def test_a_hanging_function_costs_one_timeout(project):
    project.lesson("slow", HANGS)
    project.checks("slow", CLAIMS)

    result = project.run("lessons", "--grade-json", "grade.json")

    result.assert_outcomes(passed=1, failed=3)
    reasons = {
        name: test["output"].splitlines()[-1]
        for name, test in by_name(grade(result, project.path / "grade.json")).items()
        if test["status"] == "failed"
    }
    assert reasons == {
        "test_first": f"timed out after {TIMEOUT} s",
        "test_second": f"slow.hang timed out earlier ({TIMEOUT} s)",
        "test_third": f"slow.hang timed out earlier ({TIMEOUT} s)",
    }
    calls = {
        report.head_line.rsplit("::", 1)[-1]: report.duration
        for report in result.reprec.getreports("pytest_runtest_logreport")
        if report.when == "call"
    }
    assert calls["test_first"] >= TIMEOUT
    # Without remembering the timeout each of these waited it out again (3 timeouts in all).
    assert calls["test_second"] < TIMEOUT / 2 and calls["test_third"] < TIMEOUT / 2
    assert sum(calls.values()) < 2 * TIMEOUT


def test_only_pytest_timeouts_are_recognised():
    assert timeout_seconds(Exception("Timeout (>60.0s) from pytest-timeout.")) == 60
    assert timeout_seconds(Exception("Timeout (>0.5s) from pytest-timeout.")) == 0.5
    assert timeout_seconds(KeyboardInterrupt()) is None
    assert timeout_seconds(Exception("the lesson says: Timeout")) is None
