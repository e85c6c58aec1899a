import pytest

# Helpers imported by the checks get pytest's assertion rewriting too (design D).
pytest.register_assert_rewrite("checks")
pytest_plugins = ["checks.grader.plugin"]
