"""A fresh copy of the instructor's committed project: what every submission is graded in.

In a git checkout the copy is ``git archive HEAD`` of the project's folder, so an uncommitted
edit (a claim half written, a debugging print) never reaches a student's grade, and the commit id
says which course graded it. Outside git it is every file the release would ship (caches and
virtual environments left out), identified by a hash of their names and contents.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from checks.grader.release import project_files
from checks.grader.submissions import LESSONS_DIR, course_lessons, place

# What grading needs of the project, and all a grading copy or the autograder zip keeps: the
# engine and the lessons (stubbed until a submission's files are placed), the claims and the
# machinery, pytest's configuration, and the pins setup.sh installs with. No tests/ (worked
# solutions), no .ci/, no docs/, no instructor notes.
GRADING_FILES = ("lessons", "checks", "conftest.py", "pyproject.toml", "constraints.txt")
GRADING_README = (
    "A grading copy of the course: the claims and the engine, the lessons as released.\n"
    "The course itself, its README and its tests are with the instructor.\n"
)


class ProjectError(RuntimeError):
    """The project cannot be copied as asked."""


@dataclass(frozen=True)
class Snapshot:
    """Which version of the project a copy holds."""

    id: str  # the commit id, or "files-<sha256>" outside git
    description: str  # for the instructor: "git commit 3de3226" or why it is not one
    uncommitted: bool = False  # a git checkout with changes the copy leaves out


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.decode().strip()


def snapshot(root: Path) -> Snapshot:
    """The version of the project at ``root`` that :func:`export` copies."""
    commit = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if commit:
        changes = _git(root, "status", "--porcelain", "--untracked-files=no", "--", ".")
        return Snapshot(commit, f"git commit {commit[:10]}", uncommitted=bool(changes))
    digest = hashlib.sha256()
    for name in project_files(root):
        digest.update(name.as_posix().encode() + b"\0" + (root / name).read_bytes() + b"\0")
    why = "no commit yet" if _git(root, "rev-parse", "--git-dir") else "not a git repository"
    return Snapshot(f"files-{digest.hexdigest()}", f"the working files ({why})")


def export(root: Path, dest: Path, version: Snapshot) -> None:
    """Write the project at ``root`` as of ``version`` into the new or empty folder ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    if version.id.startswith("files-"):
        for name in project_files(root):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, dest / name)
        return
    prefix = _git(root, "rev-parse", "--show-prefix") or ""  # the project may be a subfolder
    try:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", f"{version.id}:{prefix}"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
    except subprocess.CalledProcessError as exc:
        raise ProjectError(f"git archive failed: {exc.stderr.decode().strip()}") from exc
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: refuse links out of dest
            tar.extractall(dest, filter="data")
        else:  # pragma: no cover - our own commit, not a stranger's archive
            tar.extractall(dest)


def keep_only_grading(copy: Path) -> None:
    """Trim an exported project to what grading needs (``GRADING_FILES``): every lesson's
    solutions are stubbed as the release stubs them (a submission's own files replace them), and
    ``checks/`` is made unreadable to other users, so that a lesson process outside a box (the
    fallback, dropped to an unprivileged user) cannot read the hidden claims."""
    for entry in copy.iterdir():
        if entry.name not in GRADING_FILES:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    # pyproject.toml names a readme: an installed copy (the autograder's setup.sh) needs one.
    (copy / "README.md").write_text(GRADING_README, encoding="utf-8")
    if (copy / LESSONS_DIR).is_dir():
        place(copy, {}, course_lessons(copy))
    if (copy / "checks").is_dir():
        (copy / "checks").chmod(0o700)
