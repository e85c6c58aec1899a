"""`pytest lessons` collects each lesson's claims from ``checks/check_<lesson>.py``."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from checks.grader.sandbox.errors import SandboxError
from checks.grader.sandbox.hooks import SANDBOX

LESSONS_DIR = "lessons"
CHECKS_DIR = "checks"


def lesson_name(path: Path) -> str | None:
    """The lesson a checks file grades (``check_relu_nodes.py`` -> ``relu_nodes``), else None."""
    if path.suffix == ".py" and path.stem.startswith("check_"):
        return path.stem.removeprefix("check_")
    return None


def checks_path(config: pytest.Config, lesson: str) -> Path:
    return config.rootpath / CHECKS_DIR / f"check_{lesson}.py"


def is_lesson_file(config: pytest.Config, path: Path) -> bool:
    return path.parent == config.rootpath / LESSONS_DIR and not path.name.startswith("_")


class Lesson(pytest.File):
    """A lesson module; its children are the claims in its checks module.

    Returning the checks Module straight from the hook would break ``pytest lessons/x.py``, since
    pytest then finds no node for that path; this wrapper node keeps the path it was asked for.
    """

    def collect(self):
        target = checks_path(self.config, self.path.stem)
        if not target.is_file():
            raise self.CollectError(
                f"lesson {self.path.stem!r} has no checks: expected "
                f"{target.relative_to(self.config.rootpath)} (claims live there, one per test)"
            )
        yield pytest.Module.from_parent(self, path=target)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector):
    if is_lesson_file(parent.config, module_path):
        return Lesson.from_parent(parent, path=module_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`pytest lessons checks` reaches each claim twice (via its lesson and directly): keep one."""
    seen: set[str] = set()
    unique = []
    for item in items:
        if item.nodeid not in seen:
            seen.add(item.nodeid)
            unique.append(item)
    items[:] = unique


@pytest.fixture(scope="module")
def lesson(request: pytest.FixtureRequest):
    """The lesson module that this checks module grades, started when a claim first needs it.

    The lesson runs in its own process (``checks.grader.sandbox``): this is a proxy that reads
    like the module, and only data crosses. Starting it here, not at the top of the checks module,
    turns a lesson that fails to import into a readable failure of its own claims, while every
    other lesson is still collected and graded. ``--no-sandbox`` imports it into this process.
    """
    name = lesson_name(Path(request.node.path))
    if name is None:
        raise pytest.UsageError(
            f"the `lesson` fixture is for checks/check_<lesson>.py, not {request.node.path}"
        )
    sandbox = request.config.stash.get(SANDBOX, None)
    try:
        if sandbox is None:
            module = _import_here(name)
        else:
            request.addfinalizer(lambda: sandbox.release(name))
            module = sandbox.lesson(name)
    except NotImplementedError:
        raise  # a homework stub run at import: reported as "not attempted yet", like any other
    except SandboxError as exc:
        reason = str(exc)
    else:
        return module
    pytest.fail(reason, pytrace=False)  # outside `except`: no "during handling" chain shown


def _import_here(name: str):
    try:
        return importlib.import_module(f"{LESSONS_DIR}.{name}")
    except NotImplementedError:
        raise
    except Exception as exc:  # a student's lesson can fail to import in any way
        raise SandboxError(
            f"lesson {name!r} does not import: {type(exc).__name__}: {exc}"
        ) from None
