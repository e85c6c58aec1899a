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
    _versions: dict = field(default_factory=_versions, repr=False)

    def key(self, lesson: str, request: str, buffers: list[bytes]) -> str:
        """The key of a call of ``lesson`` (``request``: its JSON text) with ``buffers``."""
        material = {
            "format": FORMAT,
            "lesson": lesson,
            "code": self.code,
            "versions": self._versions,
            "request": request,
            "buffers": [hashlib.sha256(bytes(b)).hexdigest() for b in buffers],
        }
        text = json.dumps(material, sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.png"

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
def drawing(config: pytest.Config) -> Iterator[None]:
    """For the length of a figure test: its calls of the lesson may use the session's cache."""
    token = _ACTIVE.set(config.stash.get(_CACHE, None))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


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
