"""Start-up order (plugin.py, design N): pytest loads the plugin's modules without torch,
matplotlib or the engine, so the first configure step starts the lessons' box before this process
spends ~2.5 s importing them, and the box's zygote imports its own torch meanwhile."""

from __future__ import annotations

import subprocess
import sys

from tests._fake_project import REPO

HEAVY = ("torch", "matplotlib", "lessons")

LOAD = f"""
import importlib, sys
import checks.grader.plugin as plugin
for name in plugin.pytest_plugins:
    importlib.import_module(name)
print(sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r})))
"""


def test_the_plugin_loads_without_torch_matplotlib_or_the_engine():
    done = subprocess.run(
        [sys.executable, "-c", LOAD], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
