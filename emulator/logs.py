"""Function logs: per invocation (START..REPORT) and per log stream, kept in memory, bounded.

Finished invocations also get a summary (status, duration, cold or warm, memory) and a sequence
number that followers (`lambdock logs --follow`, the dashboard) use as a cursor. With an archive
attached, each one is also kept on disk, bounded, so a restarted lambdock still has them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from emulator import wire

if TYPE_CHECKING:
    from emulator.invoker import InvocationResult

# How many finished invocation logs are kept per function, and lines per invocation.
KEEP_INVOCATIONS = 200
KEEP_LINES = 2000
# And characters per invocation: a handler that writes gigabytes keeps only its newest output
# (one line is at most 256 KB, CloudWatch's event size, so the newest line always fits).
KEEP_CHARS = 256 * 1024
# How many summarised invocations of all functions the timeline keeps for followers.
KEEP_TIMELINE = 1000


@dataclass
class InvocationLog:
    """The log lines of one invocation, START to REPORT, as CloudWatch shows them."""

    function_name: str
    log_stream_name: str
    request_id: str
    lines: list[str] = field(default_factory=list)
    dropped: int = 0
    chars: int = 0
    started_at: float = 0.0
    summary: InvocationSummary | None = None
    sequence: int = 0

    def add(self, line: str) -> None:
        """Append a line; past the bounds the oldest handler lines (after START) are dropped."""
        self.lines.append(line)
        self.chars += len(line)
        while len(self.lines) > 2 and (len(self.lines) > KEEP_LINES or self.chars > KEEP_CHARS):
            self.chars -= len(self.lines.pop(1))
            self.dropped += 1

    def text(self) -> str:
        """The log as text, one line per line."""
        return "".join(line if line.endswith("\n") else line + "\n" for line in self.lines)

    def tail(self, limit: int = wire.TAIL_LOG_BYTES) -> bytes:
        """The last `limit` bytes, as `X-Amz-Log-Result` carries them."""
        return self.text().encode()[-limit:]


def keep_newest(lines: list[str], line: str, *, max_lines: int, max_chars: int) -> None:
    """Append a line, then drop the oldest until at most `max_lines` lines of at most
    `max_chars` characters are left (output written between invocations waits here)."""
    lines.append(line)
    del lines[:-max_lines]
    total = sum(len(kept) for kept in lines)
    while len(lines) > 1 and total > max_chars:
        total -= len(lines.pop(0))


@dataclass(frozen=True)
class InvocationSummary:
    """How one invocation went: what the dashboard lists and `lambdock logs` prints."""

    request_id: str
    function_name: str
    log_stream_name: str
    started_at: float
    duration_ms: float
    status: str
    error_type: str | None
    cold: bool
    init_duration_ms: float | None
    max_memory_mb: int
    memory_size: int


# Values of InvocationSummary.status.
STATUS_OK = "ok"
STATUS_ERROR = "error"
STATUS_TIMEOUT = "timeout"


@dataclass(frozen=True)
class LogStream:
    """A CloudWatch-like log stream: one execution environment's invocations."""

    log_stream_name: str
    first_event: float
    last_event: float
    invocations: int


class ConsoleSink(Protocol):
    """Where the console shows log lines and one summary per invocation (emulator.console)."""

    def line(self, function_name: str, request_id: str | None, line: str) -> None: ...

    def invocation(self, summary: InvocationSummary) -> None: ...


class Archive(Protocol):
    """Keeps summarised invocations on disk (emulator.log_archive)."""

    def append(self, summary: InvocationSummary, lines: Sequence[str]) -> None: ...

    def load(self) -> list[tuple[InvocationSummary, list[str]]]: ...


Echo = Callable[[str, str], None]


