"""``lessons``: the instructor's tasks, one subcommand each (``pytest lessons`` stays the student's).

lessons release OUT_DIR            the student release (checks.grader.release)
lessons grade SUBMISSIONS --out D  grade every submission, write D/grades.csv (checks.grader.bulk)
lessons gradescope OUT.zip         the Gradescope autograder zip (checks.grader.gradescope)
lessons bench-report BENCH.json    the CPU/GPU benchmark report (checks.grader.bench_report)
lessons claims                     every claim with its points (pytest lessons --claims)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from checks.grader import bench_report, bulk, gradescope, release
from checks.grader.gradebook import GRADED


def _root_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root", type=Path, default=Path.cwd(), help="the project's folder (default: .)"
    )


def _configure_grade(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "submissions", type=Path, metavar="SUBMISSIONS_DIR", help="one folder per submission"
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="GRADES_DIR", help="where grades go"
    )
    parser.add_argument(
        "-j", "--jobs", type=int, default=1, metavar="N", help="submissions graded at once"
    )
    parser.add_argument(
        "--force", action="store_true", help="grade again submissions that have not changed"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=bulk.DEFAULT_TIMEOUT,
        metavar="S",
        help=f"wall-clock seconds per submission (default {bulk.DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--no-preload",
        action="store_true",
        help="start each run as a fresh interpreter, not forked from one that imported torch "
        "and pytest once (slower; for comparison)",
    )
    _root_option(parser)


def _grade(args: argparse.Namespace) -> int:
    if not args.submissions.is_dir():
        print(f"lessons grade: {args.submissions} is not a folder", file=sys.stderr)
        return 2
    rows = bulk.grade_all(
        args.submissions,
        args.out,
        root=args.root,
        jobs=args.jobs,
        force=args.force,
        timeout=args.timeout,
        preload=not args.no_preload,
    )
    ungraded = [row for row in rows if row.status != GRADED]
    print(
        f"{len(rows) - len(ungraded)} of {len(rows)} submission(s) graded: "
        f"{args.out / bulk.CSV}" + (f"; {len(ungraded)} not (see status)" if ungraded else "")
    )
    return 1 if ungraded else 0


def _configure_gradescope(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT.zip", help="the zip to write")
    _root_option(parser)


def _gradescope(args: argparse.Namespace) -> int:
    try:
        count = gradescope.build(args.root, args.out)
    except (gradescope.GradescopeError, OSError) as exc:
        print(f"lessons gradescope: {exc}", file=sys.stderr)
        return 1
    print(f"{args.out}: {count} files; upload it as the assignment's autograder (see README)")
    return 0


def _claims(args: argparse.Namespace) -> int:
    command = [sys.executable, "-m", "pytest", "lessons", "--claims", "-p", "no:randomly"]
    return subprocess.run(command, cwd=args.root, check=False).returncode


# name -> (one line for `lessons --help`, the module whose docstring is its --help, configure, run)
COMMANDS = {
    "release": (
        "write the student release: homework stubbed, hidden claims cut",
        release,
        release.configure,
        release.run,
    ),
    "grade": (
        "grade every submission (a folder each) into GRADES_DIR/grades.csv",
        bulk,
        _configure_grade,
        _grade,
    ),
    "gradescope": (
        "write the Gradescope autograder zip",
        gradescope,
        _configure_gradescope,
        _gradescope,
    ),
    "bench-report": (
        "the CPU/GPU benchmark report of pytest-benchmark JSON files",
        bench_report,
        bench_report.configure,
        bench_report.run,
    ),
    "claims": (
        "list every claim with its lesson, points and visibility (pytest lessons --claims)",
        None,
        _root_option,
        _claims,
    ),
}


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(
        prog="lessons",
        description="The instructor's tasks. Students grade their lessons with `pytest lessons`.",
        epilog="`lessons COMMAND --help` says more about each.",
    )
    commands = main_parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, module, configure, run) in COMMANDS.items():
        sub = commands.add_parser(
            name,
            help=help_text,
            description=module.__doc__ if module else help_text,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        configure(sub)
        sub.set_defaults(run=run)
    return main_parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
