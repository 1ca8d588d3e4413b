"""The Runtime API of one environment, spoken to directly as a runtime client would.

Source: AWS Lambda developer guide, "Using the Lambda runtime API" (paths, headers, 202 on
response/error, error bodies {errorMessage, errorType}).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from emulator import wire
from emulator.api.runtime import RuntimeEndpoint
from emulator.environment import Environment, Invocation, State
from emulator.errors import EnvironmentFailed
from emulator.template.models import FunctionConfig

FUNCTION = FunctionConfig("Fn", "Fn", "app.handler", "python3.12", None)
INVOCATION = Invocation(
    request_id="req-1",
    payload=b'{"a": 1}',
    deadline_ms=1_700_000_003_000,
    function_arn="arn:aws:lambda:us-east-1:123456789012:function:Fn",
    trace_id="Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
    client_context='{"custom": {"k": "v"}}',
)


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[Environment, httpx.AsyncClient]]:
    env = Environment("env-1", FUNCTION, "stream")
    server = RuntimeEndpoint(env)
    port = await server.start()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        yield env, client
    await server.close()


async def _next_and_invoke(
    env: Environment, client: httpx.AsyncClient
) -> tuple[httpx.Response, asyncio.Task[object]]:
    poll = asyncio.create_task(client.get(wire.RUNTIME_NEXT))
    await asyncio.wait_for(env.wait_ready(), 5)
    invoke = asyncio.create_task(env.invoke(INVOCATION))
    return await poll, invoke


async def test_next_hands_over_the_event_with_lambdas_headers(endpoint) -> None:  # type: ignore[no-untyped-def]
    env, client = endpoint
    response, invoke = await _next_and_invoke(env, client)
    assert response.status_code == 200
    assert response.content == b'{"a": 1}'
    assert response.headers[wire.HEADER_REQUEST_ID] == "req-1"
    assert response.headers[wire.HEADER_DEADLINE_MS] == "1700000003000"
    assert response.headers[wire.HEADER_FUNCTION_ARN] == INVOCATION.function_arn
    assert response.headers[wire.HEADER_TRACE_ID] == INVOCATION.trace_id
    assert response.headers[wire.HEADER_CLIENT_CONTEXT] == '{"custom": {"k": "v"}}'
    assert wire.HEADER_COGNITO_IDENTITY not in response.headers
    invoke.cancel()


async def test_response_is_accepted_with_202_and_resolves_the_invocation(endpoint) -> None:  # type: ignore[no-untyped-def]
    env, client = endpoint
    _, invoke = await _next_and_invoke(env, client)
    posted = await client.post(f"{wire.RUNTIME_PREFIX}/invocation/req-1/response", content=b"42")
    reply = await asyncio.wait_for(invoke, 5)
    assert posted.status_code == 202
    assert (reply.payload, reply.is_error) == (b"42", False)  # type: ignore[attr-defined]


async def test_error_carries_the_error_type_header(endpoint) -> None:  # type: ignore[no-untyped-def]
    env, client = endpoint
    _, invoke = await _next_and_invoke(env, client)
    body = b'{"errorMessage": "bad", "errorType": "KeyError"}'
    posted = await client.post(
        f"{wire.RUNTIME_PREFIX}/invocation/req-1/error",
        content=body,
        headers={wire.HEADER_FUNCTION_ERROR_TYPE: "Unhandled.KeyError"},
    )
    reply = await asyncio.wait_for(invoke, 5)
    assert posted.status_code == 202
    assert reply.is_error and reply.error_type == "Unhandled.KeyError"  # type: ignore[attr-defined]
    assert reply.payload == body  # type: ignore[attr-defined]


async def test_unknown_request_id_is_400_invalid_request_id(endpoint) -> None:  # type: ignore[no-untyped-def]
    env, client = endpoint
    _, invoke = await _next_and_invoke(env, client)
    posted = await client.post(f"{wire.RUNTIME_PREFIX}/invocation/other/response", content=b"1")
    assert posted.status_code == 400
    assert posted.json() == {
        "errorMessage": "Invalid request ID: other",
        "errorType": "InvalidRequestID",
    }
    invoke.cancel()


async def test_answering_twice_is_refused(endpoint) -> None:  # type: ignore[no-untyped-def]
    env, client = endpoint
    _, invoke = await _next_and_invoke(env, client)
    path = f"{wire.RUNTIME_PREFIX}/invocation/req-1/response"
    first = await client.post(path, content=b"1")
    second = await client.post(path, content=b"2")
    assert (first.status_code, second.status_code) == (202, 400)
    assert second.json()["errorType"] == "InvalidStateTransition"
    assert (await invoke).payload == b"1"  # type: ignore[attr-defined]


async def test_response_over_6mb_is_413_and_fails_the_invocation(endpoint) -> None:  # type: ignore[no-untyped-def]
    env, client = endpoint
    _, invoke = await _next_and_invoke(env, client)
    path = f"{wire.RUNTIME_PREFIX}/invocation/req-1/response"
    posted = await client.post(path, content=b"x" * (7 * 1024 * 1024))
    reply = await asyncio.wait_for(invoke, 5)
    assert posted.status_code == 413
    assert reply.error_type == "Function.ResponseSizeTooLarge"  # type: ignore[attr-defined]


async def test_init_error_fails_the_environment_with_the_runtimes_payload(endpoint) -> None:  # type: ignore[no-untyped-def]
    env, client = endpoint
    body = b'{"errorMessage": "Unable to import module", "errorType": "Runtime.ImportModuleError"}'
    posted = await client.post(wire.RUNTIME_INIT_ERROR, content=body)
    assert posted.status_code == 202
    with pytest.raises(EnvironmentFailed) as failure:
        await env.wait_ready()
    assert failure.value.error_type == "Runtime.ImportModuleError"
    assert failure.value.payload == body
    assert env.state is State.FAILED


async def test_unknown_path_is_404_and_wrong_method_405(endpoint) -> None:  # type: ignore[no-untyped-def]
    _, client = endpoint
    assert (await client.get("/2018-06-01/runtime/nothing")).status_code == 405
    assert (await client.post("/2018-06-01/runtime/nothing")).status_code == 404
    assert (await client.post(wire.RUNTIME_NEXT)).status_code == 405
