"""The teaching suite's pytest plugin: one entry point, one concept per module below.

Every hook and fixture lives in a plugin module, never in a conftest.py: conftest hooks are not
run for checks collected through a lesson (design D).
"""

from checks.grader.heap import frozen_imports

with frozen_imports():  # the long-lived heap, out of the garbage collector's full passes
    import matplotlib.figure  # noqa: F401
    import torch  # noqa: F401

    import lessons._diagrams
    import lessons._plots
    import lessons._train  # noqa: F401

pytest_plugins = [
    "checks.grader.collection",
    "checks.grader.claims",
    "checks.grader.devices",
    "checks.grader.threads",
    "checks.grader.denormals",
    "checks.grader.fit_cache",
    "checks.grader.benchmarks",
    "checks.grader.scoring",
    "checks.grader.snapshots",
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
