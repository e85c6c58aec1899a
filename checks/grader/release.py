"""``lessons release OUT_DIR`` (or ``python -m checks.grader.release``): write the student release of this project to OUT_DIR.

The release is the project as it is (the files git tracks or would track, snapshots included),
except that:

- in ``lessons/``, every solution block becomes a homework stub (``checks.grader.solutions``);
- in ``checks/check_*.py``, every claim that is not ``visible`` is cut out (``checks.grader.hidden_claims``),
  and ``checks/_withheld.json`` records their points per lesson for the student's summary;
- the instructor's files stay behind (``tests/``, ``.ci/``, ``docs/``), and the student's guide
  (``docs/student/README.md`` and its Korean ``README.ko.md``) is the release's README.

Run it from the project root (or pass ``--root``). It imports neither torch nor the lessons.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from checks.grader import withheld
from checks.grader.collection import CHECKS_DIR, LESSONS_DIR, lesson_name
from checks.grader.hidden_claims import HiddenClaimError, remove_hidden_claims
from checks.grader.solutions import SolutionError, strip_solutions

# Never shipped, whether git is there to say so or not.
SKIPPED_DIRS = {
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".benchmarks",
}
# The instructor's own graded submissions: whole worked solutions of the homework. Never copied,
# not even into the grading copy of the project.
WORKED_SOLUTIONS = ("tests/submissions",)
# Not the student's either: the machinery's tests, CI and the instructor's documentation. The
# release ships the lessons, the checks and the student's own guide.
INSTRUCTOR_ONLY = ("tests", ".ci", "docs")
INSTRUCTOR_FILES = ("babel.cfg",)  # the catalogs' extraction set-up (the .mo files do ship)
# The student's guide, kept with the instructor's docs, becomes the release's README.
STUDENT_GUIDE = {"docs/student/README.md": "README.md", "docs/student/README.ko.md": "README.ko.md"}


class ReleaseError(RuntimeError):
    """The release cannot be written as asked."""


@dataclass
class Released:
    """What a release did, for its one-paragraph report."""

    files: int = 0
    stubs: dict[str, int] = field(default_factory=dict)  # lesson -> solution blocks stubbed
    withheld: dict[str, dict[str, float]] = field(default_factory=dict)  # lesson -> claims, points

    def report(self, out: Path) -> str:
        stubbed = ", ".join(f"{lesson} ({n})" for lesson, n in self.stubs.items()) or "none"
        held = sum(w["points"] for w in self.withheld.values())
        claims = sum(int(w["claims"]) for w in self.withheld.values())
        return (
            f"student release written to {out}: {self.files} files; solution blocks stubbed in "
            f"{stubbed}; {claims} hidden claim(s), {held:g} points, withheld"
        )


def project_files(root: Path) -> list[Path]:
    """The project's files, relative to ``root``: git's tracked and not-ignored ones if ``root``
    is a git checkout, else every file outside caches and virtual environments."""
    names = _git_files(root)
    if names is None:
        names = _walked_files(root)
    return [
        name
        for name in sorted(names)
        if not SKIPPED_DIRS.intersection(name.parts)
        and not _under(name, WORKED_SOLUTIONS)
        and (root / name).is_file()  # a tracked file deleted since is not shipped
        and name.as_posix() != withheld.WITHHELD_FILE  # a release of a release writes its own
    ]


def _under(name: Path, folders: tuple[str, ...]) -> bool:
    return any(name.as_posix().startswith(f"{folder}/") for folder in folders)


def _git_files(root: Path) -> list[Path] | None:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):  # no git, or not a git checkout
        return None
    return [Path(name) for name in listed.split("\0") if name]


def _walked_files(root: Path) -> list[Path]:
    names = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS and not d.endswith(".egg-info")]
        names += [Path(dirpath, name).relative_to(root) for name in filenames]
    return names


def release(root: Path, out: Path) -> Released:
    """Write the student release of the project at ``root`` to the empty or new ``out``."""
    root, out = root.resolve(), out.resolve()
    if not (root / LESSONS_DIR).is_dir() or not (root / CHECKS_DIR).is_dir():
        raise ReleaseError(f"{root} has no {LESSONS_DIR}/ and {CHECKS_DIR}/: run it from the root")
    if out == root or root in out.parents:
        raise ReleaseError(f"{out} is inside the project: choose a directory outside {root}")
    if out.exists() and any(out.iterdir()):
        raise ReleaseError(f"{out} is not empty: choose a new or empty directory")
    done = Released()
    guide = {name: target for name, target in STUDENT_GUIDE.items() if (root / name).is_file()}
    for name in project_files(root):
        if _under(name, INSTRUCTOR_ONLY) or name.as_posix() in INSTRUCTOR_FILES:
            continue
        if name.as_posix() in ("README.md", "README.ko.md") and guide:
            continue  # the instructor's README: the student's guide stands in its place
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        text = _released_text(root / name, name, done)
        if text is None:
            shutil.copy2(root / name, target)
        else:
            target.write_text(text, encoding="utf-8")
            shutil.copymode(root / name, target)
        done.files += 1
    for name, target in guide.items():
        shutil.copy2(root / name, out / target)
        done.files += 1
    withheld.write(out, done.withheld)
    return done


def _released_text(path: Path, name: Path, done: Released) -> str | None:
    """The released text of a lesson or checks module, or None to copy the file as it is."""
    if name.suffix != ".py" or len(name.parts) != 2:
        return None
    folder = name.parts[0]
    if folder == LESSONS_DIR:
        text, count = strip_solutions(
            path.read_text(encoding="utf-8"), lesson=name.stem, filename=str(name)
        )
        if count:
            done.stubs[name.stem] = count
        return text
    lesson = lesson_name(name)
    if folder == CHECKS_DIR and lesson is not None:
        text, claims = remove_hidden_claims(path.read_text(encoding="utf-8"), filename=str(name))
        if claims:
            done.withheld[lesson] = {
                "claims": sum(claim.cases for claim in claims),
                "points": sum(claim.points for claim in claims),
            }
        return text
    return None


def configure(parser: argparse.ArgumentParser) -> None:
    """The release's arguments, for ``python -m checks.grader.release`` and ``lessons release``."""
    parser.add_argument("out", type=Path, metavar="OUT_DIR", help="a new or empty directory")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the project (default: .)")


def run(args: argparse.Namespace) -> int:
    try:
        done = release(args.root, args.out)
    except (ReleaseError, SolutionError, HiddenClaimError) as exc:
        print(f"release failed: {exc}", file=sys.stderr)
        return 1
    print(done.report(args.out))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m checks.grader.release", description=__doc__.split("\n\n")[0]
    )
    configure(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
