"""The box's zygote draws one figure to warm up the lessons' processes only in a run whose figure
tests will draw: not in a grading run (no figure test runs), not when no figure test is selected,
and not in a rerun whose every figure the figure cache served before (figure_cache.will_draw)."""

from __future__ import annotations

import pytest

from checks.grader.sandbox import box

WARMED = '''\
import sys


def warmed():
    """Whether this process has what a figure's first savefig loads (PIL's image plugins): the
    box's warm-up figure, drawn before the lesson's process was forked. (Not matplotlib's font
    cache, which matplotlib itself empties in a forked child.)"""
    return "PIL.JpegImagePlugin" in sys.modules
'''

# The run's expectation comes from the grader's environment: the course's files, which the figure
# cache's key covers, stay the same from run to run.
WARMED_CLAIM = '''\
import os

import pytest


@pytest.mark.claim(points=1)
def test_warmed(lesson):
    """The box warmed up a figure before forking the lesson's process, or did not."""
    assert lesson.warmed() is (os.environ["EXPECT_WARMED"] == "yes")
'''

# Another lesson, so another process: its drawing cannot be what the claim's process sees.
DRAWN = """\
from matplotlib.figure import Figure


def plot():
    figure = Figure(figsize=(1, 1), dpi=50)
    figure.subplots().plot([0, 1], [1, 0])
    return figure
"""

DRAWN_FIGURE = """\
import pytest


@pytest.mark.figure
def test_figure(lesson, figure_snapshot):
    assert figure_snapshot == lesson.plot()
"""


# A figure whose call fails: whatever it drew was not kept, so the next run draws it again.
FAILS = """\
def plot():
    raise ValueError("no figure today")
"""


def _course(project, drawn: str) -> None:
    if box.unavailable():
        pytest.skip(box.unavailable())
    project.preload_engine()
    project.lesson("warmed", WARMED)
    project.checks("warmed", WARMED_CLAIM)
    project.lesson("drawn", drawn)
    project.checks("drawn", DRAWN_FIGURE)


def _claim_holds(project, monkeypatch, expected: str, *args: str) -> None:
    monkeypatch.setenv("EXPECT_WARMED", expected)
    result = project.run("lessons", *args)
    assert "warmed::test_warmed" not in result.stdout.str(), result.stdout.str()[-3000:]
    assert result.parseoutcomes().get("passed", 0) >= 1


def test_the_box_warms_up_a_figure_only_for_a_run_that_draws(project, monkeypatch):
    _course(project, DRAWN)
    # A figure the cache has not seen: drawn (and kept; no snapshot yet, so its check fails).
    _claim_holds(project, monkeypatch, "yes")
    # The same figure again: the cache serves it, nothing draws.
    _claim_holds(project, monkeypatch, "no")
    # Figure tests do not run under --grade-json.
    _claim_holds(project, monkeypatch, "no", "--grade-json", "out.json")
    # No figure test selected.
    _claim_holds(project, monkeypatch, "no", "-k", "warmed")
    # Without the cache every figure draws.
    _claim_holds(project, monkeypatch, "yes", "--no-figure-cache")


def test_a_figure_call_that_failed_warms_the_box_up_again(project, monkeypatch):
    _course(project, FAILS)
    _claim_holds(project, monkeypatch, "yes")
    _claim_holds(project, monkeypatch, "yes")  # nothing was kept: the figure test draws again
