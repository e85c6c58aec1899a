"""Fits ahead: the grader's fits and sweeps that a correct lesson's claims will ask for, trained
into the fit cache while the claims wait on the lesson's process (issue 18): by forked lane
processes where they can be forked (``fits_lane``), else by a thread.

A cold ``pytest lessons`` spent ~8.7 s in the grader's own fits and sweeps, one after another,
each while the lesson's process sat idle, and the other way round while the lesson drew and
trained: on two cores, one was always waiting. A checks module may say which fits its claims
will ask for when the lesson is right::

    def fits_ahead(train, kept, device, fixtures):
        if "two_nodes" in fixtures:
            X, y = piecewise_data()
            train(nets.relu_model(2, 1), X, y, lr=LR, epochs=EPOCHS, device=device)

with the ``train`` and ``kept`` fixtures' signatures; ``fixtures`` holds the names of every
fixture the module's selected tests use (so a grading run, without figures, or a ``-k``
selection asks only for what its tests need). The plugin calls it once collection is
done, in the claims' thread (the lecture's builders seed torch's global generator, which
another thread must not share), and the lane (or the thread) trains what it asked for through
the fit cache, lesson by lesson in the claims' order. Nothing about a grade changes: the cache is
keyed by everything a fit's result depends on, so a claim reads a fit trained ahead only when it
asks for that very fit (a student's net or data that differ in one bit is another key, trained
by the claim as before), and a claim that asks for a fit being trained waits for it instead of
training it twice (``FitCache._turn``).

Only for a lesson whose homework has no stub left (a release's untouched homework fails its
claims before they train), only where a fit cache is on, on the CPU, not in a pytest-xdist
worker (two would train the same fits), not beside the fallback sandbox (it may fork the
grader; ``fit_cache_hooks``), for the modules of which a selected test uses a fit (``train`` or
``kept`` among its fixtures). The thread takes the claims' thread's denormal mode (a thread's
own) and stops after the fit it is in when the session ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from checks.grader import collection
from checks.grader.fits_lane import Job, Lane

HOOK = "fits_ahead"
FIXTURES = ("train", "kept")


class Recorder:
    """``train`` and ``kept`` for a ``fits_ahead`` function: each call becomes a job, with its
    key (a job asked for twice is kept once; a net without a key is trained by its claim, one
    the cache holds already is read by it)."""

    def __init__(self, cache) -> None:
        self.cache = cache
        self.jobs: list[Job] = []

    def _add(self, key: str | None, job: Callable[[], bool]) -> None:
        if key is None or self.cache.path(key).is_file():  # a warm rerun forks nothing
            return
        if all(key != known for known, _ in self.jobs):
            self.jobs.append((key, job))

    def train(self, model, X, y, *, lr, epochs, device="cpu", engine="auto") -> None:
        how = {"lr": lr, "epochs": epochs, "device": device, "engine": engine}
        self._add(
            self.cache.fit_key(model, X, y, **how),
            partial(self.cache.fit_ahead, model, X, y, **how),
        )

    def kept(self, what, inputs, compute, *, modules, device="cpu") -> None:
        self._add(
            self.cache.kept_key(what, inputs, modules=modules, device=device),
            partial(self.cache.kept_ahead, what, inputs, compute, modules=modules, device=device),
        )


def modules_to_fit(items: list[pytest.Item]) -> list[tuple[object, frozenset[str]]]:
    """The checks modules, in the claims' order, with a ``fits_ahead`` and a selected test
    that uses a fit, each with the fixtures its selected tests use."""
    found: dict[int, tuple[object, set[str]]] = {}
    for item in items:
        module = getattr(item, "module", None)
        names = set(getattr(item, "fixturenames", ()))
        if module is not None and callable(getattr(module, HOOK, None)) and names & set(FIXTURES):
            found.setdefault(id(module), (module, set()))[1].update(names)
    return [(module, frozenset(names)) for module, names in found.values()]


def homework_done(module, lessons: Path) -> bool:
    """Whether the module's lesson file holds no homework stub any more (text only: nothing of
    it runs here). A lesson with one left fails claims before they train: what is fitted ahead
    for it would be CPU taken from the lesson's process and a wait at the end of the run
    (measured: the untouched release trained 3 sweeps ahead that no claim read)."""
    name = collection.lesson_name(Path(getattr(module, "__file__", "") or "x"))
    try:
        source = (lessons / f"{name}.py").read_bytes()
    except (OSError, TypeError):
        return False
    return f"Homework ({name}): ".encode() not in source


class FitsAhead:
    """The thread, its jobs, and what went wrong in them (a broken job costs speed, no grade);
    the jobs are shared with a forked lane where one can be forked (``fits_lane``)."""

    def __init__(self, cache, jobs: list[Job], flushed: bool) -> None:
        self.cache = cache
        self.jobs = jobs
        self.flushed = flushed
        self.errors: list[str] = []
        self.lane: Lane | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fits-ahead", daemon=True)

    def start(self) -> None:
        if not self.jobs:
            return
        # Processes where they can be forked (no GIL shared with the claims: a thread's Python
        # loop made each of the claims' small torch calls wait for it, 1.24 s for a claim of
        # two 30-epoch fits), else the thread.
        self.lane = Lane.fork(self.cache, self.jobs, self.flushed)
        self.cache.lane = self.lane
        if self.lane is None:
            self._thread.start()

    def stop(self) -> None:
        """Stop after the job running now; return once the thread has ended. The lane is
        killed (what it finished is on disk)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if self.lane is not None:
            self.lane.stop()
            self.errors.extend(self.lane.errors)
            self.cache.lane = None

    def _run(self) -> None:
        from checks.grader.denormals import set_denormals_flushed

        set_denormals_flushed(self.flushed)  # the mode is a thread's own: the claims' one
        for _, job in self.jobs:
            if self._stop.is_set():
                return
            try:
                job()
            except Exception as exc:  # the claim that needs this fit trains it, as without us
                self.errors.append(f"{type(exc).__name__}: {exc}")


class _Every(frozenset):
    """Every fixture name: ``fill`` asks a module for all of its fits."""

    def __contains__(self, name: object) -> bool:
        return True


def _record(cache, items, lessons: Path | None, device: str) -> tuple[list, list[str]]:
    """The jobs each module asks for (all of them when ``lessons`` is None), and the errors."""
    recorder = Recorder(cache)
    errors = []
    for module, fixtures in modules_to_fit(items):
        if lessons is not None and not homework_done(module, lessons):
            continue
        try:
            wanted = fixtures if lessons is not None else _Every()
            getattr(module, HOOK)(recorder.train, recorder.kept, device, wanted)
        except Exception as exc:
            errors.append(f"{module.__name__}.{HOOK}: {type(exc).__name__}: {exc}")
    return recorder.jobs, errors


def start(cache, items: list[pytest.Item], lessons: Path, device: str = "cpu") -> FitsAhead:
    """Ask each module whose homework is done what to fit (in this thread), then start the
    thread on it."""
    from checks.grader.denormals import denormals_flushed

    jobs, errors = _record(cache, items, lessons, device)
    ahead = FitsAhead(cache, jobs, denormals_flushed())
    ahead.errors.extend(errors)
    ahead.start()
    return ahead


def fill(cache, items: list[pytest.Item], device: str = "cpu") -> list[str]:
    """Train every fit every module's ``fits_ahead`` asks for, here and now, whatever its
    lesson holds (``--fits-ahead-only``: Gradescope's image, whose lessons are stubs); the
    errors."""
    jobs, errors = _record(cache, items, None, device)
    for _, job in jobs:
        try:
            job()
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    return errors
