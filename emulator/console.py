"""What `lambdock up` prints: each function's output with its name and request id, one summary
line per invocation (status, duration, cold or warm, memory), lambdock's own notices, and the
progress of long work. Colour only on a terminal that supports it (and never with NO_COLOR).
"""

from __future__ import annotations

import datetime
import os
import sys
import time
import zlib
from collections.abc import Callable, Mapping
from typing import TextIO

from emulator.logs import STATUS_OK, STATUS_TIMEOUT, InvocationSummary

# Lines the log store keeps for every invocation; the console shows the summary line instead.
_PLATFORM_PREFIXES = ("START RequestId: ", "END RequestId: ", "REPORT RequestId: ")
# ANSI SGR colours that read well on dark and light terminals; a function keeps its colour.
_FUNCTION_COLOURS = ("36", "35", "34", "33", "32", "96", "95", "94")
_RESET = "\x1b[0m"
_STATUS_COLOURS = {STATUS_OK: "32", STATUS_TIMEOUT: "33"}
_ERROR_COLOUR = "31"
_DIM = "2"


def colour_supported(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether to colour output: NO_COLOR (no-color.org) wins, then FORCE_COLOR, then a
    terminal that is not `dumb`."""
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and environ.get("TERM", "") != "dumb"


def paint(text: str, code: str, *, colour: bool) -> str:
    """`text` in an ANSI colour when colour is on."""
    return f"\x1b[{code}m{text}{_RESET}" if colour else text


def function_colour(function_name: str) -> str:
    """The colour a function's name always gets (a stable hash of the name)."""
    return _FUNCTION_COLOURS[zlib.crc32(function_name.encode()) % len(_FUNCTION_COLOURS)]


def short_id(request_id: str) -> str:
    """The first block of a request id: enough to tell invocations apart on a console."""
    return request_id.split("-", 1)[0][:8]


def format_duration(milliseconds: float) -> str:
    """12.3 ms below a second, 1.24 s above."""
    if milliseconds < 1000:
        return f"{milliseconds:.1f} ms"
    return f"{milliseconds / 1000:.2f} s"


def format_line(
    function_name: str, request_id: str | None, line: str, *, colour: bool = False
) -> str:
    """One line of a function's output: `[Name 1a2b3c4d] text`; `init` outside invocations."""
    name = paint(function_name, function_colour(function_name), colour=colour)
    tag = short_id(request_id) if request_id else "init"
    return f"[{name} {paint(tag, _DIM, colour=colour)}] {line}"


def format_summary(summary: InvocationSummary, *, colour: bool = False) -> str:
    """One line per invocation: `[Name 1a2b3c4d] OK 12.3 ms warm 42/128 MB`."""
    name = paint(summary.function_name, function_colour(summary.function_name), colour=colour)
    tag = paint(short_id(summary.request_id), _DIM, colour=colour)
    status = summary.status.upper()
    if summary.error_type:
        status = f"{status} {summary.error_type}"
    status = paint(status, _STATUS_COLOURS.get(summary.status, _ERROR_COLOUR), colour=colour)
    start = "cold" if summary.cold else "warm"
    if summary.cold and summary.init_duration_ms is not None:
        start = f"cold (init {format_duration(summary.init_duration_ms)})"
    memory = f"{summary.max_memory_mb}/{summary.memory_size} MB"
    return f"[{name} {tag}] {status} {format_duration(summary.duration_ms)} {start} {memory}"


def format_timestamp(epoch_seconds: float) -> str:
    """UTC time to the millisecond, as CloudWatch prints event times."""
    moment = datetime.datetime.fromtimestamp(epoch_seconds, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def is_platform_line(line: str) -> bool:
    """START, END and REPORT: Lambda's own lines around an invocation."""
    return line.startswith(_PLATFORM_PREFIXES)


class Console:
    """lambdock's console: function output, invocation summaries, notices and progress."""

    def __init__(self, stream: TextIO, *, colour: bool = False) -> None:
        self.stream = stream
        self.colour = colour

    @classmethod
    def for_stream(
        cls, stream: TextIO | None = None, environ: Mapping[str, str] | None = None
    ) -> Console:
        """A console on `stream` (stdout), coloured when the terminal supports it."""
        target = stream or sys.stdout
        return cls(target, colour=colour_supported(target, environ or os.environ))

    def _print(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def line(self, function_name: str, request_id: str | None, line: str) -> None:
        """A line a function wrote (Lambda's START/END/REPORT give way to the summary)."""
        if not is_platform_line(line):
            self._print(format_line(function_name, request_id, line, colour=self.colour))

    def invocation(self, summary: InvocationSummary) -> None:
        """The one-line summary of a finished invocation."""
        self._print(format_summary(summary, colour=self.colour))

    def notice(self, message: str) -> None:
        """Something lambdock did (a reload, a start)."""
        self._print(f"{paint('lambdock:', _DIM, colour=self.colour)} {message}")

    def error(self, message: str) -> None:
        """Something that went wrong and that the user must fix."""
        self._print(f"{paint('lambdock: error:', _ERROR_COLOUR, colour=self.colour)} {message}")

    def progress(self, what: str, *, now: Callable[[], float] = time.monotonic) -> Progress:
        """Report long work (pulling an image, starting MinIO) as it goes."""
        return Progress(self, what, now=now)


class Progress:
    """Long work: `what...` when it starts, steps as they come, and how long it took.

    Use as `with console.progress("starting MinIO") as step: ... step.update("bucket a")`.
    """

    def __init__(
        self, console: Console, what: str, *, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._console = console
        self._what = what
        self._now = now
        self._started = 0.0

    def __enter__(self) -> Progress:
        self._started = self._now()
        self._console.notice(f"{self._what}...")
        return self

    def update(self, detail: str) -> None:
        """A step of the work (a layer pulled, a bucket created)."""
        self._console.notice(f"{self._what}: {detail}")

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        elapsed = format_duration((self._now() - self._started) * 1000)
        outcome = "failed" if kind is not None else "done"
        self._console.notice(f"{self._what}: {outcome} in {elapsed}")
