"""The report card: pytest's terminal reporter, told to print what a student reads (design O).

Without ``-v`` the run reads: one header line; one progress line per lesson; then homework not
attempted yet (one line per function), each failing claim once (``checks.grader.report_card``),
a line per lesson whose figures failed, and the score table, last on the screen. pytest's
FAILURES block, its short summary and the plugins' header lines are left out for claims and
figures (they said each failure three times, with tracebacks into the machinery); any other
test (the machinery's own) is reported by pytest as usual. ``-v`` restores pytest's full report.

The reporter is replaced the way pytest-sugar does it: a subclass registered under pytest's
name ``terminalreporter``, so every plugin that writes to the terminal still finds it.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from _pytest import timing
from _pytest.terminal import TerminalReporter, format_session_duration

from checks.grader import withheld
from checks.grader.cells import cells, wrap
from checks.grader.collection import lesson_name
from checks.grader.i18n import LANGUAGE, N_
from checks.grader.report_card import failure_lines, figure_lines, not_attempted_lines
from checks.grader.scoring import SCORER, Scorer

# pytest's words in its "69 failed, 28 passed" count, for the catalog.
COUNT_WORDS = {
    word.removeprefix("{n} "): word
    for word in (
        N_("{n} failed"),
        N_("{n} passed"),
        N_("{n} skipped"),
        N_("{n} error"),
        N_("{n} errors"),
        N_("{n} deselected"),
        N_("{n} xfailed"),
        N_("{n} xpassed"),
        N_("{n} warning"),
        N_("{n} warnings"),
        N_("{n} rerun"),
    )
}
MAX_WIDTH = 100  # columns: a report card line is read, not scrolled sideways


def _is_claim(report) -> bool:
    return any(key == "claim" for key, _ in getattr(report, "user_properties", ()))


def _is_figure(report) -> bool:
    return "figure" in getattr(report, "keywords", {}) and not _is_claim(report)


def _lesson_of(nodeid: str) -> str | None:
    return lesson_name(Path(nodeid.split("::", 1)[0]))


class ReportCard(TerminalReporter):
    """pytest's reporter, with the claims' and figures' part of the summary as a report card."""

    def __init__(self, config: pytest.Config, scorer: Scorer) -> None:
        super().__init__(config)
        self.scorer = scorer
        self.figures_failed: dict[str, int] = {}
        self._warned = False
        # pytest's default; anything else was asked for on the command line (-rs, -ra, ...).
        self._short_summary_asked = config.option.reportchars not in ("fE", "")
        self._unfiltered = False
        self.lang = config.stash[LANGUAGE]
        self._ = self.lang.gettext

    @property
    def width(self) -> int:
        return min(self._tw.fullwidth, MAX_WIDTH)

    # -- the top: one header line ------------------------------------------------------------
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """pytest's header (platform, plugins, the lessons plugin's lines) is for -v; a grading
        run (--grade-json in the instructor's copy: lessons grade, Gradescope) keeps the plugin's
        lines (torch, threads, how the sandbox confines), which its log's reader needs."""
        self._session = session
        self._session_start = timing.Instant()
        grading = self.config.getoption("grade_json", None)
        if grading and not withheld.is_release(self.config.rootpath):
            lines = self.config.hook.pytest_report_header(
                config=self.config, start_path=self.startpath
            )
            for line_or_lines in reversed(lines):
                for line in [line_or_lines] if isinstance(line_or_lines, str) else line_or_lines:
                    if line.startswith("lessons: "):
                        self.write_line(line)

    def pytest_collection(self) -> None:
        pass  # no "collecting ..." line

    def report_collect(self, final: bool = False) -> None:
        pass  # the header says what was collected (no "collecting ..." line redrawn)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.config.getoption("collectonly"):
            super().pytest_collection_finish(session)
            return
        items = session.items
        lessons = {_lesson_of(item.nodeid) for item in items} - {None}
        claims = sum(1 for item in items if any(k == "claim" for k, _ in item.user_properties))
        if not claims:  # the machinery's own tests: pytest's line
            super().report_collect(final=True)
            return
        header = self._(
            "pytest lessons: {claims} claims in {lessons} lesson(s), {figures} figure "
            "checks; `pytest -v` shows pytest's full report"
        ).format(claims=claims, lessons=len(lessons), figures=len(items) - claims)
        # English as it always was (one line); a translation wrapped by columns, like the card
        for line in [header] if self.lang.code == "en" else wrap(header, self.width):
            self.write_line(line)

    # -- the middle: one progress line per lesson -----------------------------------------------
    def write_fspath_result(self, nodeid: str, res: str, **markup: bool) -> None:
        lesson = _lesson_of(nodeid)
        if lesson is None:
            super().write_fspath_result(nodeid, res, **markup)
            return
        fspath = self.config.rootpath / nodeid.split("::", 1)[0]
        if fspath != self.currentfspath:
            if self.currentfspath is not None and self._show_progress_info:
                self._write_progress_information_filling_space()
            if self.currentfspath is not None:
                self._tw.line()  # the first lesson's line follows the header without a gap
            self.currentfspath = fspath
            self._tw.write(f"{lesson:<22} ")
        self._tw.write(res, flush=True, **markup)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        super().pytest_runtest_logreport(report)
        if _is_figure(report) and report.failed:
            lesson = _lesson_of(report.nodeid) or "?"
            self.figures_failed[lesson] = self.figures_failed.get(lesson, 0) + 1

    def _count(self, text: str) -> str:
        """pytest's "69 failed" in the card's language (English: as pytest says it)."""
        number, _space, word = text.partition(" ")
        return self._(COUNT_WORDS[word]).format(n=number) if word in COUNT_WORDS else text

    # -- the end: pytest's sections for other tests only, then the card --------------------------
    def getreports(self, name: str = ""):
        """Claims and figures are on the card: pytest's FAILURES/ERRORS show the rest."""
        reports = super().getreports(name)
        if self._unfiltered:
            return reports
        return [r for r in reports if not (_is_claim(r) or _is_figure(r))]

    def short_test_summary(self) -> None:
        """The card names each failure once; pytest's short summary only if -r asked for it."""
        if self._short_summary_asked:
            self._unfiltered = True
            try:
                super().short_test_summary()
            finally:
                self._unfiltered = False

    def summary_warnings(self) -> None:
        warnings = self.stats.get("warnings", [])
        if warnings and not self._warned:
            self._warned = True
            self.write_line(
                self._("{n} warning(s): `pytest -v` shows them").format(n=len(warnings))
            )

    def summary_stats(self) -> None:
        """The card, in place of pytest's "N failed, M passed" line: the table ends the run."""
        outcomes = self.scorer.graded()
        if not outcomes:
            super().summary_stats()
            return
        if self._tw.width_of_current_line == 0:
            self.currentfspath = None  # the progress line is ended: no blank line after it
        lines = not_attempted_lines(outcomes, width=self.width, lang=self.lang)
        lines += failure_lines(outcomes, width=self.width, lang=self.lang)
        for line in figure_lines(self.figures_failed, lang=self.lang):
            lines += wrap(line, self.width, subsequent_indent="    ")
        for line in lines:
            self.write_line(line)
        # pytest's count of tests goes in the table's title: the table stays last, and tools
        # that read that count (pytester's assert_outcomes) still find it.
        parts, _color = self.build_summary_stats_line()
        counts = ", ".join(self._count(text) for text, _markup in parts)
        took = format_session_duration(self._session_start.elapsed().seconds)
        title = self._("lesson scores ({counts} in {took})").format(counts=counts, took=took)
        # pytest sizes the line by len(title): the title's wide characters take two cells
        self.write_sep("=", title, fullwidth=self.width - (cells(title) - len(title)))
        for line in self.scorer.card_lines(outcomes, self._):
            for part in wrap(line, self.width, subsequent_indent="  ") or [line]:
                self.write_line(part)


def _silence_syrupy_summary(config: pytest.Config) -> None:
    """syrupy's "snapshot report summary" says again what the card's figure line says (its
    session keeps the report it prints in ``report``; its counts and exit status are unchanged)."""
    session = getattr(config, "_syrupy", None)
    if session is not None and getattr(session, "report", None) is not None:
        session.report = SimpleNamespace(lines=())


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    standard = config.pluginmanager.getplugin("terminalreporter")
    scorer = config.stash.get(SCORER, None)
    if standard is None or scorer is None or config.option.verbose > 0:
        return
    if hasattr(config, "workerinput"):  # a pytest-xdist worker prints nothing
        return
    card = ReportCard(config, scorer)
    config.pluginmanager.unregister(standard)
    config.pluginmanager.register(card, "terminalreporter")
    scorer.card = True


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    if session.config.stash.get(SCORER, None) is not None and session.config.stash[SCORER].card:
        _silence_syrupy_summary(session.config)
