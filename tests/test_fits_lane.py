"""The forked lane of fits ahead (checks/grader/fits_lane.py, issue 18): every job is trained once,
by the lane or by the claim that gets there first, with the same bits as a fit alone; a lane
that fails or is killed costs speed, never a result; no lane is forked beside a thread.

The lane forks only from a single-threaded process, and a pytest-xdist worker is not one: the
scenarios run in a fresh interpreter (one for all of them), which prints what it found.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

from checks.grader import fits_lane
from checks.grader.fit_cache import FitCache
from lessons._train import fit

REPO = Path(__file__).resolve().parents[1]
EPOCHS = 400

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or fits_lane._cores() < 2, reason="the lane forks, on 2+ cores"
)


def _line(seed: int):
    generator = torch.Generator().manual_seed(seed)
    X = torch.rand(100, 1, generator=generator)
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(0.5), model.bias.fill_(-0.25 * seed)
    return model, X, 3 * X - 1


def _jobs(cache: FitCache, seeds, *, broken=()):
    jobs = []
    for seed in seeds:
        model, X, y = _line(seed)
        key = cache.fit_key(model, X, y, lr=0.1, epochs=EPOCHS)

        def job(model=model, X=X, y=y, seed=seed):
            if seed in broken:
                raise RuntimeError(f"a broken job {seed}")
            return cache.fit_ahead(model, X, y, lr=0.1, epochs=EPOCHS)

        jobs.append((key, job))
    return jobs


def _same_as_alone(cache: FitCache, seed: int) -> bool:
    got = cache.fit(_line(seed)[0], *_line(seed)[1:], lr=0.1, epochs=EPOCHS)
    alone = fit(_line(seed)[0], *_line(seed)[1:], lr=0.1, epochs=EPOCHS)
    return all(
        torch.equal(a, b)
        for a, b in zip(
            (got.losses, got.yhat, got.model.weight, got.model.bias),
            (alone.losses, alone.yhat, alone.model.weight, alone.model.bias),
            strict=True,
        )
    )


def scenarios(folder: str) -> None:
    """Run in a fresh interpreter: print one JSON line per scenario."""
    torch.set_num_threads(1)
    seeds = range(8)

    cache = FitCache(Path(folder, "shared"))
    lane = fits_lane.Lane.fork(cache, _jobs(cache, seeds), flushed=False)
    cache.lane = lane
    same = [_same_as_alone(cache, seed) for seed in seeds]
    lane.stop()
    print(json.dumps({"shared": {"lane": lane is not None, "same": same,
                                 "trained": cache.trained, "hits": cache.hits,
                                 "ahead": cache.ahead, "errors": lane.errors}}))  # fmt: skip

    cache = FitCache(Path(folder, "killed"))
    lane = fits_lane.Lane.fork(cache, _jobs(cache, seeds), flushed=False)
    cache.lane = lane
    for pid in lane.pids:
        os.kill(pid, signal.SIGKILL)
    same = [_same_as_alone(cache, seed) for seed in seeds]
    lane.stop()
    print(json.dumps({"killed": {"same": same, "trained": cache.trained}}))

    cache = FitCache(Path(folder, "broken"))
    lane = fits_lane.Lane.fork(cache, _jobs(cache, seeds, broken={0, 1}), flushed=False)
    cache.lane = lane
    # From the last: the lane has taken the first two (its first steps) long before.
    same = [_same_as_alone(cache, seed) for seed in reversed(seeds)]
    lane.stop()
    print(json.dumps({"broken": {"same": same, "trained": cache.trained, "errors": lane.errors}}))

    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    cache = FitCache(Path(folder, "threaded"))
    forked = fits_lane.Lane.fork(cache, _jobs(cache, seeds), flushed=False)
    release.set()
    other.join()
    print(json.dumps({"threaded": {"lane": forked is not None}}))


@pytest.fixture(scope="module")
def found(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("lanes")
    done = subprocess.run(
        [sys.executable, "-c", f"from tests.test_fits_lane import scenarios; scenarios({str(folder)!r})"],
        cwd=REPO,
        # NumPy's OpenBLAS starts a thread of its own at import unless told not to (a grader
        # beside a box has none at the fork; a bare interpreter has one, and gets no lane).
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return {k: v for line in done.stdout.splitlines() for k, v in json.loads(line).items()}


def test_every_job_is_trained_once_and_is_the_same_bits(found):
    shared = found["shared"]
    assert shared["lane"] and shared["errors"] == []
    assert shared["same"] == [True] * 8
    assert shared["trained"] == 8  # by the lane or by the claim that got there first, once
    assert shared["hits"] + (shared["trained"] - shared["ahead"]) == 8
    assert shared["ahead"] >= 1  # the lane trained some (they come back as hits)


def test_a_killed_lane_costs_speed_not_a_result(found):
    assert found["killed"]["same"] == [True] * 8
    assert found["killed"]["trained"] >= 8 - 2  # what the lane finished before it died is read


def test_a_failing_job_is_reported_and_its_claim_trains_it(found):
    broken = found["broken"]
    assert broken["same"] == [True] * 8 and broken["trained"] == 8
    assert sorted(broken["errors"]) == ["RuntimeError: a broken job 0", "RuntimeError: a broken job 1"]  # fmt: skip


def test_no_lane_is_forked_beside_a_thread(found):
    assert found["threaded"] == {"lane": False}


COUNT_THREADS = """\
import os

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    with open(os.environ["THREADS_FILE"], "w") as file:
        file.write(str(len(os.listdir("/proc/self/task"))))
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_the_grader_is_single_threaded_when_the_lane_would_fork(tmp_path):
    """The lane forks only from a single-threaded grader. NumPy's OpenBLAS (loaded with torch)
    starts a pool of threads unless told otherwise: the plugin tells it (one thread, as torch),
    so a student's plain ``pytest lessons`` (no thread variables set) gets its lane."""
    (tmp_path / "count_threads.py").write_text(COUNT_THREADS)
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
    }
    env.update(PYTHONPATH=str(tmp_path), THREADS_FILE=str(tmp_path / "threads"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "lessons", "-q", "-p", "no:randomly", "-p", "count_threads",
         "-W", "ignore::pytest.PytestAssertRewriteWarning", "-o", f"cache_dir={tmp_path / 'cache'}",
         "-k", "test_make_data_gives_the_lectures_grid"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (tmp_path / "threads").read_text() == "1"
