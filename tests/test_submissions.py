"""Student submissions, graded the README's way: correct styles earn every point, mistakes lose some.

``tests/submissions/<case>/<lesson>.py`` is a whole lesson module as a student hands it in. Its
first comment lines say what must happen:

    # expect: full                         the lesson earns every point, hidden claims included
    # expect: fails test_a test_b          it scores less than its maximum, and these claims fail
    # reason: text                         (optional) each of those claims says this, in one line

Each case is graded once, as an instructor grades a class: a fresh copy of this project, the
case's lesson files copied into ``lessons/`` and every other lesson stubbed as the release gives
it (``lessons grade`` does the same: another lesson is never the instructor's solution), then
``pytest lessons/<lesson>.py ... --grade-json`` in that copy (a subprocess, so the grade is what a
real run writes). The cases share one fit cache, as a class graded by ``lessons grade`` does
(``--fit-cache``): a fit two cases ask for trains once, and every case's grade must come out
right read from it as trained.

Cases are graded in packs, one run per pack (each run pays a box's start, ~2.5 s of CPU: 41 runs
were ~22% of the suite's worker time): cases whose lesson files are disjoint and none of which
imports a lesson another one hands in (relu_nodes takes piecewise_linear's data: in its own run
it would find the release's stub there), so each lesson of a pack sees what it would see alone.
Hostile cases and ``no_cascade`` are graded alone. A pack's test id names all of its cases.

A claim written to catch a named mistake says so in a comment, ``# catches: mistake_<name>``, in
its body (or, for the lesson at large, anywhere in its checks file: a constant's tolerance, a
fixture every claim on the sweep needs); ``tests/submissions/mistake_<name>/<lesson>.py`` must then
make exactly that mistake and expect to lose that claim's points, which grading it shows.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import shutil
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest

from checks.grader.run_server import RunServer
from checks.grader.submissions import course_lessons, place
from tests._card import says_got_vs_expected
from tests._runs import run_pytest

REPO = Path(__file__).resolve().parents[1]
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"
EXPECT = re.compile(r"^#\s*expect:\s*(?P<what>full|fails\s+(?P<claims>\S.*?))\s*$")
REASON = re.compile(r"^#\s*reason:\s*(?P<reason>\S.*?)\s*$")
CATCHES = re.compile(r"catches:(?P<names>(?:\s+mistake_\w+)+)")
IMPORTS = re.compile(r"^\s*(?:from lessons import (\w+)|(?:from|import) lessons\.([a-z]\w*))", re.M)
# Graded alone: a hostile case reaches past its own lessons (that is what it tries), and
# no_cascade is about lessons of one submission taking each other's functions.
ALONE = ("hostile_", "no_cascade")
# Not part of a fresh copy: local environments, caches and the submissions themselves.
NOT_COPIED = (".git", ".venv", "__pycache__", ".pytest_cache", "submissions", "*.egg-info")
GRADE_TIMEOUT = 900  # seconds for one case: every lesson of it, trained from scratch


@dataclass(frozen=True)
class Expectation:
    full: bool
    failing: tuple[str, ...] = ()
    reason: str | None = None  # what each failing claim's output says, when given


def read_expectation(path: Path) -> Expectation:
    """The ``# expect:`` line among the file's leading comment lines."""
    found, reason = None, None
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        if match := EXPECT.match(line):
            found = match
        if match := REASON.match(line):
            reason = match["reason"]
    if found is not None:
        if found["what"] == "full":
            return Expectation(full=True)
        return Expectation(full=False, failing=tuple(found["claims"].split()), reason=reason)
    raise ValueError(f"{path}: no '# expect: full' or '# expect: fails <claims>' line at the top")


@dataclass(frozen=True)
class Catch:
    """A ``# catches: mistake_<name>`` comment: the claim it sits in, or None (the lesson)."""

    lesson: str
    mistake: str
    claim: str | None
    line: int


def _is_claim(node: ast.stmt) -> bool:
    return isinstance(node, ast.FunctionDef) and any(
        isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "claim"
        for d in node.decorator_list
    )


def named_mistakes(checks_file: Path) -> list[Catch]:
    """Every mistake a checks file says it catches, with the claim whose lines hold the comment."""
    source = checks_file.read_text(encoding="utf-8")
    lesson = checks_file.stem.removeprefix("check_")
    spans = [
        (node.name, min(d.lineno for d in node.decorator_list), node.end_lineno)
        for node in ast.parse(source).body
        if _is_claim(node)
    ]
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and (match := CATCHES.search(token.string)):
            line = token.start[0]
            claim = next((name for name, first, last in spans if first <= line <= last), None)
            found += [Catch(lesson, name, claim, line) for name in match["names"].split()]
    return found


