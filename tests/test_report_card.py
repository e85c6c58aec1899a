"""What a student reads: ``pytest lessons`` in the real student release, as a report card.

One release of this project (module scope), runs of single lessons in it (each its own run,
forked from the session's run server as ``lessons grade`` forks its runs, or a fresh interpreter;
a few seconds): a lesson with one mistake, a lesson whose code raises, and the figure-snapshot
options a student might try. The untouched release's whole run is checked where it is already
made (tests/test_release.py::test_release_of_this_project).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checks.grader.cells import cells
from checks.grader.i18n import language
from checks.grader.report_card import failure_lines, not_attempted_lines
from checks.grader.scores import Outcome
from tests._card import english_lines, misreported, score_table_is_last
from tests._fake_project import REPO
from tests._runs import run_pytest

SUBMISSIONS = REPO / "tests/submissions"
STUB_REASON = (
    "not attempted yet: Homework (linear_model): return [1, x], shape (n, 2): a column of ones, "
    "then x."
)
MISTAKE_LINES = 30  # one mistake: header, progress, one block naming its 12 claims, the table
# [x, 1] built from a column and a 1-D tensor: torch.cat raises in memorise_noise's process.
RAISING_EDIT = (
    "X.double().reshape(len(X), 1), torch.ones(len(X), 1,",
    "X.double(), torch.ones(len(X),",
)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    if (REPO / "checks/_withheld.json").exists():
        pytest.skip("this copy is a student release already")
    out = tmp_path_factory.mktemp("card") / "release"
    subprocess.run(
        [sys.executable, "-m", "checks.grader.release", str(out), "--root", str(REPO)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture
def pytest_in(run_server):
    """``pytest_in(root, *args)``: pytest in ``root`` as its own run (forked from the session's
    run server where there is one: stdout and stderr are then one stream, ``stdout``)."""

    def run(root: Path, *args: str) -> subprocess.CompletedProcess:
        options = ["-p", "no:randomly", "-p", "no:cacheprovider"]
        return run_pytest([*options, *args], root, run_server, timeout=600)

    return run


def graded(pytest_in, release: Path, tmp_path: Path, lesson: str, source: str, *args: str):
    """Run one lesson of a copy of the release with ``source`` as the student's file; its
    output and grade."""
    copy = tmp_path / "copy"
    shutil.copytree(release, copy)
    (copy / "lessons" / f"{lesson}.py").write_text(source)
    run = pytest_in(copy, f"lessons/{lesson}.py", "--grade-json", "grade.json", *args)
    assert (copy / "grade.json").is_file(), run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout, json.loads((copy / "grade.json").read_text())


def test_one_mistake_reads_as_one_block(pytest_in, release, tmp_path):
    """The missing bias=False of tests/submissions/mistake_no_bias: once 13 "ERROR at setup" and
    11 FAILED saying the same thing; now each failing claim is named once, the reason once."""
    source = (SUBMISSIONS / "mistake_no_bias/relu_nodes.py").read_text()
    out, grade = graded(pytest_in, release, tmp_path, "relu_nodes", source)

    assert misreported(out, grade) == []
    assert out.count("the lecture's layers have no bias (bias=False)") == 1, out
    assert len(out.splitlines()) <= MISTAKE_LINES, out
    assert score_table_is_last(out), out
    assert "snapshot" not in out  # syrupy's summary and its --snapshot-update advice are gone


def test_code_that_raises_says_where_in_one_line(pytest_in, release, tmp_path):
    source = (REPO / "lessons/memorise_noise.py").read_text()
    wrong = source.replace(*RAISING_EDIT)
    assert wrong != source
    out, grade = graded(pytest_in, release, tmp_path, "memorise_noise", wrong)

    assert misreported(out, grade) == []
    assert "-> RuntimeError: " in out and "(at memorise_noise.py:" in out
    assert len(out.splitlines()) <= MISTAKE_LINES, out
    assert score_table_is_last(out), out


def test_a_student_cannot_retake_the_releases_snapshots(pytest_in, release):
    before = sorted(p.name for p in (release / "checks/__snapshots__").rglob("*"))
    run = pytest_in(release, "lessons/relu_nodes.py", "--snapshot-update")
    assert run.returncode == pytest.ExitCode.USAGE_ERROR
    assert "--snapshot-update is for the instructor's copy" in run.stdout + run.stderr
    assert sorted(p.name for p in (release / "checks/__snapshots__").rglob("*")) == before


@pytest.mark.parametrize("option", ["--claims", "--collect-only"])
def test_listing_exits_zero(pytest_in, release, option):
    """No snapshot is read when nothing runs: syrupy called them all unused and exited 1."""
    run = pytest_in(release, "lessons", option, "-q")
    assert run.returncode == pytest.ExitCode.OK, run.stdout[-2000:]
    assert "snapshot" not in run.stdout


@pytest.mark.parametrize("lesson_file", [None, "mistake_no_bias/relu_nodes.py"])
def test_korean_report_card_has_no_english_line(pytest_in, release, tmp_path, lesson_file):
    """``--lang ko`` on the untouched release and on a wrong lesson: every line in Korean (code,
    commands and the lecture's English terms aside)."""
    if lesson_file is None:
        run = pytest_in(release, "lessons", "--lang", "ko")
        out = run.stdout
    else:
        source = (SUBMISSIONS / lesson_file).read_text()
        out, _grade = graded(pytest_in, release, tmp_path, "relu_nodes", source, "--lang", "ko")
    assert "합계" in out and "실습별 점수" in out, out
    assert english_lines(out) == [], out


# Wrong lessons of different kinds, graded in one run: wrong values (a loop, features, seeds, a
# formula), a reading of the sweep, and code that raises.
WRONG_LESSONS = {
    "linear_model": "mistake_loss_after_step",
    "polynomial_regression": "mistake_no_bias",
    "piecewise_linear": "mistake_same_noise",
    "learning_rate": "mistake_one_over_lambda",
    "overfitting": "mistake_keeps_gradients",
}


def test_korean_feedback_on_wrong_lessons_has_no_english_line(pytest_in, release, tmp_path):
    """Every reason line of these failures is Korean: the claims' f-strings and the helpers'
    templates through the catalog, the stubs' hints of the other lessons, and an exception's
    place (the exception itself is quoted as Python wrote it)."""
    copy = tmp_path / "copy"
    shutil.copytree(release, copy)
    for lesson, submission in WRONG_LESSONS.items():
        shutil.copy(SUBMISSIONS / submission / f"{lesson}.py", copy / "lessons" / f"{lesson}.py")
    source = (REPO / "lessons/memorise_noise.py").read_text()
    (copy / "lessons/memorise_noise.py").write_text(source.replace(*RAISING_EDIT))
    run = pytest_in(copy, "lessons", "--lang", "ko", "--grade-json", "grade.json")
    grade = json.loads((copy / "grade.json").read_text())
    out = run.stdout

    failed = {t["name"].split("::")[0] for t in grade["tests"] if t["status"] == "failed"}
    assert set(WRONG_LESSONS) | {"memorise_noise"} <= failed, out  # each lesson's mistake shows
    assert misreported(out, grade) == [], out
    assert "코드에서 예외 발생" in out and "memorise_noise.py:" in out, out
    assert english_lines(out) == [], out
    assert out.rstrip().splitlines()[-2].startswith("합계 "), out  # the table, last


def test_the_compiled_catalogs_are_their_po_files():
    """The .mo files are committed (an editable install compiles nothing): each must hold what
    its .po holds, every message translated."""
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    pos = sorted((REPO / "checks/grader/locale").glob("*/LC_MESSAGES/lessons.po"))
    assert pos
    for po in pos:
        with po.open("rb") as handle:
            source = {m.id: m.string for m in read_po(handle) if m.id}
        with po.with_suffix(".mo").open("rb") as handle:
            compiled = {m.id: m.string for m in read_mo(handle) if m.id}
        assert all(source.values()), f"{po}: untranslated messages"
        assert compiled == source, (
            f"{po.with_suffix('.mo')} is stale: pybabel compile -d checks/grader/locale -D lessons"
        )


def test_the_catalog_holds_every_message_of_the_source():
    """What ``pybabel extract`` finds now (N_() messages, the claims' f-strings, the homework
    hints) is what the Korean catalog translates: a claim added or reworded without updating
    the catalog would be shown in English."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    from babel.messages.pofile import read_po

    with (REPO / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            REPO, method_map, options_map, keywords={"N_": None, "_": None}
        )
    }
    with (REPO / "checks/grader/locale/ko/LC_MESSAGES/lessons.po").open("rb") as handle:
        catalog = {m.id for m in read_po(handle) if m.id}
    assert found, "nothing extracted"
    assert sorted(found - catalog) == [], "run the README's pybabel extract / update / compile"


def test_a_claims_f_string_is_a_catalog_template():
    """checks.grader.extract: fields named after their expressions, specs kept; docstrings,
    decorators, code-only strings and one-word names tested with ``in`` left out."""
    from checks.grader.extract import claim_messages

    source = (
        "@pytest.mark.claim(points=1, ko='the sentence, in Korean')\n"
        "def test_x(fit):\n"
        '    """A docstring is the claim\'s sentence."""\n'
        "    got = lesson.f('u1')\n"
        "    assert fit.loss < 1, f'final loss {fit.loss:.4g} of {type(got).__name__!r}'\n"
        "    expect(got, name=f'f({n})', what='the floor')\n"
        "    if 'sweep' in fixtures and 'the data' not in seen:\n"
        "        pass\n"
    )
    assert [m for _line, m in claim_messages(source)] == [
        "final loss {fit_loss:.4g} of {type_got_name!r}",
        "the floor",
        "the data",  # a phrase looked up is still a message; a one-word name is not
    ]


