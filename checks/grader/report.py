"""``--lesson-report DIR``: a static HTML page students can look at, written at the end of a run.

The claims come from the scorer (``checks.grader.scoring``); the figures and diagrams are the ones the
figure tests compared with their snapshots, read from those tests' snapshot fixtures. They travel
on the test reports as plain data, so the report is whole under pytest-xdist too.
"""

from __future__ import annotations

import ast
import base64
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from checks.grader.collection import LESSONS_DIR, lesson_name
from checks.grader.feedback import first_paragraph
from checks.grader.ordering import source_position
from checks.grader.report_html import Picture, page
from checks.grader.scoring import SCORER, lesson_order
from checks.grader.snapshots import DiagramSnapshotExtension, FigureSnapshotExtension


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("lessons").addoption(
        "--lesson-report",
        metavar="DIR",
        default=None,
        help="write DIR/index.html: every lesson's claims, points, figures and diagrams (one file)",
    )


def _pictures(item: pytest.Item):
    """The figures and diagrams that ``item``'s snapshot fixtures compared, as plain dicts."""
    lesson = lesson_name(Path(item.path)) or "other"
    position = source_position(item)
    for value in getattr(item, "funcargs", {}).values():
        if not isinstance(value, SnapshotAssertion):
            continue
        if issubclass(value.extension_class, FigureSnapshotExtension):
            kind = "png"
        elif issubclass(value.extension_class, DiagramSnapshotExtension):
            kind = "dot"
        else:
            continue
        results = [r for r in value.executions.values() if r.asserted_data is not None]
        for index, result in enumerate(results):
            data = result.asserted_data
            text = base64.b64encode(data).decode("ascii") if kind == "png" else str(data)
            name = item.name if len(results) == 1 else f"{item.name}.{index}"
            yield {"lesson": lesson, "name": name, "kind": kind, "data": text, "position": position}


def lesson_docs(config: pytest.Config, lessons) -> dict[str, str]:
    """The first paragraph of each lesson's docstring, read from its source without importing it."""
    docs = {}
    for lesson in lessons:
        path = config.rootpath / LESSONS_DIR / f"{lesson}.py"
        try:
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        except (OSError, SyntaxError, ValueError):  # a missing or broken lesson has no docstring
            doc = None
        docs[lesson] = first_paragraph(doc)
    return docs


class LessonReport:
    """Gathers the pictures during the run and writes the page at its end (one per session)."""

    def __init__(self, config: pytest.Config, directory: Path) -> None:
        self.config = config
        self.path = directory / "index.html"
        self.pictures: list[Picture] = []
        self.positions: dict[tuple[str, str], tuple[int, int]] = {}  # (lesson, claim) -> where

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        """Attach where the test stands in its checks file, and a figure test's pictures, to its
        reports (so they travel with pytest-xdist)."""
        report = yield
        report.lesson_position = source_position(item)
        if call.when == "call":
            pictures = list(_pictures(item))
            if pictures:
                report.lesson_pictures = pictures
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        lesson = lesson_name(Path(report.nodeid.split("::", 1)[0]))
        position = getattr(report, "lesson_position", None)
        if lesson and position is not None:
            self.positions[lesson, report.nodeid.rsplit("::", 1)[-1]] = tuple(position)
        for fields in getattr(report, "lesson_pictures", ()):
            picture = {**fields, "position": tuple(fields["position"])}
            self.pictures.append(Picture(**picture, outcome=report.outcome))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        if hasattr(self.config, "workerinput"):
            return  # a pytest-xdist worker: the controller writes the page
        scorer = self.config.stash.get(SCORER, None)
        outcomes = scorer.graded() if scorer is not None else []
        lessons = {*(o.lesson for o in outcomes), *(p.lesson for p in self.pictures)}
        docs = lesson_docs(self.config, sorted(lessons))
        html = page(
            outcomes, self.pictures, order=lesson_order(), docs=docs, positions=self.positions
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(html, encoding="utf-8")

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.path.is_file() and not hasattr(self.config, "workerinput"):
            terminalreporter.write_line(f"lesson report: {self.path}")


def pytest_configure(config: pytest.Config) -> None:
    directory = config.getoption("lesson_report")
    if directory:
        config.pluginmanager.register(
            LessonReport(config, Path(directory).resolve()), "lessons-report"
        )
