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
child starts with its parent's), and ``train = lessons._fast.train``. ``train = fit`` itself
returns a ``FitResult``, which the claims refuse with the same sentence (checks/compare.py).

What it cannot catch (said, not hidden): a fresh interpreter started from ``train`` (a
subprocess, multiprocessing's "spawn"), which trains outside this process's stacks; code that
deliberately disables this check in the lesson's own process (patching this module, the
``sys.modules`` entry of the lesson, ``sys._current_frames``, or running code with an engine
module's globals): such a line is plain to read in the submitted file. And copying the loop's *text* is not a run-time matter at all (the similarity
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


def _engine_namespaces() -> set[int]:
    """The globals of every engine module loaded (``lessons._*``): its frames are the tool's own."""
    return {
        id(vars(module))
        for name, module in list(sys.modules.items())
        if name.startswith("lessons._") and module is not None
    }


def refuse_inside_homework(tool: str, own=None) -> None:
    """Raise when the training-loop homework is (part of) what is running ``tool`` now.

    ``own`` is the tool's function when the homework bound to it directly (``train =
    lessons._fast.train``) must be refused too: only for a tool nothing but the engine calls.
    ``train = fit`` is left to the claims, which refuse the ``FitResult`` it returns: ``fit`` is
    called directly by everyone, so its own frame cannot tell the homework from the grader.
    """
    module = sys.modules.get(HOMEWORK_MODULE)
    if module is None:
        return
    namespace = vars(module)
    codes = _codes(namespace.get(HOMEWORK))
    engine = _engine_namespaces()
    caller = sys._getframe(2)
    bound_to_tool = own is not None and own.__code__ in codes
    if bound_to_tool and caller is not None and id(caller.f_globals) not in engine:
        _refuse(tool)
    for top in list(sys._current_frames().values()):  # every thread's innermost frame
        frame = top
        while frame is not None:
            code = frame.f_code
            if id(frame.f_globals) not in engine:
                own_file = frame.f_globals is namespace and code.co_name != "<module>"
                if own_file or code in codes:
                    _refuse(tool)
            frame = frame.f_back


def _refuse(tool: str):
    raise RuntimeError(
        f"{HOMEWORK} must be your own code: it ran the course's training loop ({tool}); "
        "write the lecture's four steps yourself"
    )
