"""The sandbox's pytest hooks and options: one zygote per grading process (each pytest-xdist
worker has its own), one worker per lesson, all of it gone before any result is written."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from checks.grader import figure_cache
from checks.grader.devices import requested_devices
from checks.grader.sandbox import box, confine
from checks.grader.sandbox.processes import Settings, Zygote, supported, unreadable_as, user_exists

if TYPE_CHECKING:
    from checks.grader.sandbox.client import WorkerClient
    from checks.grader.sandbox.proxy import LessonProxy

SANDBOX = pytest.StashKey["Sandbox"]()
DEFAULT_USER = "nobody"
# Address space a worker may add to the grader's, in GiB. Observed (ps VSZ, one run): a worker
# at ~1.26 GB against the grader's ~0.74 GB, so ~0.5 GiB added; 4 leaves a wide margin and
# still stops a runaway (tests/test_sandbox_hostile.py grades its course under 1).
DEFAULT_MEMORY_GIB = 4.0
DEFAULT_PROCESSES = 512  # processes and threads of the sandbox user, all workers together


class Sandbox:
    """The session's zygote and its lessons' workers."""

    def __init__(self, settings: Settings, rootpath: Path) -> None:
        self.zygote = Zygote(settings, str(rootpath))
        self.rootpath = rootpath
        self.clients: dict[str, WorkerClient] = {}
        self.not_dropped = ""  # why workers run as root, when they do
        self.not_confined = ""  # why workers that run as root are not confined
        self.not_boxed = ""  # why there is no bubblewrap box (the fallback's header says so)

    def lesson(self, name: str) -> LessonProxy:
        """The lesson's proxy, its worker started (raising what importing the lesson raised)."""
        # Imported here, not above: they import torch, which loads after the box starts.
        from checks.grader.sandbox.client import WorkerClient
        from checks.grader.sandbox.proxy import LessonProxy

        if not self.zygote.alive():
            self.zygote.start()  # a worker's user killed it: a fresh one, for this lesson on
        client = self.clients.setdefault(name, WorkerClient(name, self.zygote))
        client.start()
        path = str(self.rootpath / "lessons" / f"{name}.py")
        return LessonProxy(f"lessons.{name}", client, path)

    def release(self, name: str) -> None:
        client = self.clients.pop(name, None)
        if client is not None:
            client.stop()

    def close(self) -> None:
        for name in list(self.clients):
            self.release(name)
        self.zygote.shutdown()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lessons")
    group.addoption(
        "--no-sandbox",
        action="store_true",
        help="import the lessons into pytest's own process (debugging; refused with --grade-json)",
    )
    group.addoption(
        "--sandbox-user",
        default=None,
        help=f"user a lesson's process runs as when pytest runs as root "
        f"(default: ini sandbox_user, {DEFAULT_USER})",
    )
    group.addoption(
        "--sandbox-memory",
        type=float,
        default=None,
        metavar="GIB",
        help="address space a lesson's process may add, in GiB; 0: no limit "
        f"(default: ini sandbox_memory, {DEFAULT_MEMORY_GIB:g})",
    )
    parser.addini(
        "sandbox_box",
        "auto: each run's lesson processes in a bubblewrap box where bwrap works; "
        "off: forked processes only (the fallback)",
        default="auto",
    )
    parser.addini(
        "sandbox_preload",
        "engine: the box loads torch, matplotlib and lessons/_*.py once, before it forks each "
        "lesson's process; none: nothing (for lessons that use none of them)",
        default="engine",
    )
    parser.addini("sandbox_user", "default for --sandbox-user", default=DEFAULT_USER)
    parser.addini(
        "sandbox_reply_mib",
        "MiB a lesson process's reply may hold; a larger one fails its claim, unread",
        default="64",
    )
    parser.addini("sandbox_memory", "default for --sandbox-memory", default=str(DEFAULT_MEMORY_GIB))
    parser.addini(
        "sandbox_processes",
        "processes and threads the sandbox's user may run (RLIMIT_NPROC), 0: no limit",
        default=str(DEFAULT_PROCESSES),
    )


