"""``--grade-json PATH``: the claims' outcomes as Gradescope's ``results.json``.

The shape is Gradescope's documented autograder output: top level ``score``, ``execution_time``,
``output`` and ``tests``; one test per claim with ``name``, ``score``, ``max_score``, ``status``
(``passed`` | ``failed``), ``output``, ``visibility`` and ``tags``. Skipped claims (a device that
is absent) are left out, as they are from the score table. The file is written whatever happens
to the run (failures, errors, an interrupted session), and only by the controlling process under
pytest-xdist; pytest's exit code is untouched.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from checks.grader.scores import Outcome
from checks.grader.scoring import SCORER

TOP_LEVEL_FIELDS = ("score", "execution_time", "output", "tests")
TEST_FIELDS = ("name", "score", "max_score", "status", "output", "visibility", "tags")
_STARTED = pytest.StashKey[float]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("lessons").addoption(
        "--grade-json",
        metavar="PATH",
        default=None,
        help="write the grade as Gradescope's results.json to PATH",
    )


def claim_result(outcome: Outcome) -> dict:
    """One claim as one Gradescope test."""
    output = outcome.description
    if outcome.outcome == "failed":
        output = f"{output}\n{outcome.reason}" if output else outcome.reason
    return {
        "name": f"{outcome.lesson}::{outcome.name}",
        "score": round(outcome.earned, 4),
        "max_score": outcome.points,
        "status": "passed" if outcome.outcome == "passed" else "failed",
        "output": output,
        "visibility": outcome.visibility,
        "tags": [outcome.lesson],
    }


def results(outcomes: list[Outcome], *, execution_time: float, output: str) -> dict:
    """The whole results.json; its score is the sum of the claims' scores."""
    tests = [claim_result(o) for o in outcomes if o.outcome != "skipped"]
    return {
        "score": round(sum(t["score"] for t in tests), 4),
        "execution_time": round(execution_time, 3),
        "output": output,
        "tests": tests,
    }


def _output(scorer, outcomes: list[Outcome]) -> str:
    """The score table of the claims every student sees, and what else there is.

    Gradescope shows the top-level output to students: a table with hidden claims in it would
    give away how they went before their test results are released.
    """
    visible = [o for o in outcomes if o.visibility == "visible"]
    lines = scorer.summary_lines(visible) if visible else []
    others = [o for o in outcomes if o.visibility != "visible" and o.outcome != "skipped"]
    if others:
        points = sum(o.points for o in others)
        lines.append(f"+ {points:g} points in {len(others)} claim(s) shown after release")
    skipped = [o for o in outcomes if o.outcome == "skipped"]
    if skipped:
        lines.append(f"{len(skipped)} claim(s) skipped, not graded: {skipped[0].reason}")
    return "\n".join(lines)


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_STARTED] = time.perf_counter()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    path = config.getoption("grade_json")
    if not path or hasattr(config, "workerinput"):  # an xdist worker: its controller writes
        return
    scorer = config.stash[SCORER]
    outcomes = scorer.graded()
    elapsed = time.perf_counter() - config.stash.get(_STARTED, time.perf_counter())
    data = results(outcomes, execution_time=elapsed, output=_output(scorer, outcomes))
    target = Path(path)
    if not target.is_absolute():
        target = config.invocation_params.dir / target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    os.replace(partial, target)  # a grader never reads half a file
