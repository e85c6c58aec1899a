"""``--grade-json`` writes Gradescope's results.json; ``--claims`` lists the claims; partial credit."""

from __future__ import annotations

import pytest

from checks.grader.claims import VISIBILITIES
from checks.grader.scores import Outcome, lesson_scores
from tests._fake_project import by_name, grade, make_project

# Gradescope's documented fields (autograder specifications, "Output format"): the top level
# may hold more optional keys, each test may hold these and a few optional others.
GRADESCOPE_TOP_LEVEL = {
    "score",
    "execution_time",
    "output",
    "output_format",
    "test_output_format",
    "test_name_format",
    "visibility",
    "stdout_visibility",
    "extra_data",
    "tests",
    "leaderboard",
}
GRADESCOPE_TEST = {
    "score",
    "max_score",
    "status",
    "name",
    "name_format",
    "number",
    "output",
    "output_format",
    "tags",
    "visibility",
    "extra_data",
}
OURS_TOP_LEVEL = {"score", "execution_time", "output", "tests"}
OURS_TEST = {"name", "score", "max_score", "status", "output", "visibility", "tags"}

ALPHA = """\
def answer():
    return 42
"""

ALPHA_CHECKS = """\
import pytest


@pytest.mark.claim(points=2)
def test_answer_is_42(lesson):
    '''The answer is 42.'''
    assert lesson.answer() == 42


@pytest.mark.claim(points=1)
def test_answer_is_odd(lesson):
    '''The answer is odd.'''
    assert lesson.answer() % 2 == 1, "42 is even"


@pytest.mark.claim(points=1, visibility="hidden")
def test_secret_answer_is_positive(lesson):
    '''The answer is positive.'''
    assert lesson.answer() > 0


@pytest.mark.claim(points=1, visibility="after_due_date")
def test_answer_is_small(lesson):
    '''The answer is below 10.'''
    assert lesson.answer() < 10


@pytest.mark.claim(points=2, partial=True)
def test_most_seeds_work(partial_credit):
    '''Every seed works (partial credit per seed).'''
    right = [True, True, False, False, False]
    partial_credit(sum(right) / len(right))
    assert all(right), f"{sum(right)} of {len(right)} seeds"


@pytest.mark.claim(points=1, partial=True)
def test_all_seeds_work(partial_credit):
    '''Every seed works here.'''
    partial_credit(1.0)


@pytest.mark.claim(points=1)
def test_undeclared_partial_is_refused(partial_credit):
    '''A claim without partial=True cannot use partial credit.'''
    partial_credit(1.0)


@pytest.mark.claim(points=1)
def test_needs_a_gpu():
    '''Runs on a GPU.'''
    pytest.skip("CUDA not available")
"""

BETA = "import no_such_module\n"

BETA_CHECKS = """\
import pytest


@pytest.mark.claim(points=3)
def test_beta_imports(lesson):
    '''beta imports.'''
"""


@pytest.fixture
def course(pytester):
    return make_project(
        pytester.path, {"alpha": ALPHA, "beta": BETA}, {"alpha": ALPHA_CHECKS, "beta": BETA_CHECKS}
    )


def test_results_json_has_gradescopes_shape_and_our_scores(pytester, course):
    result = pytester.runpytest_subprocess("lessons", "--grade-json", "results.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    results = grade(result, course / "results.json")

    assert set(results) == OURS_TOP_LEVEL and OURS_TOP_LEVEL <= GRADESCOPE_TOP_LEVEL
    assert isinstance(results["execution_time"], float) and results["execution_time"] > 0
    for test in results["tests"]:
        assert set(test) == OURS_TEST and OURS_TEST <= GRADESCOPE_TEST
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in VISIBILITIES
        assert 0 <= test["score"] <= test["max_score"]
        assert isinstance(test["tags"], list)

    tests = by_name(results)
    scores = {name: (t["status"], t["score"], t["max_score"]) for name, t in tests.items()}
    assert scores == {
        "test_answer_is_42": ("passed", 2, 2),
        "test_answer_is_odd": ("failed", 0, 1),
        "test_secret_answer_is_positive": ("passed", 1, 1),
        "test_answer_is_small": ("failed", 0, 1),
        "test_most_seeds_work": ("failed", 0.8, 2),  # a failing claim keeps its fraction
        "test_all_seeds_work": ("passed", 1, 1),
        "test_undeclared_partial_is_refused": ("failed", 0, 1),
        "test_beta_imports": ("failed", 0, 3),
    }  # the skipped claim is not graded, as in the score table
    assert results["score"] == pytest.approx(4.8)
    assert tests["test_secret_answer_is_positive"]["visibility"] == "hidden"
    assert tests["test_answer_is_small"]["visibility"] == "after_due_date"
    assert (
        tests["test_answer_is_odd"]["output"]
        == "The answer is odd.\nclaim does not hold: 42 is even"
    )
    assert tests["test_undeclared_partial_is_refused"]["output"].endswith(
        "test_undeclared_partial_is_refused uses partial_credit: "
        "declare claim(points=N, partial=True)"
    )
    assert tests["test_beta_imports"]["output"].endswith(
        "lesson 'beta' does not import: ModuleNotFoundError: No module named 'no_such_module'"
    )
    # Students see the top-level output: it counts the hidden claims but does not show them.
    assert "secret" not in results["output"] and "small" not in results["output"]
    assert "+ 2 points in 2 claim(s) shown after release" in results["output"]
    assert "1 claim(s) skipped, not graded: CUDA not available" in results["output"]


def test_grade_json_is_written_when_the_run_is_interrupted(pytester, course):
    result = pytester.runpytest_subprocess(
        "lessons", "-x", "-p", "no:randomly", "--grade-json", "r.json"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert grade(result, course / "r.json")["tests"]


def test_claims_lists_every_claim_and_runs_nothing(pytester, course):
    result = pytester.runpytest_subprocess("lessons", "--claims", "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.OK
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*= claims =*",
            "lesson*claim*points*ko*visibility",
            "alpha*test_answer_is_42*2*visible",
            "alpha*test_secret_answer_is_positive*1*hidden",
            "alpha*test_answer_is_small*1*after_due_date",
            "alpha*test_most_seeds_work*2*visible  (partial credit)",
            "beta*test_beta_imports*3*visible",
            "9 claims in 2 lessons, 13 points, of which 2 not visible to students",
            "9 claim(s) have no Korean sentence yet (claim(..., ko=*), ko '-' above): alpha, beta",
            "*9 tests collected*",
        ]
    )
    assert "<Function" not in out and "lesson scores" not in out  # no tree, nothing ran


def test_collect_only_lists_every_claim(pytester, course):
    result = pytester.runpytest_subprocess("lessons", "--collect-only", "-q", "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["checks/check_alpha.py::test_answer_is_42", "checks/check_beta.py::test_beta_imports"]
    )
    assert result.stdout.str().count("::test_") == 9


def test_partial_credit_adds_up_in_the_score_table():
    outcomes = [
        Outcome("a", "x", 2, "failed", partial=True, fraction=0.4),
        Outcome("a", "y", 1, "passed"),
        Outcome("a", "z", 3, "failed"),
        Outcome("a", "w", 5, "skipped", partial=True, fraction=1.0),
    ]
    (score,) = lesson_scores(outcomes)
    assert (score.passed, score.graded, score.earned, score.possible) == (1, 3, 1.8, 6)