def test_reasons_are_translated_whole_and_by_their_parts():
    ko = language("ko")
    # a claim's f-string template, its value an extracted phrase; a number field takes a number
    assert ko.reason(
        "one node's final loss is 0.5, expected the best one-sided line's MSE 0.4 "
        "(within 0.0001): 0.2 off"
    ) == (
        "노드 1개의 마지막 손실은(는) 0.5, 기대한 값은 한쪽만 맞춘 최선의 직선의 MSE 0.4 "
        "(상대오차 0.0001 이내): 0.2만큼 벗어남"
    )
    # expect_close's index stays code; the sandbox's exit and the lesson's exception
    assert ko.reason("trained (w0, w1)[1] should be 2, got 3: off by 1 (allowed 0.1)") == (
        "학습한 (w0, w1)[1]은(는) 2이어야 하는데 3을(를) 얻음: 1만큼 벗어남 (허용 0.1)"
    )
    assert ko.reason("the lesson process exited with code 0 while importing relu_nodes") == (
        "relu_nodes import 중에 실습 프로세스가 코드 0로 끝남"
    )
    assert ko.reason("ValueError: bad (at relu_nodes.py:3 in decompose)") == (
        "코드에서 예외 발생 (relu_nodes.py:3, decompose): ValueError: bad"
    )
    # a homework hint, also when the reason cut it short
    hint = "return [1, x], shape (n, 2): a column of ones, then x."
    korean = "[1, x]를 모양 (n, 2)로 돌려주세요: 1로 된 열, 그다음 x."
    assert ko.hint(hint) == ko.hint(hint[:20] + "…") == korean
    assert language("en").hint(hint) == hint


