"""The engine (``lessons/_*.py``) never imports a lesson module, and ``lessons/`` has no import
cycle: a lesson is the student's file, and the grader's process must not import it (issue 9)."""

from __future__ import annotations

import ast
from pathlib import Path

LESSONS_DIR = Path(__file__).resolve().parents[1] / "lessons"


def _imports(path: Path) -> set[str]:
    """The ``lessons.*`` modules a file imports (``from lessons import x`` counts as lessons.x)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("lessons.")}
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "lessons":
                found |= {f"lessons.{alias.name}" for alias in node.names}
            elif node.module.startswith("lessons."):
                found.add(node.module)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {f"lessons.{p.stem}": p for p in LESSONS_DIR.glob("*.py") if p.stem != "__init__"}
    return {name: _imports(path) & modules.keys() for name, path in modules.items()}


def _is_lesson(module: str) -> bool:
    return not module.rsplit(".", 1)[-1].startswith("_")


def test_no_engine_module_imports_a_lesson():
    graph = _graph()
    wrong = {m: sorted(filter(_is_lesson, deps)) for m, deps in graph.items() if not _is_lesson(m)}
    assert not any(wrong.values()), {m: deps for m, deps in wrong.items() if deps}
    package = {m for m in _imports(LESSONS_DIR / "__init__.py") if _is_lesson(m)}
    assert not package, f"lessons/__init__.py imports lesson modules: {package}"


def test_lessons_have_no_import_cycle():
    graph = _graph()
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join((*path, module))}"
        if module in done:
            return
        for dep in graph[module]:
            visit(dep, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())
