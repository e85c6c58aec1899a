"""Finding the processes a submission started, without its help: a lesson cannot write a pid
file (a confined root sees every file read-only), so it marks its process and we look in /proc."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from pathlib import Path


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def marked(marker: str) -> set[int]:
    """Every live process whose command line or name (``comm``) holds ``marker``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "cmdline").read_bytes() + b"\0" + (entry / "comm").read_bytes()
        except OSError:
            continue
        if marker.encode() in text and alive(int(entry.name)):
            found.add(int(entry.name))
    return found


@dataclass
class Seen:
    pids: set[int] = field(default_factory=set)  # every marked process seen
    peak: int = 0  # the most seen at one poll


@contextlib.contextmanager
def watching(marker: str, every: float = 0.1):
    """The marked processes seen while the block ran (polled ``every`` s)."""
    seen = Seen()
    done = threading.Event()

    def poll():
        while not done.wait(every):
            now = marked(marker)
            seen.pids.update(now)
            seen.peak = max(seen.peak, len(now))

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        yield seen
    finally:
        done.set()
        poller.join()
