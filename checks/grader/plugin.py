"""The teaching suite's pytest plugin: one entry point, one concept per module below.

Every hook and fixture lives in a plugin module, never in a conftest.py: conftest hooks are not
run for checks collected through a lesson (design D).
"""

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
]
