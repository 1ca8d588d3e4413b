"""The queue behind asynchronous invocations (Invoke API `Event`, S3 and schedule triggers).

This first version keeps events in memory: a 202 is answered once the event is queued, and
workers run it with Lambda's default retry policy for function errors (two retries, after about
one and two minutes, scaled by `retry_delay_scale`) and backoff on throttles.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Protocol

from emulator.errors import ApiError, TooManyRequests
from emulator.invoker import InvocationRequest, Invoker

log = logging.getLogger("lambdock.queue")

RETRY_DELAYS = (60.0, 120.0)
THROTTLE_BACKOFF_MAX = 300.0


class AsyncQueue(Protocol):
    """Accepts events for asynchronous invocation."""

    async def submit(self, request: InvocationRequest) -> None:
        """Accept an event; once this returns, the event will be run."""
        ...

    def start(self) -> None:
        """Begin running queued events."""
        ...

    async def close(self) -> None:
        """Stop running events."""
        ...

    def pending(self) -> int:
        """How many events wait to run."""
        ...


@dataclass
class _Entry:
    request: InvocationRequest
    attempts: int = 0
    throttles: int = 0


class MemoryQueue:
    """An in-memory queue with a fixed number of workers."""

    def __init__(self, invoker: Invoker, *, workers: int = 4, retry_delay_scale: float = 1.0):
        self._invoker = invoker
        self._workers = workers
        self._scale = retry_delay_scale
        self._queue: asyncio.Queue[_Entry] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._timers: set[asyncio.Task[None]] = set()

    async def submit(self, request: InvocationRequest) -> None:
        """Queue an event."""
        self._queue.put_nowait(_Entry(request))

    def pending(self) -> int:
        """Events waiting, including those waiting for a retry."""
        return self._queue.qsize() + len(self._timers)

    def start(self) -> None:
        """Start the workers."""
        self._tasks = [asyncio.create_task(self._work()) for _ in range(self._workers)]

    async def close(self) -> None:
        """Stop the workers and drop retry timers."""
        for task in [*self._tasks, *self._timers]:
            task.cancel()
        for task in [*self._tasks, *self._timers]:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _work(self) -> None:
        while True:
            entry = await self._queue.get()
            try:
                await self._run(entry)
            except Exception:
                log.exception("async invocation of %s failed", entry.request.function_name)

    async def _run(self, entry: _Entry) -> None:
        try:
            result = await self._invoker.invoke(entry.request)
        except TooManyRequests:
            entry.throttles += 1
            self._later(entry, min(THROTTLE_BACKOFF_MAX, 2.0**entry.throttles) * self._scale)
            return
        except ApiError as exc:
            log.warning("async event for %s dropped: %s", entry.request.function_name, exc)
            return
        entry.attempts += 1
        if not result.ok and entry.attempts <= len(RETRY_DELAYS):
            self._later(entry, RETRY_DELAYS[entry.attempts - 1] * self._scale)

    def _later(self, entry: _Entry, delay: float) -> None:
        async def requeue() -> None:
            await asyncio.sleep(delay)
            self._queue.put_nowait(entry)

        task = asyncio.create_task(requeue())
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)
