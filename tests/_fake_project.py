"""A tiny course for pytester: the real grading machinery, and lessons and checks a test writes.

The machinery is every ``checks/*.py`` of this repository except its ``check_*.py``, and the
shared ``lessons/_*.py`` the plugin draws with (figures, diagrams); the test supplies ``lessons`` (name -> source) and ``checks`` (lesson name -> source of its checks module).
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

PYPROJECT = """\
[tool.pytest.ini_options]
python_files = ["check_*.py", "test_*.py", "lessons/[!_]*.py"]
pythonpath = ["."]
addopts = ["-p", "no:cacheprovider", "--benchmark-disable"]
timeout = 300
timeout_method = "signal"
"""

CONFTEST = """\
import pytest

pytest.register_assert_rewrite("checks")
pytest_plugins = ["checks.grader.plugin"]
"""


def copy_machinery(root: Path) -> None:
    """Copy the grading machinery as it ships into ``root``: ``checks/grader/``, the claim helpers
    (``checks/*.py`` but the claims), and the lessons' shared ``_*.py`` modules (the figure plugin
    imports ``lessons._plots``)."""
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


def make_project(
    root: Path,
    lessons: dict[str, str],
    checks: dict[str, str],
    *,
    extra: dict[str, str] | None = None,
) -> Path:
    """Write the course at ``root``: lessons in the given order, one checks module for each."""
    copy_machinery(root)
    files = {
        "pyproject.toml": PYPROJECT,
        "conftest.py": CONFTEST,
        "lessons/__init__.py": f"LESSONS = {tuple(lessons)!r}\n",
        **{f"lessons/{name}.py": source for name, source in lessons.items()},
        **{f"checks/check_{name}.py": source for name, source in checks.items()},
        **(extra or {}),
    }
    for name, source in files.items():
        (root / name).write_text(textwrap.dedent(source))
    return root


def grade(result: pytest.RunResult, path: Path) -> dict:
    """The results.json a run wrote, with a readable failure if it wrote none."""
    assert path.is_file(), f"no grade written; the run said:\n{result.stdout.str()[-3000:]}"
    return json.loads(path.read_text())


def by_name(grade: dict) -> dict[str, dict]:
    """The grade's tests by their name without the lesson (``lesson::claim`` -> claim)."""
    return {test["name"].split("::", 1)[1]: test for test in grade["tests"]}
