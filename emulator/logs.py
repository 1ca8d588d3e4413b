"""Function logs: per invocation (START..REPORT) and per log stream, kept in memory, bounded."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator import wire

# How many finished invocation logs are kept per function, and lines per invocation.
KEEP_INVOCATIONS = 200
KEEP_LINES = 2000
# And characters per invocation: a handler that writes gigabytes keeps only its newest output
# (one line is at most 256 KB, CloudWatch's event size, so the newest line always fits).
KEEP_CHARS = 256 * 1024


@dataclass
class InvocationLog:
    """The log lines of one invocation, START to REPORT, as CloudWatch shows them."""

    function_name: str
    log_stream_name: str
    request_id: str
    lines: list[str] = field(default_factory=list)
    dropped: int = 0
    chars: int = 0

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


Echo = Callable[[str, str], None]


class LogStore:
    """Where environments' output lands; echoes each line to the console when asked to."""

    def __init__(self, echo: Echo | None = None) -> None:
        self._echo = echo
        self._finished: dict[str, deque[InvocationLog]] = {}

    def begin(self, function_name: str, log_stream_name: str, request_id: str) -> InvocationLog:
        """Open an invocation's log with Lambda's START line."""
        log = InvocationLog(function_name, log_stream_name, request_id)
        self.write(log, f"START RequestId: {request_id} Version: {wire.LATEST}")
        return log

    def write(self, log: InvocationLog, line: str) -> None:
        """Add a line to an invocation's log (and echo it)."""
        log.add(line)
        self.echo(log.function_name, line)

    def echo(self, function_name: str, line: str) -> None:
        """Show a line on lambdock's console, prefixed with the function name."""
        if self._echo is not None:
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
