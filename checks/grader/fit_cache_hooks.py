"""The fit cache's options, report lines and fixtures (``train``, ``kept``), and the thread that
fits ahead (``fits_ahead``); the cache itself is ``fit_cache``, imported only once the box has
started (it imports torch; plugin.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from checks.grader.cache_files import private_cache_folder
from checks.grader.devices import requested_devices
from checks.grader.i18n import LANGUAGE, N_

if TYPE_CHECKING:
    from checks.grader.fit_cache import FitCache

_CACHE = pytest.StashKey["FitCache | None"]()
_AHEAD = pytest.StashKey[object]()  # a fits_ahead.FitsAhead (it is imported only when used)
CACHE_NAME = "fit-cache"  # under pytest's cache folder: .pytest_cache/d/fit-cache


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lessons")
    group.addoption(
        "--fit-cache",
        metavar="DIR",
        default=None,
        help="keep the grader's fits in DIR (default: pytest's cache folder, .pytest_cache)",
    )
    group.addoption(
        "--no-fit-cache",
        action="store_true",
        help="train every grader-side fit, reading and writing no fit cache",
    )
    group.addoption(
        "--fits-ahead-only",
        action="store_true",
        help="with --collect-only: train every fit the checks' fits_ahead ask for into the fit "
        "cache, whatever the lessons hold, and run nothing (Gradescope's setup.sh)",
    )
    group.addoption(
        "--no-fits-ahead",
        action="store_true",
        help="train the grader's fits only when a claim asks for one (not ahead, in a thread)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_CACHE] = _open(config)


def _open(config: pytest.Config) -> FitCache | None:
    from checks.grader.fit_cache import FitCache

    if config.getoption("no_fit_cache"):
        return None
    folder = config.getoption("fit_cache")
    if folder:
        path = Path(folder)
        return FitCache(path if path.is_absolute() else config.invocation_params.dir / path)
    folder = private_cache_folder(config, CACHE_NAME)
    return FitCache(folder) if folder is not None else None


def pytest_report_header(config: pytest.Config) -> str:
    cache = config.stash.get(_CACHE, None)
    where = f"in {cache.root}" if cache else "off"
    return f"lessons: fit cache {where} (--fit-cache DIR, --no-fit-cache)"


def _fits_ahead(config: pytest.Config) -> bool:
    return bool(
        config.stash.get(_CACHE, None) is not None
        and not config.getoption("no_fits_ahead")
        and not config.getoption("collectonly")
        and not hasattr(config, "workerinput")  # a pytest-xdist worker: each would fit them all
        and "cpu" in requested_devices(config)
        and _no_fork_ahead(config)
    )


def _no_fork_ahead(config: pytest.Config) -> bool:
    """Whether the grader forks no process while the thread may run. The fallback sandbox (no
    bubblewrap) forks a new zygote from the grader when a lesson killed its own: a fork
    taken while the thread is inside torch could leave the child a lock that is never released.
    A box's zygote is exec'd (bwrap), and ``--no-sandbox`` forks nothing."""
    from checks.grader.sandbox.hooks import SANDBOX

    sandbox = config.stash.get(SANDBOX, None)
    return sandbox is None or sandbox.zygote.settings.box


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    if config.getoption("fits_ahead_only"):
        from checks.grader import fits_ahead

        if not config.getoption("collectonly") or config.stash.get(_CACHE, None) is None:
            raise pytest.UsageError("--fits-ahead-only goes with --collect-only and a fit cache")
        errors = fits_ahead.fill(config.stash[_CACHE], session.items)
        config.stash[_AHEAD] = _Filled(errors)
        return
    if _fits_ahead(session.config):
        from checks.grader import collection, fits_ahead

        cache = session.config.stash[_CACHE]
        lessons = session.config.rootpath / collection.LESSONS_DIR
        session.config.stash[_AHEAD] = fits_ahead.start(cache, session.items, lessons)


class _Filled:
    """What ``--fits-ahead-only`` left to report: its errors (no thread to stop)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors

    def stop(self) -> None:
        pass


def pytest_sessionfinish(session: pytest.Session) -> None:
    ahead = session.config.stash.get(_AHEAD, None)
    if ahead is not None:
        ahead.stop()


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    cache = config.stash.get(_CACHE, None)
    found = config.stash.get(_AHEAD, None)
    if isinstance(found, _Filled):
        terminalreporter.write_line(
            f"fit cache: {cache.trained} fit(s) trained and kept for the claims to read "
            "(--fits-ahead-only)"
        )
    elif cache is not None and (cache.hits or cache.trained or cache.rejected):
        _ = config.stash[LANGUAGE].gettext  # the student's language (--lang)
        line = _(N_("fit cache: {hits} fit(s) read, {trained} trained and kept"))
        if cache.ahead and cache.unused_ahead:
            line += _(N_(" ({ahead} ahead of the claims, {unused} not asked for)"))
        elif cache.ahead:
            line += _(N_(" ({ahead} ahead of the claims)"))
        if cache.rejected:
            line += _(N_(", {rejected} broken entries trained again"))
        counts = {"hits": cache.hits, "trained": cache.trained, "ahead": cache.ahead,
                  "unused": cache.unused_ahead, "rejected": cache.rejected}  # fmt: skip
        terminalreporter.write_line(line.format(**counts))
    for error in found.errors if found else ():
        terminalreporter.write_line(f"fits ahead: {error} (the claims trained it themselves)")


@pytest.fixture(scope="session")
def train(pytestconfig: pytest.Config):
    """``train(model, X, y, *, lr, epochs, device)``: ``lessons.fit``, through the fit cache."""
    from lessons._train import fit

    cache = pytestconfig.stash.get(_CACHE, None)
    return fit if cache is None else cache.fit


def _compute(what, inputs, compute, *, modules, device="cpu"):
    return compute()


@pytest.fixture(scope="session")
def kept(pytestconfig: pytest.Config):
    """``kept(what, inputs, compute, *, modules, device)``: ``compute()`` (named tensors), through
    the fit cache: a grader-side sweep is computed once per cache, like a fit."""
    cache = pytestconfig.stash.get(_CACHE, None)
    return _compute if cache is None else cache.kept
