"""``python -m checks.grader.release``: solution blocks become stubs, hidden claims stay with the instructor."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from checks.grader.hidden_claims import HiddenClaimError, remove_hidden_claims
from checks.grader.solutions import SolutionError, find_blocks, strip_solutions
from checks.grader.withheld import WITHHELD_FILE
from tests._card import misreported, score_table_is_last
from tests._fake_project import REPO, by_name, grade, make_project

HOMEWORK = '''\
"""A homework lesson."""

SCALE = 3


def triple(x):
    """Return x times three.

    Homework: multiply by SCALE.
    """
    # BEGIN SOLUTION
    return SCALE * x
    # END SOLUTION


class Describer:
    def describe(self):
        # BEGIN SOLUTION
        # HOMEWORK: return the string "triples numbers"
        return "triples numbers"
        # END SOLUTION
'''

HOMEWORK_CHECKS = '''\
import pytest


@pytest.mark.claim(points=2)
def test_triples_two(lesson):
    """triple(2) is 6."""
    assert lesson.triple(2) == 6


# catches an answer hard-coded for 2
@pytest.mark.claim(points=2, visibility="hidden")
@pytest.mark.parametrize("x", [1, 5])
def test_triples_anything(lesson, x):
    """triple(x) is 3x for other x too."""
    assert lesson.triple(x) == 3 * x


@pytest.mark.claim(points=1)
def test_describes_itself(lesson):
    """describe() says what the lesson does."""
    assert lesson.Describer().describe() == "triples numbers"


@pytest.mark.claim(points=1, visibility="after_published", partial=True)
def test_triples_negatives(lesson, partial_credit):
    """triple works for negative numbers too."""
    right = [lesson.triple(x) == 3 * x for x in (-1, -2)]
    partial_credit(sum(right) / len(right))
    assert all(right)
'''

PLAIN = "def answer():\n    return 42\n"
PLAIN_CHECKS = '''\
import pytest


@pytest.mark.claim(points=1)
def test_answer(lesson):
    """The answer is 42."""
    assert lesson.answer() == 42
'''


def test_solution_blocks_become_stubs_at_their_indentation():
    released, count = strip_solutions(HOMEWORK, lesson="homework")
    assert count == 2
    assert released == HOMEWORK.replace(
        "    # BEGIN SOLUTION\n    return SCALE * x\n    # END SOLUTION\n",
        '    raise NotImplementedError("Homework (homework): Return x times three.")\n',
    ).replace(
        '        # BEGIN SOLUTION\n        # HOMEWORK: return the string "triples numbers"\n'
        '        return "triples numbers"\n        # END SOLUTION\n',
        '        raise NotImplementedError("Homework (homework): return the string \\"triples numbers\\"")\n',
    )


def test_a_long_stub_is_wrapped_as_ruff_format_would():
    source = (
        'def f():\n    """'
        + "Do a thing " * 10
        + '"""\n    # BEGIN SOLUTION\n    pass\n    # END SOLUTION\n'
    )
    released, _ = strip_solutions(source, lesson="x")
    assert released.endswith(
        '    raise NotImplementedError(\n        "Homework (x): Do a thing Do a thing Do a thing Do a thing Do a thing Do a thing Do a thing Do a thing Do a thing Do a thing"\n    )\n'
    )


def test_a_lesson_without_solutions_is_unchanged():
    assert strip_solutions(PLAIN, lesson="plain") == (PLAIN, 0)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def f():\n    # BEGIN SOLUTION\n    pass\n", "x.py:2: BEGIN SOLUTION is never closed"),
        ("def f():\n    pass\n    # END SOLUTION\n", "x.py:3: END SOLUTION without BEGIN"),
        (
            "def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    # END SOLUTION\n",
            "x.py:3: BEGIN SOLUTION inside another",
        ),
    ],
)
def test_unpaired_markers_are_refused(source, message):
    with pytest.raises(SolutionError, match=message):
        strip_solutions(source, lesson="x", filename="x.py")


def test_hidden_claims_are_cut_with_their_decorators_and_comment():
    released, claims = remove_hidden_claims(HOMEWORK_CHECKS)
    assert [(c.name, c.points, c.cases, c.visibility) for c in claims] == [
        ("test_triples_anything", 4.0, 2, "hidden"),
        ("test_triples_negatives", 1.0, 1, "after_published"),
    ]
    kept = HOMEWORK_CHECKS.split("\n\n\n# catches")[0] + "\n\n\n@pytest.mark.claim(points=1)\n"
    kept += HOMEWORK_CHECKS.split("@pytest.mark.claim(points=1)\n")[1].split("\n\n\n@")[0] + "\n"
    assert released == kept
    compile(released, "released", "exec")


def test_a_computed_claim_argument_is_refused():
    source = "import pytest\n\n\n@pytest.mark.claim(points=N, visibility='hidden')\ndef test_x():\n    pass\n"
    with pytest.raises(HiddenClaimError, match="must be literals"):
        remove_hidden_claims(source, filename="check_x.py")


def _release(root, out) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "checks.grader.release", str(out), "--root", str(root)],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def course(pytester):
    return make_project(
        pytester.path,
        {"homework": HOMEWORK, "plain": PLAIN},
        {"homework": HOMEWORK_CHECKS, "plain": PLAIN_CHECKS},
    )


