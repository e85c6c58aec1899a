"""What the codec's basic types do not cover, mapped onto them, for each side of the boundary.

- A model: its allow-listed architecture, its weights, and a handle to the object in the worker,
  so that a model the grader passes back is the student's own object again (``models.py``).
- A ``FitResult`` (the engine's class): its fields. Any other dataclass or ``SimpleNamespace``:
  a record of its fields plus a handle, so its methods run in the worker. An instance of another
  class the lesson defines: a handle only (its attributes are asked for, its methods run there).
- A matplotlib figure: the PNG bytes the figure snapshots compare, rendered in the worker.

Nothing here imports torch, the engine or matplotlib before a value needs them: a value can only
be a model, a ``FitResult`` or a figure once its module is loaded, and a light box's worker
(``on_import.py``) imports none of them for a lesson that does not.
"""

from __future__ import annotations

import dataclasses
import sys
from types import SimpleNamespace

from .codec import CodecError, Decoder, Encoder


@dataclasses.dataclass(frozen=True)
class RenderedFigure:
    """A lesson's figure as the PNG bytes it renders to (``lessons._plots.to_png``)."""

    png: bytes


def is_module(value) -> bool:
    """Whether ``value`` is a torch ``nn.Module`` (never, while torch is not loaded)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.nn.Module)


def _fit_class():
    """The engine's ``FitResult``, once the engine's training module is loaded (else None)."""
    train = sys.modules.get("lessons._train")
    return getattr(train, "FitResult", None)


def is_figure(value) -> bool:
    """Whether ``value`` is a matplotlib ``Figure``, without importing matplotlib: a process that
    has not loaded it holds no figure (the grader beside a box never draws: ~0.4 s of start-up)."""
    figure = sys.modules.get("matplotlib.figure")
    return figure is not None and isinstance(value, figure.Figure)


def _fields(obj) -> dict:
    if isinstance(obj, SimpleNamespace):
        return dict(vars(obj))
    return {field.name: getattr(obj, field.name) for field in dataclasses.fields(obj)}


def _is_record(value) -> bool:
    return type(value) is SimpleNamespace or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    )


def _fit_node(value, encoder: Encoder, depth: int) -> dict:
    fields = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    return {"t": "fit", "fields": encoder.encode(fields, depth + 1)}


def _fit(node, decoder: Decoder, depth: int):
    from lessons._train import FitResult  # the engine (and torch) in a light box, if not yet

    fields = decoder.decode(node.get("fields"), depth + 1)
    names = {field.name for field in dataclasses.fields(FitResult)}
    if not isinstance(fields, dict) or set(fields) != names:
        raise CodecError("a malformed FitResult")
    return FitResult(**fields)


def _is_lesson_object(value) -> bool:
    """An instance of a class the lesson defines (not a function, class or generator)."""
    module = type(value).__module__ or ""
    return module.startswith("lessons.") and not module.startswith("lessons._")


class WorkerSide:
    """The worker's mapping: its objects stay in ``handles``; the grader gets data and names."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.handles: dict[str, object] = {}
        self.modules: list = []  # models the current call received, in order

    def handle(self, obj) -> str:
        name = f"{self.token}:{id(obj)}"
        self.handles[name] = obj
        return name

    def encode(self, value, encoder: Encoder, depth: int):
        if is_module(value):
            from . import models  # torch is loaded: the value is one of its modules

            arch = models.architecture(value, self.handle)
            weights = encoder.encode(models.state(value), depth + 1)
            return {"t": "module", "arch": arch, "state": weights, "handle": self.handle(value)}
        if type(value) is _fit_class():
            return _fit_node(value, encoder, depth)
        if is_figure(value):
            from lessons._plots import to_png

            return {"t": "figure", "b": encoder.buffer(to_png(value))}
        if _is_record(value):
            fields = encoder.encode(_fields(value), depth + 1)
            return {"t": "record", "name": type(value).__qualname__, "fields": fields,
                    "handle": self.handle(value)}  # fmt: skip
        if _is_lesson_object(value):  # stays here: its attributes and methods are asked for
            name = type(value).__qualname__
            return {"t": "record", "name": name, "fields": {"t": "dict", "v": []},
                    "handle": self.handle(value)}  # fmt: skip
        return None

    def decode(self, node: dict, decoder: Decoder, depth: int):
        tag = node.get("t")
        if tag == "module":
            from . import models  # imports torch, in a light box's worker the first time

            module = self.handles.get(node.get("handle"))
            if not is_module(module):
                module = models.build(node["arch"], self._remote)
            models.load(module, decoder.decode(node["state"], depth + 1))
            self.modules.append(module)
            return module
        if tag == "fit":
            return _fit(node, decoder, depth)
        if tag == "record":
            known = self.handles.get(node.get("handle"))
            return known if known is not None else SimpleNamespace(**decoder.decode(node["fields"]))
        raise CodecError(f"an unknown kind of value {tag!r}")

    def _remote(self, arch: dict):
        layer = self.handles.get(arch.get("handle"))
        if not is_module(layer):
            raise CodecError(
                f"a {arch.get('name')} layer made by a lesson process that has since stopped"
            )
        return layer
