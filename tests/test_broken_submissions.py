"""Broken student work is graded fairly: each lesson's claims fail with one line a student
understands, every other lesson is still graded, the grade is still written, exit codes as usual.

One pytester course holds a good lesson and one lesson per way a submission can break; all share
the same checks module, run once.
"""

from __future__ import annotations

import re

import pytest

from checks.grader.feedback import MAX_REASON, failure_reason, trim_output
from tests._card import misreported, score_table_is_last
from tests._fake_project import grade, make_project, preload_engine

GOOD = """\
import time
from types import SimpleNamespace

import torch


def make_data():
    return torch.full((100, 1), 0.5), torch.ones(100, 1)


def fit(X, y):
    return SimpleNamespace(model=None, losses=torch.linspace(1.0, 0.1, 20))


def solve(X):
    '''Return the mean of X.'''
    return float(X.mean())
"""

BROKEN = {
    "good": GOOD,
    "not_attempted": GOOD.replace(
        "    return float(X.mean())",
        '    raise NotImplementedError("Homework (not_attempted): Return the mean of X.")',
    ),
    "syntax_error": GOOD.replace("def solve(X):", "def solve(X:"),
    "missing_import": "from lessons.good import no_such_name\n" + GOOD,
    "missing_name": GOOD.replace("def solve(X):", "def solution(X):"),
    "raises": GOOD.replace("return float(X.mean())", "return float(X.mean()) / 0"),
    "nan_loss": GOOD.replace(
        "losses=torch.linspace(1.0, 0.1, 20)",
        "losses=torch.linspace(1.0, 0.1, 20).index_fill(0, torch.tensor([12]), float('nan'))",
    ),
    "wrong_shape": GOOD.replace("torch.ones(100, 1)", "torch.ones(100)"),
    "wrong_dtype": GOOD.replace("torch.full((100, 1), 0.5)", "torch.full((100, 1), 0.5).double()"),
    "wrong_device": GOOD.replace(
        "torch.full((100, 1), 0.5)", "torch.full((100, 1), 0.5, device='meta')"
    ),
    "mutates": GOOD.replace(
        "    return float(X.mean())", "    mean = float(X.mean())\n    X.zero_()\n    return mean"
    ),
    "prints": GOOD.replace(
        "    return float(X.mean())",
        "    for i in range(20000):\n        print('debugging line', i)\n    return 0.0",
    ),
    "hangs": GOOD.replace("    return float(X.mean())", "    while True:\n        pass").replace(
        "    return SimpleNamespace", "    time.sleep(1000)\n    return SimpleNamespace"
    ),
}

CHECKS = """\
import pytest

from checks.validate import expect_data, expect_fit, expect_number, private_copy

pytestmark = pytest.mark.timeout(2)


@pytest.fixture(scope="module")
def lecture_data(lesson):
    return expect_data(lesson.make_data(), x_shape=(100, 1))


@pytest.fixture
def data(lecture_data):
    with private_copy(lecture_data, what="the data (X, y)") as copy:
        yield copy


@pytest.fixture(scope="module")
def fitted(lesson, lecture_data):
    return expect_fit(lesson.fit(*lecture_data), epochs=20)


@pytest.mark.claim(points=2)
def test_solve_finds_the_mean(lesson, data):
    '''solve(X) returns the mean of X.'''
    assert expect_number(lesson.solve(data[0]), name="solve") == pytest.approx(0.5)


@pytest.mark.claim(points=1)
def test_data_is_all_halves(data):
    '''X is 0.5 everywhere.'''
    assert bool((data[0] == 0.5).all())


@pytest.mark.claim(points=1)
def test_fit_ends_low(fitted):
    '''The fit's last loss is below 1.'''
    assert float(fitted.losses[-1]) < 1
"""

SOLVE, DATA, FIT = "test_solve_finds_the_mean", "test_data_is_all_halves", "test_fit_ends_low"