class LogStore:
    """Where environments' output lands; echoes each line to the console when asked to."""

    def __init__(
        self,
        echo: Echo | None = None,
        *,
        console: ConsoleSink | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._echo = echo
        self._console = console
        self._now = now
        self._finished: dict[str, deque[InvocationLog]] = {}
        self._timeline: deque[InvocationLog] = deque(maxlen=KEEP_TIMELINE)
        self._sequence = 0
        self._archive: Archive | None = None

    def begin(self, function_name: str, log_stream_name: str, request_id: str) -> InvocationLog:
        """Open an invocation's log with Lambda's START line."""
        log = InvocationLog(function_name, log_stream_name, request_id, started_at=self._now())
        self.write(log, f"START RequestId: {request_id} Version: {wire.LATEST}")
        return log

    def write(self, log: InvocationLog, line: str) -> None:
        """Add a line to an invocation's log (and echo it)."""
        log.add(line)
        if self._console is not None:
            self._console.line(log.function_name, log.request_id, line.rstrip("\n"))
        elif self._echo is not None:
            self._echo(log.function_name, line.rstrip("\n"))

    def echo(self, function_name: str, line: str) -> None:
        """Show a line on lambdock's console, prefixed with the function name."""
        if self._console is not None:
            self._console.line(function_name, None, line.rstrip("\n"))
        elif self._echo is not None:
            self._echo(function_name, line.rstrip("\n"))

    def finish(self, log: InvocationLog, report: str, error_line: str | None = None) -> None:
        """Close an invocation's log with END and REPORT (and Lambda's timeout line)."""
        self.write(log, f"END RequestId: {log.request_id}")
        self.write(log, report)
        if error_line:
            self.write(log, error_line)
        kept = self._finished.setdefault(log.function_name, deque(maxlen=KEEP_INVOCATIONS))
        kept.append(log)

    def recent(self, function_name: str, count: int = 20) -> list[InvocationLog]:
        """The newest finished invocation logs of a function, oldest first."""
        kept = self._finished.get(function_name, deque())
        return list(kept)[-count:]

    def find(self, request_id: str) -> InvocationLog | None:
        """A finished invocation's log by its request id."""
        for kept in self._finished.values():
            for log in reversed(kept):
                if log.request_id == request_id:
                    return log
        return None

    def record(self, log: InvocationLog, summary: InvocationSummary) -> None:
        """Attach a finished invocation's summary: it joins the timeline, the console's one-line
        summaries and the archive."""
        self._sequence += 1
        log.summary, log.sequence = summary, self._sequence
        self._timeline.append(log)
        if self._console is not None:
            self._console.invocation(summary)
        if self._archive is not None:
            self._archive.append(summary, log.lines)

    def timeline(
        self, *, after: int = 0, function_name: str | None = None, since: float | None = None
    ) -> list[InvocationLog]:
        """Summarised invocations with a sequence above `after` that started at `since` or
        later, oldest first: of one function, or of all of them."""
        source: Iterable[InvocationLog] = (
            self._timeline if function_name is None else self._finished.get(function_name, ())
        )
        return [
            log
            for log in source
            if log.summary is not None
            and log.sequence > after
            and (since is None or log.started_at >= since)
        ]

    @property
    def sequence(self) -> int:
        """The sequence number of the newest summarised invocation (0 before the first)."""
        return self._sequence

    def streams(self, function_name: str) -> list[LogStream]:
        """The function's log streams (one per environment), newest activity first."""
        grouped: dict[str, list[InvocationLog]] = {}
        for log in self._finished.get(function_name, ()):
            grouped.setdefault(log.log_stream_name, []).append(log)
        streams = [
            LogStream(name, logs[0].started_at, logs[-1].started_at, len(logs))
            for name, logs in grouped.items()
        ]
        return sorted(streams, key=lambda stream: stream.last_event, reverse=True)

    def keep_on_disk(self, archive: Archive) -> None:
        """Archive every summarised invocation from now on, and take back those it holds."""
        self.restore(archive.load())
        self._archive = archive

    def restore(self, records: Iterable[tuple[InvocationSummary, list[str]]]) -> None:
        """Take back archived invocations (oldest first), as if they had just finished."""
        for summary, lines in sorted(records, key=lambda record: record[0].started_at):
            log = InvocationLog(
                summary.function_name,
                summary.log_stream_name,
                summary.request_id,
                lines=list(lines),
                started_at=summary.started_at,
            )
            self._finished.setdefault(log.function_name, deque(maxlen=KEEP_INVOCATIONS)).append(log)
            self._sequence += 1
            log.summary, log.sequence = summary, self._sequence
            self._timeline.append(log)


def summarize(result: InvocationResult, memory_size: int) -> InvocationSummary:
    """The summary of a finished invocation, from the invoker's result."""
    status = STATUS_OK
    if result.function_error is not None:
        status = STATUS_TIMEOUT if result.error_type == wire.SANDBOX_TIMEDOUT else STATUS_ERROR
    return InvocationSummary(
        request_id=result.request_id,
        function_name=result.function_name,
        log_stream_name=result.log.log_stream_name,
        started_at=result.log.started_at,
        duration_ms=result.duration_ms,
        status=status,
        error_type=result.error_type if result.function_error is not None else None,
        cold=result.cold,
        init_duration_ms=result.init_duration_ms,
        max_memory_mb=result.max_memory_mb,
        memory_size=memory_size,
    )


def matching_lines(lines: Sequence[str], text: str | None) -> list[str]:
    """The lines containing `text` (all lines when it is empty); like CloudWatch's filter on a
    plain term, the match is case-sensitive."""
    if not text:
        return list(lines)
    return [line for line in lines if text in line]


def report_line(
    request_id: str,
    *,
    duration_ms: float,
    memory_size: int,
    max_memory_mb: int,
    init_duration_ms: float | None,
) -> str:
    """Lambda's REPORT line (billed duration rounds up to the next millisecond)."""
    billed = max(1, int(-(-duration_ms // 1)))
    parts = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {billed} ms",
        f"Memory Size: {memory_size} MB",
        f"Max Memory Used: {max_memory_mb} MB",
    ]
    if init_duration_ms is not None:
        parts.append(f"Init Duration: {init_duration_ms:.2f} ms")
    return "\t".join(parts) + "\t"
