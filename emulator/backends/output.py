"""Splitting an environment's output stream into log lines (pure)."""

from __future__ import annotations

# A single log line longer than this is split, as CloudWatch splits events of over 256 KB.
MAX_LINE = 256 * 1024


class LineBuffer:
    """Bytes in, complete lines out; what follows the last newline waits for more."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self._max_line = max_line
        self._pending = b""

    def feed(self, chunk: bytes) -> list[str]:
        """The lines that `chunk` completes, without their newlines."""
        data = self._pending + chunk
        *complete, self._pending = data.split(b"\n")
        lines = [piece for line in complete for piece in self._pieces(line)]
        while len(self._pending) > self._max_line:
            lines.append(_text(self._pending[: self._max_line]))
            self._pending = self._pending[self._max_line :]
        return lines

    def flush(self) -> list[str]:
        """The unterminated rest, as a last line (when the stream has ended)."""
        rest, self._pending = self._pending, b""
        return [_text(rest)] if rest else []

    def _pieces(self, line: bytes) -> list[str]:
        if len(line) <= self._max_line:
            return [_text(line)]
        size = self._max_line
        return [_text(line[i : i + size]) for i in range(0, len(line), size)]


def _text(line: bytes) -> str:
    return line.decode(errors="replace")
