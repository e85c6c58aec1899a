"""What of a submission is graded: the student's lesson files, and nothing else.

A submission is a folder holding the student's ``lessons/``. Only ``lessons/<name>.py`` for the
names in the course's ``lessons.LESSONS`` is taken (regular files, not links): the student's
``checks/``, ``conftest.py``, ``lessons/_*.py`` and anything else are never used. A lesson the
submission lacks is graded as the release gave it (its solution blocks stubbed), never as the
instructor's solution that the project copy holds.
"""

from __future__ import annotations

import ast
import hashlib
import re
import shutil
from pathlib import Path

from checks.grader.collection import LESSONS_DIR
from checks.grader.solutions import strip_solutions

# Letters (any script: a Korean name is a fine file name), digits, "_", "." and "-".
_SAFE = re.compile(r"\w[\w.\-]*")
_MAX_NAME = 80


class SubmissionError(ValueError):
    """A submission that cannot be graded; its message is the gradebook's status."""


def course_lessons(root: Path) -> tuple[str, ...]:
    """``LESSONS`` of the project's ``lessons/__init__.py``, read without importing it (torch)."""
    init = root / LESSONS_DIR / "__init__.py"
    for node in ast.parse(init.read_text(encoding="utf-8"), filename=str(init)).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "LESSONS" for t in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    raise ValueError(f"{init} defines no LESSONS = (...)")


def safe_name(name: str) -> str:
    """A file name for a submission folder's name: itself when it is plain, else the odd
    characters replaced and a hash of the original added, so two names never share a file."""
    if _SAFE.fullmatch(name) and len(name) <= _MAX_NAME:
        return name
    plain = re.sub(r"[^\w.\-]", "_", name).lstrip("._-")[:_MAX_NAME] or "submission"
    return f"{plain}-{hashlib.sha256(name.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}"


def lesson_files(submission: Path, lessons: tuple[str, ...]) -> dict[str, Path]:
    """The student's file of each course lesson the submission's ``lessons/`` has, by name."""
    folder = submission / LESSONS_DIR
    if not folder.is_dir():
        raise SubmissionError(f"no {LESSONS_DIR}/ folder")
    return files_in(folder, lessons)


def files_in(folder: Path, lessons: tuple[str, ...]) -> dict[str, Path]:
    """``<lesson>.py`` in ``folder`` for each course lesson it has (regular files: a link could
    point at the instructor's solutions)."""
    found = {name: folder / f"{name}.py" for name in lessons}
    return {name: path for name, path in found.items() if path.is_file() and not path.is_symlink()}


def place(work: Path, files: dict[str, Path], lessons: tuple[str, ...]) -> list[str]:
    """Put the student's lesson files into the project copy at ``work``; stub the solutions of
    the lessons they did not submit. Returns those lessons' names."""
    missing = []
    for name in lessons:
        target = work / LESSONS_DIR / f"{name}.py"
        if name in files:
            shutil.copyfile(files[name], target)
        elif target.is_file():
            source = target.read_text(encoding="utf-8")
            target.write_text(strip_solutions(source, lesson=name)[0], encoding="utf-8")
            missing.append(name)
    return missing


def fingerprint(project_id: str, files: dict[str, Path], lessons: tuple[str, ...]) -> str:
    """What a grade depends on: the project's version and the student's lesson files' bytes."""
    digest = hashlib.sha256(f"project {project_id}\n".encode())
    for name in lessons:
        content = files[name].read_bytes() if name in files else None
        part = hashlib.sha256(content).hexdigest() if content is not None else "missing"
        digest.update(f"{name} {part}\n".encode())
    return digest.hexdigest()
