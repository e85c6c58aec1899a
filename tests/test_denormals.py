"""checks/grader/denormals.py: denormals flushed for the session, restored after, --keep-denormals."""

from __future__ import annotations

from checks.grader.denormals import denormals, denormals_flushed

pytest_plugins = ["pytester"]

PROBE = """
from checks.grader.denormals import denormals_flushed

def test_probe():
    print("FLUSHED", denormals_flushed())
"""


def test_the_context_manager_sets_and_restores():
    before = denormals_flushed()
    with denormals(not before):
        assert denormals_flushed() is (not before)
    assert denormals_flushed() is before


def test_the_plugin_flushes_for_the_session_and_restores(pytester):
    pytester.makepyfile(test_probe=PROBE)
    with denormals(False):
        result = pytester.runpytest_inprocess("-p", "checks.grader.denormals", "-s")
        assert not denormals_flushed()
    result.stdout.fnmatch_lines(["*denormal floats flushed to zero*", "*FLUSHED True*"])


def test_keep_denormals_leaves_them(pytester):
    pytester.makepyfile(test_probe=PROBE)
    with denormals(False):
        result = pytester.runpytest_inprocess(
            "-p", "checks.grader.denormals", "--keep-denormals", "-s"
        )
    result.stdout.fnmatch_lines(["*denormal floats kept*", "*FLUSHED False*"])
