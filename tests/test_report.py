"""The lesson report: one self-contained HTML page, checked as text and in headless Chromium."""

import base64
import dataclasses
import re
import shutil
import subprocess

import numpy as np
import pytest
import torch

from checks.grader import report_html
from checks.grader.pixels import load_png
from checks.grader.report_html import Picture, page
from checks.grader.scores import Outcome
from lessons import _diagrams
from lessons._diagrams import GraphvizNotInstalled, dot_source
from lessons._plots import data_and_fit, to_png

OUTCOMES = [
    Outcome("relu_nodes", "test_two_nodes_fit", 2, "passed", "", "Two nodes fit the kink."),
    Outcome(
        "relu_nodes",
        "test_one_node_fits",
        1,
        "failed",
        "claim does not hold: 0.3 > 0.18",
        "One node fits.",
    ),
    Outcome("relu_nodes", "test_secret", 1, "passed", "", "Top secret.", visibility="hidden"),
]
BLUE = np.array([31, 119, 180])  # matplotlib's first colour, tab:blue: the data points


@pytest.fixture(scope="module")
def pictures() -> list[Picture]:
    x = torch.linspace(-1, 1, 40)
    figure = data_and_fit(x, torch.relu(x), {"fit": 0.5 * x}, title="data and fit")
    png = base64.b64encode(to_png(figure)).decode("ascii")
    net = torch.nn.Sequential(torch.nn.Linear(1, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    return [
        Picture("relu_nodes", "test_figure_fit[cpu]", "png", png),
        Picture("relu_nodes", "test_diagram[compact]", "dot", dot_source(net, "compact")),
    ]


def test_page_lists_claims_points_reasons_and_figures(pictures):
    html = page(OUTCOMES, pictures, order=["relu_nodes"], docs={"relu_nodes": "ReLU nets."})
    assert "Total: <strong>3 / 4 points</strong> over 3 graded claims." in html
    assert "3 / 4 points, 2 / 3 claims" in html
    assert "✘ failed" in html and "claim does not hold: 0.3 &gt; 0.18" in html
    assert "Two nodes fit the kink." in html and "ReLU nets." in html
    assert "Top secret." not in html  # a hidden claim shows its points, not its contents
    assert html.count('src="data:image/png;base64,') == 1


def test_page_loads_nothing_from_outside(pictures):
    html = page(OUTCOMES, pictures)
    assert not re.findall(r'(?:src|href)="(?!data:|#)', html)
    assert "Content-Security-Policy" in html and "<script" not in html


def test_diagram_without_graphviz_shows_its_dot_text(pictures, monkeypatch):
    def missing(source):
        raise GraphvizNotInstalled(
            "cannot draw the diagram without graphviz: apt-get install graphviz"
        )

    monkeypatch.setattr(_diagrams, "render", missing)  # report_html imports it when drawing
    html = page([], pictures)
    assert "apt-get install graphviz" in html
    assert "<pre>digraph G {" in html and "&quot;X&quot; -&gt; &quot;X@W1+b1&quot;" in html


@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="chromium is not installed (Debian: apt-get install chromium); CI installs it",
)
def test_report_renders_in_headless_chromium(pictures, tmp_path):
    report = tmp_path / "index.html"
    report.write_text(page(OUTCOMES, pictures, order=["relu_nodes"]), encoding="utf-8")
    screenshot = tmp_path / "screenshot.png"
    done = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={screenshot}",
            "--window-size=1200,1400",
            report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # The page has no script, so any console line is an error: a blocked load, a parse error.
    console = [
        line for line in done.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line
    ]
    assert console == []
    pixels = load_png(screenshot.read_bytes())
    assert pixels.std() > 10, "the screenshot is blank"
    blue = (np.abs(pixels - BLUE).max(axis=2) < 30).sum()
    assert blue > 50, "the figure's blue data points are not on the screenshot"


def test_claims_and_pictures_are_listed_where_their_checks_file_states_them(pictures):
    """The lecture's order within a lesson: by the line of each test in its checks file, however
    pytest ordered the run (a figure between two claims stays between them)."""
    figure, diagram = pictures
    positions = {
        ("relu_nodes", "test_two_nodes_fit"): (40, 5),
        ("relu_nodes", "test_one_node_fits"): (10, 0),
        ("relu_nodes", "test_secret"): (90, 9),
    }
    html = page(
        OUTCOMES,
        [
            dataclasses.replace(figure, position=(20, 1)),
            dataclasses.replace(diagram, position=(60, 7)),
        ],
        order=["relu_nodes"],
        positions=positions,
    )
    marks = ["test_one_node_fits", "test_figure_fit[cpu]", "test_two_nodes_fit", "test_diagram"]
    at = [html.index(mark) for mark in marks] + [html.index("test_secret")]
    assert at == sorted(at), html
    # a new table after each run of pictures: claim, grid, claim, grid, claim
    assert html.count("<table>") == 3 and html.count('<div class="pictures">') == 2


def test_the_page_uses_its_whole_width():
    """No column caps the page (it was 90rem wide at most, its figures at their natural size):
    the body spans the window, pictures fill the cells of a grid as wide as the page."""
    body = re.search(r"body \{([^}]*)\}", report_html.STYLE)[1]
    assert "max-width" not in body
    assert "grid-template-columns: repeat(auto-fill" in report_html.STYLE
    assert re.search(r"figure img \{[^}]*width: 100%", report_html.STYLE)


def test_the_graphviz_notice_is_shown_once(pictures, monkeypatch):
    def missing(source):
        raise GraphvizNotInstalled(
            "cannot draw the diagram without graphviz: apt-get install graphviz"
        )

    monkeypatch.setattr(_diagrams, "render", missing)  # report_html imports it when drawing
    diagram = pictures[1]
    many = [dataclasses.replace(diagram, name=f"test_diagram[{i}]") for i in range(5)]
    other = dataclasses.replace(diagram, lesson="linear_model")
    html = page([], [*many, other], order=["linear_model", "relu_nodes"])
    assert html.count("apt-get install graphviz") == 1
    assert html.count("<pre>digraph G {") == 6  # every diagram still shows its DOT text
    assert html.index("apt-get install graphviz") < html.index("<section")  # at the top
