"""Grading hooks: fold each claim's reports into one outcome, print the score table at the end."""

from __future__ import annotations

import pytest

from checks.feedback import failure_reason
from checks.scores import Outcome, lesson_scores, score_table

SCORER = pytest.StashKey["Scorer"]()


def lesson_order() -> tuple[str, ...]:
    """The lecture's order of lessons, for the table (alphabetical if it cannot be read)."""
    try:
        from lessons import LESSONS
    except Exception:  # a broken lessons package must not stop the grading summary
        return ()
    return tuple(LESSONS)


class Scorer:
    """Collects one Outcome per claim. Registered per session, so no state outlives a run."""

    def __init__(self) -> None:
        self.outcomes: dict[str, Outcome] = {}

    def record(self, report: pytest.TestReport) -> None:
        claim = next((value for key, value in report.user_properties if key == "claim"), None)
        if claim is None:
            return
        previous = self.outcomes.get(report.nodeid)
        if previous is not None and previous.outcome in ("failed", "skipped"):
            return  # a failed or skipped setup decides; later phases cannot improve it
        if report.failed:
            outcome, reason = (
                "failed",
                getattr(report, "claim_reason", "") or _longrepr_line(report),
            )
        elif report.skipped:
            outcome, reason = "skipped", _skip_reason(report)
        elif report.when == "call" or previous is None:
            outcome, reason = ("passed" if report.when == "call" else "pending"), ""
        else:
            return
        self.outcomes[report.nodeid] = Outcome(outcome=outcome, reason=reason, **claim)

    def graded(self) -> list[Outcome]:
        return [o for o in self.outcomes.values() if o.outcome != "pending"]

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        """Attach a one-line reason to a failing claim's report (it travels with pytest-xdist)."""
        report = yield
        if call.excinfo is not None and report.outcome != "passed":
            report.claim_reason = failure_reason(call.excinfo)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.record(report)

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter) -> None:
        outcomes = self.graded()
        if not outcomes:
            return
        terminalreporter.write_sep("=", "lesson scores")
        for line in score_table(lesson_scores(outcomes, order=lesson_order())):
            terminalreporter.write_line(line)
        for o in outcomes:
            if o.outcome == "failed":
                terminalreporter.write_line(f"FAILED {o.lesson}::{o.name}: {o.description}")
                terminalreporter.write_line(f"    -> {o.reason}")


def _longrepr_line(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    return (
        crash.message.splitlines()[0]
        if crash is not None
        else str(report.longrepr).splitlines()[-1]
    )


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    return str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)


def pytest_configure(config: pytest.Config) -> None:
    scorer = Scorer()
    config.stash[SCORER] = scorer
    config.pluginmanager.register(scorer, "lessons-scorer")


def pytest_unconfigure(config: pytest.Config) -> None:
    scorer = config.stash.get(SCORER, None)
    if scorer is not None:
        config.pluginmanager.unregister(scorer)
