"""What claims see: a lesson module whose attributes live in the lesson's worker.

``lesson.build_model(2, seed=1)`` sends the arguments as data, runs in the worker and decodes the
result as data: constants come back as values, functions and classes as ``RemoteFunction``, models
as real ``nn.Module`` objects of the engine's classes (a student's own parameter-free layer as a
``RemoteLayer`` whose forward runs in the worker), fit results as ``FitResult``, other records
as ``RemoteRecord`` (fields here, methods there), figures as ``RenderedFigure``.
"""

from __future__ import annotations

import json
import re
import weakref
from types import ModuleType

import torch

from checks.grader import figure_cache, fit_key
from checks.grader.i18n import N_
from checks.grader.sandbox import codec, models
from checks.grader.sandbox.client import UNREADABLE, SandboxError, WorkerClient, lesson_exception
from checks.grader.sandbox.values import (
    RenderedFigure,
    _fields,
    _fit,
    _fit_node,
    _is_record,
)
from lessons._train import FitResult


class GraderSide:
    """The grader's mapping: models the worker made keep their handle, so passing one back hands
    the worker its own object; everything else is rebuilt from data."""

    def __init__(self, client: WorkerClient) -> None:
        self.client = client
        self.known: weakref.WeakValueDictionary[str, torch.nn.Module] = (
            weakref.WeakValueDictionary()
        )
        self.sent: list[torch.nn.Module] = []  # models the current request carries, in order

    def live(self, handle) -> str | None:
        """``handle`` if it belongs to the worker running now (else it died with its worker)."""
        token = self.client.token
        return (
            handle if token and isinstance(handle, str) and handle.startswith(f"{token}:") else None
        )

    def encode(self, value, encoder: codec.Encoder, depth: int):
        if isinstance(value, torch.nn.Module):
            arch = models.architecture(value, self._remote_handle)
            weights = encoder.encode(models.state(value), depth + 1)
            self.sent.append(value)
            handle = self.live(getattr(value, "_sandbox_handle", None))
            return {"t": "module", "arch": arch, "state": weights, "handle": handle}
        if type(value) is FitResult:
            return _fit_node(value, encoder, depth)
        if isinstance(value, RemoteRecord):
            fields = encoder.encode(value._fields, depth + 1)
            return {"t": "record", "fields": fields, "handle": self.live(value._handle)}
        if _is_record(value):
            fields = encoder.encode(_fields(value), depth + 1)
            return {"t": "record", "fields": fields, "handle": None}
        return None

    def _remote_handle(self, layer: torch.nn.Module) -> str | None:
        if isinstance(layer, RemoteLayer):
            handle = self.live(layer._handle)
            if handle is None:
                raise codec.CodecError(
                    N_("a {layer} layer of a lesson process that has stopped").format(
                        layer=layer._name
                    )
                )
            return handle
        return None

    def decode(self, node: dict, decoder: codec.Decoder, depth: int):
        tag = node.get("t")
        if tag == "module":
            handle = node.get("handle")
            module = self.known.get(handle) if isinstance(handle, str) else None
            if module is None:
                module = models.build(node.get("arch"), self._remote_layer)
                if isinstance(handle, str):
                    module._sandbox_handle = handle
                    self.known[handle] = module
            models.load(module, decoder.decode(node.get("state"), depth + 1))
            return module
        if tag == "fit":
            return _fit(node, decoder, depth)
        if tag == "record":
            fields = decoder.decode(node.get("fields"), depth + 1)
            if not isinstance(fields, dict) or not all(isinstance(k, str) for k in fields):
                raise codec.CodecError("a malformed record")
            return RemoteRecord(self.client, node.get("handle"), str(node.get("name")), fields)
        if tag == "figure":
            return RenderedFigure(bytes(decoder.buffer(node.get("b"))))
        raise codec.CodecError(f"an unknown kind of value {tag!r}")

    def _remote_layer(self, arch: dict) -> torch.nn.Module:
        return RemoteLayer(self.client, arch.get("handle"), str(arch.get("name")))


