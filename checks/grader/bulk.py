"""``lessons grade SUBMISSIONS_DIR --out GRADES_DIR``: grade every submission, write a gradebook.

Each submission (a folder holding the student's ``lessons/``) is graded the README's way: in a
fresh copy of the committed project (``checks.grader.project_copy``) with only the student's
lesson files copied in (``checks.grader.submissions``), by ``pytest lessons --grade-json`` in a
process group of its own with a wall-clock limit and a capped log (``checks.grader.grading_run``),
``jobs`` at once. GRADES_DIR gets ``<submission>.json`` (Gradescope's results.json),
``<submission>.log``, ``<submission>.row.json`` (the row and the fingerprint it was graded
under), ``grades.csv`` (``checks.grader.gradebook``) and ``similarity.csv``, whose flags become
the rows' ``copied?`` notes (``checks.grader.similarity_report``). A submission whose fingerprint
(the project's version and the student's lesson files' bytes) matches its record is not graded
again unless ``force``; whatever happened to one submission, only its own row shows it.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from checks.grader import grading_run
from checks.grader.collection import LESSONS_DIR
from checks.grader.gradebook import (
    GRADED,
    Row,
    load,
    points_of,
    save,
    trouble_notes,
    write_csv,
)
from checks.grader.progress import Progress
from checks.grader.project_copy import Snapshot, export, keep_only_grading, snapshot
from checks.grader.run_server import RunServer
from checks.grader.submissions import (
    SubmissionError,
    course_lessons,
    fingerprint,
    lesson_files,
    place,
    safe_name,
)

DEFAULT_TIMEOUT = 1800.0  # s per submission; a whole `pytest lessons` takes ~15 s here
CSV = "grades.csv"
GRADER_ERROR = "grader error"  # our side failed: graded again on the next run
FIT_CACHE = ".fit-cache"  # in GRADES_DIR: the grader's fits, kept across submissions and runs


@dataclass(frozen=True)
class Submission:
    name: str  # the folder's name
    file: str  # its safe file name in GRADES_DIR
    folder: Path


@dataclass(frozen=True)
class Course:
    lessons: tuple[str, ...]
    version: Snapshot
    copy: Path  # the exported project every submission's copy is made from
    solutions: Path  # the instructor's lessons, for the similarity report only (never graded in)


def find(submissions: Path, out: Path) -> list[Submission]:
    """Every submission folder, by name; hidden ones and GRADES_DIR itself are not submissions."""
    found = []
    for folder in sorted(submissions.iterdir()):
        if folder.is_dir() and not folder.name.startswith(".") and folder.resolve() != out:
            found.append(Submission(folder.name, safe_name(folder.name), folder))
    return found


def grade_one(
    sub: Submission,
    course: Course,
    out: Path,
    files,
    key: str,
    timeout: float,
    server: RunServer | None = None,
) -> Row:
    """Grade one submission in its own copy of the project; the row says what happened."""
    row = Row(sub.name, status="", fingerprint=key)
    grade_file = out / f"{sub.file}.json"
    grade_file.unlink(missing_ok=True)  # an old grade must not pass for this run's
    scratch = Path(tempfile.mkdtemp(prefix="lessons-grade-"))
    try:
        work = scratch / "project"
        shutil.copytree(course.copy, work, symlinks=True)
        missing = place(work, files, course.lessons)
        if missing:
            row.notes = "not submitted, graded as released: " + ", ".join(missing)
        results = scratch / "results.json"
        finished = grading_run.run(
            work,
            results,
            out / f"{sub.file}.log",
            timeout=timeout,
            fit_cache=out / FIT_CACHE,
            server=server,
        )
        trouble = finished.trouble()
        if results.is_file() and finished.returncode is not None:
            data = json.loads(results.read_text(encoding="utf-8"))
            row.points, row.total, row.max = points_of(data, course.lessons)
            row.notes = "; ".join(note for note in (row.notes, trouble_notes(data)) if note)
            shutil.copyfile(results, grade_file)
            row.status = GRADED if trouble is None else f"incomplete: {trouble}"
        elif finished.returncode is None:
            row.status = trouble or ""
        else:
            row.status = (
                f"{trouble or f'pytest exited with code {finished.returncode}'} and wrote no grade"
            )
    except Exception as exc:  # our side failed for this one submission: its row says so
        row.status = f"{GRADER_ERROR}: {type(exc).__name__}: {exc}"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return row


def _plan(subs: list[Submission], out: Path, version: Snapshot, lessons, *, force: bool):
    """The rows that stand as they are (no lessons/, or unchanged since graded), and the
    submissions to grade with their lesson files and fingerprints."""
    rows: dict[str, Row] = {}
    todo = []
    for sub in subs:
        try:
            files = lesson_files(sub.folder, lessons)
        except SubmissionError as exc:
            rows[sub.name] = Row(sub.name, status=str(exc))
            continue
        key = fingerprint(version.id, files, lessons)
        before = load(out / f"{sub.file}.row.json")
        if not force and before is not None and _still_good(before, key, out / f"{sub.file}.json"):
            rows[sub.name] = before
        else:
            todo.append((sub, files, key))
    return rows, todo


def _still_good(before: Row, key: str, grade_file: Path) -> bool:
    """Whether a recorded row stands for this run: same fingerprint, and not our own failure."""
    if before.fingerprint != key or before.status.startswith(GRADER_ERROR):
        return False
    return before.status != GRADED or grade_file.is_file()


def _with_similarity(rows, subs, course: Course, out: Path, stream: TextIO) -> dict[str, Row]:
    """Write ``similarity.csv`` and add its ``copied?`` notes to the rows (to the CSV only: a
    row's record keeps its own notes, so a later submission can change them)."""
    files = {}
    for sub in subs:
        try:
            files[sub.name] = lesson_files(sub.folder, course.lessons)
        except SubmissionError:
            continue
    reference = {name: course.solutions / f"{name}.py" for name in course.lessons}
    try:
        # Here, not at the top: copydetect imports matplotlib.pyplot (~1-2 s), which every other
        # `lessons` command would pay for.
        from checks.grader import similarity_report

        found = similarity_report.report(out, files, reference)
    except Exception as exc:  # the grades stand without it; say why it is missing
        print(f"no similarity report: {type(exc).__name__}: {exc}", file=stream)
        return rows
    noted = {}
    for name, row in rows.items():
        note = "; ".join(n for n in (row.notes, found.get(name, "")) if n)
        noted[name] = replace(row, notes=note)
    return noted


def _verdict(row: Row) -> str:
    if row.status == GRADED:
        return f"{row.total:g}/{row.max:g}"
    return row.status


def grade_all(
    submissions: Path,
    out: Path,
    *,
    root: Path,
    jobs: int = 1,
    force: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    stream: TextIO | None = None,
    preload: bool = True,
) -> list[Row]:
    """Grade every submission under ``submissions`` into ``out``; return the gradebook's rows."""
    stream = stream or sys.stderr
    grading_run.adopt_orphans()  # what a run leaves behind comes to us, to be killed
    root, out = root.resolve(), out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    lessons = course_lessons(root)
    version = snapshot(root)
    print(f"grading in copies of {version.description} of {root}", file=stream)
    if version.uncommitted:
        print("note: uncommitted changes in the project are not used: commit them", file=stream)
    subs = find(submissions, out)
    rows, todo = _plan(subs, out, version, lessons, force=force)
    unchanged = len(rows) - sum(1 for row in rows.values() if not row.fingerprint)
    if unchanged:
        print(f"{unchanged} unchanged since graded: not graded again (--force does)", file=stream)
    with tempfile.TemporaryDirectory(prefix="lessons-course-") as temp:
        course = Course(lessons, version, Path(temp) / "project", Path(temp) / "solutions")
        export(root, course.copy, version)
        # The course's own solutions are what a copy is compared with; the grading copy keeps
        # only their released stubs (a lesson process must find no answer in it).
        shutil.copytree(course.copy / LESSONS_DIR, course.solutions)
        keep_only_grading(course.copy)
        progress = Progress(len(todo), stream)
        write_csv(out / CSV, list(rows.values()), lessons)
        # One preloaded interpreter forks every run (run_server.py): each pays no imports.
        server = RunServer.start(course.copy, grading_run.environment()) if preload else None
        if server is not None:
            grading_run.spare(server.pid)
        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        try:
            futures = {
                pool.submit(grade_one, sub, course, out, files, key, timeout, server): sub
                for sub, files, key in todo
            }
            for future in as_completed(futures):
                sub, row = futures[future], future.result()
                save(out / f"{sub.file}.row.json", row)
                rows[sub.name] = row
                write_csv(out / CSV, list(rows.values()), lessons)
                progress.update(sub.name, _verdict(row))
        except KeyboardInterrupt:  # the runs are in sessions of their own: Ctrl-C misses them
            pool.shutdown(wait=False, cancel_futures=True)
            grading_run.kill_running()
            raise
        finally:
            pool.shutdown(wait=True)
            if server is not None:
                server.stop()
                grading_run.spare(server.pid, spared=False)
            progress.close()
        rows = _with_similarity(rows, subs, course, out, stream)
        write_csv(out / CSV, list(rows.values()), lessons)
    return list(rows.values())
