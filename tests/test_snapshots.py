"""The figure snapshot extension: RMS comparison with a tolerance, result images on a failure."""

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from checks.grader import snapshots
from checks.grader.pixels import DEFAULT_TOLERANCE, compare_png, load_png, rms
from checks.grader.snapshots import DiagramSnapshotExtension, FigureSnapshotExtension
from lessons._plots import data_and_fit, to_png

X = torch.linspace(-1, 1, 50).reshape(50, 1)
Y = 2 * X + 0.1 * torch.sin(40 * X)


def fit_figure(slope: float = 2.0, *, title: str = "a fit", point_shift: float = 0.0):
    """The data and a line drawn with ``slope``: the kind of figure the lessons snapshot."""
    y = Y.clone()
    y[25] += point_shift
    return data_and_fit(X, y, {"fit": slope * X}, title=title)


@pytest.fixture(scope="module")
def expected() -> bytes:
    return to_png(fit_figure())


def extension(tmp_path: Path, tolerance: float = DEFAULT_TOLERANCE) -> FigureSnapshotExtension:
    """An extension as syrupy would build it, after the plugin configured it."""
    ext = FigureSnapshotExtension.configured(tolerance, tmp_path / "results")()
    snapshot = tmp_path / "__snapshots__" / "check_toy" / "test_figure_fit[cpu].png"
    ext.read_snapshot_data_from_location(
        snapshot_location=str(snapshot), snapshot_name="test_figure_fit[cpu]", session_id="0"
    )
    return ext


def test_rms_of_identical_arrays_is_zero_and_of_other_shapes_is_infinite(expected):
    image = load_png(expected)
    assert rms(image, image) == 0.0
    assert rms(image, image[:-1]) == float("inf")


def test_identical_figure_passes(tmp_path, expected):
    ext = extension(tmp_path)
    actual = ext.serialize(fit_figure())
    assert actual == expected  # the same figure gives the same bytes: drawing is deterministic
    assert ext.matches(serialized_data=actual, snapshot_data=expected)
    assert not (tmp_path / "results").exists()


def test_change_below_tolerance_passes(tmp_path, expected):
    """One data point moved by a hair changes a few anti-aliased pixels, not the picture."""
    actual = to_png(fit_figure(point_shift=0.02))
    comparison = compare_png(expected, actual)
    assert 0 < comparison.rms <= DEFAULT_TOLERANCE
    assert extension(tmp_path).matches(serialized_data=actual, snapshot_data=expected)


def test_fit_drawn_with_wrong_weights_fails_and_writes_the_images(tmp_path, expected):
    ext = extension(tmp_path)
    actual = ext.serialize(fit_figure(slope=-2.0))
    assert not ext.matches(serialized_data=actual, snapshot_data=expected)
    message = list(ext.diff_lines(actual, expected))
    assert message[0].startswith("figure differs from its snapshot: pixel RMS")
    assert "above tolerance 2" in message[0]
    results = tmp_path / "results" / "check_toy"
    for kind in ("expected", "actual", "diff"):
        path = results / f"test_figure_fit[cpu]-{kind}.png"
        assert path.is_file() and any(str(path) in line for line in message)
    assert (results / "test_figure_fit[cpu]-actual.png").read_bytes() == actual
    diff = load_png((results / "test_figure_fit[cpu]-diff.png").read_bytes())
    assert diff.max() > 0


def test_tolerance_is_configurable(tmp_path, expected):
    actual = to_png(fit_figure(slope=-2.0))
    loose = compare_png(expected, actual).rms * 2
    assert extension(tmp_path, tolerance=loose).matches(
        serialized_data=actual, snapshot_data=expected
    )
    assert not extension(tmp_path, tolerance=0).matches(
        serialized_data=to_png(fit_figure(point_shift=0.02)), snapshot_data=expected
    )


def test_size_change_fails_with_both_sizes(tmp_path, expected):
    figure = fit_figure()
    figure.set_size_inches(3, 2)
    ext = extension(tmp_path)
    actual = ext.serialize(figure)
    assert not ext.matches(serialized_data=actual, snapshot_data=expected)
    message = list(ext.diff_lines(actual, expected))
    assert message[0] == "figure size changed: expected 640x400 px, got 300x200 px"
    assert not (tmp_path / "results" / "check_toy" / "test_figure_fit[cpu]-diff.png").exists()


def test_missing_snapshot_says_how_to_take_it(tmp_path, expected):
    message = list(extension(tmp_path).diff_lines(expected, ""))
    assert "--snapshot-update" in message[0]
    assert (tmp_path / "results" / "check_toy" / "test_figure_fit[cpu]-actual.png").is_file()


def test_diagrams_are_dot_text_snapshots():
    ext = DiagramSnapshotExtension()
    assert ext.file_extension == "dot"
    assert ext.serialize('digraph G { "X" -> "yhat" }') == 'digraph G { "X" -> "yhat" }'


@pytest.mark.parametrize(
    ("params", "skipped"), [({"device": "cuda"}, True), ({"device": "cpu"}, False), ({}, False)]
)
def test_figures_are_only_snapshotted_on_the_cpu(params, skipped):
    request = SimpleNamespace(node=SimpleNamespace(callspec=SimpleNamespace(params=params)))
    if skipped:
        with pytest.raises(pytest.skip.Exception, match="snapshotted on the CPU, not on cuda"):
            snapshots._cpu_only(request)
    else:
        snapshots._cpu_only(request)
