"""How `pytest lessons` finds each lesson's claims in checks/check_<lesson>.py (design D)."""

import pytest


@pytest.fixture
def two_lessons(project):
    project.passing("alpha")
    project.passing("beta")
    return project


def test_lessons_directory_collects_the_claims_of_every_lesson(two_lessons):
    result = two_lessons.run("lessons", "--collect-only", "-q")

    result.stdout.fnmatch_lines(
        ["checks/check_alpha.py::test_answer_is_42", "checks/check_beta.py::test_answer_is_42"]
    )
    assert result.ret == pytest.ExitCode.OK


def test_one_lesson_file_collects_only_that_lessons_claims(two_lessons):
    result = two_lessons.run("lessons/beta.py", "-v")

    result.stdout.fnmatch_lines(["checks/check_beta.py::test_answer_is_42 PASSED*"])
    result.stdout.no_fnmatch_line("*check_alpha*")
    result.assert_outcomes(passed=1)


def test_checks_file_alone_runs_its_claims(two_lessons):
    result = two_lessons.run("checks/check_alpha.py", "-v")

    result.stdout.fnmatch_lines(["checks/check_alpha.py::test_answer_is_42 PASSED*"])
    result.assert_outcomes(passed=1)


def test_lessons_and_checks_together_run_each_claim_once(two_lessons):
    result = two_lessons.run("lessons", "checks", "-v")

    alpha_runs = [line for line in result.stdout.lines if "check_alpha.py::test_answer" in line]
    assert len(alpha_runs) == 1
    result.assert_outcomes(passed=2)


def test_files_starting_with_underscore_are_not_lessons(project):
    project.passing("alpha")
    project.lesson("_shared", "def helper():\n    return 1\n")  # no checks/check__shared.py

    result = project.run("lessons", "-v")

    result.stdout.no_fnmatch_line("*_shared*")
    result.assert_outcomes(passed=1)


def test_file_starting_with_underscore_named_on_the_command_line_is_not_a_lesson(project):
    project.lesson("_shared", "def helper():\n    return 1\n")

    result = project.run("lessons/_shared.py")

    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.no_fnmatch_line("*has no checks*")


def test_lesson_without_checks_file_is_a_collection_error_naming_the_expected_path(project):
    project.passing("alpha")
    project.lesson("orphan")

    result = project.run("lessons")

    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting lessons/orphan.py*",
            "lesson 'orphan' has no checks: expected checks/check_orphan.py *",
        ]
    )
    result.assert_outcomes(errors=1)
