"""Per-function execution environments: warm reuse, scale-out to the concurrency limit,
throttling past it, and reaping of idle ones.

`async with pool.lease(function) as lease:` hands out an environment that is ready to serve;
it goes back to the pool on success and is destroyed when the block raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator import wire
from emulator.api.runtime import RuntimeEndpoint
from emulator.backends.base import Backend, EnvironmentSpec, Running
from emulator.clock import Clock
from emulator.environment import Environment, State
from emulator.errors import BackendError, EnvironmentFailed, TooManyRequests
from emulator.template.models import FunctionConfig


@dataclass(frozen=True)
class PoolSettings:
    """How many environments a function may have and how long they live."""

    region: str
    default_concurrency: int = 10
    idle_timeout: float = 300.0
    init_timeout: float = 10.0


@dataclass(frozen=True)
class Lease:
    """An environment handed out for one invocation, and whether it was started for it."""

    environment: Environment
    running: Running
    cold: bool
    init_duration_ms: float | None

    def max_memory_mb(self) -> int:
        """Peak memory of the environment so far."""
        return self.running.max_memory_mb()


@dataclass
class _Slot:
    """A started environment and what the pool holds for it."""

    environment: Environment
    endpoint: RuntimeEndpoint
    running: Running | None = None
    watcher: asyncio.Task[None] | None = None
    generation: int = 0
    idle_since: float = 0.0
    destroyed: bool = False


@dataclass
class _Function:
    slots: dict[str, _Slot] = field(default_factory=dict)
    idle: list[_Slot] = field(default_factory=list)
    waiters: list[tuple[FunctionConfig, asyncio.Future[_Slot]]] = field(default_factory=list)
    generation: int = 0

    def finishing(self) -> bool:
        return any(slot.environment.finishing for slot in self.slots.values())


# A runtime that has answered is back at /next within microseconds; waiting this long for it
# beats a cold start. Lambda itself only reuses an environment once it asks for the next event.
FINISH_GRACE_SECONDS = 0.25


class Pool:
    """Every function's execution environments."""

    def __init__(
        self,
        backend: Backend,
        settings: PoolSettings,
        *,
        clock: Clock,
        credentials: Callable[[FunctionConfig], Mapping[str, str]],
        endpoints: Callable[[FunctionConfig], Mapping[str, str]],
        on_line: Callable[[Environment, str], None],
    ) -> None:
        self.backend = backend
        self.settings = settings
        self._clock = clock
        self._credentials = credentials
        self._endpoints = endpoints
        self._on_line = on_line
        self._functions: dict[str, _Function] = {}
        self._reaper: asyncio.Task[None] | None = None
        self._background: set[asyncio.Future[None]] = set()

    def _of(self, function: FunctionConfig) -> _Function:
        return self._functions.setdefault(function.function_name, _Function())

    def limit(self, function: FunctionConfig) -> int:
        """How many environments the function may run at once."""
        if function.reserved_concurrency is not None:
            return function.reserved_concurrency
        return self.settings.default_concurrency

    def environments(self, function_name: str) -> list[Environment]:
        """The function's live environments (for the admin API and tests)."""
        held = self._functions.get(function_name)
        return [slot.environment for slot in held.slots.values()] if held else []

    @contextlib.asynccontextmanager
    async def lease(self, function: FunctionConfig) -> AsyncIterator[Lease]:
        """An environment ready to serve `function`; raises TooManyRequests at the limit."""
        held = self._of(function)
        slot = self._take_idle(function, held)
        if slot is None and held.finishing():
            slot = await self._await_finishing(function, held)
        cold, init_ms = slot is None, None
        if slot is None:
            slot = self._reserve(function, held)
            init_ms = await self._boot(slot)
        assert slot.running is not None
        lease = Lease(slot.environment, slot.running, cold, init_ms)
        slot.environment.leased = True
        try:
            yield lease
        except BaseException:
            await self._destroy(slot)
            raise
        finally:
            slot.environment.leased = False
        self._release(slot)

    def _take_idle(self, function: FunctionConfig, held: _Function) -> _Slot | None:
        while held.idle:
            slot = held.idle.pop()
            env = slot.environment
            if env.state is State.IDLE and env.function == function and not slot.destroyed:
                return slot
            if env.function != function and not slot.destroyed:
                self._spawn(self._destroy(slot))
        return None

    async def _await_finishing(self, function: FunctionConfig, held: _Function) -> _Slot | None:
        entry = (function, asyncio.get_running_loop().create_future())
        held.waiters.append(entry)
        try:
            return await asyncio.wait_for(entry[1], FINISH_GRACE_SECONDS)
        except TimeoutError:
            return None
        finally:
            if entry in held.waiters:
                held.waiters.remove(entry)

    def _reserve(self, function: FunctionConfig, held: _Function) -> _Slot:
        limit = self.limit(function)
        if len(held.slots) >= limit:
            reason = (
                "ReservedFunctionConcurrentInvocationLimitExceeded"
                if function.reserved_concurrency is not None
                else "ConcurrentInvocationLimitExceeded"
            )
            raise TooManyRequests("Rate Exceeded.", reason=reason)
        environment_id = uuid.uuid4().hex
        day = time.strftime("%Y/%m/%d", time.gmtime(self._clock.time()))
        stream = f"{day}/[{wire.LATEST}]{environment_id}"
        env = Environment(
            environment_id, function, stream, on_idle=self._on_idle, on_line=self._on_line
        )
        # Reserved for whoever boots it: when its runtime first asks for work, it must not be
        # parked and handed to another lease while the booter has yet to resume.
        env.leased = True
        slot = _Slot(env, RuntimeEndpoint(env), generation=held.generation)
        held.slots[environment_id] = slot
        return slot

    async def _boot(self, slot: _Slot) -> float:
        """Start the slot's environment and wait for its runtime; destroys it on failure."""
        env = slot.environment
        started = self._clock.monotonic()
        try:
            port = await slot.endpoint.start(self.backend.runtime_api_bind_host)
            spec = EnvironmentSpec(
                environment_id=env.environment_id,
                function=env.function,
                runtime_api_port=port,
                log_stream_name=env.log_stream_name,
                region=self.settings.region,
                credentials=self._credentials(env.function),
                endpoints=self._endpoints(env.function),
            )
            slot.running = await self.backend.start(spec, env.log_line)
            slot.watcher = asyncio.create_task(self._watch(slot, slot.running))
            await asyncio.wait_for(env.wait_ready(), self.settings.init_timeout)
        except TimeoutError:
            await self._destroy(slot)
            message = f"INIT phase timed out after {self.settings.init_timeout:.2f} seconds"
            failure = EnvironmentFailed(wire.SANDBOX_TIMEDOUT, message)
            failure.output = list(env.init_lines)
            raise failure from None
        except EnvironmentFailed as failure:
            if slot.running is not None:
                await slot.running.drain_output()
            await self._destroy(slot)
            failure.output = list(env.init_lines)
            raise
        except BaseException:
            await self._destroy(slot)
            raise
        return (self._clock.monotonic() - started) * 1000

    async def _watch(self, slot: _Slot, running: Running) -> None:
        try:
            code = await running.wait()
        except BackendError:
            code = None
        slot.environment.exited(code)
        await self._destroy(slot)

    def _on_idle(self, env: Environment) -> None:
        held = self._functions.get(env.function.function_name)
        slot = held.slots.get(env.environment_id) if held else None
        if slot is not None and not env.leased:
            self._park(held, slot)  # type: ignore[arg-type]

    def _release(self, slot: _Slot) -> None:
        held = self._functions.get(slot.environment.function.function_name)
        if held is None or slot.destroyed:
            return
        if slot.generation != held.generation:
            self._spawn(self._destroy(slot))
        elif slot.environment.state is State.IDLE:
            self._park(held, slot)

    def _park(self, held: _Function, slot: _Slot) -> None:
        if slot.generation != held.generation:
            self._spawn(self._destroy(slot))
            return
        slot.idle_since = self._clock.monotonic()
        for entry in list(held.waiters):
            function, waiter = entry
            if not waiter.done() and slot.environment.function == function:
                held.waiters.remove(entry)
                waiter.set_result(slot)
                return
        if slot not in held.idle:
            held.idle.append(slot)

    async def _destroy(self, slot: _Slot) -> None:
        if slot.destroyed:
            return
        slot.destroyed = True
        env = slot.environment
        held = self._functions.get(env.function.function_name)
        if held is not None:
            held.slots.pop(env.environment_id, None)
            if slot in held.idle:
                held.idle.remove(slot)
        if slot.running is not None:
            with contextlib.suppress(BackendError):
                await self.backend.stop(slot.running)
        env.stopped()
        await slot.endpoint.close()
        if slot.watcher is not None and slot.watcher is not asyncio.current_task():
            slot.watcher.cancel()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def prewarm(self, function: FunctionConfig) -> None:
        """Start one environment for `function` ahead of its first invocation."""
        held = self._of(function)
        slot = self._reserve(function, held)
        await self._boot(slot)
        slot.environment.leased = False
        self._release(slot)

    async def drain(self, function_name: str) -> None:
        """Retire the function's environments: idle ones now, busy ones when they finish."""
        held = self._functions.get(function_name)
        if held is None:
            return
        held.generation += 1
        # An environment that has answered and is only on its way back to /next serves nobody:
        # retire it now with the idle ones, so a drain is complete when it returns.
        done = [
            slot
            for slot in held.slots.values()
            if slot in held.idle or (slot.environment.finishing and not slot.environment.leased)
        ]
        for slot in done:
            await self._destroy(slot)

    def start_reaper(self) -> None:
        """Begin stopping environments idle for longer than the idle timeout."""
        if self._reaper is None:
            self._reaper = asyncio.create_task(self._reap_forever())

    async def _reap_forever(self) -> None:
        interval = max(0.05, min(self.settings.idle_timeout / 2, 5.0))
        while True:
            await asyncio.sleep(interval)
            await self.reap()

    async def reap(self) -> int:
        """Stop idle environments past the idle timeout; returns how many were stopped."""
        cutoff = self._clock.monotonic() - self.settings.idle_timeout
        stale = [
            slot
            for held in self._functions.values()
            for slot in held.idle
            if slot.idle_since <= cutoff
        ]
        for slot in stale:
            await self._destroy(slot)
        return len(stale)

    async def close(self) -> None:
        """Stop the reaper and every environment, then the backend."""
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        slots = [slot for held in self._functions.values() for slot in held.slots.values()]
        await asyncio.gather(*(self._destroy(slot) for slot in slots), return_exceptions=True)
        await self.backend.close()