def catch_problem(catch: Catch, submissions: Path) -> str | None:
    """Why the submission for a named mistake is missing or does not expect to lose the points."""
    where = f"check_{catch.lesson}.py:{catch.line} names {catch.mistake}"
    path = submissions / catch.mistake / f"{catch.lesson}.py"
    if not path.is_file():
        return f"{where}, but there is no {path.relative_to(submissions.parent)}"
    expectation = read_expectation(path)
    if expectation.full:
        return f"{where}, but its submission expects full marks"
    if catch.claim is not None and catch.claim not in expectation.failing:
        return f"{where} in {catch.claim}, but its submission does not expect that claim to fail"
    return None


def cases() -> list[str]:
    if not SUBMISSIONS.is_dir():
        return []
    return sorted(p.name for p in SUBMISSIONS.iterdir() if p.is_dir() and any(p.glob("*.py")))


def lessons_of(case: Path) -> set[str]:
    return {p.stem for p in case.glob("*.py")}


def lessons_reached(case: Path) -> set[str]:
    """The case's lessons and every lesson its files import (``from lessons import x``)."""
    found = lessons_of(case)
    for path in case.glob("*.py"):
        for match in IMPORTS.finditer(path.read_text(encoding="utf-8")):
            found.add(match[1] or match[2])
    return found


def packs(root: Path, names: list[str]) -> list[tuple[str, ...]]:
    """The cases graded together (module docstring): first fit, cases reaching most lessons
    first, so that the many one-lesson cases fill in around them."""
    own = {name: lessons_of(root / name) for name in names}
    reached = {name: lessons_reached(root / name) for name in names}
    # Each pack: its cases, the lessons they hand in, the lessons they reach.
    together: list[tuple[list[str], set[str], set[str]]] = []
    for name in sorted(names, key=lambda name: (-len(reached[name]), name)):
        fits = (
            pack
            for pack in together
            if not pack[0][0].startswith(ALONE)
            and not reached[name] & pack[1]
            and not own[name] & pack[2]
        )
        pack = None if name.startswith(ALONE) else next(fits, None)
        if pack is None:
            together.append(([name], set(own[name]), set(reached[name])))
        else:
            pack[0].append(name)
            pack[1].update(own[name])
            pack[2].update(reached[name])
    return sorted(tuple(sorted(cases)) for cases, _, _ in together)


@pytest.fixture(scope="session")
def fit_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One fit cache for the session's cases; under pytest -n, one for all its workers."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "fit-cache"


def grade_case(
    case: Path, work: Path, fit_cache: Path | None = None, server: RunServer | None = None
) -> dict:
    """Grade the case in a fresh copy of the project at ``work``; return its results.json. With
    a ``server``, the run is forked from it as ``lessons grade``'s are, else a fresh interpreter."""
    return grade_files(sorted(case.glob("*.py")), work, fit_cache, server)


def grade_files(
    lessons: list[Path], work: Path, fit_cache: Path | None, server: RunServer | None
) -> dict:
    """``grade_case`` for lesson files of one case or of a pack (no two with one name)."""
    shutil.copytree(REPO, work, ignore=shutil.ignore_patterns(*NOT_COPIED))
    course = course_lessons(work)
    place(work, {p.stem: p for p in lessons if p.stem in course}, course)
    grade = work / "grade.json"
    args = ["-p", "no:randomly", "-p", "no:cacheprovider", "-q"]
    args += [f"lessons/{p.name}" for p in lessons] + ["--grade-json", str(grade)]
    args += ["--fit-cache", str(fit_cache)] if fit_cache else ["--no-fit-cache"]
    run = run_pytest(args, work, server, GRADE_TIMEOUT)
    code, output = run.returncode, run.stdout
    assert grade.is_file(), f"no grade written (exit {code}):\n{output[-3000:]}"
    return json.loads(grade.read_text())


def lesson_mismatch(lesson: str, expectation: Expectation, tests: list[dict]) -> str | None:
    """Why the lesson's grade does not meet the expectation, or None when it does."""
    mine = [t for t in tests if t["name"].startswith(f"{lesson}::")]
    if not mine:
        return f"{lesson}: no claim was graded"
    score, most = sum(t["score"] for t in mine), sum(t["max_score"] for t in mine)
    failed = {t["name"].split("::", 1)[1]: t["output"] for t in mine if t["status"] != "passed"}
    if expectation.full:
        if score == most:
            return None
        why = "; ".join(f"{name}: {out.splitlines()[-1]}" for name, out in failed.items())
        return f"{lesson}: expected full marks, got {score:g}/{most:g} ({why})"
    problems = []
    if score >= most:
        problems.append(f"expected to lose points, got full marks {score:g}/{most:g}")
    names = {t["name"].split("::", 1)[1].split("[")[0] for t in mine}
    for claim in expectation.failing:
        if claim not in names:
            problems.append(f"{claim} is not a claim of {lesson}")
        elif not any(name.split("[")[0] == claim for name in failed):
            problems.append(f"{claim} was expected to fail but passed")
        elif expectation.reason is not None:
            outputs = [out for name, out in failed.items() if name.split("[")[0] == claim]
            if not all(expectation.reason in out for out in outputs):
                problems.append(
                    f"{claim} failed without saying {expectation.reason!r}: {outputs[0]!r}"
                )
    return f"{lesson}: " + "; ".join(problems) if problems else None