def call(client: WorkerClient, target: dict, name: str | None, args, kwargs, *, what: str):
    """Run ``target.name(*args, **kwargs)`` in the worker; the result decoded as data, and the
    models and tensors the call changed in place changed here too."""
    side = _side(client)
    side.sent = []
    encoder = codec.Encoder(side.encode)
    try:
        request = {"op": "call", "target": target, "name": name, "what": what,
                   "args": encoder.encode(list(args)), "kwargs": encoder.encode(dict(kwargs))}  # fmt: skip
    except (codec.CodecError, RecursionError) as exc:
        raise SandboxError(
            N_("{what} cannot be given {value}: only data crosses to the lesson").format(
                what=what, value=exc
            )
        ) from None
    sent = list(side.sent)
    figures = figure_cache.active()
    if figures is not None:  # a figure test: its drawing may be kept
        return _figure_call(figures, client, side, request, encoder, sent, what)
    reply, buffers = client.request(
        request, encoder.buffers, what=N_("running {what}").format(what=what)
    )
    return _result(client, side, reply, buffers, sent, encoder.tensors)


def _figure_call(figures, client, side, request, encoder, sent, what: str):
    """``call`` in a figure test, through the figure cache. The key is the request's data with
    the worker's handles numbered in order of appearance (a handle names an object by this run's
    pid and its id; what a figure depends on is the data, the lesson's code and the calls that
    built the object, all in the key). A drawing is kept only if the call changed none of its
    arguments: a hit then does exactly what the call did."""
    # A handle is a whole JSON string ("<pid>:<id>"), never part of one a lesson was given.
    pattern = re.compile(rf'"{re.escape(client.token)}:\d+"') if client.token else None
    text = json.dumps(request, sort_keys=True)
    handles: dict[str, str] = {}
    if pattern is not None:
        text = pattern.sub(lambda m: handles.setdefault(m[0], f'"handle#{len(handles)}"'), text)
    key = figures.key(client.lesson, text, encoder.buffers)
    png = figures.read(key)
    if png is not None:
        return RenderedFigure(png)
    before = [_state_digest(module) for module in sent]
    kept = False  # a call that fails, or changes its arguments, may have drawn what is not kept
    try:
        reply, buffers = client.request(
            request, encoder.buffers, what=N_("running {what}").format(what=what)
        )
        value = _result(client, side, reply, buffers, sent, encoder.tensors)
        unchanged = not reply.get("mutated") and before == [_state_digest(m) for m in sent]
        if isinstance(value, RenderedFigure) and unchanged:
            figures.write(key, value.png)
        kept = unchanged or not isinstance(value, RenderedFigure)  # kept, or drew nothing
        return value
    finally:
        if not kept:
            figures.unkept += 1


def _state_digest(module: torch.nn.Module) -> dict[str, str]:
    """A model's synced state by name, each tensor's dtype, shape and bytes hashed: compared bit
    for bit (a diverged fit's NaN weights equal themselves here)."""
    return {name: fit_key.tensor_digest(t) for name, t in models.state(module).items()}


def _result(client, side: GraderSide, reply, buffers, sent, tensors):
    if "error" in reply:
        raise lesson_exception(reply["error"])
    decoder = codec.Decoder(buffers, side.decode)
    try:
        value = decoder.decode(reply.get("ok"))
        for module, state in zip(sent, reply.get("models", ()), strict=False):
            models.load(module, decoder.decode(state))
        for index, node in reply.get("mutated", ()):
            _overwrite(tensors[index], decoder.decode(node))
    except (codec.CodecError, KeyError, TypeError, ValueError, IndexError, RecursionError) as exc:
        client.stop()
        raise SandboxError(UNREADABLE.format(why=exc)) from None
    return value


def _overwrite(tensor: torch.Tensor, new) -> None:
    """The student's code changed an argument in place in the worker: change ours the same way."""
    if not isinstance(new, torch.Tensor):
        raise codec.CodecError("a malformed tensor update")
    with torch.no_grad():
        if new.shape == tensor.shape and new.dtype == tensor.dtype:
            tensor.copy_(new)
        else:
            tensor.data = new


