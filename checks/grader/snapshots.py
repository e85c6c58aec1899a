"""Figure and diagram snapshots: syrupy extensions and the ``figure`` marker (design H).

A figure is compared with its PNG snapshot by the RMS of the pixel differences (0-255 per RGB
channel, as pytest-mpl and matplotlib's ``compare_images`` do), not byte for byte: a FreeType or
matplotlib release that moves a few anti-aliased pixels passes, a curve drawn elsewhere fails.
On a failure the expected, actual and difference images are written to ``--figure-results`` and
their paths are in the failure message. Diagrams are snapshotted as DOT text.

Figure tests sit next to the claims and reuse their fits; ``@pytest.mark.figure`` keeps them out
of the grade. Snapshots are taken on the CPU: on any other device a figure test is skipped. A
grading run (``--grade-json``: ``lessons grade``, the Gradescope autograder) deselects them: they
earn no points and cost ~30% of its time (issue 18); ``--lesson-report`` keeps them, it shows them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.extensions.image import PNGImageSnapshotExtension
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from checks.grader import figure_cache, withheld
from checks.grader.pixels import DEFAULT_TOLERANCE, compare_png, write_results

DEFAULT_RESULTS = ".pytest_cache/figure-results"
_EXTENSION = pytest.StashKey[type["FigureSnapshotExtension"]]()


class FigureSnapshotExtension(PNGImageSnapshotExtension):
    """A matplotlib ``Figure`` (a ``RenderedFigure`` from a lesson's process, or PNG bytes) as a PNG snapshot, compared within a tolerance.

    syrupy builds extensions without arguments, so the tolerance and the results directory are
    class attributes; ``configured`` makes a subclass with the session's values.
    """

    tolerance = DEFAULT_TOLERANCE
    results_dir = Path(DEFAULT_RESULTS)

    @classmethod
    def configured(cls, tolerance: float, results_dir: Path) -> type[FigureSnapshotExtension]:
        return type(cls.__name__, (cls,), {"tolerance": tolerance, "results_dir": results_dir})

    def serialize(self, data, **kwargs) -> bytes:
        from checks.grader.sandbox.values import RenderedFigure, is_figure

        if isinstance(data, RenderedFigure):  # drawn in the lesson's process, as to_png draws
            data = data.png
        elif is_figure(data):  # drawn here (--no-sandbox): matplotlib is loaded already
            from lessons._plots import to_png

            data = to_png(data)
        return super().serialize(data, **kwargs)

    def read_snapshot_data_from_location(self, *, snapshot_location: str, **kwargs):
        self._location = Path(snapshot_location)  # names the result images of a failure
        return super().read_snapshot_data_from_location(
            snapshot_location=snapshot_location, **kwargs
        )

    def matches(self, *, serialized_data, snapshot_data) -> bool:
        if bytes(serialized_data) == bytes(snapshot_data):
            return True  # the usual case: the same pixels, no need to decode them
        self._comparison = compare_png(bytes(snapshot_data), bytes(serialized_data), self.tolerance)
        self._written = (
            [] if self._comparison.matches else self._write(snapshot_data, serialized_data)
        )
        return self._comparison.matches

    def _write(self, expected: bytes | None, actual: bytes) -> list[Path]:
        location = getattr(self, "_location", Path("unknown/figure.png"))
        stem = Path(self.results_dir) / location.parent.name / location.stem
        return write_results(expected, actual, stem)

    def diff_lines(self, serialized_data, snapshot_data):
        """Say how the images differ and where to look at them, instead of a diff of bytes."""
        if not snapshot_data:
            written = self._write(None, bytes(serialized_data))
            yield "no snapshot yet: run `pytest lessons --snapshot-update` (on the CPU) to take it"
        else:
            comparison = getattr(self, "_comparison", None) or compare_png(
                bytes(snapshot_data), bytes(serialized_data), self.tolerance
            )
            written = getattr(self, "_written", None) or self._write(snapshot_data, serialized_data)
            yield comparison.describe()
        for path in written:
            yield f"  {path.stem.rsplit('-', 1)[-1]:>8}: {path}"


class DiagramSnapshotExtension(SingleFileSnapshotExtension):
    """A network diagram's DOT source as a ``.dot`` text snapshot (``dot -Tsvg`` draws it)."""

    file_extension = "dot"
    _write_mode = WriteMode.TEXT


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lessons")
    group.addoption(
        "--figure-tolerance",
        type=float,
        default=None,
        help=f"largest pixel RMS (0-255) at which a figure still matches its snapshot "
        f"(default: ini figure_tolerance, {DEFAULT_TOLERANCE:g})",
    )
    group.addoption(
        "--figure-results",
        default=None,
        metavar="DIR",
        help=f"where a failing figure's expected/actual/diff images go (default {DEFAULT_RESULTS})",
    )
    parser.addini(
        "figure_tolerance", "default for --figure-tolerance", default=str(DEFAULT_TOLERANCE)
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "figure: a snapshot of a lecture figure or diagram; checked, not graded"
    )
    tolerance = config.getoption("figure_tolerance")
    tolerance = float(config.getini("figure_tolerance")) if tolerance is None else tolerance
    if not tolerance >= 0:
        raise pytest.UsageError(f"--figure-tolerance must be >= 0, got {tolerance}")
    results = Path(config.getoption("figure_results") or config.rootpath / DEFAULT_RESULTS)
    config.stash[_EXTENSION] = FigureSnapshotExtension.configured(tolerance, results)
    _refuse_destructive_update(config)
    _keep_unused_snapshots(config)


def _keep_unused_snapshots(config: pytest.Config) -> None:
    """syrupy counts a snapshot no test read as "unused", fails the run for it (exit 1) and
    advises ``--snapshot-update`` to delete it. A figure test skipped or failed because of
    unwritten or wrong homework reads none, so that advice, followed, deleted the release's
    figures for good; and a run that reads none at all (--collect-only, --claims) exited 1.
    Unused snapshots are looked for only where an instructor retakes them: ``--snapshot-update``
    in the instructor's copy."""
    if withheld.is_release(config.rootpath) or not config.getoption("update_snapshots", False):
        config.option.disable_unused_snapshots = True


def _refuse_destructive_update(config: pytest.Config) -> None:
    """syrupy's --snapshot-update deletes every snapshot no test of the run wrote or read. Runs
    that read none (--collect-only, --claims) or only other devices' (the [cpu] figures skip
    elsewhere) would delete them all (measured: every snapshot gone), so refuse those runs."""
    if not config.getoption("update_snapshots", False):
        return
    if withheld.is_release(config.rootpath):
        raise pytest.UsageError(
            "--snapshot-update is for the instructor's copy: the release's figure snapshots are "
            "the lecture's figures, which your figures are compared with (nothing was changed)"
        )
    if config.getoption("collectonly") or config.getoption("claims", False):
        raise pytest.UsageError(
            "--snapshot-update with --collect-only or --claims would delete every snapshot "
            "(none is read in such a run): refresh snapshots with `pytest lessons --snapshot-update`"
        )
    device = config.getoption("device", "cpu")
    if device == "cuda":
        raise pytest.UsageError(
            "--snapshot-update with --device cuda would delete the CPU figure snapshots: "
            "snapshots are taken on the CPU (`pytest lessons --snapshot-update`)"
        )


def skips_figures(config: pytest.Config) -> bool:
    """Whether this run leaves the figure tests out: a grading run that shows no figure.

    ``--snapshot-update`` keeps them (a run that read no snapshot would delete them all)."""
    return bool(
        config.getoption("grade_json", None)
        and not config.getoption("lesson_report", None)
        and not config.getoption("update_snapshots", False)
    )


@pytest.hookimpl(trylast=True)  # after syrupy recorded what was collected, as with ``-k``
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not skips_figures(config):
        return
    figures = [item for item in items if item.get_closest_marker("figure")]
    if figures:
        items[:] = [item for item in items if not item.get_closest_marker("figure")]
        config.hook.pytest_deselected(items=figures)


def pytest_report_header(config: pytest.Config) -> str | None:
    if skips_figures(config):
        return "lessons: figures not run in a grading run (--grade-json; --lesson-report runs them)"
    return None


def _cpu_only(request: pytest.FixtureRequest) -> None:
    callspec = getattr(request.node, "callspec", None)
    device = callspec.params.get("device", "cpu") if callspec else "cpu"
    if device != "cpu":
        pytest.skip(f"figures are snapshotted on the CPU, not on {device}")


@pytest.fixture
def figure_snapshot(snapshot, request: pytest.FixtureRequest):
    """``assert figure_snapshot == figure``: the figure matches its PNG snapshot within tolerance."""
    _cpu_only(request)
    test = request.node.nodeid
    with figure_cache.drawing(request.config, test):  # its drawings may come from the cache
        yield snapshot.use_extension(request.config.stash[_EXTENSION])


@pytest.fixture
def diagram_snapshot(snapshot):
    """``assert diagram_snapshot == dot_source``: the diagram's DOT text matches its snapshot."""
    return snapshot.use_extension(DiagramSnapshotExtension)
