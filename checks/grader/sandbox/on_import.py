"""Run a function the moment a module is imported, whoever imports it.

A light box (ini ``sandbox_preload = none``) forks its lesson processes from a zygote that has
not imported torch: a lesson that never imports it (the developers' tiny courses) then costs no
torch import at all (~2.5 s of CPU a box). A lesson that does import it must still train with the
run's thread count and denormal setting from its first operation (design J: torch's default
thread pool spin-waits on a busy 2-core machine), and before the lesson's own code goes on: so
the worker sets them from here, right after ``torch/__init__.py`` has run, inside the student's
``import torch``. Python has no post-import hook of its own; this is the usual meta path finder
that wraps the module's loader.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType


class _Watch(importlib.abc.MetaPathFinder):
    """Finds nothing itself: on the first import of ``name`` it takes itself off the meta path,
    lets the other finders find the module, and wraps that loader's ``exec_module``."""

    def __init__(self, name: str, then: Callable[[ModuleType], None]) -> None:
        self.name = name
        self.then = then

    def find_spec(self, fullname, path, target=None):
        if fullname != self.name:
            return None
        _remove(self)  # once: the finders below find the module as they always would
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        load, then = spec.loader.exec_module, self.then

        def exec_module(module: ModuleType) -> None:
            load(module)
            then(module)

        spec.loader.exec_module = exec_module  # this spec's loader object only
        return spec


def _remove(watch: _Watch) -> None:
    while watch in sys.meta_path:
        sys.meta_path.remove(watch)


def when_imported(name: str, then: Callable[[ModuleType], None]) -> None:
    """Call ``then(module)`` once the top-level module ``name`` is imported: now, if it already
    is; else right after its code has run, before the importer gets it back."""
    module = sys.modules.get(name)
    if module is not None:
        then(module)
        return
    sys.meta_path.insert(0, _Watch(name, then))
