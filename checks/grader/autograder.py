"""What Gradescope runs for each submission (``run_autograder`` calls it): grade, write results.

Gradescope puts the autograder zip's files (this project, solutions and hidden claims included)
in ``$AUTOGRADER_ROOT/source`` and the student's upload in ``$AUTOGRADER_ROOT/submission``
(``AUTOGRADER_ROOT`` is ``/autograder`` there; tests point it at a temporary folder). Only the
student's ``lessons/<lesson>.py`` files are copied into the project (from ``submission/lessons/``,
or from ``submission/`` itself when the files were uploaded one by one), and ``pytest lessons``
grades them into ``results/results.json``. Whatever goes wrong, a valid results.json is written:
score 0 and an output that says what happened, so the student sees a reason, not a crash.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from checks.grader import grading_run
from checks.grader.collection import LESSONS_DIR
from checks.grader.submissions import course_lessons, files_in, place

DEFAULT_TIMEOUT = 1200.0  # s; set Gradescope's own limit above it, so this one speaks first
# The grader's fits, kept beside the project (root-only, 0700; never in a lesson's box): filled
# once when Gradescope builds the image (setup.sh: ``--warm``), read by every submission's run.
FIT_CACHE = "fit-cache"
LOG_SHOWN = 4000  # characters of the run's log a failed result shows


def failed(reason: str, *, execution_time: float = 0.0) -> dict:
    """A results.json for a submission that could not be graded: score 0, and why."""
    return {
        "score": 0,
        "execution_time": round(execution_time, 3),
        "output": reason,
        "tests": [
            {
                "name": "autograder",
                "score": 0,
                "max_score": 0,
                "status": "failed",
                "output": reason,
                "visibility": "visible",
                "tags": [],
            }
        ],
    }


def grade(root: Path, *, timeout: float) -> dict:
    """Grade ``root/submission`` in the project at ``root/source``; the results.json to write."""
    source, submission = root / "source", root / "submission"
    lessons = course_lessons(source)
    folder = submission / LESSONS_DIR
    files = files_in(folder if folder.is_dir() else submission, lessons)
    if not files:
        wanted = ", ".join(f"{LESSONS_DIR}/{name}.py" for name in lessons)
        return failed(f"No lesson files found in the submission: upload {wanted}.")
    missing = place(source, files, lessons)
    # The zip keeps no folder modes: the claims readable by root only again, for the fallback
    # (no box), whose lesson processes drop to an unprivileged user (keep_only_grading).
    if (source / "checks").is_dir():
        (source / "checks").chmod(0o700)
    grading_run.adopt_orphans()  # what the run leaves behind is killed before results are written
    with tempfile.TemporaryDirectory(prefix="autograder-") as scratch:
        results, log = Path(scratch) / "results.json", Path(scratch) / "pytest.log"
        finished = grading_run.run(
            source, results, log, timeout=timeout, fit_cache=root / FIT_CACHE
        )
        log_text = log.read_text(encoding="utf-8", errors="replace")
        print(log_text)  # Gradescope shows run_autograder's output to instructors
        trouble = finished.trouble()
        if not results.is_file() or finished.returncode is None:
            why = trouble or f"pytest exited with code {finished.returncode}"
            return failed(
                f"The grading run failed ({why}) and wrote no grade. The end of its output:\n"
                + log_text[-LOG_SHOWN:],
                execution_time=finished.seconds,
            )
        data = json.loads(results.read_text(encoding="utf-8"))
    notes = []
    if trouble:
        notes.append(f"The grading run ended badly ({trouble}): some claims may be missing.")
    if missing:
        notes.append("Not submitted, graded as released: " + ", ".join(missing) + ".")
    if notes:
        data["output"] = "\n".join([*notes, data.get("output", "")]).strip()
    return data


def warm(root: Path, *, timeout: float) -> int:
    """Train into ``root/fit-cache`` every fit the checks' ``fits_ahead`` ask for (the
    lecture's nets on the lecture's data; the image's lessons are stubs, and the course's
    solutions are never in it): each submission's run then reads the fits a correct lesson
    asks for instead of training them. A fit is keyed by everything its result depends on, so
    a student's other net or data still trains, and a machine with another CPU or torch reads
    none. Run as a grading run is (its settings make the keys), with ``--collect-only``: no
    lesson runs. Returns pytest's exit code; setup.sh goes on without a cache if it fails."""
    args = grading_run.pytest_args(None, root / FIT_CACHE)
    command = [sys.executable, "-m", "pytest", *args, "--collect-only", "-qq", "--fits-ahead-only"]
    done = subprocess.run(
        command,
        cwd=root / "source",
        env=grading_run.environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    print(done.stdout[-LOG_SHOWN:] + done.stderr[-LOG_SHOWN:])
    return done.returncode


def write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m checks.grader.autograder", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=float(os.environ.get("AUTOGRADER_TIMEOUT", DEFAULT_TIMEOUT)),
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="train the fits the checks' fits_ahead name into the fit cache, for every "
        "submission to read (setup.sh); grades nothing, writes no results.json",
    )
    args = parser.parse_args(argv)
    if args.warm:
        return warm(args.root, timeout=args.timeout)
    started = time.monotonic()
    try:
        data = grade(args.root, timeout=args.timeout)
    except Exception as exc:  # the student must get a results.json whatever failed
        data = failed(
            f"The autograder failed: {type(exc).__name__}: {exc}",
            execution_time=time.monotonic() - started,
        )
    write(args.root / "results" / "results.json", data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
