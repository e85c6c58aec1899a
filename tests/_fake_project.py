"""One tiny course for the machinery's own tests: the real machinery, lessons a test writes.

A course is a directory holding the repository's own ``pyproject.toml`` (the pytest config as it
ships), ``constraints.txt`` and root ``conftest.py``, the grading machinery (``checks/grader/``, the claim helpers
``checks/*.py`` but the claims, the engine's ``lessons/_*.py``), and the lessons and claims a test
writes: so the machinery runs as it ships, on lessons that take milliseconds.

- ``make_project(root, lessons, checks)`` writes a whole course at once (any directory);
- ``LessonProject`` (the ``project`` fixture of ``tests/conftest.py``) grows one lesson by lesson
  in a pytester directory and runs pytest on it in-process (fast) or in a subprocess;
- ``grade`` and ``by_name`` read the results.json a run wrote.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The course has packages of these names too: the real ones step aside while it runs in-process.
PACKAGES = ("checks", "lessons")
LIGHT = 'sandbox_preload = "none"\n'  # the ini line of a light box (copy_machinery)

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


def copy_machinery(root: Path) -> None:
    """Copy the grading machinery as it ships into ``root``: the pytest config (with a light
    box), the pinned versions and the root ``conftest.py``, ``checks/grader/``, the claim
    helpers (``checks/*.py`` but the claims), and the engine's ``lessons/_*.py`` (the figure
    plugin imports ``lessons._plots``)."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("constraints.txt", "conftest.py"):
        shutil.copy(REPO / name, root / name)
    # A light box (design J): most of these lessons never import torch, and a box that preloads
    # the engine costs ~2.5 s of CPU for each of the ~100 runs (tests/test_light_box.py holds
    # both kinds). A course whose lessons do import torch says so (``preload_engine``).
    config = (REPO / "pyproject.toml").read_text()
    section = "[tool.pytest.ini_options]\n"
    (root / "pyproject.toml").write_text(config.replace(section, section + LIGHT, 1))
    shutil.copytree(
        REPO / "checks" / "grader",
        root / "checks" / "grader",
        ignore=shutil.ignore_patterns("__pycache__"),
        dirs_exist_ok=True,
    )
    for package, pattern in (("checks", "*.py"), ("lessons", "_*.py")):
        (root / package).mkdir(parents=True, exist_ok=True)
        for module in (REPO / package).glob(pattern):
            if not module.name.startswith(("check_", "__init__")):
                shutil.copy(module, root / package / module.name)


def preload_engine(root: Path) -> None:
    """Give the course at ``root`` the box as it ships: the engine (torch, matplotlib) loaded
    once before the lessons' processes are forked, rather than by each lesson that imports it
    (one import of torch, ~2.5 s of CPU, in each process of a course of several such lessons)."""
    path = root / "pyproject.toml"
    path.write_text(path.read_text().replace(LIGHT, ""))


def write_files(root: Path, files: dict[str, str]) -> None:
    """Write each ``relative path -> source`` under ``root``, dedented, folders made."""
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))


def lessons_init(names: tuple[str, ...]) -> str:
    """``lessons/__init__.py`` of a course whose lessons, in lecture order, are ``names``."""
    return f"LESSONS = {tuple(names)!r}\n"


def make_project(
    root: Path,
    lessons: dict[str, str],
    checks: dict[str, str],
    *,
    extra: dict[str, str] | None = None,
) -> Path:
    """Write the course at ``root``: lessons in the given order, one checks module for each,
    and ``extra`` files (relative path -> source) last."""
    copy_machinery(root)
    write_files(
        root,
        {
            "lessons/__init__.py": lessons_init(tuple(lessons)),
            **{f"lessons/{name}.py": source for name, source in lessons.items()},
            **{f"checks/check_{name}.py": source for name, source in checks.items()},
            **(extra or {}),
        },
    )
    return root


class LessonProject:
    """A course in a pytester directory, written lesson by lesson, and pytest run on it."""

    def __init__(self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pytester = pytester
        self.path = make_project(pytester.path, {}, {})
        self._monkeypatch = monkeypatch
        self._order: tuple[str, ...] = ()

    def order(self, *names: str) -> None:
        """Write ``lessons/__init__.py`` with ``LESSONS = names``: the lecture's order."""
        self._order = names
        write_files(self.path, {"lessons/__init__.py": lessons_init(names)})

    def lesson(self, name: str, source: str = ANSWER_LESSON) -> Path:
        """Write ``lessons/<name>.py``; a lesson (no leading ``_``) joins the end of ``LESSONS``."""
        if not name.startswith("_") and name not in self._order:
            self.order(*self._order, name)
        write_files(self.path, {f"lessons/{name}.py": source})
        return self.path / "lessons" / f"{name}.py"

    def checks(self, name: str, source: str) -> Path:
        """Write ``checks/check_<name>.py``: the claims of lesson ``name``."""
        write_files(self.path, {f"checks/check_{name}.py": source})
        return self.path / "checks" / f"check_{name}.py"

    def passing(self, name: str, points: float = 1) -> None:
        """A lesson with one claim worth ``points`` that passes."""
        self.lesson(name)
        self.checks(name, ANSWER_CLAIM.format(points=points))

    def preload_engine(self) -> None:
        """The box as it ships, for lessons that import torch (``preload_engine`` above)."""
        preload_engine(self.path)

    def run(self, *args: str) -> pytest.RunResult:
        """Run pytest in this process (fast). The course's ``checks`` and ``lessons`` are
        imported fresh, and the real ones come back when the test ends.

        ``-p no:randomly``: the inner run keeps file order, so the output compared is stable.
        """
        for name in [n for n in sys.modules if n.partition(".")[0] in PACKAGES]:
            self._monkeypatch.delitem(sys.modules, name)
        return self.pytester.runpytest_inprocess("-p", "no:randomly", *args)

    def run_subprocess(self, *args: str) -> pytest.RunResult:
        """Run pytest in a fresh interpreter, as a student does (slower: it imports torch)."""
        return self.pytester.runpytest_subprocess("-p", "no:randomly", *args, timeout=120)


def grade(result: pytest.RunResult, path: Path) -> dict:
    """The results.json a run wrote, with a readable failure if it wrote none."""
    assert path.is_file(), f"no grade written; the run said:\n{result.stdout.str()[-3000:]}"
    return json.loads(path.read_text())


def by_name(grade: dict) -> dict[str, dict]:
    """The grade's tests by their name without the lesson (``lesson::claim`` -> claim)."""
    return {test["name"].split("::", 1)[1]: test for test in grade["tests"]}
