"""Grading hooks: fold each claim's reports into one outcome, print the score table at the end."""

from __future__ import annotations

import pytest

from checks.grader import withheld
from checks.grader.claims import claim_of
from checks.grader.credit import recorded_fraction
from checks.grader.feedback import failure_reason, is_quiet, one_line, trim_output
from checks.grader.not_attempted import homework_label
from checks.grader.scores import Outcome, lesson_scores, score_table

SCORER = pytest.StashKey["Scorer"]()


def lesson_order() -> tuple[str, ...]:
    """The lecture's order of lessons, for the table (alphabetical if it cannot be read)."""
    try:
        from lessons import LESSONS
    except Exception:  # a broken lessons package must not stop the grading summary
        return ()
    return tuple(LESSONS)


class Scorer:
    """Collects one Outcome per claim. Registered per session, so no state outlives a run.

    ``held_back`` is what the student release withholds (``checks.grader.withheld``; empty for the
    instructor's copy).
    """

    def __init__(self, held_back: dict[str, dict[str, float]] | None = None) -> None:
        self.outcomes: dict[str, Outcome] = {}
        self.held_back = held_back or {}
        # The report card (checks.grader.card_reporter) prints the table last, when it is on.
        self.card = False

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
                getattr(report, "claim_reason", "") or one_line(_longrepr_line(report)),
            )
        elif report.skipped:
            outcome, reason = "skipped", _skip_reason(report)
        elif report.when == "call" or previous is None:
            outcome, reason = ("passed" if report.when == "call" else "pending"), ""
        else:
            return
        fraction = recorded_fraction(report.user_properties) if claim.get("partial") else None
        homework = getattr(report, "claim_homework", "") if outcome == "failed" else ""
        self.outcomes[report.nodeid] = Outcome(
            outcome=outcome, reason=reason, fraction=fraction, homework=homework, **claim
        )

    def graded(self) -> list[Outcome]:
        return [o for o in self.outcomes.values() if o.outcome != "pending"]

    def card_lines(self, outcomes: list[Outcome], _=lambda text: text) -> list[str]:
        """The score table, then the held-back points in one short line (the report card's;
        ``_`` translates)."""
        lines = score_table(lesson_scores(outcomes, order=lesson_order()), _)
        held = withheld.held_back_total(self.held_back, {o.lesson for o in outcomes})
        if held:
            lines.append(
                _(
                    "+ {points} points for hidden claims, graded after you hand in "
                    "(not in the total)"
                ).format(points=f"{held:g}")
            )
        return lines

    def summary_lines(self, outcomes: list[Outcome]) -> list[str]:
        """The score table, then the held-back points, if any, under it."""
        lines = score_table(lesson_scores(outcomes, order=lesson_order()))
        held = withheld.held_back_line(self.held_back, dict.fromkeys(o.lesson for o in outcomes))
        return [*lines, held] if held else lines

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        """Attach a one-line reason to a failing claim's report (it travels with pytest-xdist);
        show no traceback where that line says it all; cut a flood of captured output."""
        report = yield
        if claim_of(item) is None:
            return report
        if call.excinfo is not None and report.failed:
            report.claim_reason = failure_reason(call.excinfo)
            report.claim_homework = homework_label(call.excinfo.value, claim_of(item).lesson)
            if is_quiet(call.excinfo):
                report.longrepr = report.claim_reason
        report.sections = [(title, trim_output(text)) for title, text in report.sections]
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.record(report)

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter) -> None:
        outcomes = self.graded()
        if not outcomes or self.card:
            return
        terminalreporter.write_sep("=", "lesson scores")
        for line in self.summary_lines(outcomes):
            terminalreporter.write_line(line)
        hidden = [o for o in outcomes if o.visibility != "visible"]
        if hidden and not self.held_back:
            points = sum(o.points for o in hidden if o.outcome != "skipped")
            terminalreporter.write_line(
                f"(instructor's copy: {len(hidden)} claim(s), {points:g} points, are not visible "
                "to students and are cut from the student release)"
            )
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
    reason = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
    return one_line(reason.removeprefix("Skipped: "))


def pytest_configure(config: pytest.Config) -> None:
    scorer = Scorer(held_back=withheld.read(config.rootpath))
    config.stash[SCORER] = scorer
    config.pluginmanager.register(scorer, "lessons-scorer")


def pytest_unconfigure(config: pytest.Config) -> None:
    scorer = config.stash.get(SCORER, None)
    if scorer is not None:
        config.pluginmanager.unregister(scorer)
