"""The execution environment's state machine: legal moves happen, illegal ones raise."""

from __future__ import annotations

import asyncio

import pytest

from emulator.environment import (
    Environment,
    IllegalTransition,
    Invocation,
    State,
    UnknownRequest,
    exit_message,
)
from emulator.errors import EnvironmentFailed
from emulator.template.models import FunctionConfig

FUNCTION = FunctionConfig("Fn", "Fn", "app.handler", "python3.12", None)


def invocation(request_id: str) -> Invocation:
    return Invocation(request_id, b"{}", 0, "arn", "Root=1-0-0")


async def test_first_next_makes_a_starting_environment_idle() -> None:
    env = Environment("e", FUNCTION, "s")
    assert env.state is State.STARTING
    poll = asyncio.create_task(env.next_invocation())
    await asyncio.wait_for(env.wait_ready(), 1)
    assert env.state is State.IDLE
    poll.cancel()


async def test_invoking_a_starting_environment_is_illegal() -> None:
    env = Environment("e", FUNCTION, "s")
    with pytest.raises(IllegalTransition):
        await env.invoke(invocation("r"))


async def test_busy_until_the_runtime_asks_for_the_next_event() -> None:
    env = Environment("e", FUNCTION, "s")
    poll = asyncio.create_task(env.next_invocation())
    await env.wait_ready()
    invoke = asyncio.create_task(env.invoke(invocation("r1")))
    assert (await poll).request_id == "r1"
    env.post_response("r1", b"ok")
    assert (await invoke).payload == b"ok"
    assert env.state is State.BUSY and env.finishing
    poll = asyncio.create_task(env.next_invocation())
    await asyncio.sleep(0)
    assert env.state is State.IDLE
    poll.cancel()


async def test_exit_while_busy_fails_the_invocation_with_exit_error() -> None:
    env = Environment("e", FUNCTION, "s")
    poll = asyncio.create_task(env.next_invocation())
    await env.wait_ready()
    invoke = asyncio.create_task(env.invoke(invocation("r1")))
    await poll
    env.exited(-9)
    with pytest.raises(EnvironmentFailed) as failure:
        await invoke
    assert failure.value.error_type == "Runtime.ExitError"
    assert failure.value.message == "Runtime exited with error: signal: killed"
    assert env.state is State.FAILED
    env.stopped()
    assert env.state is State.STOPPED
    with pytest.raises(IllegalTransition):
        await env.invoke(invocation("r2"))


async def test_answer_for_a_request_not_being_served_raises() -> None:
    env = Environment("e", FUNCTION, "s")
    with pytest.raises(UnknownRequest):
        env.post_response("nobody", b"")


def test_exit_messages_match_lambdas_wording() -> None:
    assert exit_message(1) == "Runtime exited with error: exit status 1"
    assert exit_message(-9) == "Runtime exited with error: signal: killed"