def get(client: WorkerClient, target: dict, name: str, *, what: str):
    """An attribute in the worker: data, or a ``RemoteFunction`` when it is callable."""
    reply, buffers = client.request(
        {"op": "getattr", "target": target, "name": name, "what": what},
        [],
        what=N_("reading {what}").format(what=what),
    )
    if reply.get("callable"):
        return RemoteFunction(client, target, name, what)
    return _result(client, _side(client), reply, buffers, [], [])


_SIDES: weakref.WeakKeyDictionary[WorkerClient, GraderSide] = weakref.WeakKeyDictionary()


def _side(client: WorkerClient) -> GraderSide:
    side = _SIDES.get(client)
    if side is None:
        side = _SIDES[client] = GraderSide(client)
    return side


class RemoteFunction:
    """A function, class or method of the lesson: calling it runs it in the worker."""

    def __init__(self, client: WorkerClient, target: dict, name: str | None, what: str) -> None:
        self._client, self._target, self._name, self._what = client, target, name, what
        self.__name__ = name or what

    def __call__(self, *args, **kwargs):
        return call(self._client, self._target, self._name, args, kwargs, what=self._what)

    def __repr__(self) -> str:
        return f"<{self._what} in the lesson's process>"


class RemoteRecord:
    """A dataclass or namespace the lesson returned: its fields are here (data), its methods
    and properties run in the worker on the original object."""

    def __init__(self, client: WorkerClient, handle, name: str, fields: dict) -> None:
        self._client, self._handle, self._name, self._fields = client, handle, name, fields

    def __getattr__(self, name: str):
        if name.startswith("__") or name in ("_client", "_handle", "_name", "_fields"):
            raise AttributeError(name)
        if name in self._fields:
            return self._fields[name]
        if _side(self._client).live(self._handle) is None:
            raise AttributeError(
                N_("{record} has no field {field}").format(record=self._name, field=repr(name))
            )
        return get(self._client, {"handle": self._handle}, name, what=f"{self._name}.{name}")

    def __call__(self, *args, **kwargs):
        if _side(self._client).live(self._handle) is None:
            raise SandboxError(
                N_("the {record}'s lesson process has stopped").format(record=self._name)
            )
        return call(self._client, {"handle": self._handle}, None, args, kwargs, what=self._name)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._fields.items())
        return f"{self._name}({fields})"


class RemoteLayer(torch.nn.Module):
    """A student's parameter-free layer (a ``MOOYAHO`` of their own): its forward runs in the
    worker on their object, data in, data out (no gradient flows through it here)."""

    def __init__(self, client: WorkerClient, handle: str, name: str) -> None:
        super().__init__()
        self._client, self._handle, self._name = client, handle, name

    def forward(self, *args):
        if _side(self._client).live(self._handle) is None:
            raise SandboxError(
                N_("the {layer} layer's lesson process has stopped").format(layer=self._name)
            )
        return call(self._client, {"handle": self._handle}, None, args, {}, what=self._name)

    def __deepcopy__(self, memo):
        return RemoteLayer(self._client, self._handle, self._name)

    def extra_repr(self) -> str:
        return f"{self._name}, in the lesson's process"


class LessonProxy(ModuleType):
    """The ``lesson`` fixture's value: reads like the lesson module, lives in its worker."""

    def __init__(self, name: str, client: WorkerClient, path: str) -> None:
        super().__init__(name)
        self.__file__ = path
        self.__spec__ = None
        self.__loader__ = None
        self.__dict__["_client"] = client
        self.__dict__["_callables"] = {}

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__") and name != "__all__":
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        known = self._callables.get(name)
        if known is not None:
            return known
        short = self.__name__.rsplit(".", 1)[-1]
        value = get(self._client, {}, name, what=f"{short}.{name}")
        if isinstance(value, RemoteFunction):
            self._callables[name] = value
        return value

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        raise TypeError("a lesson in its sandbox cannot be pickled")
