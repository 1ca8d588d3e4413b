"""An environment serves a request id again: Lambda retries an async event with the same id.

Source: AWS Knowledge Center, "How do I prevent duplicate Lambda function invocations?" (retried
asynchronous invocations carry the same request ID).
"""

from __future__ import annotations

import asyncio

from emulator.environment import Environment, Invocation, State
from emulator.template.models import FunctionConfig

FUNCTION = FunctionConfig("Fn", "Fn", "app.handler", "python3.12", None)


async def test_a_retried_request_id_is_served_again_by_the_same_environment() -> None:
    env = Environment("e", FUNCTION, "s")
    poll = asyncio.create_task(env.next_invocation())
    await env.wait_ready()
    for attempt in (b"first", b"second"):
        invoke = asyncio.create_task(env.invoke(Invocation("r1", b"{}", 0, "arn", "Root=1-0-0")))
        assert (await poll).request_id == "r1"
        env.post_error("r1", attempt, "ValueError")
        assert (await invoke).payload == attempt
        poll = asyncio.create_task(env.next_invocation())
        await asyncio.sleep(0)
        assert env.state is State.IDLE
    poll.cancel()