# lesson -> {claim: the reason it fails with (None: it passes)}; a reason ending in "…" is a prefix
EXPECTED = {
    "good": {SOLVE: None, DATA: None, FIT: None},
    "not_attempted": {
        SOLVE: "not attempted yet: Homework (not_attempted): Return the mean of X.",
        DATA: None,
        FIT: None,
    },
    "syntax_error": dict.fromkeys(
        (SOLVE, DATA, FIT),
        "lesson 'syntax_error' does not import: SyntaxError: …",
    ),
    "missing_import": dict.fromkeys(
        (SOLVE, DATA, FIT),
        "lesson 'missing_import' does not import: ImportError: cannot import name 'no_such_name'…",
    ),
    "missing_name": {
        SOLVE: "lessons.missing_name has no 'solve': was it renamed or deleted?",
        DATA: None,
        FIT: None,
    },
    "raises": {
        SOLVE: "ZeroDivisionError: float division by zero (at raises.py:17 in solve)",
        DATA: None,
        FIT: None,
    },
    "nan_loss": {SOLVE: None, DATA: None, FIT: "fit returned NaN loss at epoch 12"},
    "wrong_shape": dict.fromkeys(
        (SOLVE, DATA, FIT), "make_data() y: expected shape (100, 1), got (100,)"
    ),
    "wrong_dtype": dict.fromkeys(
        (SOLVE, DATA, FIT), "make_data() X: expected dtype torch.float32, got torch.float64"
    ),
    "wrong_device": dict.fromkeys(
        (SOLVE, DATA, FIT), "make_data() X: expected a tensor on cpu, got one on meta"
    ),
    "mutates": {
        SOLVE: "the data (X, y) was changed in place by the lesson's code: work on a copy (.clone())",
        DATA: None,
        FIT: None,
    },
    "prints": {
        SOLVE: "claim does not hold: got 0.0, expected 0.5 ± 5.0e-07…",
        DATA: None,
        FIT: None,
    },
    "hangs": {SOLVE: "timed out after 2 s", DATA: None, FIT: "timed out after 2 s"},
}


def test_broken_course_is_graded_lesson_by_lesson(pytester):
    """One run of the whole course (about 5 s: the hanging lesson waits out two timeouts)."""
    make_project(pytester.path, BROKEN, dict.fromkeys(BROKEN, CHECKS))
    preload_engine(pytester.path)  # the box as it ships; these lessons import torch
    result = pytester.runpytest_subprocess("lessons", "--grade-json", "out/results.json")
    results = grade(result, pytester.path / "out" / "results.json")
    out = result.stdout.str()

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert sorted(wrong_reasons(results)) == []
    # An untouched homework stub: its reason, and no traceback.
    assert re.search(r"not_attempted\.solve +1 claim, 2 points +Return the mean of X\.", out)
    assert "raise NotImplementedError" not in out
    # A flood of prints: the report card shows none of it (`pytest -v` shows its end, cut by
    # the scorer: test_captured_output_keeps_its_end).
    assert "debugging line" not in out and len(out) < 60_000
    # The report card: each failing claim named once, no machinery, the score table last.
    assert misreported(out, results) == []
    assert score_table_is_last(out)


def wrong_reasons(results: dict) -> list[str]:
    """Every claim whose outcome or reason is not the expected one, described."""
    tests = {tuple(test["name"].split("::", 1)): test for test in results["tests"]}
    wrong = []
    for lesson, claims in EXPECTED.items():
        for claim, reason in claims.items():
            test = tests.pop((lesson, claim), None)
            if test is None:
                wrong.append(f"{lesson}::{claim} was not graded")
                continue
            shown = test["output"].splitlines()[-1]  # the reason, after the claim's description
            if reason is None:
                ok = test["status"] == "passed" and test["score"] == test["max_score"]
            else:
                ok = test["status"] == "failed" and test["score"] == 0
                ok = ok and (
                    shown.startswith(reason[:-1]) if reason.endswith("…") else shown == reason
                )
            if not ok:
                wrong.append(f"{lesson}::{claim}: {test['status']} {test['score']}: {shown!r}")
    return wrong + [f"{lesson}::{claim} graded but not expected" for lesson, claim in tests]


def _reason(raise_it) -> str:
    with pytest.raises(BaseException) as excinfo:
        raise_it()
    return failure_reason(excinfo)


def test_pytest_timeouts_read_in_seconds():
    assert _reason(lambda: pytest.fail("Timeout (>60.0s) from pytest-timeout.")) == (
        "timed out after 60 s"
    )
    assert _reason(lambda: pytest.fail("Timeout (>0.5s) from pytest-timeout.")) == (
        "timed out after 0.5 s"
    )


def test_reasons_are_one_short_line():
    def flood():
        raise ValueError("x" * 1000 + "\nsecond line")

    reason = _reason(flood)
    assert "\n" not in reason and len(reason) == MAX_REASON and reason.endswith("…")


def test_captured_output_keeps_its_end():
    text = "".join(f"line {i}\n" for i in range(1000))
    trimmed = trim_output(text)
    assert trimmed.startswith("[... output cut: ")
    assert trimmed.endswith("line 999\n") and "line 959\n" not in trimmed
    assert trim_output("short\n") == "short\n"
