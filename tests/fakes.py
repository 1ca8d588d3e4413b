"""A fake backend for API tests: each 'environment' is a task in the test's own event loop that
speaks the real Runtime API over loopback, running plain Python callables as handlers."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from emulator import wire
from emulator.backends.base import EnvironmentSpec, LineSink

Handler = Callable[[Any, "FakeContext"], Any]


class FakeExit(Exception):
    """Raised by a fake handler to make its environment exit with `code`."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class FakeContext:
    """The little of Lambda's context the fake handlers need."""

    aws_request_id: str
    deadline_ms: int
    function_arn: str
    environment_id: str
    print: Callable[[str], None]


class FakeRunning:
    """One fake environment: a task running the fake runtime loop."""

    def __init__(self, task: asyncio.Task[int]) -> None:
        self.task = task

    async def wait(self) -> int | None:
        try:
            return await asyncio.shield(self.task)
        except asyncio.CancelledError:
            return -9

    def max_memory_mb(self) -> int:
        return 42

    async def drain_output(self) -> None:
        return None


@dataclass
class FakeBackend:
    """Runs handlers, keyed by their `Handler` string, in-process."""

    handlers: dict[str, Handler]
    name: str = "fake"
    runtime_api_bind_host: str = "127.0.0.1"
    started: list[EnvironmentSpec] = field(default_factory=list)
    running: set[FakeRunning] = field(default_factory=set)

    async def start(self, spec: EnvironmentSpec, on_line: LineSink) -> FakeRunning:
        self.started.append(spec)
        task = asyncio.create_task(self._runtime(spec, on_line))
        running = FakeRunning(task)
        self.running.add(running)
        return running

    async def stop(self, running: FakeRunning) -> None:
        self.running.discard(running)
        running.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await running.task

    async def close(self) -> None:
        for running in list(self.running):
            await self.stop(running)

    async def _runtime(self, spec: EnvironmentSpec, on_line: LineSink) -> int:
        base = f"http://127.0.0.1:{spec.runtime_api_port}"
        async with httpx.AsyncClient(base_url=base, timeout=None) as client:
            handler = self.handlers.get(spec.function.handler or "")
            if handler is None:
                error = {"errorMessage": "no such handler", "errorType": "Runtime.HandlerNotFound"}
                await client.post(wire.RUNTIME_INIT_ERROR, json=error)
                return 1
            while True:
                code = await self._one(client, handler, spec, on_line)
                if code is not None:
                    return code

    async def _one(
        self, client: httpx.AsyncClient, handler: Handler, spec: EnvironmentSpec, on_line: LineSink
    ) -> int | None:
        response = await client.get(wire.RUNTIME_NEXT)
        request_id = response.headers[wire.HEADER_REQUEST_ID]
        context = FakeContext(
            aws_request_id=request_id,
            deadline_ms=int(response.headers[wire.HEADER_DEADLINE_MS]),
            function_arn=response.headers[wire.HEADER_FUNCTION_ARN],
            environment_id=spec.environment_id,
            print=on_line,
        )
        prefix = f"{wire.RUNTIME_PREFIX}/invocation/{request_id}"
        try:
            result = handler(json.loads(response.content), context)
            if inspect.isawaitable(result):
                result = await result
        except FakeExit as exc:
            return exc.code
        except Exception as exc:
            error = {"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": []}
            await client.post(f"{prefix}/error", json=error)
            return None
        await client.post(f"{prefix}/response", content=json.dumps(result).encode())
        return None


class FakeClock:
    """A clock the test moves by hand; wall time starts at a fixed instant."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.mono = 1000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.mono += seconds
