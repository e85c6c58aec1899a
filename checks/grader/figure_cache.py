"""The figure cache: a lesson's drawing kept by everything that determined it, so that a
student's rerun draws only the figures whose inputs or code changed (design H, issue 18).

A figure test asks the lesson's process for a figure (``lesson.plot_fit(...)``) and compares the
PNG that comes back with its snapshot. Drawing is ~0.1-0.35 s a figure (matplotlib's ticks and
text), ~4.3 s of a local rerun's ~9 s for the 56 figures. The PNG is a pure function of the call
(the plot function's name and the bytes of its arguments), of the code (every file under
``lessons/``, which draws, and under ``checks/``, whose calls built the objects a figure shows and
whose sandbox renders it), and of the libraries that draw and encode it; ``FigureCache.key``
hashes all of these. A drawing that depends on anything else (a lesson reading the clock, or
keeping state across calls that a ``-k`` selection changes) is not a function of its inputs: its
snapshot test would not be reliable either. The comparison with the snapshot is made
again on every run: a retaken snapshot or another ``--figure-tolerance`` is always seen.

Where it is used: only inside a figure test (``figure_snapshot`` sets it for the test; claims
never read it), only in local runs (not under ``--grade-json``, where figures do not run or feed a
report, nor ``--snapshot-update``, which redraws), and only for a call that hands the lesson
nothing of its own process (no live handle, no model) and changes none of its arguments. It lives
in pytest's cache folder (``.pytest_cache/d/figure-cache``, 0700), is read and written by the
grader's process only, and an entry that is not whole (its digest) is drawn again, never shown.
``--no-figure-cache`` or ``-p no:cacheprovider`` turns it off.

The cache also says whether a run will draw at all (``will_draw``): the figure tests whose every
drawing an earlier run under the same code and libraries read from it or kept in it are listed in
its ``served.json``; when every figure test selected now is listed, the box's zygote skips the
figure it draws to warm up for the lessons' processes (~0.1 s of a rerun). The list only saves
time: a figure test it wrongly names still draws, in a process that was not warmed up.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import platform
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pytest

from checks.grader.cache_files import private_cache_folder, write_entry
from checks.grader.i18n import LANGUAGE, N_

FORMAT = 1  # bump when the key's material or the entries' layout changes
CACHE_NAME = "figure-cache"
SERVED = "served.json"  # the figure tests the cache answered in full, and under which code
SKIPPED = {"__pycache__", "__snapshots__"}
DRAWING_LIBRARIES = ("matplotlib", "numpy", "pillow", "torch")  # draw, hold and encode the PNG
_CACHE = pytest.StashKey["FigureCache | None"]()
# The cache a figure test's calls may use, set for that test only: a context variable rather than
# an argument because the calls go through the lesson proxy, which knows nothing of tests.
_ACTIVE: contextvars.ContextVar[FigureCache | None] = contextvars.ContextVar(
    "figure_cache", default=None
)


def folder_digest(*folders: Path) -> str:
    """sha256 of every file's relative path and bytes under ``folders``: not compiled code, nor
    snapshots (a figure is compared with the snapshot of the day on every run)."""
    digest = hashlib.sha256()
    for folder in folders:
        found = []
        # os.walk does not follow a link to a folder (a lessons/ holding a link to / would
        # hash the disk); a linked file is read, as Python imports it.
        for parent, folders_here, names in os.walk(folder):
            folders_here[:] = sorted(f for f in folders_here if f not in SKIPPED)
            found += [Path(parent, name) for name in names]
        for path in sorted(found):
            if not path.is_file():
                continue
            digest.update(f"{path.relative_to(folder)}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _versions() -> dict:
    found: dict = {"python": sys.version, "machine": platform.machine()}
    for name in DRAWING_LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


@dataclass
class FigureCache:
    """A folder of PNGs by key: ``<key[:2]>/<key>.png``, each led by its sha256 and a newline."""

    root: Path
    code: str  # folder_digest of the lessons, the checks and the grader (sandbox included)
    hits: int = 0
    drawn: int = 0
    rejected: int = 0
    unkept: int = 0  # drawings the cache missed and could not keep (a failed call, or one that
    # changed its arguments): the next run draws them again
    served: set[str] = field(default_factory=set)  # figure tests whose drawings all hit or kept
    _versions: dict = field(default_factory=_versions, repr=False)

    def key(self, lesson: str, request: str, buffers: list[bytes]) -> str:
        """The key of a call of ``lesson`` (``request``: its JSON text) with ``buffers``."""
        material = {
            "stamp": self._stamp(),
            "lesson": lesson,
            "request": request,
            "buffers": [hashlib.sha256(bytes(b)).hexdigest() for b in buffers],
        }
        text = json.dumps(material, sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.png"

    def _stamp(self) -> str:
        """What every key of this run shares: the format, the code and the drawing libraries
        (``served.json`` is kept under it too)."""
        text = json.dumps({"format": FORMAT, "code": self.code, "versions": self._versions},
                          sort_keys=True, default=repr)  # fmt: skip
        return hashlib.sha256(text.encode()).hexdigest()

    def served_before(self) -> set[str]:
        """The figure tests an earlier run under this code and these libraries served in full."""
        try:
            kept = json.loads((self.root / SERVED).read_text())
        except (OSError, ValueError):
            return set()
        if not isinstance(kept, dict) or kept.get("stamp") != self._stamp():
            return set()
        tests = kept.get("tests")
        return (
            {test for test in tests if isinstance(test, str)} if isinstance(tests, list) else set()
        )

    def keep_served(self) -> None:
        """Add this run's served figure tests to the list (a list under other code is replaced)."""
        if not self.served:
            return
        tests = sorted(self.served | self.served_before())
        text = json.dumps({"stamp": self._stamp(), "tests": tests}).encode()
        write_entry(self.root / SERVED, lambda file: file.write(text))

    def read(self, key: str) -> bytes | None:
        try:
            entry = self.path(key).read_bytes()
        except OSError:
            return None
        digest, _, png = entry.partition(b"\n")
        if digest.decode(errors="replace") != hashlib.sha256(png).hexdigest():
            self.rejected += 1
            return None
        self.hits += 1
        return png

    def write(self, key: str, png: bytes) -> None:
        self.drawn += 1
        entry = hashlib.sha256(png).hexdigest().encode() + b"\n" + png
        write_entry(self.path(key), lambda file: file.write(entry))


