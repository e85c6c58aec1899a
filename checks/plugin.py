"""The teaching suite's pytest plugin: one entry point, one concept per module below.

Every hook and fixture lives in a plugin module, never in a conftest.py: conftest hooks are not
run for checks collected through a lesson (design D).
"""

pytest_plugins = [
    "checks.collection",
    "checks.claims",
    "checks.devices",
    "checks.threads",
    "checks.denormals",
    "checks.benchmarks",
    "checks.scoring",
    "checks.snapshots",
    "checks.report",
    "checks.credit",
    "checks.grade_json",
    "checks.listing",
]
