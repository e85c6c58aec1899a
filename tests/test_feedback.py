"""A failing claim tells the student what it says and, in one line, why it failed (design E)."""

import pytest

CLAIMS = '''
import pytest


@pytest.fixture(scope="module")
def answer(lesson):
    return lesson.answer()


@pytest.mark.claim(points=2)
def test_answer_is_42(answer):
    """The lesson answers 42, the answer to
    everything.

    Details that students need not read in the summary.
    """
    assert answer == 42, f"the lesson answered {answer}"
'''


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param("return 41", "claim does not hold: the lesson answered 41", id="assert"),
        pytest.param(
            "raise NotImplementedError('Homework (alpha): return the answer')",
            "not attempted yet: Homework (alpha): return the answer",
            id="homework-stub",
        ),
        pytest.param(
            "raise ValueError('no answer\\nsecond line')",
            "ValueError: no answer (at alpha.py:2 in answer)",
            id="error",
        ),
    ],
)
def test_failing_claim_shows_its_docstring_and_a_one_line_reason(project, body, reason):
    project.lesson("alpha", f"def answer():\n    {body}\n")
    project.checks("alpha", CLAIMS)

    result = project.run("lessons")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.re_match_lines([r"alpha\s+0/1\s+0/2$"])
    card = unwrapped(result.stdout.lines)
    if reason.startswith("not attempted yet"):  # grouped by the homework function instead
        assert "not attempted yet (write these functions, then rerun their lesson):" in card
        assert "alpha.answer 1 claim, 2 points return the answer" in card
        assert "FAILED" not in card
        return
    summary = "FAILED alpha::test_answer_is_42: The lesson answers 42, the answer to everything."
    assert f"{summary} -> {reason}" in card


def unwrapped(lines: list[str]) -> str:
    """The report card as one line of words: its blocks are wrapped to the terminal's width."""
    return " ".join(" ".join(lines).split())


def test_lesson_that_does_not_import_fails_only_its_own_claims(project):
    project.lesson("alpha", "def answer(:\n    return 42\n")
    project.checks("alpha", CLAIMS)
    project.passing("beta", points=3)

    result = project.run("lessons")

    result.assert_outcomes(passed=1, errors=1)
    result.stdout.re_match_lines(
        [r"alpha\s+0/1\s+0/2$", r"beta\s+1/1\s+3/3$", r"total\s+1/2\s+3/5$"], consecutive=True
    )
    result.stdout.re_match_lines(
        [
            r"FAILED alpha::test_answer_is_42: .*",
            r"    -> lesson 'alpha' does not import: SyntaxError: .*",
        ]
    )


def test_claim_that_hangs_is_stopped_by_the_timeout(project):
    project.lesson("alpha", "import time\n\n\ndef answer():\n    time.sleep(30)\n")
    project.checks("alpha", CLAIMS)

    result = project.run("lessons", "--timeout=0.5")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["    -> timed out after 0.5 s"])


TEARDOWN = '''
import pytest


@pytest.fixture
def answer(lesson):
    yield lesson.answer()
    raise RuntimeError("cleanup failed")


@pytest.mark.claim(points=1)
def test_answer_is_42(answer):
    """The lesson answers 42."""
    assert answer == {expected}, "wrong answer"
'''


@pytest.mark.parametrize(
    ("expected", "reason"),
    [
        (42, "RuntimeError: cleanup failed"),  # passed, then broke while cleaning up
        (41, "claim does not hold: wrong answer"),  # the first failure is the reason shown
    ],
    ids=["teardown-error", "call-failure-first"],
)
def test_failure_while_cleaning_up_fails_the_claim(project, expected, reason):
    project.lesson("alpha")
    project.checks("alpha", TEARDOWN.format(expected=expected))

    result = project.run("lessons")

    result.stdout.re_match_lines([r"alpha\s+0/1\s+0/1$"])
    assert f"FAILED alpha::test_answer_is_42: The lesson answers 42. -> {reason}" in unwrapped(
        result.stdout.lines
    )