def _user(config: pytest.Config) -> tuple[str, str]:
    """The user workers drop to, and why they do not (empty when they do, or are not root).

    The default user must be able to read Python, torch and the project (world-readable files,
    as on Gradescope); where it cannot (a Python installed under /root), workers stay root and
    the header says so. A user asked for by name that cannot is an error."""
    asked = config.getoption("sandbox_user")
    user = config.getini("sandbox_user") if asked is None else asked
    if os.geteuid() != 0 or not user or not supported():
        return "", ""
    if not user_exists(user):
        raise pytest.UsageError(f"--sandbox-user {user!r}: no such user")
    import numpy as np
    import torch

    paths = [os.path.dirname(os.__file__), *(os.path.dirname(m.__file__) for m in (torch, np))]
    paths.append(str(config.rootpath / "lessons" / "__init__.py"))
    unreadable = unreadable_as(user, paths)
    if unreadable is None:
        return user, ""
    why = f"{user} cannot read {unreadable}"
    if asked is not None:
        raise pytest.UsageError(f"--sandbox-user {user}: {why} (make it world-readable)")
    return "", why


def _confinement(user: str) -> tuple[bool, str]:
    """Whether workers that stay root are confined (confine.py), and why not when they are not."""
    if os.geteuid() != 0 or user or not supported():
        return False, ""
    why_not = confine.available()
    return why_not is None, why_not or ""


def _no_box(config: pytest.Config) -> str:
    """Why this run gets no bubblewrap box ("" when it does)."""
    choice = config.getini("sandbox_box").strip().lower()
    if choice not in ("auto", "off"):
        raise pytest.UsageError(f"ini sandbox_box must be auto or off, got {choice!r}")
    if choice == "off":
        return "sandbox_box = off"
    return box.unavailable() or ""


def _settings(config: pytest.Config, user: str, confined: bool) -> Settings:
    memory = config.getoption("sandbox_memory")
    memory = float(config.getini("sandbox_memory")) if memory is None else memory
    if not memory >= 0:
        raise pytest.UsageError(f"--sandbox-memory must be >= 0, got {memory}")
    return Settings(
        threads=config.getoption("torch_threads"),
        flush_denormals=not config.getoption("keep_denormals"),
        memory_gib=memory,
        max_processes=int(config.getini("sandbox_processes")),
        user=user,
        confine=confined,
        keep_devices="cuda" in requested_devices(config),
        max_reply_mib=float(config.getini("sandbox_reply_mib")),
        preload=_preload(config),
    )


def _preload(config: pytest.Config) -> bool:
    choice = config.getini("sandbox_preload").strip().lower()
    if choice not in ("engine", "none"):
        raise pytest.UsageError(f"ini sandbox_preload must be engine or none, got {choice!r}")
    return choice == "engine"


# pytest's options that print something and run no test: no box for them either.
LISTINGS = ("collectonly", "claims", "help", "markers", "showfixtures", "show_fixtures_per_test")


def _runs_claims(config: pytest.Config) -> bool:
    """False for a pytest-xdist controller (its workers run the claims) and for listings."""
    controller = getattr(config.option, "dist", "no") != "no" and not hasattr(config, "workerinput")
    return not (controller or any(getattr(config.option, name, False) for name in LISTINGS))


def _wanted(config: pytest.Config) -> bool:
    """Whether this run sandboxes its lessons (usage errors raised here)."""
    if config.getoption("no_sandbox"):
        if config.getoption("grade_json"):
            raise pytest.UsageError(
                "--no-sandbox with --grade-json: a grade is only written with the lessons "
                "sandboxed (a submission in pytest's process could rewrite it)"
            )
        return False
    if not supported():
        if config.getoption("grade_json"):
            raise pytest.UsageError("--grade-json needs the sandbox, which needs os.fork (POSIX)")
        return False
    return _runs_claims(config)


