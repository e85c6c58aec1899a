"""The speed targets of issue #4, each a benchmark against a baseline timed in the same run.

They assert ratios, never absolute times, and only when benchmarks are on (they take a couple of
minutes and want quiet cores; CI runs them, see .ci/run):

    pytest tests/test_speed_targets.py --benchmark-enable --benchmark-json targets.json

1. The shared training loop (``fit``) runs the lecture's 2-node net at least 2x faster per epoch
   than the lecture's own loop, with the same bits.
2. The batched seed sweep (relu_nodes: 6 widths x 1000 seeds) is at least 50x faster per
   seed-epoch than a Python loop of ``fit`` over seeds.
3. The whole ``pytest lessons`` (every claim, multi-seed ones included) takes at most 0.8x the
   wall time of the lecture's own training code run once (``python -m tests.lecture_reference``)
   with an empty fit cache, at most 0.3x rerun with the cache it filled (issue 18).
4. ``lessons grade -j 2`` takes at most 0.4x the lecture's time per submission (issue 18).
5. Grading in the sandbox (``pytest lessons --grade-json``: every lesson in its own process,
   only data crossing) takes at most 1.2x the wall time of ``pytest lessons --no-sandbox``
   (the fastest of five alternating rounds on each side).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from checks.reference.sweeps import relu_final_losses
from lessons import fit, relu_nodes
from tests import lecture_reference
from tests.test_bulk import read_csv

EPOCHS = 1000  # the lecture's epochs for its ReLU nets
SWEEP_WIDTHS, SWEEP_SEEDS = (1, 2, 3, 5, 10, 50), 1000  # as checks/check_relu_nodes.py
LOOP_SEEDS = 5  # seeds per width trained one by one by the baseline loop

LOOP_SPEEDUP = 2.0
SWEEP_SPEEDUP = 50.0
SANDBOX_OVERHEAD = 1.2  # issue 9: the sandbox may cost at most 20% of the wall time
SANDBOX_ROUNDS = 5
# Issue 18, each a fraction of the lecture's code run once (tests/lecture_reference.py):
LESSONS_COLD, LESSONS_WARM = 0.8, 0.3  # pytest lessons with an empty fit cache, and rerun
# lessons grade -j 2, wall time per submission (the issue read it as ~1,200 an hour with its 8.2 s
# lecture; the lecture takes 15-17 s here now, so 0.4x is ~550 an hour)
GRADE_PER_SUBMISSION = 0.4
GRADE_SUBMISSIONS = 10


@pytest.fixture
def benchmark_on(benchmark):
    if benchmark.disabled:
        benchmark.skipped = True  # tells pytest-benchmark not to warn about an unused fixture
        pytest.skip("a speed target: run with --benchmark-enable")
    benchmark.group = "targets"
    return benchmark


def _ratio(benchmark, baseline: list[float], *, units: int, per: str, **info: str) -> float:
    """Baseline median / target median, both in seconds per ``per`` (one timed run holds
    ``units`` of them). The numbers go into the benchmark's extra_info for the report."""
    target_time = benchmark.stats.stats.median / units
    baseline_time = statistics.median(baseline)
    ratio = baseline_time / target_time
    benchmark.extra_info.update(
        per=per,
        target_time=target_time,
        baseline_time=baseline_time,
        baseline_rounds=len(baseline),
        ratio=ratio,
        **info,
    )
    return ratio


def test_shared_loop_is_twice_as_fast_per_epoch_as_the_lecture_loop(benchmark_on):
    X, y = relu_nodes.make_data()
    baseline, lecture = [], {}

    def lecture_loop():
        """The lecture's cell for net3 (seed 1), verbatim, timed by hand: seconds per epoch."""
        start = time.perf_counter()
        with torch.random.fork_rng(devices=[]):
            lecture["result"] = lecture_reference.relu_net(X, y, width=2, seed=1, epochs=EPOCHS)
        return (time.perf_counter() - start) / EPOCHS

    lecture_loop()  # the first optimizer imports torch._dynamo (~1 s): not part of an epoch

    def setup():  # runs before each timed round, untimed: the baseline alternates with the target
        baseline.append(lecture_loop())
        return (relu_nodes.build_model(2, seed=1),), {}

    result = benchmark_on.pedantic(
        lambda model: fit(model, X, y, lr=relu_nodes.LR, epochs=EPOCHS), setup=setup, rounds=7
    )
    ratio = _ratio(
        benchmark_on,
        baseline,
        units=EPOCHS,
        per="epoch",
        target="fit(), 2 nodes",
        baseline_of="the lecture's loop",
    )
    assert torch.equal(result.losses[-1], lecture["result"]["loss"])
    for p, q in zip(result.model.parameters(), lecture["result"]["net"].parameters(), strict=True):
        assert torch.equal(p.detach(), q.detach())
    assert ratio >= LOOP_SPEEDUP, f"fit is only {ratio:.2f}x faster per epoch than the lecture loop"


