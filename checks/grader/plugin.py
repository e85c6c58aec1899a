"""The teaching suite's pytest plugin: one entry point, one concept per module below.

Every hook and fixture lives in a plugin module, never in a conftest.py: conftest hooks are not
run for checks collected through a lesson (design D).

Start-up order (design N): no module below imports torch, matplotlib or the engine when pytest
loads it. The first configure step starts the lessons' bubblewrap box, whose zygote then imports
its own torch (~3 s) on the other core while this process imports the engine (~2.7 s); imported
at the top of this file, the box waited for them and a run paid both, one after the other.
"""

import os

import pytest

from checks.grader.sandbox.heap import frozen_imports
from checks.grader.sandbox.hooks import start_box


@pytest.hookimpl(tryfirst=True)  # before the steps that set torch (threads, denormals)
def pytest_configure(config: pytest.Config) -> None:
    start_box(config)
    # NumPy's OpenBLAS starts a pool of threads as it loads (torch imports NumPy): the grader's
    # NumPy work is tiny, and a process with threads cannot fork safely, so the fits lane would
    # not fork (fits_lane.py: the cold run ~0.8 s slower). One thread, as torch's (design J),
    # unless the user chose; the box sets its own environment, lessons grade sets OMP's.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    with frozen_imports():  # the long-lived heap, out of the garbage collector's full passes
        import torch  # noqa: F401

        import lessons._diagrams
        import lessons._train  # noqa: F401
        from checks.grader.sandbox import lazy_dynamo

        # The grader's own first optimizer step (a claim's reference fit, a fit ahead) imported
        # the real torch._dynamo: ~1 s of CPU in every run, and in each forked lane of fits
        # ahead (fits_lane.py). The stand-in, as in the box (design J).
        lazy_dynamo.install()
    # Not matplotlib (~0.4 s): beside a box the lessons draw in their own process, and a figure
    # comes here as PNG bytes. What draws in this process imports it (--no-sandbox: the lessons;
    # the fallback: its zygote's preload, before it forks).


pytest_plugins = [
    "checks.grader.collection",
    "checks.grader.claims",
    "checks.grader.devices",
    "checks.grader.threads",
    "checks.grader.denormals",
    "checks.grader.fit_cache_hooks",
    "checks.grader.benchmarks",
    "checks.grader.scoring",
    "checks.grader.snapshots",
    "checks.grader.figure_cache",
    "checks.grader.not_attempted",
    "checks.grader.report",
    "checks.grader.credit",
    "checks.grader.grade_json",
    "checks.grader.listing",
    "checks.grader.sandbox.hooks",
    "checks.grader.ordering",
    "checks.grader.i18n",
    "checks.grader.card_reporter",
]