def test_student_release_scores_untouched_homework_zero_and_says_what_is_held_back(
    pytester, course, monkeypatch
):
    out = course.parent / f"{course.name}-release"
    report = _release(course, out)
    assert "solution blocks stubbed in homework (2); 3 hidden claim(s), 5 points" in report
    assert json.loads((out / "checks/_withheld.json").read_text()) == {
        "lessons": {"homework": {"claims": 3, "points": 5.0}}
    }
    assert "test_triples_anything" not in (out / "checks/check_homework.py").read_text()

    monkeypatch.chdir(out)
    result = pytester.runpytest_subprocess("lessons", "--grade-json", "results.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    results = grade(result, out / "results.json")
    assert {name: t["score"] for name, t in by_name(results).items()} == {
        "test_triples_two": 0,
        "test_describes_itself": 0,
        "test_answer": 1,
    }
    assert by_name(results)["test_triples_two"]["output"].endswith(
        "not attempted yet: Homework (homework): Return x times three."
    )
    out_text = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "homework*0/2*0/3",
            "plain*1/1*1/1",
            "total*1/3*1/4",
            "+ 5 points for hidden claims, graded after you hand in (not in the total)",
        ]
    )
    assert "Traceback" not in out_text and "raise NotImplementedError" not in out_text


def test_instructor_copy_grades_and_exports_the_hidden_claims(pytester, course):
    result = pytester.runpytest_subprocess("lessons", "--grade-json", "results.json")
    assert result.ret == pytest.ExitCode.OK
    tests = by_name(grade(result, course / "results.json"))
    assert {name: (t["score"], t["visibility"]) for name, t in tests.items()} == {
        "test_triples_two": (2, "visible"),
        "test_triples_anything[1]": (2, "hidden"),
        "test_triples_anything[5]": (2, "hidden"),
        "test_describes_itself": (1, "visible"),
        "test_triples_negatives": (1, "after_published"),
        "test_answer": (1, "visible"),
    }
    assert "held back" not in result.stdout.str()


# Headings and words of the instructor's README that are none of a student's business.
INSTRUCTOR_SECTIONS = (
    "Deploying to Gradescope",
    "Grading many submissions",
    "What a submission can and cannot do",
    "Adding a claim",
    "sandbox",
    "hidden claims cut",
    "lessons release",
    "visibility",
)
UNTOUCHED_LINES = 40  # issue 17: the untouched release's whole run fits a screen or so
UNTOUCHED_SHARE = 0.10  # issue 8: a release with nothing written earns at most 10% of its points


def test_every_lesson_has_homework():
    """Every lesson of the course asks the student for its skill: at least one solution block."""
    from lessons import LESSONS

    without = [
        name
        for name in LESSONS
        if not find_blocks((REPO / "lessons" / f"{name}.py").read_text(), filename=name)
    ]
    assert not without, f"lessons without a solution block: {without}"


def test_release_of_this_project(tmp_path, pytester, monkeypatch):
    """The real release: every lesson's homework is stubbed; with nothing written the student
    earns at most 10% of the visible points, each homework claim says "not attempted yet" in one
    line, figures of undone homework skip instead of erroring, and the hidden claims are withheld."""
    if (REPO / WITHHELD_FILE).exists():
        pytest.skip("this copy is a student release: its hidden claims are already withheld")
    out = tmp_path / "release"
    _release(REPO, out)
    withheld = json.loads((out / "checks/_withheld.json").read_text())["lessons"]
    for name in ("learning_rate", "linear_model", "relu_nodes"):
        assert withheld[name]["points"] > 0, f"{name} withholds no hidden claim"
        lesson = (out / "lessons" / f"{name}.py").read_text()
        assert "BEGIN SOLUTION" not in lesson and f"Homework ({name}): " in lesson
    assert not (out / ".venv").exists()
    assert not (out / "tests/submissions").exists(), "worked solutions shipped to students"
    # The release is the student's (issue 17): their guide, in English and Korean, and none of
    # the instructor's files or sections.
    for folder in ("tests", ".ci", "docs", "babel.cfg"):
        assert not (out / folder).exists(), f"{folder} shipped to students"
    assert (out / "README.md").read_bytes() == (REPO / "docs/student/README.md").read_bytes()
    assert (out / "README.ko.md").read_bytes() == (REPO / "docs/student/README.ko.md").read_bytes()
    guide = (out / "README.md").read_text() + (out / "README.ko.md").read_text()
    for instructor in INSTRUCTOR_SECTIONS:
        assert instructor not in guide, f"the student's README has the instructor's {instructor!r}"

    monkeypatch.chdir(out)
    result = pytester.runpytest_subprocess("lessons", "--grade-json", "results.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    tests = grade(result, out / "results.json")["tests"]
    assert all(t["visibility"] == "visible" for t in tests)
    earned, possible = sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)
    assert earned <= UNTOUCHED_SHARE * possible, f"untouched release earns {earned}/{possible}"
    for t in tests:
        if t["score"] < t["max_score"]:
            assert "\nnot attempted yet: Homework (" in t["output"], t
    held = sum(lesson["points"] for lesson in withheld.values())
    result.stdout.fnmatch_lines([f"+ {held:g} points for hidden claims, graded after you hand in*"])
    outcome = result.parseoutcomes()
    assert "errors" not in outcome and "error" not in outcome, outcome
    # The report card (issue 17): short, no machinery, homework grouped per function, the
    # score table last.
    out_text = result.stdout.str()
    assert len(out_text.splitlines()) <= UNTOUCHED_LINES, out_text
    assert misreported(out_text, grade(result, out / "results.json")) == []
    assert score_table_is_last(out_text) and "FAILED" not in out_text
    stubs = sum(
        lesson.read_text().count("raise NotImplementedError(")
        for lesson in (out / "lessons").glob("[!_]*.py")
    )
    assert out_text.count(" points ") + out_text.count(" point ") >= 1
    listed = [line for line in out_text.splitlines() if line.startswith("  ") and " claim" in line]
    assert len(listed) <= stubs, listed
