"""The lecture's pictures, drawn the same way every time (design H).

Every figure is built with matplotlib's object API (``Figure`` on an Agg canvas, no pyplot state)
inside one fixed style: matplotlib's defaults plus the few settings below, the bundled DejaVu Sans
font, a fixed size and resolution, a fixed ``svg.hashsalt``, and no date or version metadata when
saved. The same numbers give the same pixels, so figures can be snapshotted.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import ParamSpec

import matplotlib.style
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 9,
    "lines.markersize": 4,
    "svg.hashsalt": "expressive-power",
    "svg.fonttype": "path",
}
LOG_SPAN = 10.0  # a loss curve gets a log axis once its finite values span a decade or more

P = ParamSpec("P")


@contextmanager
def style() -> Iterator[None]:
    """matplotlib's defaults plus ``STYLE``, whatever the user's matplotlibrc says; restored after."""
    with matplotlib.style.context(["default", STYLE]):
        yield


def styled(plot: Callable[P, Figure]) -> Callable[P, Figure]:
    """Decorate a plot function so that everything it draws uses the fixed style."""

    @functools.wraps(plot)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with style():
            return plot(*args, **kwargs)

    return wrapper


def new_figure(ncols: int = 1, *, width: float = 6.4, height: float = 4.0):
    """A ``Figure`` with an Agg canvas and ``ncols`` axes side by side: ``(figure, axes)``.

    Fixed margins, not a layout engine: constrained layout measured half of each figure's
    drawing time (~60 ms of ~120 ms), and the lecture's figures all share one simple shape.
    """
    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    # Room for a title (and a suptitle over several panels) and for the axis labels.
    top = 0.91 if ncols == 1 else 0.84
    left = 0.12 if ncols == 1 else 0.06
    figure.subplots_adjust(left=left, right=0.98, bottom=0.13, top=top, wspace=0.25)
    return figure, figure.subplots(1, ncols)


def to_png(figure: Figure) -> bytes:
    """The figure as PNG bytes, without the matplotlib version in its metadata."""
    buffer = io.BytesIO()
    with style():
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def as_array(values) -> np.ndarray:
    """A CPU NumPy copy of a tensor (detached) or of anything array-like."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().double().numpy()
    return np.asarray(values, dtype=float)


@styled
def data_and_fit(
    x, y, fits: Mapping[str, object], *, title: str, xlabel: str = "x", ylabel: str = "y"
) -> Figure:
    """The lecture's ``plt.plot(x, y, '.')`` and a dashed ``plt.plot(x, yhat, '--')`` per fit."""
    figure, ax = new_figure()
    x = as_array(x).ravel()
    ax.plot(x, as_array(y).ravel(), ".", label="data")
    for label, yhat in fits.items():
        ax.plot(x, as_array(yhat).ravel(), "--", label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend()
    return figure


@styled
def curves(x, ys: Mapping[str, object], *, title: str, xlabel: str, ylabel: str) -> Figure:
    """Solid lines ``ys`` against ``x``, one per label (functions such as ReLU and the identity)."""
    figure, ax = new_figure()
    for label, values in ys.items():
        ax.plot(as_array(x).ravel(), as_array(values).ravel(), label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend()
    return figure


def wants_log_scale(series: Mapping[str, object]) -> bool:
    """True when the finite positive losses span a factor ``LOG_SPAN`` (a decade) or more."""
    values = np.concatenate([as_array(v).ravel() for v in series.values()])
    values = values[np.isfinite(values) & (values > 0)]
    return len(values) > 0 and values.max() / values.min() >= LOG_SPAN


@styled
def loss_curve(
    losses: Mapping[str, object],
    *,
    title: str,
    log: bool | None = None,
    references: Mapping[str, float] | None = None,
) -> Figure:
    """Training loss per epoch for each run in ``losses``.

    ``log=None`` picks a log axis when the losses span a decade or more. A run whose loss leaves the
    finite range gets a dotted vertical line at that epoch. ``references`` are labelled
    horizontal lines (a noise variance, the loss of a trivial predictor).
    """
    figure, ax = new_figure()
    for label, values in losses.items():
        values = as_array(values).ravel()
        (line,) = ax.plot(np.arange(len(values)), values, label=label)
        # Inline, not a function: one would answer learning_rate.divergence_epoch (issue 16).
        nonfinite = np.flatnonzero(~np.isfinite(values))
        if len(nonfinite):
            bad = int(nonfinite[0])
            ax.axvline(
                bad,
                color=line.get_color(),
                linestyle=":",
                label=f"{label}: not finite from epoch {bad}",
            )
    for label, level in (references or {}).items():
        ax.axhline(level, color="grey", linestyle="--", linewidth=1, label=f"{label} = {level:.3g}")
    if wants_log_scale(losses) if log is None else log:
        ax.set_yscale("log")
    ax.set(title=title, xlabel="epoch", ylabel="training loss (MSE)")
    ax.legend()
    return figure


def mse_label(name: str, loss: float) -> str:
    """A legend label with the loss it reached: ``"SGD fit (MSE 0.0877)"``."""
    return f"{name} (MSE {loss:.3g})" if math.isfinite(loss) else f"{name} (MSE not finite)"
