"""A warm environment serves invocations without end, so what it remembers of them is bounded:
a second answer to a recent request is still told apart from an unknown request."""

from __future__ import annotations

import asyncio

import pytest

from emulator.environment import (
    KEEP_ANSWERED,
    AlreadyAnswered,
    Environment,
    Invocation,
    UnknownRequest,
)
from emulator.template.models import FunctionConfig

FUNCTION = FunctionConfig("Fn", "Fn", "app.handler", "python3.12", None)


async def serve(env: Environment, request_id: str) -> None:
    poll = asyncio.create_task(env.next_invocation())
    await asyncio.sleep(0)
    invoke = asyncio.create_task(env.invoke(Invocation(request_id, b"{}", 0, "arn", "Root=1")))
    assert (await poll).request_id == request_id
    env.post_response(request_id, b"{}")
    await invoke


async def test_answered_ids_are_bounded_and_a_recent_one_is_already_answered() -> None:
    env = Environment("e", FUNCTION, "s")
    first_poll = asyncio.create_task(env.next_invocation())
    await env.wait_ready()
    first_poll.cancel()
    count = KEEP_ANSWERED * 3
    for index in range(count):
        await serve(env, f"r{index}")
    assert len(env._answered) == KEEP_ANSWERED
    with pytest.raises(AlreadyAnswered):
        env.post_response(f"r{count - 1}", b"again")
    with pytest.raises(UnknownRequest):
        env.post_response("r0", b"long ago")
