"""Score arithmetic (checks/grader/scores.py) and the per-lesson table a run ends with (design E)."""

import pytest

from checks.grader.scores import LessonScore, Outcome, lesson_scores, score_table


def outcome(lesson: str, points: float, result: str) -> Outcome:
    return Outcome(lesson=lesson, name=f"test_{result}", points=points, outcome=result)


def test_passed_claims_earn_their_points_and_skipped_ones_count_for_neither():
    outcomes = [
        outcome("relu", 2, "passed"),
        outcome("relu", 3, "failed"),
        outcome("relu", 5, "skipped"),
    ]

    assert lesson_scores(outcomes) == [
        LessonScore(lesson="relu", passed=1, graded=2, skipped=1, earned=2.0, possible=5.0)
    ]


def test_fractional_points_add_up():
    outcomes = [outcome("relu", 0.1, "passed"), outcome("relu", 0.2, "passed")]

    (score,) = lesson_scores(outcomes)

    assert score.earned == pytest.approx(0.3) and score.possible == pytest.approx(0.3)
    assert score_table([score])[1].split()[-1] == "0.3/0.3"


def test_lessons_come_in_the_given_order_then_alphabetically():
    outcomes = [outcome(name, 1, "passed") for name in ("zeta", "beta", "mid", "alpha")]

    scores = lesson_scores(outcomes, order=("mid", "zeta", "not_run"))

    assert [s.lesson for s in scores] == ["mid", "zeta", "alpha", "beta"]


def test_score_table_lines():
    scores = [
        LessonScore("relu_nodes", passed=1, graded=2, skipped=1, earned=2.5, possible=5.0),
        LessonScore("noise", passed=0, graded=0, skipped=2, earned=0.0, possible=0.0),
    ]

    assert score_table(scores) == [
        "lesson         claims       points",
        "relu_nodes        1/2        2.5/5  (1 skipped)",
        "noise             0/0          0/0  (2 skipped)",
        "total             1/2        2.5/5",
    ]


def test_score_table_columns_line_up_with_short_lesson_names():
    scores = [LessonScore("fit", passed=2, graded=2, skipped=0, earned=3.0, possible=3.0)]

    assert score_table(scores) == [
        "lesson     claims       points",
        "fit           2/2          3/3",
        "total         2/2          3/3",
    ]


def test_score_table_of_nothing_is_a_zero_total():
    assert score_table([]) == ["lesson     claims       points", "total         0/0          0/0"]


TWO_CLAIMS = '''
import pytest


@pytest.mark.claim(points=3)
def test_holds(lesson):
    """This claim holds."""
    assert lesson.answer() == 42


@pytest.mark.claim(points=2)
def test_fails(lesson):
    """This claim does not hold."""
    assert lesson.answer() == 41
'''


@pytest.fixture
def graded(project):
    """Lesson ``zeta`` (first in LESSONS) earns 1.5 of 1.5; ``alpha`` earns 3 of 5."""
    project.passing("zeta", points=1.5)
    project.lesson("alpha")
    project.checks("alpha", TWO_CLAIMS)
    return project


TABLE = [
    r"=+ lesson scores (\(.*\) )?=+$",
    r"lesson\s+claims\s+points$",
    r"zeta\s+1/1\s+1.5/1.5$",
    r"alpha\s+1/2\s+3/5$",
    r"total\s+2/3\s+4.5/6.5$",
]


def test_run_ends_with_the_score_table_in_lesson_order(graded):
    result = graded.run("lessons")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.re_match_lines(TABLE, consecutive=True)


def test_run_in_a_fresh_interpreter_prints_the_same_table(graded):
    """What a student runs: `pytest lessons` in its own process (slower, so only once)."""
    result = graded.run_subprocess("lessons")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.re_match_lines(TABLE, consecutive=True)


def test_workers_report_scores_to_the_table(graded):
    """With pytest-xdist the claims run in worker processes; their scores still add up."""
    result = graded.run("lessons", "-n", "2")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.re_match_lines(TABLE, consecutive=True)
    result.stdout.fnmatch_lines(
        ["FAILED alpha::test_fails: This claim does not hold.", "    -> claim does not hold: *"]
    )