def test_batched_seed_sweep_is_fifty_times_faster_per_seed_epoch(benchmark_on):
    X, y = relu_nodes.make_data()
    baseline, looped = [], {}

    def python_loop():
        """The baseline: fit() called seed by seed, LOOP_SEEDS seeds per width: s per seed-epoch."""
        start = time.perf_counter()
        for width in SWEEP_WIDTHS:
            looped[width] = torch.tensor(
                [
                    fit(
                        relu_nodes.build_model(width, seed=s), X, y, lr=relu_nodes.LR, epochs=EPOCHS
                    ).final_loss
                    for s in range(LOOP_SEEDS)
                ]
            )
        return (time.perf_counter() - start) / (len(SWEEP_WIDTHS) * LOOP_SEEDS * EPOCHS)

    def setup():
        baseline.append(python_loop())
        return (), {}

    def sweep():
        # the sweep the claims run (the grader's copy of the nets, checks/reference/sweeps.py)
        return {
            w: relu_final_losses(w, range(SWEEP_SEEDS), X, y, lr=relu_nodes.LR, epochs=EPOCHS)
            for w in SWEEP_WIDTHS
        }

    result = benchmark_on.pedantic(sweep, setup=setup, rounds=3)
    ratio = _ratio(
        benchmark_on,
        baseline,
        units=len(SWEEP_WIDTHS) * SWEEP_SEEDS * EPOCHS,
        per="seed-epoch",
        target="relu_nodes seed sweep, batched",
        baseline_of="a Python loop of fit() over seeds",
    )
    for width in SWEEP_WIDTHS:  # the loop and the batch agree on the seeds both trained
        assert torch.allclose(result[width][:LOOP_SEEDS], looped[width], rtol=1e-4, atol=0)
    assert ratio >= SWEEP_SPEEDUP, f"the batched sweep is only {ratio:.1f}x faster per seed-epoch"


def _run(command: list[str], cwd) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, (
        f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
    )
    return elapsed


def _lecture_once(root) -> float:
    return _run([sys.executable, "-m", "tests.lecture_reference"], root)


@pytest.mark.parametrize("cache", ["cold", "warm"])
def test_pytest_lessons_takes_a_fraction_of_the_lecture_once(
    benchmark_on, pytestconfig, tmp_path, cache
):
    """Issue 18: ``pytest lessons`` on the instructor's copy takes at most 0.8x the lecture's code
    run once with an empty fit cache (and figure cache: pytest's cache folder is the round's
    own), and at most 0.3x when rerun with the caches it filled."""
    root = pytestconfig.rootpath
    folders = iter(range(100))
    baseline = []

    def lessons(folder: Path) -> list[str]:
        cached = ["--fit-cache", str(folder), "-o", f"cache_dir={folder / 'pytest-cache'}"]
        return [sys.executable, "-m", "pytest", "lessons", "-q", *cached]

    def setup():  # the lecture once before each timed run; a warm run's cache is filled first
        folder = tmp_path / f"fit-cache-{next(folders)}"
        baseline.append(_lecture_once(root))
        if cache == "warm":
            _run(lessons(folder), root)
        return (folder,), {}

    benchmark_on.pedantic(lambda folder: _run(lessons(folder), root), setup=setup, rounds=2)
    ratio = _ratio(
        benchmark_on,
        baseline,
        units=1,
        per="run",
        target=f"pytest lessons, {cache} fit cache",
        baseline_of="the lecture's code, once",
    )
    limit = LESSONS_COLD if cache == "cold" else LESSONS_WARM
    assert 1 / ratio <= limit, f"pytest lessons ({cache}) took {1 / ratio:.2f}x the lecture's time"