def _failed(name: str, reason: str, lesson: str = "relu_nodes", homework: str = "") -> Outcome:
    return Outcome(
        lesson=lesson,
        name=name,
        points=1,
        outcome="failed",
        reason=reason,
        description=f"{name} holds.",
        homework=homework,
    )


def test_failures_differing_only_in_numbers_are_one_block():
    outcomes = [
        _failed("test_a", "build_model(1, seed=1): no bias"),
        _failed("test_b", "build_model(2, seed=40352): no bias"),
        _failed("test_c", "got 3, expected 4"),
    ]
    lines = failure_lines(outcomes, width=80)
    assert lines == [
        "FAILED relu_nodes::test_a: test_a holds.",
        "    -> build_model(1, seed=1): no bias",
        "    the same failure fails 1 more claim(s) (1 points): b",
        "FAILED relu_nodes::test_c: test_c holds.",
        "    -> got 3, expected 4",
    ]


def test_a_long_claim_id_stays_whole_on_its_failed_line():
    """A claim id wider than the card is not cut (its colon, or half its name, starting the next
    line) nor parted from FAILED: it overflows its one line; the sentence wraps below it."""
    name = "test_timed_training_at_lr_0_1_diverges_at_the_same_epoch[cpu]"
    sentence = "Trained again, timed, it diverges at the same epoch as the session's fit."
    failed = _failed(name, "divergence_epoch returned 35, expected 34", lesson="learning_rate")
    outcomes = [dataclasses.replace(failed, description=sentence)]
    for code in ("en", "ko"):
        lines = failure_lines(outcomes, width=60, lang=language(code))
        assert lines[0].split()[1:] == [f"learning_rate::{name}:"], lines  # after FAILED (실패)
        assert " ".join(line.strip() for line in lines[1:-1]) == sentence, lines