def start_box(config: pytest.Config) -> None:
    """Start the run's bubblewrap box, where it gets one: first of the configure steps (plugin.py
    calls it before it imports the engine), so that the box's zygote imports torch on the other
    core while this process does. It needs only the options, nothing torch has set."""
    if SANDBOX in config.stash or not _wanted(config) or _no_box(config):
        return
    settings = dataclasses.replace(
        _settings(config, "", False),
        box=True,
        box_uid=box.box_uid() if os.geteuid() == 0 else 0,
    )
    sandbox = Sandbox(settings, config.rootpath)
    config.stash[SANDBOX] = sandbox
    sandbox.zygote.start()


@pytest.hookimpl(trylast=True)  # after the engine's imports: the fallback forks a process of ours
def pytest_configure(config: pytest.Config) -> None:
    """Without a box (the fallback): forked processes, dropped to a user or confined as root."""
    if SANDBOX in config.stash or not _wanted(config):
        return  # plugin.py's start_box made the box, or the run wants no sandbox
    not_boxed = _no_box(config)  # why start_box made none
    user, why_not = _user(config)
    confined, why_not_confined = _confinement(user)
    sandbox = Sandbox(_settings(config, user, confined), config.rootpath)
    sandbox.not_dropped = why_not
    sandbox.not_confined = why_not_confined
    sandbox.not_boxed = not_boxed
    sandbox.zygote.start()
    config.stash[SANDBOX] = sandbox


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Before the first claim's clock starts: the box's zygote has loaded the engine, and has
    drawn a figure to warm up if the run's figure tests will draw (figure_cache.will_draw)."""
    sandbox = session.config.stash.get(SANDBOX, None)
    if sandbox is not None and session.items:
        sandbox.zygote.wait_ready()
        if figure_cache.will_draw(session):
            with contextlib.suppress(OSError):  # a dead zygote: the first claim says why
                sandbox.zygote.warm_up_figures()


@pytest.hookimpl(tryfirst=True)  # before --grade-json and --lesson-report write anything
def pytest_sessionfinish(session: pytest.Session) -> None:
    sandbox = session.config.stash.get(SANDBOX, None)
    if sandbox is not None:
        sandbox.close()


def pytest_unconfigure(config: pytest.Config) -> None:
    sandbox = config.stash.get(SANDBOX, None)
    if sandbox is not None:
        sandbox.close()  # a run that never reached sessionfinish (a usage error, Ctrl-C)
        del config.stash[SANDBOX]


def pytest_report_header(config: pytest.Config) -> str | None:
    sandbox = config.stash.get(SANDBOX, None)
    if sandbox is None:
        return (
            "lessons: imported into pytest's process (--no-sandbox)"
            if config.getoption("no_sandbox")
            else None
        )
    settings = sandbox.zygote.settings
    memory = f"+{settings.memory_gib:g} GiB" if settings.memory_gib else "unlimited"
    if settings.box:
        return _box_header(sandbox, memory)
    user = f", as {settings.user}" if settings.user else ""
    if sandbox.not_dropped:
        user = f", as root ({sandbox.not_dropped}: --sandbox-user)"
    if settings.confine:
        pids = ", pids cgroup" if sandbox.zygote.pids is not None else ", no process limit"
        user += f", confined (read-only files, no capabilities{pids})"
    elif sandbox.not_confined:
        user += f", NOT confined ({sandbox.not_confined})"
    return (
        f"lessons: NO box ({sandbox.not_boxed}); each lesson in its own process{user}, "
        f"address space {memory} (--no-sandbox: not)"
    )


def _box_header(sandbox: Sandbox, memory: str) -> str:
    """The box in words a course admin reads: what the lessons see and what bounds them."""
    settings = sandbox.zygote.settings
    who = f"as uid {settings.box_uid} (its own)" if settings.box_uid else "as you"
    group = sandbox.zygote.group
    shared = (
        f"cgroup: {', '.join(group.controllers)}"
        if group is not None
        else "no cgroup (CPU and memory shared with other runs)"
    )
    return (
        f"lessons: in a bubblewrap box ({who}; sees only Python and the lessons; no network, "
        f"no other process; {shared}), each lesson in its own process, address space {memory}"
    )