def test_every_submission_says_what_it_expects():
    files = sorted(SUBMISSIONS.glob("*/*.py"))
    for path in files:
        read_expectation(path)  # raises with the file's name
    lessons = {p.stem for p in files}
    from lessons import LESSONS

    assert lessons <= set(LESSONS), f"submissions for unknown lessons: {lessons - set(LESSONS)}"


def test_every_named_mistake_has_a_submission_that_expects_to_lose_the_points():
    """The rule: a claim that names the mistake it catches has a submission making it (graded by
    test_submission_is_graded_as_expected, which shows the points are lost)."""
    catches = [
        c for path in sorted((REPO / "checks").glob("check_*.py")) for c in named_mistakes(path)
    ]
    problems = [p for p in (catch_problem(c, SUBMISSIONS) for c in catches) if p]
    assert not problems, "\n".join(problems)
    named = {(c.lesson, c.mistake, c.claim) for c in catches}
    unseen = "test_train_on_unseen_data"
    assert ("linear_model", "mistake_one_epoch_short", unseen) in named
    assert ("linear_model", "mistake_ignores_epochs", unseen) in named
    assert ("overfitting", "mistake_wrong_axis", None) in named  # the warm-up fixture


def test_a_named_mistake_without_its_losing_submission_is_reported(tmp_path):
    checks = tmp_path / "check_demo.py"
    checks.write_text(
        "import pytest\n\n# catches: mistake_gone\nTOLERANCE = 1\n\n\n"
        "@pytest.mark.claim(points=1)\ndef test_a(lesson):\n    # catches: mistake_lenient\n"
        "    assert lesson\n"
    )
    (tmp_path / "mistake_lenient").mkdir()
    (tmp_path / "mistake_lenient" / "demo.py").write_text("# expect: fails test_b\n")
    catches = named_mistakes(checks)
    assert [(c.mistake, c.claim) for c in catches] == [
        ("mistake_gone", None),
        ("mistake_lenient", "test_a"),
    ]
    gone, lenient = (catch_problem(c, tmp_path) for c in catches)
    assert "there is no" in gone
    assert "does not expect that claim to fail" in lenient


def case_problems(case: Path, tests: list[dict]) -> list[str]:
    """Why the case's lessons (of a run that may hold other cases' too) are not graded as its
    files expect."""
    expected = {path.stem: read_expectation(path) for path in sorted(case.glob("*.py"))}
    problems = [lesson_mismatch(lesson, e, tests) for lesson, e in expected.items()]
    problems = [p for p in problems if p]
    # Every failing claim says why in one got-vs-expected line (the same run: no extra cost),
    # but those whose one line is a refusal the case names (`# reason:`, checked above: "train
    # must be your own code", "No module named 'checks'"): there is no "got" to show.
    refused = {lesson for lesson, e in expected.items() if e.reason}
    problems += [
        f"{t['name']} fails without a got-vs-expected line: {t['output'].splitlines()[-1]!r}"
        for t in tests
        if t["status"] == "failed"
        and t["name"].split("::")[0] in expected
        and t["name"].split("::")[0] not in refused
        and not says_got_vs_expected(t["output"].splitlines()[-1])
    ]
    return [f"case {case.name}: {problem}" for problem in problems]


@pytest.mark.parametrize("pack", packs(SUBMISSIONS, cases()), ids="+".join)
def test_submission_is_graded_as_expected(pack, tmp_path, fit_cache, run_server):
    files = [path for case in pack for path in sorted((SUBMISSIONS / case).glob("*.py"))]
    results = grade_files(files, tmp_path / "project", fit_cache, run_server)
    problems = [p for case in pack for p in case_problems(SUBMISSIONS / case, results["tests"])]
    assert not problems, "\n".join(problems)


