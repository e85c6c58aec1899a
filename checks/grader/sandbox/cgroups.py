"""One control group per box: its processes together get at most ``pids`` process slots and
``memory`` bytes, and an equal share of the CPU with every other box (cgroup v2, or v1's
``pids``, ``memory`` and ``cpu`` hierarchies, whichever this machine has writable).

Why: under ``lessons grade -j N`` two submissions grade at once. Namespaces keep one box from
seeing the other, but not from starving it: a fork bomb, a memory hog or ten busy processes left
behind would slow the classmate's claims into timeouts. A box's group caps the first two and
weighs CPU per box, not per process. Made by the grader (root); where no hierarchy is writable
(most containers, a user that is not root) ``create`` returns None and the header says so.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

ROOT = "/sys/fs/cgroup"
# cgroup v1: one hierarchy per controller, and the file that caps it there
V1_LIMITS = {"pids": "pids.max", "memory": "memory.limit_in_bytes", "cpu": "cpu.shares"}
V2_LIMITS = {"pids": "pids.max", "memory": "memory.max", "cpu": "cpu.weight"}
PREFIX = "lessons-box-"


class BoxGroup:
    """The directories of one box's group (one for v2, one per controller for v1)."""

    def __init__(self, paths: list[str], controllers: list[str]) -> None:
        self.paths = paths
        self.controllers = controllers  # what is actually capped, for the header line

    @classmethod
    def create(cls, *, pids: int, memory: int) -> BoxGroup | None:
        """A new group for this grading process's box, with its caps, below the grader's own
        group in each hierarchy (a container's memory limit still binds it); None where none
        can be made here.

        CPU: a group weighs as one process does by default, so a box with ten busy processes
        gets what one gets; it weighs as many processes as the machine has cores, so that a
        lone box still uses every core beside the grading processes outside it."""
        name = f"{PREFIX}{os.getpid()}"
        cores = os.cpu_count() or 1
        limits = {"pids": pids, "memory": memory}
        if os.path.exists(os.path.join(ROOT, "cgroup.controllers")):
            return cls._create_v2(name, {**limits, "cpu": min(100 * cores, 10000)})
        return cls._create_v1(name, {**limits, "cpu": 1024 * cores})

    @classmethod
    def _create_v2(cls, name: str, limits: dict[str, int]) -> BoxGroup | None:
        try:
            with open(os.path.join(ROOT, "cgroup.subtree_control")) as control:
                enabled = control.read().split()
        except OSError:
            return None
        parent = os.path.join(ROOT, _own_group(""))
        _remove_stale(parent)
        path = os.path.join(parent, name)
        group = cls([path], [c for c in V2_LIMITS if c in enabled])
        try:
            os.makedirs(path, exist_ok=True)
            for controller in group.controllers:
                _limit(path, V2_LIMITS[controller], limits.get(controller, 0))
        except OSError:
            group.remove()
            return None
        return group if group.controllers else None

    @classmethod
    def _create_v1(cls, name: str, limits: dict[str, int]) -> BoxGroup | None:
        paths, controllers = [], []
        for controller, limit_file in V1_LIMITS.items():
            hierarchy = os.path.join(ROOT, controller)
            if not os.path.isdir(hierarchy):
                continue
            parent = os.path.join(hierarchy, _own_group(controller))
            _remove_stale(parent)
            path = os.path.join(parent, name)
            try:
                os.makedirs(path, exist_ok=True)
                _limit(path, limit_file, limits.get(controller, 0))
            except OSError:
                with contextlib.suppress(OSError):
                    os.rmdir(path)
                continue
            paths.append(path)
            controllers.append(controller)
        return cls(paths, controllers) if paths else None

    def join(self, pid: int = 0) -> None:
        """Move ``pid`` (0: the calling process) into the group: what it forks is counted there.
        Called in the box's first process before it execs bubblewrap, so nothing escapes."""
        for path in self.paths:
            with open(os.path.join(path, "cgroup.procs"), "w") as procs:
                procs.write(str(pid))

    def members(self) -> list[int]:
        pids: set[int] = set()
        for path in self.paths:
            with contextlib.suppress(OSError), open(os.path.join(path, "cgroup.procs")) as procs:
                pids.update(int(line) for line in procs if line.strip())
        return sorted(pids)

    def remove(self) -> None:
        """Kill whatever is still in the group, then remove it (an rmdir needs it empty)."""
        for _ in range(50):
            left = self.members()
            for pid in left:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            if not left:
                break
            time.sleep(0.02)
        for path in self.paths:
            with contextlib.suppress(OSError):
                os.rmdir(path)


def _own_group(controller: str) -> str:
    """This process's group in ``controller``'s hierarchy ("" for v2), relative to its root."""
    try:
        with open("/proc/self/cgroup") as groups:
            for line in groups:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if controller in controllers.split(","):
                    return path.lstrip("/")
    except OSError:
        pass
    return ""


def _remove_stale(parent: str) -> None:
    """Remove the empty groups of graders that died before removing theirs (killed with their
    process group by ``lessons grade``'s time limit, say): rmdir fails on a group still in use."""
    try:
        names = [n for n in os.listdir(parent) if n.startswith(PREFIX)]
    except OSError:
        return
    for name in names:
        pid = name.removeprefix(PREFIX)
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            with contextlib.suppress(OSError):
                os.rmdir(os.path.join(parent, name))


def _limit(path: str, limit_file: str | None, value: int) -> None:
    if limit_file is not None and value > 0:
        with open(os.path.join(path, limit_file), "w") as limit:
            limit.write(str(value))
