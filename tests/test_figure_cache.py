"""The figure cache: a rerun reads the drawings whose call, code and libraries are unchanged,
draws the rest, and never keeps a drawing whose call changed its arguments (issue 18)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from checks.grader.figure_cache import FigureCache, folder_digest

LESSON = '''\
"""A toy lesson that draws."""

import torch

from lessons._plots import data_and_fit

X = torch.linspace(-1, 1, 30)


def plot(slope):
    return data_and_fit(X, 2 * X, {"fit": SCALE * slope * X}, title="toy fit")


def build():
    torch.manual_seed(0)
    return torch.nn.Linear(1, 1)


def plot_model(model):
    with torch.no_grad():
        return data_and_fit(X, 2 * X, {"net": model(X[:, None])}, title="toy net")


def plot_after_a_step(model):
    with torch.no_grad():
        model.weight += 1  # changes its argument: a drawing never kept
        return data_and_fit(X, 2 * X, {"net": model(X[:, None])}, title="toy step")


SCALE = 1
'''

CHECKS = '''\
import pytest
import torch


@pytest.mark.claim(points=1)
def test_toy_claim(lesson):
    """The toy lesson builds a one-weight net."""
    assert lesson.build().weight.shape == (1, 1)


@pytest.mark.figure
def test_figure_fit(lesson, figure_snapshot):
    assert figure_snapshot == lesson.plot(2.0)


@pytest.mark.figure
def test_figure_model(lesson, figure_snapshot):
    assert figure_snapshot == lesson.plot_model(lesson.build())


@pytest.mark.figure
def test_figure_step(lesson, figure_snapshot):
    assert figure_snapshot == lesson.plot_after_a_step(lesson.build())
'''

LINE = re.compile(r"figure cache: (\d+) figure\(s\) read, (\d+) drawn and kept")


def _counts(result: pytest.RunResult) -> tuple[int, int] | None:
    found = LINE.search(result.stdout.str())
    return (int(found[1]), int(found[2])) if found else None


def test_a_rerun_reads_unchanged_drawings_and_redraws_changed_code(project):
    project.lesson("toy", LESSON)
    project.checks("toy", CHECKS)
    project.preload_engine()  # the box as it ships: torch and matplotlib loaded as the run starts
    taken = project.run_subprocess("--snapshot-update")
    assert taken.ret == 0, taken.stdout.str()[-3000:]
    assert _counts(taken) is None  # --snapshot-update draws everything, keeps nothing

    first = project.run_subprocess()
    assert first.ret == 0, first.stdout.str()[-3000:]
    # The step figure changed its argument: drawn, not kept. The model figure's net is a handle
    # to the worker's object: numbered, not named by pid, so the next run finds it.
    assert _counts(first) == (0, 2)
    second = project.run_subprocess()
    assert second.ret == 0, second.stdout.str()[-3000:]
    assert _counts(second) == (2, 0)
    second.assert_outcomes(passed=4)

    # Another lesson file is other code: drawn again, and the wrong drawing is caught.
    project.lesson("toy", LESSON.replace("SCALE = 1", "SCALE = 3"))
    changed = project.run_subprocess()
    assert _counts(changed) == (0, 2)
    changed.assert_outcomes(passed=3, failed=1)
    # The fit figure (second in file order: claim, fit, model, step) is the one that fails.
    assert re.search(r"^toy\s+\.F\.\.\s", changed.stdout.str(), re.MULTILINE)

    off = project.run_subprocess("--no-figure-cache")
    assert _counts(off) is None
    off.assert_outcomes(passed=3, failed=1)


def test_an_entry_that_is_not_whole_is_drawn_again(tmp_path: Path):
    cache = FigureCache(tmp_path / "cache", code="c")
    key = cache.key("toy", '{"name": "plot"}', [b"\x00\x01"])
    assert cache.read(key) is None
    cache.write(key, b"\x89PNG drawing")
    assert cache.read(key) == b"\x89PNG drawing"
    path = cache.path(key)
    path.write_bytes(path.read_bytes()[:-3])  # cut short
    assert cache.read(key) is None
    assert (cache.hits, cache.drawn, cache.rejected) == (1, 1, 1)


def test_the_key_holds_the_lesson_the_call_its_buffers_and_the_code(tmp_path: Path):
    cache = FigureCache(tmp_path, code="c")
    base = cache.key("toy", '{"name": "plot"}', [b"\x00"])
    assert base == FigureCache(tmp_path, code="c").key("toy", '{"name": "plot"}', [b"\x00"])
    others = {
        cache.key("other", '{"name": "plot"}', [b"\x00"]),
        cache.key("toy", '{"name": "plot_fit"}', [b"\x00"]),
        cache.key("toy", '{"name": "plot"}', [b"\x01"]),
        FigureCache(tmp_path, code="d").key("toy", '{"name": "plot"}', [b"\x00"]),
    }
    assert base not in others and len(others) == 4


def test_code_digest_sees_an_edit_but_not_compiled_files_or_snapshots(tmp_path: Path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "toy.py").write_text("A = 1\n")
    before = folder_digest(tmp_path / "lessons")
    for ignored in ("__pycache__/toy.pyc", "__snapshots__/check_toy/fig.png"):
        (tmp_path / "lessons" / ignored).parent.mkdir(parents=True)
        (tmp_path / "lessons" / ignored).write_bytes(b"\x00")
    assert folder_digest(tmp_path / "lessons") == before
    (tmp_path / "lessons" / "toy.py").write_text("A = 2\n")
    assert folder_digest(tmp_path / "lessons") != before


def test_a_diverged_nets_weights_are_unchanged_when_their_bits_are():
    """learning_rate's figures send fits whose weights are NaN: NaN != NaN, but the same bits
    are the same argument (the two figures were drawn on every rerun until this)."""
    from checks.grader.sandbox.proxy import _state_digest

    def net(*weights: float) -> torch.nn.Linear:
        model = torch.nn.Linear(len(weights), 1, bias=False)
        with torch.no_grad():
            model.weight.copy_(torch.tensor([weights]))
        return model

    nan = float("nan")
    assert _state_digest(net(nan, 1.0)) == _state_digest(net(nan, 1.0))
    assert _state_digest(net(nan, 1.0)) != _state_digest(net(nan, 2.0))
    assert _state_digest(net(0.0)) != _state_digest(net(-0.0))


def test_code_digest_does_not_follow_a_link_to_a_folder(tmp_path: Path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "toy.py").write_text("A = 1\n")
    before = folder_digest(tmp_path / "lessons")
    (tmp_path / "lessons" / "everything").symlink_to("/")
    assert folder_digest(tmp_path / "lessons") == before


def test_the_cache_lines_a_student_reads_have_korean():
    """`--lang ko` shows the two caches' summary lines in Korean (fields kept)."""
    from checks.grader.i18n import language

    ko = language("ko")
    for template in (
        "figure cache: {hits} figure(s) read, {drawn} drawn and kept",
        ", {rejected} broken entries drawn again",
        "fit cache: {hits} fit(s) read, {trained} trained and kept",
        " ({ahead} ahead of the claims)",
        " ({ahead} ahead of the claims, {unused} not asked for)",
        ", {rejected} broken entries trained again",
    ):
        translated = ko.gettext(template)
        assert translated != template and not re.search(
            r"[A-Za-z]{3,}", re.sub(r"\{\w+\}", "", translated)
        )
        assert set(re.findall(r"\{\w+\}", translated)) == set(re.findall(r"\{\w+\}", template))
