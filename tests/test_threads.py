"""One torch thread for the session unless ``--torch-threads`` says otherwise, restored after (design J)."""

import pytest
import torch

CLAIM = '''
import pytest
import torch


@pytest.mark.claim(points=1)
def test_threads():
    """Training runs with the session's thread count."""
    assert torch.get_num_threads() == {threads}
'''


@pytest.fixture
def threads_before():
    """The caller's torch thread count, put back after the test whatever happens."""
    before = torch.get_num_threads()
    yield before
    torch.set_num_threads(before)


def test_one_thread_by_default_and_the_callers_count_restored(project, threads_before):
    project.lesson("alpha")
    project.checks("alpha", CLAIM.format(threads=1))
    torch.set_num_threads(2)

    result = project.run("lessons", "-v")  # the header's lines: pytest's full report

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["lessons: torch *, 1 torch thread(s) (--torch-threads), *"])
    assert torch.get_num_threads() == 2


def test_torch_threads_option_sets_the_sessions_threads(project, threads_before):
    threads = threads_before + 1
    project.lesson("alpha")
    project.checks("alpha", CLAIM.format(threads=threads))

    result = project.run("lessons", f"--torch-threads={threads}", "-v")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"lessons: torch *, {threads} torch thread(s) *"])
    assert torch.get_num_threads() == threads_before


def test_torch_threads_below_one_is_a_usage_error(project, threads_before):
    project.passing("alpha")

    result = project.run("lessons", "--torch-threads=0")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ERROR: --torch-threads must be >= 1, got 0" in result.stderr.lines
    assert torch.get_num_threads() == threads_before
