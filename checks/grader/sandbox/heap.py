"""The grader's long-lived heap stays out of the garbage collector's full passes.

torch, numpy, matplotlib and the engine make ~220,000 tracked objects as they import (of the
~232,000 a collected ``pytest lessons`` has), and every one lives as long as pytest does. The
collector's full passes scan them all: measured, 5 full passes while they import, 0.33-0.6 s of
a ``pytest lessons`` run, and more in any run that allocates enough to trigger one. So the
plugin imports them inside ``frozen_imports``: no pass runs while they import (they make no
garbage to speak of: 100 objects over those 5 passes), then ``gc.freeze`` moves them to the
permanent generation, which no pass scans. Garbage the claims make is collected as before.

Once per process: in a nested run (pytester's in-process runs) the modules are imported
already, and freezing then would keep the outer session's garbage for good.

Used by the grader (plugin.py), the box's zygote (inside.py, before it forks the lesson
processes) and ``lessons grade``'s run server; here, in the sandbox package, because the box
mounts only that package.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen_imports() -> Iterator[None]:
    """Import the body's modules with the collector off, then freeze what they built."""
    first = gc.get_freeze_count() == 0
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if first:
            gc.freeze()
        if enabled:
            gc.enable()
