"""Figures of unwritten homework skip with "not attempted yet"; claims on it still fail, quietly.

A fake lesson whose homework is a release stub, with claims and figure tests that reach the stub
in a module fixture or in their own body, graded by the real plugin (tests/conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

STUB = "Homework (sketch): Return the points to draw."

LESSON = f'''\
"""A lesson whose homework is not done: ``points`` is the release's stub."""


def points():
    raise NotImplementedError("{STUB}")


def broken_tool():
    raise NotImplementedError("aten::frobnicate is not implemented for the meta device")


def plot(values):
    return sum(values)
'''

CHECKS = """\
import pytest


@pytest.fixture(scope="module")
def drawn(lesson):
    return lesson.points()  # a fit on the homework, say: every test using it needs the stub


@pytest.mark.claim(points=2)
def test_points_are_three(lesson):
    '''points() returns three points.'''
    assert len(lesson.points()) == 3


@pytest.mark.claim(points=1)
def test_drawn_points_are_positive(drawn):
    '''Every drawn point is positive.'''
    assert min(drawn) > 0


@pytest.mark.claim(points=1)
def test_timed_drawing(benchmark, drawn):
    '''Benchmark: drawing them takes no time.'''
    assert benchmark.pedantic(lambda: drawn) == drawn


@pytest.mark.claim(points=1)
def test_plot_adds_up(lesson):
    '''plot([1, 2]) is 3: no homework here.'''
    assert lesson.plot([1, 2]) == 3


@pytest.mark.figure
def test_figure_from_fixture(lesson, drawn):
    assert lesson.plot(drawn) is not None


@pytest.mark.figure
def test_figure_in_body(lesson):
    assert lesson.plot(lesson.points()) is not None


@pytest.mark.figure
def test_figure_without_homework(lesson):
    assert lesson.plot([1, 2]) == 3


@pytest.mark.figure
def test_figure_with_a_real_not_implemented(lesson):
    lesson.broken_tool()
"""

REASON = f"not attempted yet: {STUB}"


@pytest.fixture
def run(project):
    project.lesson("sketch", LESSON)
    project.checks("sketch", CHECKS)
    # --lesson-report: a grading run shows figures only in the report, and runs them only then.
    report = ("--lesson-report", "report")
    result = project.run("lessons", "-rsf", "--grade-json", "grade.json", *report)
    result.pytester_path = project.path
    return result


def _outcomes(result: pytest.RunResult) -> dict[str, str]:
    """Test name -> the word pytest's -v style report would give, read from the report hooks."""
    reports = result.reprec.getreports("pytest_runtest_logreport")
    outcomes: dict[str, str] = {}
    for report in reports:
        name = report.nodeid.rsplit("::", 1)[-1]
        if report.when == "call" or report.outcome != "passed":
            outcomes.setdefault(name, report.outcome)
    return outcomes


def test_figures_of_unwritten_homework_skip_with_the_stub_message(run):
    outcomes = _outcomes(run)
    assert outcomes["test_figure_from_fixture"] == "skipped"
    assert outcomes["test_figure_in_body"] == "skipped"
    skipped = run.reprec.getreports("pytest_runtest_logreport")
    assert {r.longrepr[2] for r in skipped if r.skipped} == {f"Skipped: {REASON}"}
    assert {Path(r.longrepr[0]).name for r in skipped if r.skipped} == {"check_sketch.py"}


def test_a_figure_without_homework_still_runs(run):
    assert _outcomes(run)["test_figure_without_homework"] == "passed"


def test_torchs_own_not_implemented_error_is_not_hidden(run):
    """A NotImplementedError that is no homework stub is a real error: the figure test fails."""
    assert _outcomes(run)["test_figure_with_a_real_not_implemented"] == "failed"


def test_claims_on_unwritten_homework_fail_and_count_zero(run):
    """Claims, the benchmark claim included, fail (0 of their points) with the one-line reason."""
    grade = json.loads((run.pytester_path / "grade.json").read_text())
    tests = {t["name"].split("::", 1)[1]: t for t in grade["tests"]}
    for name in ("test_points_are_three", "test_drawn_points_are_positive", "test_timed_drawing"):
        assert tests[name]["status"] == "failed" and tests[name]["score"] == 0, name
        assert tests[name]["output"].splitlines()[-1] == REASON, name
    assert tests["test_plot_adds_up"]["status"] == "passed"
    assert grade["score"] == 1
    assert not any(name.startswith("test_figure") for name in tests)  # figures are never graded


def test_no_traceback_for_unwritten_homework(run):
    out = run.stdout.str()
    assert f'raise NotImplementedError("{STUB}")' not in out  # the stub's line: no traceback
    assert out.count("SKIPPED [1] checks/check_sketch.py:") == 2 and REASON in out
    assert "ERROR checks/check_sketch.py::test_figure" not in out


def test_a_claim_whose_fixture_reaches_unwritten_homework_is_failed_not_an_error(run):
    """test_drawn_points_are_positive's fixture calls the stub: the run says FAILED, not ERROR."""
    outcomes = run.parseoutcomes()
    assert "errors" not in outcomes and "error" not in outcomes, outcomes
    run.stdout.fnmatch_lines(["FAILED checks/check_sketch.py::test_drawn_points_are_positive*"])
