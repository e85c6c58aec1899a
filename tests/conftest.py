"""Fixtures of the machinery's tests; the fake course itself is ``tests/_fake_project.py``."""

from __future__ import annotations

import pytest

from tests._fake_project import ANSWER_CLAIM, ANSWER_LESSON, LessonProject

pytest_plugins = ["pytester", "tests._runs"]  # tests._runs: the run_server fixture

__all__ = ["ANSWER_CLAIM", "ANSWER_LESSON", "LessonProject", "project"]


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LessonProject:
    """An empty lesson project (``LESSONS = ()``) that the real plugin grades."""
    return LessonProject(pytester, monkeypatch)
