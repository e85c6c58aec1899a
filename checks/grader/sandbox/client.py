"""The grader's connection to one lesson's worker: requests, replies, and a fresh worker after
one died or was stopped (a claim's timeout), so that only the claim that was running fails.

A request like one that ran past a claim's timeout (the same function of the lesson) fails at
once for the rest of the run: a homework function that hangs costs one timeout, not one per
claim that calls it (issue 18: one ``sleep`` cost 4 x 60 s)."""

from __future__ import annotations

import builtins
import contextlib
import socket
from types import ModuleType

from checks.grader.i18n import N_
from checks.grader.sandbox import codec
from checks.grader.sandbox.errors import LessonError, SandboxError
from checks.grader.sandbox.processes import Zygote, describe_exit
from checks.grader.timeouts import timeout_seconds

UNREADABLE = N_("the lesson process sent a reply that cannot be read: {why}")
# A box whose zygote dies ends every process in it (a lesson's kill(-1) spares the zygote, the
# box's init; killed from outside, or for memory, it goes): the next lesson's process gets a
# fresh box (Zygote.spawn), and a call that ends its box twice fails at once from then on.
BOX_ENDED = N_("the lesson process ended its sandbox (every process in it) while {what}")
BOX_ENDED_EARLIER = N_("{what} ended its sandbox earlier")


class BoxEnded(SandboxError):
    """The worker died with its box's zygote: every process of the box is gone."""


# processes.describe_exit's words ("the lesson process exited with code 0 while importing x"),
# for the catalog: the card translates a reason by the template it matches (checks.grader.i18n).
EXIT_WORDS = (
    N_("the lesson process {how} while {what}"),
    N_("exited with code {code}"),
    N_("was killed by signal {number} ({name})"),
    N_("was killed by signal {number} ({name}) (out of memory, or its time ran out)"),
    N_("was killed by signal {number} ({name}) (it wrote more than {mib} MiB of output)"),
)


class WorkerClient:
    """Starts ``lesson``'s worker on first use and talks to it; one request at a time."""

    def __init__(self, lesson: str, zygote: Zygote) -> None:
        self.lesson = lesson
        self.zygote = zygote
        self.sock: socket.socket | None = None
        self.pid = 0
        self.token = ""
        self.timed_out: dict[str, float] = {}  # what ran past a claim's timeout -> seconds
        self.ended_box: set[str] = set()  # what ended its box twice (the zygote killed)
        self.import_endings = 0  # imports of the lesson that ended their box

    def start(self) -> None:
        """Fork the worker and wait until it has imported the lesson (raising what that raised)."""
        if self.sock is not None and self.zygote.gone():
            self._forget()  # its worker died with a box a lesson ended: a fresh one, in a fresh box
        if self.sock is not None:
            return
        importing = N_("importing {lesson}").format(lesson=self.lesson)
        if importing in self.ended_box:
            raise SandboxError(BOX_ENDED_EARLIER.format(what=importing))
        ours, theirs = socket.socketpair()
        try:
            self.pid = self.zygote.spawn(self.lesson, [theirs.fileno(), 1, 2])
        except BaseException:
            ours.close()  # a worker forked all the same reads end-of-file and exits
            raise
        finally:
            theirs.close()
        self.sock, self.token = ours, str(self.pid)
        try:
            reply, _ = self._exchange(None, what=importing)
        except BoxEnded:
            self.import_endings += 1
            if self.import_endings > 1:  # again in a fresh box: every claim of it fails at once
                self.ended_box.add(importing)
            raise
        if "error" in reply:
            self.stop()
            raise import_error(self.lesson, reply["error"])

    def request(self, request: dict, buffers: list[bytes], *, what: str):
        """Send one request, return the reply's JSON tree and buffers.

        A request whose box ended under it (its zygote died, during this call or before it) is
        sent once more, to a fresh worker in a fresh box; a call that ends that box too fails,
        and fails at once from then on."""
        earlier = self.timed_out.get(what)
        if earlier is not None:
            raise SandboxError(
                N_("{what} timed out earlier ({seconds} s)").format(
                    what=request.get("what", what), seconds=f"{earlier:g}"
                )
            )
        if what in self.ended_box:
            raise SandboxError(BOX_ENDED_EARLIER.format(what=request.get("what", what)))
        for attempt in (1, 2):
            try:
                self.start()
            except BoxEnded:  # its import ended the box (start counts those)
                if attempt == 2:
                    raise
                continue
            try:
                return self._exchange(codec.pack(request, buffers), what=what)
            except BoxEnded:
                if attempt == 2:
                    self.ended_box.add(what)
                    raise
            except BaseException as exc:
                seconds = timeout_seconds(exc)
                if seconds is not None:
                    self.timed_out[what] = seconds
                raise
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _exchange(self, chunks, *, what: str):
        try:
            if chunks is not None:
                codec.send(self.sock, chunks)
            message = codec.receive(self.sock, int(self.zygote.settings.max_reply_mib * 2**20))
        except codec.CodecError as exc:  # over the cap: refused before it was read
            self.stop()
            raise SandboxError(UNREADABLE.format(why=exc)) from None
        except (BrokenPipeError, ConnectionResetError):
            message = None  # the worker is gone, as at end-of-file (its box torn down under it)
        except BaseException:  # a claim's timeout (pytest-timeout) or Ctrl-C while we waited
            self.stop()
            raise
        if message is None:
            try:
                status = self.zygote.wait(self.pid)
            except OSError:  # the zygote died with the worker: the whole box ended
                self._forget()
                raise BoxEnded(BOX_ENDED.format(what=what)) from None
            self._forget()
            raise SandboxError(EXIT_WORDS[0].format(how=describe_exit(status), what=what))
        try:
            return codec.unpack(message)
        except (ValueError, codec.CodecError, RecursionError) as exc:
            self.stop()
            raise SandboxError(UNREADABLE.format(why=exc)) from None

    def stop(self) -> None:
        """Kill the worker and what it started; the next request starts a fresh one."""
        if self.sock is not None:
            self.zygote.kill(self.pid)
        self._forget()

    def _forget(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
        self.sock, self.pid, self.token = None, 0, ""


def lesson_exception(error: dict) -> BaseException:
    """The student's exception rebuilt in the grader: the same builtin type (NotImplementedError
    stays "not attempted yet"), with its message and the lesson line that raised it."""
    if "refused" in error:
        return SandboxError(error["refused"])
    message, kind = str(error.get("message", "")), error.get("type", "Exception")
    exc: BaseException | None = None
    cls = getattr(builtins, kind, None) if error.get("builtin") else None
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            exc = cls(message)
        except Exception:  # a builtin with another constructor (UnicodeDecodeError, ...)
            exc = None
    if isinstance(exc, AttributeError) and error.get("name"):
        exc.name = error["name"]
        if error.get("module"):
            exc.obj = ModuleType(error["module"])  # feedback: "was it renamed or deleted?"
    if exc is None:
        exc = LessonError(f"{kind}: {message}" if message else kind)
    exc.lesson_where = error.get("where", "")
    return exc


def import_error(lesson: str, error: dict) -> BaseException:
    exc = lesson_exception(error)
    if isinstance(exc, NotImplementedError) or "refused" in error:
        return exc  # a homework stub run at import: "not attempted yet", like any other
    kind, message = error.get("type", "Exception"), error.get("message", "")
    return SandboxError(
        N_("lesson {lesson} does not import: {error}").format(
            lesson=repr(lesson), error=f"{kind}: {message}"
        )
    )
