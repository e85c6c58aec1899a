"""``lessons``: the instructor's console script and its subcommands."""

from __future__ import annotations

import csv
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from checks.grader import cli
from tests._fake_project import ANSWER_CLAIM, ANSWER_LESSON, make_project

TASKS = ("release", "grade", "gradescope", "bench-report", "claims")
HOMEWORK = '''\
def answer():
    """Return the answer."""
    # BEGIN SOLUTION
    return 42
    # END SOLUTION
'''


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return make_project(
        tmp_path / "course", {"answer": HOMEWORK}, {"answer": ANSWER_CLAIM.format(points=2)}
    )


def test_the_console_script_is_installed_and_lists_the_instructors_tasks():
    (script,) = entry_points(group="console_scripts", name="lessons")
    assert script.value == "checks.grader.cli:main"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "lessons"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    listed = [line.split()[0] for line in done.stdout.splitlines() if line.startswith("    ")]
    assert tuple(word for word in listed if word in TASKS) == TASKS
    assert "pytest lessons" in done.stdout  # and where students go instead


def test_a_task_is_required(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([])
    assert exit_info.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_release_writes_the_student_release(course, tmp_path, capsys):
    assert cli.main(["release", str(tmp_path / "release"), "--root", str(course)]) == 0
    assert "solution blocks stubbed in answer (1)" in capsys.readouterr().out
    released = (tmp_path / "release" / "lessons" / "answer.py").read_text()
    assert 'raise NotImplementedError("Homework (answer): Return the answer.")' in released


def test_grade_exits_1_and_still_writes_the_gradebook_when_a_submission_is_not_graded(
    course, tmp_path, capsys
):
    (tmp_path / "subs" / "nothing").mkdir(parents=True)
    out = tmp_path / "grades"
    code = cli.main(["grade", str(tmp_path / "subs"), "--out", str(out), "--root", str(course)])
    assert code == 1
    assert "0 of 1 submission(s) graded" in capsys.readouterr().out
    with (out / "grades.csv").open(newline="") as handle:
        assert [row["status"] for row in csv.DictReader(handle)] == ["no lessons/ folder"]


def test_grade_refuses_a_missing_submissions_folder(course, tmp_path, capsys):
    code = cli.main(["grade", str(tmp_path / "nope"), "--out", str(tmp_path / "g")])
    assert code == 2 and "is not a folder" in capsys.readouterr().err


def test_gradescope_writes_the_zip(course, tmp_path, capsys):
    assert cli.main(["gradescope", str(tmp_path / "a.zip"), "--root", str(course)]) == 0
    assert "upload it as the assignment's autograder" in capsys.readouterr().out
    assert (tmp_path / "a.zip").read_bytes()[:2] == b"PK"


def test_bench_report_refuses_files_without_benchmarks(tmp_path, capsys):
    empty = tmp_path / "empty.json"
    empty.write_text('{"machine_info": {}, "benchmarks": []}')
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["bench-report", str(empty)])
    assert exit_info.value.code == 2 and "no benchmarks" in capsys.readouterr().err


def test_claims_lists_the_claims_with_their_points(tmp_path):
    root = make_project(
        tmp_path / "c", {"answer": ANSWER_LESSON}, {"answer": ANSWER_CLAIM.format(points=3)}
    )
    done = subprocess.run(
        [sys.executable, "-m", "checks.grader.cli", "claims", "--root", str(root)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    line = next(line for line in done.stdout.splitlines() if "test_answer_is_42" in line)
    assert "answer" in line and "3" in line
