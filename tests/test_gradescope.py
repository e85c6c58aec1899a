"""``lessons gradescope``: the autograder zip, unzipped and run against a fake ``/autograder``."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from checks.grader import gradescope
from tests._fake_project import ANSWER_CLAIM, ANSWER_LESSON, make_project, write_files

WRONG_ANSWER = "def answer():\n    return 41\n"
TEST_FIELDS = {"name", "score", "max_score", "status", "output", "visibility", "tags"}


def assert_gradescope_results(data: dict) -> None:
    """The fields and types Gradescope reads from results.json."""
    assert isinstance(data["score"], (int, float)) and data["score"] >= 0
    assert isinstance(data["execution_time"], (int, float))
    assert isinstance(data["output"], str) and data["output"]
    assert data["tests"], "no test to show the student"
    for test in data["tests"]:
        assert set(test) == TEST_FIELDS
        assert test["status"] in ("passed", "failed")
        assert isinstance(test["tags"], list) and isinstance(test["output"], str)
        assert 0 <= test["score"] <= test["max_score"] or test["max_score"] == 0


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory) -> Path:
    """The zip of a one-lesson course (a folder outside git: its working files)."""
    root = tmp_path_factory.mktemp("course")
    make_project(root, {"answer": ANSWER_LESSON}, {"answer": ANSWER_CLAIM.format(points=2)})
    out = tmp_path_factory.mktemp("zip") / "autograder.zip"
    gradescope.build(root, out)
    return out


def unzip(archive: Path, dest: Path) -> None:
    """Unzip as Gradescope does, permissions included (zipfile alone drops them)."""
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            path = Path(z.extract(info, dest))
            path.chmod(info.external_attr >> 16 & 0o777)


def run_autograder(root: Path, submission: dict[str, str], **env: str) -> dict:
    """Unzip into ``root/source``, write the submission, run ``run_autograder``, read results."""
    write_files(root / "submission", submission)
    done = subprocess.run(
        [str(root / "source" / "run_autograder")],
        env={**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable} | env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


@pytest.fixture
def autograder(autograder_zip, tmp_path) -> Path:
    unzip(autograder_zip, tmp_path / "source")
    return tmp_path


def test_zip_holds_the_two_scripts_executable_and_the_course(autograder_zip, autograder):
    with zipfile.ZipFile(autograder_zip) as z:
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
    for script in ("setup.sh", "run_autograder"):
        assert stat.S_IMODE(modes[script]) == 0o755 and stat.S_ISREG(modes[script])
        subprocess.run(["bash", "-n", str(autograder / "source" / script)], check=True)
    assert {"pyproject.toml", "constraints.txt", "lessons/answer.py"} <= set(modes)
    assert "checks/grader/autograder.py" in modes and "checks/check_answer.py" in modes
    setup = (autograder / "source" / "setup.sh").read_text()
    assert 'pip" install --no-cache-dir -c "$source_dir/constraints.txt" -e "$source_dir"' in setup


def test_the_same_course_gives_the_same_zip(autograder_zip, tmp_path):
    root = tmp_path / "course"
    make_project(root, {"answer": ANSWER_LESSON}, {"answer": ANSWER_CLAIM.format(points=2)})
    gradescope.build(root, tmp_path / "again.zip")
    assert (tmp_path / "again.zip").read_bytes() == autograder_zip.read_bytes()


def test_a_submission_is_graded_into_results_json(autograder):
    data = run_autograder(autograder, {"lessons/answer.py": ANSWER_LESSON})
    assert_gradescope_results(data)
    assert data["score"] == 2
    assert [(t["name"], t["status"]) for t in data["tests"]] == [
        ("answer::test_answer_is_42", "passed")
    ]


def test_only_the_students_lesson_files_are_used(autograder):
    data = run_autograder(
        autograder,
        {
            "lessons/answer.py": WRONG_ANSWER,
            "checks/check_answer.py": "import pytest\n\n\ndef test_answer_is_42():\n    pass\n",
            "lessons/_train.py": "raise SystemExit('student engine ran')\n",
        },
    )
    assert_gradescope_results(data)
    assert data["score"] == 0 and data["tests"][0]["status"] == "failed"


def test_files_uploaded_one_by_one_are_graded_too(autograder):
    data = run_autograder(autograder, {"answer.py": ANSWER_LESSON})
    assert data["score"] == 2


def test_a_submission_without_lessons_gets_a_readable_failing_result(autograder):
    data = run_autograder(autograder, {"README.txt": "oops"})
    assert_gradescope_results(data)
    assert data["score"] == 0
    assert data["output"] == "No lesson files found in the submission: upload lessons/answer.py."


def test_a_hang_is_stopped_and_reported(autograder):
    hang = "def answer():\n    while True:\n        pass\n"
    data = run_autograder(autograder, {"lessons/answer.py": hang}, AUTOGRADER_TIMEOUT="15")
    assert_gradescope_results(data)
    assert data["score"] == 0
    assert data["output"].startswith("The grading run failed (timed out after 15 s)")


def test_a_broken_image_still_writes_a_failing_result(autograder):
    data = run_autograder(
        autograder, {"lessons/answer.py": ANSWER_LESSON}, AUTOGRADER_PYTHON="/no/such/python"
    )
    assert_gradescope_results(data)
    assert data["score"] == 0 and "could not run" in data["output"]


LINE_LESSON = "def slope():\n    return 2.0\n"
LINE_CLAIM = '''\
import pytest
import torch

X = torch.linspace(-1, 1, 20).reshape(20, 1)


def _line():
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(0.5), model.bias.fill_(0.0)
    return model


def fits_ahead(train, kept, device, fixtures):
    train(_line(), X, 2.0 * X, lr=0.1, epochs=300, device=device)


@pytest.mark.claim(points=1)
def test_a_line_fits_the_slope(lesson, train):
    """A line trained on y = slope() * x ends near it."""
    fit = train(_line(), X, float(lesson.slope()) * X, lr=0.1, epochs=300)
    assert float(fit.losses[-1]) < 0.01
'''


def test_the_image_keeps_the_courses_fits_for_every_submission(tmp_path):
    """setup.sh's ``autograder --warm`` trains the checks' ``fits_ahead`` into
    /autograder/fit-cache (the image's lessons are stubs: nothing of them runs); a submission's
    run then reads the fit instead of training it, and one whose fit differs trains its own."""
    course = make_project(tmp_path / "course", {"line": LINE_LESSON}, {"line": LINE_CLAIM})
    gradescope.build(course, tmp_path / "autograder.zip")
    root = tmp_path / "autograder"
    unzip(tmp_path / "autograder.zip", root / "source")
    assert "checks.grader.autograder --warm" in (root / "source" / "setup.sh").read_text()
    warmed = subprocess.run(
        [sys.executable, "-m", "checks.grader.autograder", "--warm", "--root", str(root)],
        cwd=root / "source",
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert warmed.returncode == 0, warmed.stdout[-3000:] + warmed.stderr[-3000:]
    assert len(list((root / "fit-cache").rglob("*.pt"))) == 1
    assert not (root / "results").exists()  # the warm-up grades no submission
    assert "fit cache: 1 fit(s) trained and kept for the claims to read" in warmed.stdout

    for slope, read in (("2.0", "1 fit(s) read, 0 trained"), ("3.0", "0 fit(s) read, 1 trained")):
        write_files(root / "submission", {"lessons/line.py": LINE_LESSON.replace("2.0", slope)})
        done = subprocess.run(
            [str(root / "source" / "run_autograder")],
            env={**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert f"fit cache: {read}" in done.stdout, done.stdout[-3000:]
        data = json.loads((root / "results" / "results.json").read_text())
        assert data["score"] == 1, data