def test_homework_not_attempted_is_one_line_per_function():
    stub = "not attempted yet: Homework (relu_nodes): build the net."
    outcomes = [
        _failed("test_a", stub, homework="relu_nodes.build_model"),
        _failed("test_b", stub, homework="relu_nodes.build_model"),
        _failed("test_c", stub, homework="relu_nodes.decompose"),
    ]
    lines = not_attempted_lines(outcomes, width=80)
    assert len(lines) == 3
    assert lines[1].split() == [
        "relu_nodes.build_model",
        "2",
        "claims,",
        "2",
        "points",
        "build",
        "the",
        "net.",
    ]
    assert lines[2].split()[:4] == ["relu_nodes.decompose", "1", "claim,", "1"]
    assert failure_lines(outcomes, width=80) == []  # not named again as failures


def test_a_reason_is_translated_through_its_catalog_template():
    """Claims make English reasons from N_() templates; the card matches them and formats the
    Korean template with the same values (nested templates too); anything else stays."""
    ko = language("ko")
    assert ko.reason("claim does not hold: got 3, expected 4") == (
        "주장이 성립하지 않음: 3을(를) 얻음, 기대한 값은 4"
    )
    assert ko.reason("build_model(2, seed=1): the lecture's layers have no bias (bias=False)") == (
        "build_model(2, seed=1): 강의의 층에는 편향이 없음 (bias=False)"
    )
    assert ko.reason("something else entirely") == "something else entirely"
    assert language("en").reason("claim does not hold") == "claim does not hold"


def test_korean_lines_are_wrapped_by_their_width_on_screen():
    """A Hangul syllable takes two columns: every line of a Korean card fits the width in
    columns (wrapped by checks.grader.cells), its words kept whole; English wraps as before."""
    ko = language("ko")
    sentence = (
        "강의의 (4/5)는 노드가 많을수록 국소최소점에 빠질 확률이 높다고 한다. 폭마다 seed "
        "1000개로 재 보면 반대다: 바닥에 닿는 신경망의 비율이 폭과 함께 커진다."
    )
    reason = (
        "one node's final loss is 0.5, expected the best one-sided line's MSE 0.4 "
        "(within 0.0001): 0.2 off"
    )
    outcomes = [
        _failed("test_a", reason, lesson="relu_nodes"),
        _failed("test_b", reason, lesson="relu_nodes"),
        _failed("test_c", STUB_REASON, homework="linear_model.design_matrix"),
    ]
    outcomes[0] = dataclasses.replace(outcomes[0], ko=sentence)
    for width in (60, 80, 100):  # the card is at most 100 wide (card_reporter.MAX_WIDTH)
        lines = not_attempted_lines(outcomes, width=width, lang=ko)
        lines += failure_lines(outcomes, width=width, lang=ko)
        assert all(cells(line) <= width for line in lines), (width, lines)
        words = " ".join(line.strip() for line in lines).split()
        assert all(word in words for word in sentence.split()), lines  # no word cut
        assert any(cells(line) > len(line) for line in lines)  # Korean, really
        # the stub's hint, in Korean, where the line has room for it
        assert any("[1, x]를" in line for line in lines) == (width >= 80), lines
    english = failure_lines(outcomes[:1], width=40)
    assert english[1] == f"    -> {reason}"  # one line in English, as before


def test_a_korean_run_fits_80_columns(pytest_in, release):
    """The header, the not-attempted lines and the score table's ``=== title ===`` (pytest sizes
    it by len(title)) of a real Korean run fit pytest's width in a pipe: 80 columns."""
    run = pytest_in(release, "lessons/linear_model.py", "--lang", "ko")
    lines = run.stdout.splitlines()
    title = next(line for line in lines if "실습별 점수" in line)
    assert 70 <= cells(title) <= 80, title
    assert max(cells(line) for line in lines) <= 80, run.stdout
    assert any(cells(line) > len(line) for line in lines)  # Korean, really


def test_cells_wrap_and_cut_korean_by_columns():
    from checks.grader.cells import cut, wrap

    row = "합계                       34/69        48/92"
    assert wrap(row, 80) == [row]  # a fitting row keeps its padding
    assert wrap("가나다 라마바 사아자", 10, subsequent_indent="  ") == [
        "가나다",
        "  라마바",
        "  사아자",
    ]
    assert wrap("가" * 12, 10) == ["가" * 5, "가" * 5, "가" * 2]  # a word wider than a line
    assert cut("가나 다라 마바", 10) == "가나 다라…"  # at a whole word, in 10 columns
    assert cut("가나 다라마바", 10) == "가나…"  # not inside a word
    assert cut("abc def ghi", 6) == "abc d…"  # English as before: where the width ends
