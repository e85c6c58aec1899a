"""The claim marker is validated at collection: a bad marker stops the run with a clear message."""

import pytest

CLAIM = '''
import pytest


@pytest.mark.{marker}
def test_claim(lesson):
    """A claim."""
'''


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        pytest.param(
            "claim(points=1, weight=3)",
            "unknown claim argument(s) ['weight']; allowed: ['ko', 'partial', 'points', 'visibility']",
            id="unknown-key",
        ),
        pytest.param("claim()", "claim needs points=N", id="no-points"),
        pytest.param(
            "claim(2)", "use claim(points=N), not positional arguments (2,)", id="positional"
        ),
        pytest.param(
            "claim(points='2')", "claim points must be a number, got '2'", id="string-points"
        ),
        pytest.param(
            "claim(points=True)", "claim points must be a number, got True", id="bool-points"
        ),
        pytest.param(
            "claim(points=0)", "claim points must be positive and finite, got 0", id="zero"
        ),
        pytest.param(
            "claim(points=-1.5)",
            "claim points must be positive and finite, got -1.5",
            id="negative",
        ),
        pytest.param(
            "claim(points=float('inf'))",
            "claim points must be positive and finite, got inf",
            id="inf",
        ),
        pytest.param(
            "claim(points=float('nan'))",
            "claim points must be positive and finite, got nan",
            id="nan",
        ),
        pytest.param(
            "claim(points=1, visibility='secret')",
            "claim visibility must be one of "
            "('visible', 'hidden', 'after_due_date', 'after_published'), got 'secret'",
            id="bad-visibility",
        ),
        pytest.param(
            "claim(points=1, ko=3)",
            "claim ko must be the Korean sentence, got 3",
            id="ko-not-text",
        ),
    ],
)
def test_invalid_claim_marker_is_a_usage_error(project, marker, message):
    project.lesson("alpha")
    project.checks("alpha", CLAIM.format(marker=marker))

    result = project.run("lessons")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"ERROR: alpha::test_claim: {message}" in result.stderr.lines


def test_valid_claim_markers_are_accepted(project):
    visibilities = ("visible", "hidden", "after_due_date", "after_published")
    markers = [
        "claim(points=0.5)",
        "claim(points=2)",
        "claim(points=1, ko='답은 42이다.')",
        *(f"claim(points=1, visibility={v!r})" for v in visibilities),
    ]
    project.lesson("alpha")
    project.checks(
        "alpha",
        "".join(
            CLAIM.format(marker=marker).replace("test_claim", f"test_claim_{i}")
            for i, marker in enumerate(markers)
        ),
    )

    result = project.run("lessons")

    result.assert_outcomes(passed=len(markers))
    result.stdout.re_match_lines([r"total\s+7/7\s+7.5/7.5$"])


def test_unmarked_test_in_a_checks_module_is_a_usage_error(project):
    project.lesson("alpha")
    project.checks(
        "alpha",
        CLAIM.format(marker="claim(points=1)") + "\n\ndef test_helper():\n    pass\n",
    )

    result = project.run("lessons")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert (
        "ERROR: checks/check_alpha.py::test_helper: every test in a checks module is a claim; "
        "add @pytest.mark.claim(points=N) (or @pytest.mark.figure for a figure snapshot)"
    ) in result.stderr.lines


def test_claim_outside_a_checks_module_is_a_usage_error(project):
    project.pytester.makepyfile(test_misplaced=CLAIM.format(marker="claim(points=1)"))

    result = project.run("test_misplaced.py")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert (
        "ERROR: test_misplaced.py::test_claim: claims belong in checks/check_<lesson>.py"
    ) in result.stderr.lines


def test_tests_outside_checks_are_not_graded(project):
    project.passing("alpha", points=3)
    project.pytester.makepyfile(test_plain="def test_plain():\n    pass\n")

    result = project.run("lessons", "test_plain.py")

    result.assert_outcomes(passed=2)
    result.stdout.re_match_lines([r"total\s+1/1\s+3/3$"])
