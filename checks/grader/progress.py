"""Progress of a long run on stderr: a bar redrawn in place on a terminal, one line each else."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total, self.done = total, 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()

    def update(self, name: str, what: str) -> None:
        """One more item done: ``name`` and what became of it."""
        self.done += 1
        if not self.tty:
            print(f"[{self.done}/{self.total}] {name}: {what}", file=self.stream, flush=True)
            return
        filled = WIDTH * self.done // max(self.total, 1)
        elapsed = time.monotonic() - self.started
        left = elapsed / self.done * (self.total - self.done)
        line = (
            f"\r[{'#' * filled}{'.' * (WIDTH - filled)}] {self.done}/{self.total}"
            f" {elapsed:4.0f} s, ~{left:.0f} s left  {name}: {what}"
        )
        print(f"{line[:120]:<120}", end="", file=self.stream, flush=True)

    def close(self) -> None:
        if self.tty and self.total:
            print(file=self.stream, flush=True)
