"""The environment pool hands an environment to one lease at a time, even while it boots."""

from __future__ import annotations

import asyncio

from emulator.backends.base import EnvironmentSpec, LineSink
from emulator.environment import Environment, State
from emulator.pool import Pool, PoolSettings
from emulator.template.models import FunctionConfig
from tests.fakes import FakeClock

FUNCTION = FunctionConfig("Fn", "Fn", "app.handler", "python3.12", None)


class _Held:
    """An environment that runs nothing: the test plays its runtime by calling the
    environment's Runtime API methods itself."""

    def __init__(self) -> None:
        self.ended = asyncio.Event()

    async def wait(self) -> int | None:
        await self.ended.wait()
        return 0

    def max_memory_mb(self) -> int:
        return 0

    async def drain_output(self) -> None:
        return None


class _HeldBackend:
    name = "held"
    runtime_api_bind_host = "127.0.0.1"

    async def start(self, spec: EnvironmentSpec, on_line: LineSink) -> _Held:
        return _Held()

    async def stop(self, running: _Held) -> None:  # type: ignore[override]
        running.ended.set()

    async def close(self) -> None:
        return None


def _pool() -> Pool:
    return Pool(
        _HeldBackend(),
        PoolSettings(region="us-east-1"),
        clock=FakeClock(),
        credentials=lambda function: {},
        endpoints=lambda function: {},
        on_line=lambda env, line: None,
    )


async def _turns(count: int = 50) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


async def _hold(pool: Pool, name: str, leased: dict[str, Environment]) -> None:
    async with pool.lease(FUNCTION) as lease:
        leased[name] = lease.environment
        await asyncio.Event().wait()


async def test_an_environment_booting_for_a_lease_is_not_handed_to_another() -> None:
    pool = _pool()
    leased: dict[str, Environment] = {}
    first = asyncio.create_task(_hold(pool, "first", leased))
    await _turns()
    (booting,) = pool.environments("Fn")
    assert booting.state is State.STARTING
    # Its runtime asks for work: the environment is ready, and it is the first lease's.
    runtime = asyncio.create_task(booting.next_invocation())
    await asyncio.sleep(0)
    second = asyncio.create_task(_hold(pool, "second", leased))
    await _turns()
    assert leased == {"first": booting}
    assert len(pool.environments("Fn")) == 2
    for task in (first, second, runtime):
        task.cancel()
    await asyncio.gather(first, second, runtime, return_exceptions=True)
    await pool.close()


async def test_a_prewarmed_environment_serves_the_next_lease_warm() -> None:
    pool = _pool()
    prewarm = asyncio.create_task(pool.prewarm(FUNCTION))
    await _turns()
    (env,) = pool.environments("Fn")
    runtime = asyncio.create_task(env.next_invocation())
    await asyncio.wait_for(prewarm, 5)
    async with pool.lease(FUNCTION) as lease:
        assert (lease.environment, lease.cold) == (env, False)
    runtime.cancel()
    await asyncio.gather(runtime, return_exceptions=True)
    await pool.close()
