"""An environment's output, read line by line: from a named pipe, or from a byte stream.

The runtime flushes its output before it posts its answer to the Runtime API, and lambdock must
show those lines with that invocation. Through a named pipe on the host the guarantee is exact:
the bytes are in the pipe before the answer arrives, and `drain` reads what the pipe holds.
Docker's attach stream passes through dockerd, so there `drain` can only wait, briefly and
boundedly, for the stream to fall quiet.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from emulator.backends.base import LineSink
from emulator.errors import LambdockError

# A single log line longer than this is split, as CloudWatch splits events of over 256 KB.
MAX_LINE = 256 * 1024
_READ_SIZE = 64 * 1024
# How long an attach stream must stay quiet, counted from the drain's start, and the most a
# drain waits (seconds). Measured on a loaded two-core machine: with 3 ms, about one line in
# a few hundred still arrived later.
STREAM_QUIET = 0.003
STREAM_DRAIN_LIMIT = 0.05
_ATTACH_TIMEOUT = 10.0
_FINISH_TIMEOUT = 2.0


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


class PipeOutput:
    """A named pipe on the host that an environment writes its stdout and stderr into, read on
    the event loop. lambdock holds a write end open too, so the pipe never reports an end of
    file between writers; the environment's end is learnt from its backend instead."""

    def __init__(self, path: Path, on_line: LineSink) -> None:
        self.path = path
        self._on_line = on_line
        self._lines = LineBuffer()
        os.mkfifo(path, 0o600)
        # The runtime runs as an unprivileged user: it may write, only lambdock reads.
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        self._read_fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self._hold_fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._read_fd, self.read_available)
        self._closed = False

    def read_available(self) -> None:
        """Hand every complete line the pipe holds now to `on_line`."""
        while not self._closed:
            try:
                data = os.read(self._read_fd, _READ_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if not data:
                return
            for line in self._lines.feed(data):
                self._on_line(line)

    async def drain(self) -> None:
        """Read what the runtime wrote before now: it is in the pipe already."""
        self.read_available()

    async def finish(self) -> None:
        """The environment has ended: read the rest, including an unterminated last line."""
        self.read_available()
        if not self._closed:
            for line in self._lines.flush():
                self._on_line(line)

    def close(self) -> None:
        """Stop reading and remove the pipe; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._loop.remove_reader(self._read_fd)
        for fd in (self._read_fd, self._hold_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(OSError):
            self.path.unlink()


class StreamOutput:
    """A blocking stream of output chunks (Docker's attach stream), followed in its own thread
    because it stays open as long as the environment lives."""

    def __init__(
        self, open_stream: Callable[[], Iterable[bytes]], on_line: LineSink, name: str
    ) -> None:
        self._open_stream = open_stream
        self._on_line = on_line
        self._name = name
        self._loop = asyncio.get_running_loop()
        self._opened: asyncio.Future[None] = self._loop.create_future()
        self._ended: asyncio.Future[None] = self._loop.create_future()
        self._last_arrival = self._loop.time()

    async def open(self) -> None:
        """Start following; returns once the stream is open, so nothing written later is lost."""
        threading.Thread(target=self._follow, name=self._name, daemon=True).start()
        await asyncio.wait_for(asyncio.shield(self._opened), _ATTACH_TIMEOUT)

    def _follow(self) -> None:
        lines = LineBuffer()
        try:
            stream = self._open_stream()
            self._post(_settle, self._opened, None)
            for chunk in stream:
                self._post(self._deliver, lines.feed(chunk))
            self._post(self._deliver, lines.flush())
        except LambdockError as exc:
            self._post(_settle, self._opened, exc)
        finally:
            self._post(_settle, self._ended, None)

    def _post(self, callback: Callable[..., None], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening
            self._loop.call_soon_threadsafe(callback, *args)

    def _deliver(self, lines: list[str]) -> None:
        self._last_arrival = self._loop.time()
        for line in lines:
            self._on_line(line)

    async def drain(self) -> None:
        """Wait until the stream has been quiet for a moment, within a bound."""
        started = self._loop.time()
        deadline = started + STREAM_DRAIN_LIMIT
        while not self._ended.done():
            now = self._loop.time()
            quiet_until = max(self._last_arrival, started) + STREAM_QUIET
            if now >= quiet_until or now >= deadline:
                return
            await asyncio.sleep(min(quiet_until, deadline) - now)

    async def finish(self) -> None:
        """The environment has ended: wait (boundedly) for the stream to deliver its end."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._ended), _FINISH_TIMEOUT)

    def close(self) -> None:
        """Nothing to release: the stream ends with its container."""


Output = PipeOutput | StreamOutput


def _settle(future: asyncio.Future[Any], outcome: Any) -> None:
    """Resolve a future once, with a result or an exception."""
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