def test_cases_graded_together_see_what_each_would_see_alone():
    """The packs: every case in one; hostile ones and no_cascade alone; within a pack no lesson
    handed in twice and none that another case's lesson imports."""
    names = cases()
    together = packs(SUBMISSIONS, names)
    assert sorted(name for pack in together for name in pack) == names
    assert len(together) < len(names)  # else nothing is shared: one run per case, as before
    for pack in together:
        if any(name.startswith(ALONE) for name in pack):
            assert len(pack) == 1, pack
        for name in pack:
            others = [other for other in pack if other != name]
            theirs = set().union(*(lessons_of(SUBMISSIONS / o) for o in others))
            assert not lessons_reached(SUBMISSIONS / name) & theirs, (name, pack)


def test_a_lesson_that_imports_another_is_not_packed_with_a_case_handing_that_one_in(tmp_path):
    for name, files in {
        "style_a": {"relu_nodes.py": "def f():\n    from lessons import piecewise_linear\n"},
        "mistake_b": {"piecewise_linear.py": "x = 1\n"},
        "mistake_c": {"learning_rate.py": "import lessons._lecture\n"},
        "hostile_d": {"overfitting.py": "x = 1\n"},
    }.items():
        (tmp_path / name).mkdir()
        for file, text in files.items():
            (tmp_path / name / file).write_text(text)
    assert lessons_reached(tmp_path / "style_a") == {"relu_nodes", "piecewise_linear"}
    assert packs(tmp_path, ["hostile_d", "mistake_b", "mistake_c", "style_a"]) == [
        ("hostile_d",),  # alone, though its lesson is no one else's
        ("mistake_b",),  # style_a would read its piecewise_linear
        ("mistake_c", "style_a"),  # learning_rate: neither reaches the other's
    ]


def _claim(name: str, score: float, most: float = 1) -> dict:
    status = "passed" if score == most else "failed"
    return {"name": name, "score": score, "max_score": most, "status": status, "output": "why"}


def test_the_comparison_reads_full_marks_and_named_failures():
    tests = [_claim("a::test_x", 1), _claim("a::test_y[1]", 0, 2), _claim("b::test_z", 1)]
    assert lesson_mismatch("b", Expectation(full=True), tests) is None
    assert "expected full marks, got 1/3" in lesson_mismatch("a", Expectation(full=True), tests)
    assert lesson_mismatch("a", Expectation(False, ("test_y",)), tests) is None
    wrong = lesson_mismatch("a", Expectation(False, ("test_x", "test_w")), tests)
    assert "test_x was expected to fail but passed" in wrong
    assert "test_w is not a claim of a" in wrong
    assert "full marks" in lesson_mismatch("b", Expectation(False, ("test_z",)), tests)
    assert "no claim was graded" in lesson_mismatch("c", Expectation(full=True), tests)


def test_a_case_is_graded_in_a_fresh_copy_with_the_students_file(tmp_path):
    """The harness itself: the instructor's learning_rate earns full marks, and the same file with
    a wrong eigenvalue loses the claims that use it."""
    case = tmp_path / "case"
    case.mkdir()
    source = (REPO / "lessons/learning_rate.py").read_text()
    wrong = source.replace("eigvalsh(hessian)[-1]", "eigvalsh(hessian)[0]")
    assert wrong != source
    (case / "learning_rate.py").write_text(wrong)
    results = grade_case(case, tmp_path / "project")
    claim = "test_largest_eigenvalue_matches_the_hessian"
    assert lesson_mismatch("learning_rate", Expectation(False, (claim,)), results["tests"]) is None
    assert "expected full marks" in lesson_mismatch(
        "learning_rate", Expectation(full=True), results["tests"]
    )
    assert (REPO / "lessons/learning_rate.py").read_text() == source  # the copy took the edit


def test_grades_are_the_same_with_the_fit_cache_off_cold_and_warm(tmp_path):
    """Issue 18: the lessons whose fits and sweeps the cache keeps (relu_nodes' sweep, overfitting's
    sweep, custom_activation's 500-node fit) grade alike with no cache, an empty one, and the
    one that run filled: every claim's status, score and line."""
    case = tmp_path / "case"
    case.mkdir()
    for source in (
        SUBMISSIONS / "style_tanh/custom_activation.py",  # the probe matches: the grader's fit
        SUBMISSIONS / "mistake_wrong_axis/overfitting.py",  # loses the sweep's reading
        REPO / "lessons/relu_nodes.py",
    ):
        shutil.copy(source, case / source.name)
    cache = tmp_path / "fit-cache"
    runs = {
        name: grade_case(case, tmp_path / name, folder)
        for name, folder in (("off", None), ("cold", cache), ("warm", cache))
    }
    fields = ("name", "status", "score", "output")
    claims = {name: [[t[f] for f in fields] for t in r["tests"]] for name, r in runs.items()}
    assert claims["off"] == claims["cold"] == claims["warm"]
    assert any(status == "failed" for _, status, _, _ in claims["off"])  # the mistake shows
    assert list(cache.rglob("*.pt"))  # the cold run filled the cache the warm one read
