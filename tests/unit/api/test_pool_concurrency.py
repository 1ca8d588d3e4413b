"""Concurrent invocations while environments are still starting: each environment serves one
invocation at a time, so none is ever handed to two callers (the environment's state machine
would refuse the second with busy -> busy)."""

from __future__ import annotations

import asyncio
from typing import Any

from emulator.environment import Environment
from tests.fakes import FakeContext
from tests.unit.api.conftest import AppFactory, function

INVOKE = "/2015-03-31/functions/Echo/invocations"


async def echo(event: Any, context: FakeContext) -> Any:
    await asyncio.sleep(0.01)
    return {"id": event["id"], "environment": context.environment_id}


async def test_a_request_arriving_as_a_new_environment_gets_ready_does_not_share_it(
    make_app: AppFactory,
) -> None:
    async with make_app(function("Echo", "app.echo"), {"app.echo": echo}) as running:
        pool = running.services.pool
        on_idle = pool._on_idle
        second: list[asyncio.Task[Any]] = []

        def idle_and_another_request(env: Environment) -> None:
            # The moment the first environment asks for work, before the request that started
            # it takes it, a second request comes in.
            if not second:
                second.append(
                    asyncio.ensure_future(running.client.post(INVOKE, json={"id": "second"}))
                )
            on_idle(env)

        pool._on_idle = idle_and_another_request  # type: ignore[method-assign]
        first = await running.client.post(INVOKE, json={"id": "first"})
        answers = [first, await second[0]]
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    bodies = [a.json() for a in answers]
    assert [b["id"] for b in bodies] == ["first", "second"]
    assert bodies[0]["environment"] != bodies[1]["environment"]