def active() -> FigureCache | None:
    """The cache the current figure test's calls may use, or None (a claim, or no cache)."""
    return _ACTIVE.get()


@contextlib.contextmanager
def drawing(config: pytest.Config, test: str) -> Iterator[None]:
    """For the length of figure test ``test`` (its node id): its calls of the lesson may use the
    session's cache; it is served if the cache read or kept all it drew."""
    cache = config.stash.get(_CACHE, None)
    token = _ACTIVE.set(cache)
    unkept = cache.unkept if cache is not None else 0
    try:
        yield
    finally:
        _ACTIVE.reset(token)
        if cache is not None and cache.unkept == unkept:
            cache.served.add(test)


def will_draw(session: pytest.Session) -> bool:
    """Whether this run's figure tests will draw in the lessons' processes: some are selected and
    the cache did not serve them all before (no cache: they all draw). Diagrams are DOT text.
    A grading run has none left: snapshots.py deselected them at collection."""
    tests = {item.nodeid for item in session.items if "figure_snapshot" in item.fixturenames}
    if not tests:
        return False
    cache = session.config.stash.get(_CACHE, None)
    return cache is None or not tests <= cache.served_before()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("lessons").addoption(
        "--no-figure-cache",
        action="store_true",
        help="draw every figure again, reading and writing no figure cache",
    )


def _open(config: pytest.Config) -> FigureCache | None:
    if (
        config.getoption("no_figure_cache")
        or config.getoption("grade_json", None)
        or config.getoption("update_snapshots", False)
    ):
        return None
    folder = private_cache_folder(config, CACHE_NAME)
    if folder is None:
        return None
    # The lesson's code draws; the checks and the grader make the calls that built the objects
    # a figure shows; the sandbox's worker renders and encodes it.
    code = folder_digest(config.rootpath / "lessons", Path(__file__).parents[1])
    return FigureCache(folder, code)


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_CACHE] = _open(config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    cache = session.config.stash.get(_CACHE, None)
    if cache is not None:
        cache.keep_served()


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    cache = config.stash.get(_CACHE, None)
    if cache is not None and (cache.hits or cache.drawn or cache.rejected):
        _ = config.stash[LANGUAGE].gettext  # the student's language (--lang)
        line = _(N_("figure cache: {hits} figure(s) read, {drawn} drawn and kept"))
        if cache.rejected:
            line += _(N_(", {rejected} broken entries drawn again"))
        terminalreporter.write_line(
            line.format(hits=cache.hits, drawn=cache.drawn, rejected=cache.rejected)
        )