def _class_of_submissions(root: Path, folder: Path) -> Path:
    """GRADE_SUBMISSIONS submissions: the instructor's lessons, and the same with the files of
    each correct style in tests/submissions (style_*) put in, as students of other styles would."""
    solutions = {path.name: path.read_text() for path in (root / "lessons").glob("[!_]*.py")}
    styles = sorted((root / "tests" / "submissions").glob("style_*"))
    for i in range(GRADE_SUBMISSIONS):
        files = dict(solutions)
        if i % 2:  # every other one in a style of its own
            style = styles[(i // 2) % len(styles)]
            files.update({path.name: path.read_text() for path in style.glob("*.py")})
        lessons = folder / f"student-{i:02d}" / "lessons"
        lessons.mkdir(parents=True)
        for name, text in files.items():
            (lessons / name).write_text(text)
    return folder


@pytest.mark.parametrize(
    ("jobs", "preload"), [(1, True), (2, True), (2, False)], ids=["1", "2", "2-no-preload"]
)
def test_lessons_grade_takes_a_fraction_of_the_lecture_per_submission(
    benchmark_on, pytestconfig, tmp_path, jobs, preload
):
    """Issue 18: ``lessons grade -j 2`` on 10 correct submissions (a fresh gradebook: the first
    submissions fill its fit cache) takes at most 0.4x the lecture's code run once per submission;
    ``-j 1``, and ``-j 2 --no-preload`` (each run a fresh interpreter, what the run server saves),
    are measured for the report (submissions an hour), not held to a target."""
    root = pytestconfig.rootpath
    submissions = _class_of_submissions(root, tmp_path / "submissions")
    outs = iter(range(100))
    baseline = []

    def setup():
        baseline.append(_lecture_once(root))
        return (tmp_path / f"grades-{next(outs)}",), {}

    def grade(out: Path) -> None:
        _run([sys.executable, "-m", "checks.grader.cli", "grade", str(submissions), "--out",
              str(out), "-j", str(jobs), "--root", str(root),
              *(() if preload else ("--no-preload",))], root)  # fmt: skip
        totals = {row["total"] for row in read_csv(out / "grades.csv").values()}
        assert totals == {"115"}, f"a correct submission lost points: {out / 'grades.csv'}"

    benchmark_on.pedantic(grade, setup=setup, rounds=1)
    ratio = _ratio(
        benchmark_on,
        baseline,
        units=GRADE_SUBMISSIONS,
        per="submission",
        target=f"lessons grade -j {jobs}" + ("" if preload else " --no-preload"),
        baseline_of="the lecture's code, once",
    )
    benchmark_on.extra_info["submissions_an_hour"] = 3600 / benchmark_on.extra_info["target_time"]
    if jobs == 2 and preload:
        assert 1 / ratio <= GRADE_PER_SUBMISSION, (
            f"lessons grade -j 2 took {1 / ratio:.2f}x the lecture's time per submission"
        )


def test_grading_in_the_sandbox_costs_at_most_a_fifth_more(benchmark_on, pytestconfig, tmp_path):
    root = pytestconfig.rootpath
    pytest_lessons = [sys.executable, "-m", "pytest", "lessons", "-q", "-p", "no:randomly"]
    # A grading run leaves the figure tests out (--grade-json): the baseline too, like for like.
    pytest_lessons += ["-m", "not figure"]
    sandboxed = [*pytest_lessons, "--grade-json", str(tmp_path / "results.json")]
    baseline = []

    def setup():  # the same run in pytest's own process, before each timed sandboxed run
        baseline.append(_run([*pytest_lessons, "--no-sandbox"], root))
        return (), {}

    # The fastest of five alternating rounds on each side: the machine's noise only ever adds
    # time (runs seen 10-20% slow in a window), and the box's own cost is now ~0.15-0.3 s of a
    # ~2.5 s run, so a median of three (1.06-1.12x by hand, once 1.22x in CI on 2026-12-05) was
    # the noise's, not the box's. The medians stay in the report.
    benchmark_on.pedantic(lambda: _run(sandboxed, root), setup=setup, rounds=SANDBOX_ROUNDS)
    _ratio(
        benchmark_on,
        baseline,
        units=1,
        per="run",
        target="pytest lessons --grade-json (sandboxed)",
        baseline_of="pytest lessons --no-sandbox",
    )
    fastest = benchmark_on.stats.stats.min / min(baseline)
    benchmark_on.extra_info.update(fastest_ratio=fastest)
    assert fastest <= SANDBOX_OVERHEAD, f"the sandboxed run took {fastest:.2f}x the time"
