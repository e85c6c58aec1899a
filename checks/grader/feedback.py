"""One line a student understands, for each way a claim can fail."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import pytest

from checks.grader.i18n import N_
from checks.grader.sandbox.errors import LessonError, SandboxError

MAX_REASON = 200  # characters: a reason is one line of the summary and of the grade report
MAX_OUTPUT_LINES = 40  # captured output kept per section of a failing claim (the last lines)
MAX_OUTPUT_CHARS = 4000  # ... and at most this many characters of them
# The catalog's template for what where_in_lesson adds to an exception ("RuntimeError: ... (at
# x.py:12 in f)"): the card translates a reason by the template it matches (checks.grader.i18n).
RAISED_IN_LESSON = N_("{error} (at {place} in {function})")
_TIMEOUT = re.compile(r"Timeout \(>([0-9.]+)s\) from pytest-timeout")


def first_paragraph(doc: str | None) -> str:
    """The docstring's first paragraph on one line: what the claim says in plain words."""
    if not doc:
        return ""
    return " ".join(doc.strip().split("\n\n")[0].split())


def one_line(text: str, limit: int = MAX_REASON) -> str:
    """The first non-empty line of ``text``, cut to ``limit`` characters."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    first = lines[0] if lines else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"


def failure_reason(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """Why a claim failed, in one line: no traceback wall for a student."""
    exc = excinfo.value
    first = one_line(str(exc))
    if isinstance(exc, NotImplementedError):
        return (
            one_line(N_("not attempted yet: {stub}").format(stub=first))
            if first
            else N_("not attempted yet")
        )
    if isinstance(exc, pytest.fail.Exception):
        timeout = _TIMEOUT.match(first)
        return (
            N_("timed out after {seconds} s").format(seconds=f"{float(timeout[1]):g}")
            if timeout
            else first
        )
    if isinstance(exc, pytest.skip.Exception):
        return first
    if isinstance(exc, AssertionError):
        if not first:
            return N_("claim does not hold")
        return N_("claim does not hold: {why}").format(why=got_vs_expected(first))
    if isinstance(exc, LessonError):  # a student's own exception type: "Type: message (at ...)"
        return one_line(f"{first}{where_in_lesson(excinfo)}")
    if isinstance(exc, SandboxError):
        return one_line(first)  # the boundary's own message: one line already
    obj = getattr(exc, "obj", None)
    if isinstance(exc, AttributeError) and isinstance(obj, ModuleType) and exc.name:
        return N_("{module} has no {name}: was it renamed or deleted?").format(
            module=obj.__name__, name=repr(exc.name)
        )
    return one_line(
        f"{type(exc).__name__}: {first}{where_in_lesson(excinfo)}" if first else type(exc).__name__
    )


# pytest's rewritten message of a bare ``assert got OP expected``: its first line.
_COMPARISON = re.compile(r"^assert (?P<got>.+?) (?P<op>==|!=|<=|>=|<|>) (?P<expected>.+)$")
_EXPECTED = {"==": "", "!=": "not ", "<=": "<= ", ">=": ">= ", "<": "< ", ">": "> "}


def got_vs_expected(message: str) -> str:
    """``assert 0.02 > 0.18`` as ``got 0.02, expected > 0.18``; any other message as it is."""
    match = _COMPARISON.match(message)
    if match is None:
        return message
    return N_("got {got}, expected {expected}").format(
        got=match["got"], expected=_EXPECTED[match["op"]] + match["expected"]
    )


def is_quiet(excinfo: pytest.ExceptionInfo[BaseException]) -> bool:
    """Failures whose one-line reason says it all, so the report shows no traceback."""
    return isinstance(excinfo.value, NotImplementedError)


def where_in_lesson(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """`` (at lesson.py:12 in f)``: the innermost line of a lesson that raised, if any (for code
    that ran in a lesson's process, the line it reported)."""
    remote = getattr(excinfo.value, "lesson_where", None)
    if remote is not None:
        return remote
    for entry in reversed(excinfo.traceback):
        path = Path(str(entry.path))
        if path.parent.name == "lessons":
            return f" (at {path.name}:{entry.lineno + 1} in {entry.name})"
    return ""


def trim_output(text: str, lines: int = MAX_OUTPUT_LINES, chars: int = MAX_OUTPUT_CHARS) -> str:
    """The end of captured output (``lines`` lines, ``chars`` characters at most): a student's
    print loop floods neither the terminal nor the grade report."""
    if len(text) <= chars and text.count("\n") <= lines:
        return text
    tail = "\n".join(text.splitlines()[-lines:])[-chars:]
    return f"[... output cut: {len(text)} characters in all, the last ones follow ...]\n{tail}\n"
