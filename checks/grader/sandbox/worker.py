"""The loop a lesson's worker runs: import the lesson, then answer the grader's requests.

Requests are ``getattr`` (a lesson attribute, or one of an object the worker handed out) and
``call`` (a lesson function, a class, a method of a handed-out object, a remote layer). Every
reply is data (``codec``, ``values``). Besides the result, a call's reply carries the new weights
of each model it received and the new values of each tensor argument the student's code changed
in place, so the grader's objects end as they would in one process.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import os
import sys
import traceback
from pathlib import Path
from types import ModuleType

from . import codec, lazy_dynamo
from .on_import import when_imported
from .processes import Settings, apply_limits
from .values import WorkerSide, is_module


def main(sock, lesson: str, settings: Settings) -> None:
    apply_limits(settings)
    # Now in a zygote that preloaded torch; in a light box's, inside whatever first imports it
    # (the lesson, or a tensor the grader sends): no torch operation runs before this.
    when_imported("torch", lambda torch: _torch_settings(torch, settings))
    sys.dont_write_bytecode = True  # the project may not be ours to write (a dropped user)
    sys.stdout = open(1, "w", closefd=False, buffering=1)  # noqa: SIM115 (lives as long as we do)
    sys.stderr = open(2, "w", closefd=False, buffering=1)  # noqa: SIM115
    side = WorkerSide(token=str(os.getpid()))
    try:
        module = importlib.import_module(f"lessons.{lesson}")
    except BaseException as exc:  # any failure to import is the lesson's
        codec.send(sock, codec.pack({"error": _error(exc, what=f"importing {lesson}")}, []))
        return
    codec.send(sock, codec.pack({"ok": None}, []))
    while True:
        message = codec.receive(sock)
        if message is None:
            return
        codec.send(sock, codec.pack(*_answer(module, side, message)))
        for stream in (sys.stdout, sys.stderr):
            # Past the output limit (RLIMIT_FSIZE) a flush fails: the student's prints fail
            # with "File too large" in their own calls; the worker goes on serving.
            with contextlib.suppress(OSError):
                stream.flush()


def _answer(module, side: WorkerSide, message) -> tuple[dict, list[bytes]]:
    """The reply to one request: its JSON tree and buffers."""
    request, buffers = codec.unpack(message)
    side.modules = []
    decoder = codec.Decoder(buffers, side.decode)
    what = request.get("what", "the lesson")
    try:
        target = _target(module, side, request["target"])
        if request["op"] == "getattr":
            value = getattr(target, request["name"])
            if callable(value) and not is_module(value):
                return {"callable": True}, []
            result, versions = value, []
        else:
            args, kwargs = decoder.decode(request["args"]), decoder.decode(request["kwargs"])
            versions = [tensor._version for tensor in decoder.tensors]
            function = getattr(target, request["name"]) if request.get("name") else target
            result = function(*args, **kwargs)
    except BaseException as exc:  # the student's code may raise anything
        return {"error": _error(exc, what=what)}, []
    encoder = codec.Encoder(side.encode)
    try:
        reply = {
            "ok": encoder.encode(result),
            "models": _states(side, encoder),
            "mutated": [
                [i, encoder.tensor(t)]
                for i, (t, v) in enumerate(zip(decoder.tensors, versions, strict=True))
                if t._version != v
            ],
        }
    except (codec.CodecError, RecursionError) as exc:
        refused = (
            f"{what} returned {exc}, which cannot leave the lesson's process: return numbers, "
            "strings, tensors, models, or lists, tuples and dicts of them"
        )
        return {"error": {"refused": refused}}, []
    return reply, encoder.buffers


def _states(side: WorkerSide, encoder: codec.Encoder) -> list:
    """The weights of each model the call received, to sync the grader's copies."""
    if not side.modules:
        return []
    from . import models  # a call that received a model has imported torch: here, not at the top

    return [encoder.encode(models.state(module)) for module in side.modules]


def _torch_settings(torch: ModuleType, settings: Settings) -> None:
    """The run's thread count and denormal setting (design J), and the lazy ``torch._dynamo``
    (a no-op where the zygote's preload has put it in place already)."""
    torch.set_num_threads(settings.threads)
    torch.set_flush_denormal(settings.flush_denormals)
    lazy_dynamo.install()


def _target(module, side: WorkerSide, target: dict):
    if "handle" in target:
        obj = side.handles.get(target["handle"])
        if obj is None:
            raise LookupError("an object made by a lesson process that has since stopped")
        return obj
    return module


def _error(exc: BaseException, *, what: str) -> dict:
    """A student's exception as data: its type (rebuilt in the grader only if builtin), message,
    and the innermost line of a lesson file that raised it (not the engine's, which may raise on
    the student's behalf: lessons/_own_work.py)."""
    kind = type(exc)
    builtin = getattr(builtins, kind.__name__, None) is kind and issubclass(kind, Exception)
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename)
        if path.parent.name == "lessons" and not path.name.startswith("_"):  # the student's line
            where = f" (at {path.name}:{frame.lineno} in {frame.name})"
            break
    return {
        "type": kind.__name__,
        "builtin": builtin,
        "message": str(exc)[:2000],
        "where": where,
        "name": getattr(exc, "name", None) if isinstance(exc, AttributeError) else None,
        "module": obj.__name__
        if isinstance(obj := getattr(exc, "obj", None), ModuleType)
        else None,
        "what": what,
    }
