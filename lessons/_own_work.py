"""The one course copy of a homework that must stay in reach: the training loop.

``linear_model.train`` asks for the lecture's loop, and every lesson trains with the course's
``lessons.fit`` (the same loop, written once). So ``fit`` cannot be taken out of a lesson's
reach; instead it, and the fast loop behind it, refuse to run for that homework: while any
thread of the process is inside code of the ``linear_model`` lesson (its ``train``, whatever it
is bound to, or any function defined in that file), they raise a one-line ``RuntimeError``
("train must be your own code: ..."), and every claim of ``train`` fails with it (issue 16).

What this catches: ``train`` calling ``fit``, ``lessons._train.fit``, ``lessons._fast.train``,
reached by an import, an alias, ``importlib``, ``sys.modules`` or an engine attribute, directly,
through a wrapper or helper of the lesson file, a lambda or ``functools.partial`` around one, code
``exec``'d from it, or a thread or thread pool it waits on (every thread's stack is read; a forked
child starts with its parent's). ``train = fit`` itself returns a ``FitResult``, which the claims
refuse with the same sentence (checks/compare.py).

What it cannot catch (said, not hidden): a fresh interpreter started from ``train`` (a
subprocess, multiprocessing's "spawn"), which trains outside this process's stacks; code that
deliberately disables this check in the lesson's own process (patching this module, the
``sys.modules`` entry of the lesson, or ``sys._current_frames``): such a line is plain to read in
the submitted file. And copying the loop's *text* is not a run-time matter at all (the similarity
report of ``lessons grade`` is for that).
"""

from __future__ import annotations

import sys

HOMEWORK_MODULE = "lessons.linear_model"  # the lesson whose homework is the training loop
HOMEWORK = "train"
_UNWRAP_DEPTH = 8  # a callable wrapped more deeply than this is not followed further


def _codes(obj) -> set:
    """The code objects a call of ``obj`` runs first: a function's, a bound method's, a
    ``functools.partial``'s or ``functools.wraps`` wrapper's target, a callable instance's."""
    codes = set()
    for _ in range(_UNWRAP_DEPTH):
        if obj is None:
            break
        code = getattr(obj, "__code__", None)
        if code is not None:
            codes.add(code)
        inner = getattr(obj, "__wrapped__", None) or getattr(obj, "__func__", None)
        if inner is None:
            inner = getattr(obj, "func", None)  # functools.partial
        if inner is None and code is None and not isinstance(obj, type):
            inner = vars(type(obj)).get("__call__")  # an instance of a class with __call__
            inner = inner if getattr(inner, "__code__", None) is not None else None
        obj = inner
    return codes


def _stacks():
    """The innermost frame of every thread of this process."""
    yield from sys._current_frames().values()


def refuse_inside_homework(tool: str) -> None:
    """Raise when the training-loop homework is (part of) what is running ``tool`` now."""
    module = sys.modules.get(HOMEWORK_MODULE)
    if module is None:
        return
    namespace = vars(module)
    codes = _codes(namespace.get(HOMEWORK))
    for top in _stacks():
        frame = top
        while frame is not None:
            code = frame.f_code
            own_file = frame.f_globals is namespace and code.co_name != "<module>"
            if own_file or code in codes:
                raise RuntimeError(
                    f"{HOMEWORK} must be your own code: it ran the course's training loop "
                    f"({tool}); write the lecture's four steps yourself"
                )
            frame = frame.f_back
