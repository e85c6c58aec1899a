"""A tiny lesson project graded by the real plugin, for the machinery's own tests.

``project`` is a pytester directory holding the repository's own ``pyproject.toml`` (the pytest
config as it ships), its root ``conftest.py`` and the plugin's modules (every ``checks/*.py`` that
is not a ``check_*.py``), plus the fake lessons and claims a test writes. So the machinery runs
as it ships, on lessons that take milliseconds.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from tests._fake_project import copy_machinery

pytest_plugins = ["pytester"]

REPO_ROOT = Path(__file__).resolve().parent.parent
# The project has packages of these names too: the real ones step aside while it runs in-process.
PACKAGES = ("checks", "lessons")

ANSWER_LESSON = '''\
"""A fake lesson: one function for its claims to call."""


def answer():
    return 42
'''

ANSWER_CLAIM = '''\
import pytest


@pytest.mark.claim(points={points!r})
def test_answer_is_42(lesson):
    """The lesson answers 42."""
    assert lesson.answer() == 42
'''


class LessonProject:
    """Writes fake lessons and their claims, and runs pytest on them."""

    def __init__(self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pytester = pytester
        self.path = pytester.path
        self._monkeypatch = monkeypatch
        self._order: tuple[str, ...] = ()
        shutil.copy(REPO_ROOT / "pyproject.toml", self.path)
        shutil.copy(REPO_ROOT / "conftest.py", self.path)
        copy_machinery(self.path)
        self.order()

    def _write(self, relative: str, source: str) -> Path:
        path = self.path / relative
        path.write_text(textwrap.dedent(source))
        return path

    def order(self, *names: str) -> None:
        """Write ``lessons/__init__.py`` with ``LESSONS = names``: the lecture's order."""
        self._order = names
        self._write("lessons/__init__.py", f"LESSONS = {names!r}\n")

    def lesson(self, name: str, source: str = ANSWER_LESSON) -> Path:
        """Write ``lessons/<name>.py``; a lesson (no leading ``_``) joins the end of ``LESSONS``."""
        if not name.startswith("_") and name not in self._order:
            self.order(*self._order, name)
        return self._write(f"lessons/{name}.py", source)

    def checks(self, name: str, source: str) -> Path:
        """Write ``checks/check_<name>.py``: the claims of lesson ``name``."""
        return self._write(f"checks/check_{name}.py", source)

    def passing(self, name: str, points: float = 1) -> None:
        """A lesson with one claim worth ``points`` that passes."""
        self.lesson(name)
        self.checks(name, ANSWER_CLAIM.format(points=points))

    def run(self, *args: str) -> pytest.RunResult:
        """Run pytest in this process (fast). The project's ``checks`` and ``lessons`` are
        imported fresh, and the real ones come back when the test ends.

        ``-p no:randomly``: the inner run keeps file order, so the output compared is stable.
        """
        for name in [n for n in sys.modules if n.partition(".")[0] in PACKAGES]:
            self._monkeypatch.delitem(sys.modules, name)
        return self.pytester.runpytest_inprocess("-p", "no:randomly", *args)

    def run_subprocess(self, *args: str) -> pytest.RunResult:
        """Run pytest in a fresh interpreter, as a student does (slower: it imports torch)."""
        return self.pytester.runpytest_subprocess("-p", "no:randomly", *args, timeout=120)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> LessonProject:
    """An empty lesson project (``LESSONS = ()``) that the real plugin grades."""
    return LessonProject(pytester, monkeypatch)
