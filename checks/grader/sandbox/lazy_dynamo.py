"""``torch._dynamo`` loaded only when something needs more of it than eager mode's two no-ops.

Every optimizer step runs ``import torch._dynamo`` and calls ``torch._dynamo.graph_break()``,
and ``Optimizer.zero_grad`` is wrapped in ``torch._dynamo.disable`` on its first call
(``torch/optim/optimizer.py``, ``torch/_compile.py``). Outside ``torch.compile`` both do nothing:
``graph_break`` is an empty function, and ``disable`` only clears the frame-evaluation hook that
nothing has set. Importing the package costs ~1.7 s of CPU (``-X importtime``: sympy, the
tracer's rules, FSDP, inductor's config), which every box paid before its first lesson: every
``pytest lessons`` and every graded submission. No option of torch's skips it.

``install`` puts a stand-in in ``sys.modules`` that answers those two names as eager mode does,
and imports the real package the moment anything else of it is touched: another attribute
(``torch.compile`` reaches ``torch._dynamo.optimize``), ``from torch._dynamo import ...``, or a
submodule's import (``import torch._dynamo.config``, through ``_Submodules``). From then on the
real package is in ``sys.modules`` and every name of the stand-in, the two included, is the real
package's; a function the stand-in's ``disable`` wrapped calls the real ``disable``'s wrapper from
then on, as it would have. Nothing here changes a number (``tests/test_lazy_dynamo.py`` trains
with and without it, bit for bit).
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.util
import sys
import types

NAME = "torch._dynamo"


class LazyDynamo(types.ModuleType):
    """Stands in for ``torch._dynamo`` until the real package is needed."""

    def __init__(self, spec) -> None:
        super().__init__(NAME, __doc__)
        # The real package's spec and folder: what introspection and a submodule's import read
        # (a submodule's import goes through _Submodules, which imports the package first).
        self.__spec__ = spec
        self.__path__ = list(spec.submodule_search_locations or ())
        self.__file__ = spec.origin
        self.__package__ = NAME
        self.__dict__["_real"] = None

    def real(self) -> types.ModuleType:
        """The real package, imported the first time it is asked for. No lock of ours: the
        import system's own lock on the name makes a second thread wait for the first's."""
        if self._real is None:
            if sys.modules.get(NAME) is self:
                del sys.modules[NAME]
            torch = sys.modules["torch"]
            if torch.__dict__.get("_dynamo") is self:
                del torch._dynamo
            try:
                self.__dict__["_real"] = importlib.import_module(NAME)
            except BaseException:
                sys.modules.setdefault(NAME, self)  # eager mode goes on without it
                raise
            _remove_finder()
        return self._real

    def __getattr__(self, name: str):
        # Only names that are not the stand-in's own come here: everything but the two no-ops.
        return getattr(self.real(), name)

    def graph_break(self, msg: str = "") -> None:
        if self._real is not None:
            self._real.graph_break(msg)

    def disable(self, fn=None, recursive=True, *, reason=None, wrapping=True):
        if self._real is not None:
            return self._real.disable(fn, recursive, reason=reason, wrapping=wrapping)
        if fn is None:  # used as @disable(recursive=...)
            return functools.partial(
                self.disable, recursive=recursive, reason=reason, wrapping=wrapping
            )
        stand_in = self
        disabled = None  # the real package's wrapper, once there is a real package

        def call(*args, **kwargs):
            nonlocal disabled
            if stand_in._real is None:
                return fn(*args, **kwargs)
            if disabled is None:
                disabled = stand_in._real.disable(fn, recursive, reason=reason, wrapping=wrapping)
            return disabled(*args, **kwargs)

        if wrapping:
            functools.update_wrapper(call, fn)
        return call


class _Submodules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import torch._dynamo.<name>`` while the stand-in is in place: import the real package
    first, then the submodule as usual. The import system has already chosen the stand-in as
    the parent by the time a finder is asked, and would load a submodule that the package's own
    import loaded a second time; the loader puts the one module in ``sys.modules`` instead,
    which the import system returns (a module may replace itself there while it executes)."""

    def find_spec(self, fullname, path, target=None):
        if fullname.startswith(NAME + ".") and isinstance(sys.modules.get(NAME), LazyDynamo):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return None  # a placeholder, replaced in exec_module

    def exec_module(self, module) -> None:
        name = module.__name__
        del sys.modules[name]  # the placeholder: the package's own import must not find it
        stand_in = sys.modules.get(NAME)
        if isinstance(stand_in, LazyDynamo):
            stand_in.real()
        sys.modules[name] = importlib.import_module(name)


_FINDER = _Submodules()


def _remove_finder() -> None:
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)


def install() -> bool:
    """Put the stand-in in place, unless ``torch._dynamo`` is imported already (the real
    package stays then) or this torch has none. Whether the stand-in is in place now."""
    import torch

    current = sys.modules.get(NAME)
    if isinstance(current, LazyDynamo):
        return True
    if current is not None or "_dynamo" in torch.__dict__:
        return False
    spec = importlib.util.find_spec(NAME)  # finds the files, runs nothing
    if spec is None:
        return False
    stand_in = LazyDynamo(spec)
    sys.meta_path.insert(0, _FINDER)
    sys.modules[NAME] = stand_in
    torch._dynamo = stand_in
    return True
