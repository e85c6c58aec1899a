"""The plotting helpers draw deterministically, with the object API, whatever the user's style."""

import subprocess
import sys
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from lessons import LESSONS
from lessons._plots import data_and_fit, loss_curve, to_png, wants_log_scale

X = torch.linspace(-1, 1, 20)


def test_same_figure_same_bytes_whatever_the_users_rcparams():
    before = to_png(data_and_fit(X, X**2, {"fit": X}, title="t"))
    with matplotlib.rc_context({"lines.linewidth": 7, "font.size": 20, "axes.grid": False}):
        during = to_png(data_and_fit(X, X**2, {"fit": X}, title="t"))
    assert before == during
    assert b"Matplotlib" not in before  # no version in the metadata


def test_figures_never_touch_pyplot():
    plt.close("all")
    figure = data_and_fit(X, X, {}, title="t")
    assert isinstance(figure, Figure) and plt.get_fignums() == []


def test_lessons_import_without_pyplot():
    """Importing every lesson (in a fresh interpreter) loads no pyplot, so it can show nothing."""
    code = (
        "import sys, lessons\n"
        f"for name in {LESSONS!r}: __import__(f'lessons.{{name}}')\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'a lesson imported pyplot'"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_log_axis_only_when_the_loss_spans_a_decade():
    assert wants_log_scale({"a": torch.tensor([100.0, 1.0])})
    assert not wants_log_scale({"a": torch.tensor([2.0, 1.0])})
    figure = loss_curve({"a": torch.tensor([2.0, 1.0])}, title="t")
    assert figure.axes[0].get_yscale() == "linear"


def test_a_diverging_loss_is_marked_where_it_leaves_the_finite_range():
    losses = torch.tensor([1.0, 10.0, 1e30, float("inf"), float("nan")])
    ax = loss_curve({"lr 0.1": losses}, title="t").axes[0]
    assert ax.get_yscale() == "log"
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "lr 0.1: not finite from epoch 3" in labels
