"""The box's first process (``python -m lessons_sandbox.inside FD SETTINGS``): give up every
privilege, load the engine, then serve as the zygote on the inherited socket ``FD``.

Run as root (bwrap left it CAP_SETUID, CAP_SETGID and CAP_SETPCAP only), it empties the
bounding set, drops to the box's own uid and gid (``box.box_uid``: no passwd entry, no group,
no file of the machine is its own) and clears what capabilities are left, all before the engine
or any lesson is imported. From then on every process of the box is that uid: it can read only
what is world-readable in its mounts, write only its private ``/tmp``, and count processes
against its own RLIMIT_NPROC.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import sys

from . import confine, heap, processes


def drop_privileges(uid: int, max_processes: int) -> None:
    """Root -> ``uid`` with no capability for good (no_new_privs: bwrap has set it)."""
    if os.geteuid() == 0:
        confine.drop_bounding_set()  # needs CAP_SETPCAP, which goes with the uid change
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)  # every uid non-zero: the permitted and effective sets are emptied
        confine.clear_capabilities()
    if max_processes > 0:  # per uid: the box's uid is its own, so the cap is the box's
        resource.setrlimit(resource.RLIMIT_NPROC, (max_processes, max_processes))


def main(argv: list[str]) -> None:
    fd, settings = int(argv[1]), processes.Settings(**json.loads(argv[2]))
    drop_privileges(settings.box_uid, settings.max_processes)
    # The preloaded heap (torch, matplotlib, the engine: ~200,000 objects) out of the collector's
    # passes, as the grader's own: a worker's first full pass would otherwise scan it and touch
    # every page of it, copying what the fork shared. A light box loads nothing here: each
    # lesson's process imports what its lesson does (worker.py sets torch up when it comes).
    if settings.preload:
        with heap.frozen_imports():
            processes.preload_engine()
    sock = socket.socket(fileno=fd)
    sock.send(json.dumps({"ready": True, "id": 0}).encode())  # Zygote.wait_ready reads it
    processes.zygote_main(sock, settings)


if __name__ == "__main__":
    main(sys.argv)
