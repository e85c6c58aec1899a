"""`pytest lessons` on a toy project: snapshot a figure, catch a wrong one, write the report.

The runs are subprocesses: syrupy keeps per-session state in module globals, so a nested
in-process run would disturb the snapshots of the session running this test.
"""

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GRADED = re.compile(r"^toy\s+1/1\s+2/2$", re.MULTILINE)  # one claim; the figures are not in it
CHECKS = '''
import json
import os

import pytest
import torch

from lessons._diagrams import dot_source
from lessons._plots import data_and_fit

X = torch.linspace(-1, 1, 30)


@pytest.mark.claim(points=2)
def test_toy_claim():
    """The toy claim holds."""


@pytest.mark.figure
def test_figure_fit(figure_snapshot):
    slope = float(os.environ.get("TOY_SLOPE", "2"))  # a wrong slope: a fit with the wrong weights
    assert figure_snapshot == data_and_fit(X, 2 * X, {"fit": slope * X}, title="toy fit")


@pytest.mark.figure
def test_diagram(diagram_snapshot):
    assert diagram_snapshot == dot_source(torch.nn.Linear(1, 1))
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("toy")
    (root / "pytest.ini").write_text(
        "[pytest]\npython_files = check_*.py lessons/[!_]*.py\naddopts = -p no:randomly\n"
    )
    (root / "conftest.py").write_text('pytest_plugins = ["checks.grader.plugin"]\n')
    (root / "lessons").mkdir()
    (root / "lessons" / "toy.py").write_text('"""A toy lesson."""\n')
    (root / "checks").mkdir()
    (root / "checks" / "check_toy.py").write_text(textwrap.dedent(CHECKS))
    return root


def run(project: Path, *args: str, slope: str = "2") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOY_SLOPE": slope}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "lessons", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_snapshot_cycle_and_report(project):
    first = run(project, "--snapshot-update", "--lesson-report", "report")
    assert first.returncode == 0, first.stdout + first.stderr
    snapshots = project / "checks" / "__snapshots__" / "check_toy"
    assert (snapshots / "test_figure_fit.png").is_file()
    assert (snapshots / "test_diagram.dot").read_text().startswith("digraph G {")
    assert GRADED.search(first.stdout)  # figure tests are not graded
    html = (project / "report" / "index.html").read_text(encoding="utf-8")
    assert "toy claim" in html and "The toy claim holds." in html and "A toy lesson." in html
    assert 'src="data:image/png;base64,' in html and "test_diagram" in html
    assert f"lesson report: {project / 'report' / 'index.html'}" in first.stdout

    card = run(project, slope="-2")  # the report card: one line, no --snapshot-update advice
    assert card.returncode == 1
    assert "toy: 1 figure(s) not drawn as in the lecture" in card.stdout, card.stdout
    assert "--snapshot-update" not in card.stdout
    wrong = run(project, "-v", slope="-2")  # pytest's full report: how it differs, and where
    assert wrong.returncode == 1
    assert "figure differs from its snapshot: pixel RMS" in wrong.stdout
    diff = project / ".pytest_cache" / "figure-results" / "check_toy" / "test_figure_fit-diff.png"
    assert str(diff) in wrong.stdout and diff.is_file()
    assert GRADED.search(wrong.stdout)  # a figure is checked, never graded

    tolerant = run(project, "--figure-tolerance", "1000", slope="-2")
    assert tolerant.returncode == 0, tolerant.stdout


@pytest.mark.parametrize("args", [["--collect-only"], ["--claims"], ["--device", "cuda"]])
def test_snapshot_update_that_would_delete_every_snapshot_is_refused(project, args):
    """syrupy deletes the snapshots a --snapshot-update run does not read: in these runs, all."""
    before = sorted(p.name for p in project.rglob("__snapshots__/**/*"))
    refused = run(project, *args, "--snapshot-update")
    assert refused.returncode == pytest.ExitCode.USAGE_ERROR, refused.stdout + refused.stderr
    assert "would delete" in refused.stderr
    assert sorted(p.name for p in project.rglob("__snapshots__/**/*")) == before


def test_grading_run_leaves_figures_out_and_the_report_keeps_them(project, tmp_path):
    """A figure earns no points: --grade-json runs only claims (a wrong figure passes unseen),
    the same grade either way; with --lesson-report the figures run, since the page shows them."""
    graded = run(project, "--grade-json", str(tmp_path / "graded.json"), slope="-2")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert "1 passed, 2 deselected" in graded.stdout
    assert "lessons: figures not run in a grading run" in graded.stdout
    assert GRADED.search(graded.stdout)

    report = tmp_path / "report"
    shown = run(project, "--grade-json", str(tmp_path / "shown.json"), "--lesson-report",
                str(report), slope="-2")  # fmt: skip
    assert shown.returncode == 1, shown.stdout  # the wrong figure ran, and failed
    assert "deselected" not in shown.stdout and (report / "index.html").is_file()
    grades = [json.loads((tmp_path / name).read_text()) for name in ("graded.json", "shown.json")]
    assert grades[0]["tests"] == grades[1]["tests"] and grades[0]["score"] == 2
