"""The Invoke API against the fake backend: status codes, headers and bodies as Lambda sends them.

Source: AWS Lambda API reference, "Invoke" (response headers X-Amz-Function-Error,
X-Amz-Log-Result, X-Amz-Executed-Version; errors and their status codes).
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

from emulator.environment import Environment, State
from tests.fakes import FakeContext, FakeExit
from tests.unit.api.conftest import AppFactory, function

INVOKE = "/2015-03-31/functions/{}/invocations"


def hello(event: Any, context: FakeContext) -> Any:
    context.print(f"hello {event.get('name', 'world')}")
    return {"event": event, "environment": context.environment_id}


def fail(event: Any, context: FakeContext) -> Any:
    raise ValueError("failed on purpose")


async def slow(event: Any, context: FakeContext) -> Any:
    await asyncio.sleep(float(event.get("seconds", 5)))
    return {"environment": context.environment_id}


def crash(event: Any, context: FakeContext) -> Any:
    raise FakeExit(3)


HANDLERS = {"app.hello": hello, "app.fail": fail, "app.slow": slow, "app.crash": crash}


async def test_request_response_returns_payload_and_version(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        response = await running.client.post(INVOKE.format("Hello"), json={"name": "ada"})
    assert response.status_code == 200
    assert response.json()["event"] == {"name": "ada"}
    assert response.headers["X-Amz-Executed-Version"] == "$LATEST"
    assert "X-Amz-Function-Error" not in response.headers
    assert response.headers["x-amzn-RequestId"]


async def test_tail_returns_the_invocations_log_with_start_end_report(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        response = await running.client.post(
            INVOKE.format("Hello"), json={"name": "ada"}, headers={"X-Amz-Log-Type": "Tail"}
        )
    log = base64.b64decode(response.headers["X-Amz-Log-Result"]).decode()
    request_id = response.headers["x-amzn-RequestId"]
    lines = log.splitlines()
    assert lines[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert "hello ada" in lines
    assert f"END RequestId: {request_id}" in lines
    report = lines[-1]
    assert report.startswith(f"REPORT RequestId: {request_id}\tDuration: ")
    assert "\tMemory Size: 128 MB\tMax Memory Used: 42 MB\tInit Duration: " in report


async def test_function_error_is_200_with_unhandled_header(make_app: AppFactory) -> None:
    async with make_app(function("Fail", "app.fail"), HANDLERS) as running:
        response = await running.client.post(INVOKE.format("Fail"), json={})
    assert response.status_code == 200
    assert response.headers["X-Amz-Function-Error"] == "Unhandled"
    assert response.json() == {
        "errorMessage": "failed on purpose",
        "errorType": "ValueError",
        "stackTrace": [],
    }


async def test_timeout_fails_with_sandbox_timedout_and_replaces_the_environment(
    make_app: AppFactory,
) -> None:
    async with make_app(function("Slow", "app.slow", Timeout=1), HANDLERS) as running:
        first = await running.client.post(INVOKE.format("Slow"), json={"seconds": 5})
        second = await running.client.post(INVOKE.format("Slow"), json={"seconds": 0})
    assert first.headers["X-Amz-Function-Error"] == "Unhandled"
    body = first.json()
    assert body["errorType"] == "Sandbox.Timedout"
    request_id = first.headers["x-amzn-RequestId"]
    assert body["errorMessage"].startswith(
        f"RequestId: {request_id} Error: Task timed out after 1."
    )
    assert second.status_code == 200 and "X-Amz-Function-Error" not in second.headers
    assert len(running.backend.started) == 2


async def test_runtime_exit_is_runtime_exit_error_and_next_call_gets_a_new_environment(
    make_app: AppFactory,
) -> None:
    resources = function("Crash", "app.crash") + function("Hello", "app.hello")
    async with make_app(resources, HANDLERS) as running:
        crashed = await running.client.post(INVOKE.format("Crash"), json={})
        again = await running.client.post(INVOKE.format("Crash"), json={})
    assert crashed.json() == {
        "errorType": "Runtime.ExitError",
        "errorMessage": (
            f"RequestId: {crashed.headers['x-amzn-RequestId']} Error: "
            "Runtime exited with error: exit status 3"
        ),
    }
    assert again.json()["errorType"] == "Runtime.ExitError"
    assert len(running.backend.started) == 2


async def test_warm_environment_is_reused(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        first = await running.client.post(INVOKE.format("Hello"), json={})
        second = await running.client.post(INVOKE.format("Hello"), json={})
    assert first.json()["environment"] == second.json()["environment"]
    assert len(running.backend.started) == 1


async def test_parallel_invocations_scale_out_to_several_environments(make_app: AppFactory) -> None:
    async with make_app(function("Slow", "app.slow"), HANDLERS) as running:
        responses = await asyncio.gather(
            *(running.client.post(INVOKE.format("Slow"), json={"seconds": 0.3}) for _ in range(3))
        )
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["environment"] for r in responses}) == 3


async def test_over_reserved_concurrency_is_throttled_with_429(make_app: AppFactory) -> None:
    resources = function("Slow", "app.slow", ReservedConcurrentExecutions=1)
    async with make_app(resources, HANDLERS) as running:
        busy = asyncio.create_task(
            running.client.post(INVOKE.format("Slow"), json={"seconds": 0.5})
        )
        await asyncio.sleep(0.2)
        throttled = await running.client.post(INVOKE.format("Slow"), json={"seconds": 0})
        await busy
    assert throttled.status_code == 429
    assert throttled.headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    assert throttled.json()["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert throttled.json()["Type"] == "User"


async def test_reserved_concurrency_zero_throttles_every_call(make_app: AppFactory) -> None:
    resources = function("Hello", "app.hello", ReservedConcurrentExecutions=0)
    async with make_app(resources, HANDLERS) as running:
        response = await running.client.post(INVOKE.format("Hello"), json={})
    assert response.status_code == 429


async def test_dry_run_is_204_and_runs_nothing(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        response = await running.client.post(
            INVOKE.format("Hello"), json={}, headers={"X-Amz-Invocation-Type": "DryRun"}
        )
    assert response.status_code == 204
    assert running.backend.started == []


async def test_event_is_202_and_the_function_runs_later(make_app: AppFactory) -> None:
    seen: list[Any] = []

    def record(event: Any, context: FakeContext) -> Any:
        seen.append(event)
        return None

    async with make_app(function("Record", "app.record"), {"app.record": record}) as running:
        response = await running.client.post(
            INVOKE.format("Record"), json={"n": 1}, headers={"X-Amz-Invocation-Type": "Event"}
        )
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.02)
    assert response.status_code == 202
    assert response.content == b""
    assert seen == [{"n": 1}]


async def test_unknown_function_is_404_resource_not_found(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        response = await running.client.post(INVOKE.format("Nope"), json={})
    assert response.status_code == 404
    assert response.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert response.json()["Message"] == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:Nope"
    )


async def test_function_named_by_arn_and_latest_qualifier(make_app: AppFactory) -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:Hello"
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        by_arn = await running.client.post(INVOKE.format(arn), json={})
        latest = await running.client.post(
            INVOKE.format("Hello"), params={"Qualifier": "$LATEST"}, json={}
        )
        other = await running.client.post(
            INVOKE.format("Hello"), params={"Qualifier": "3"}, json={}
        )
    assert by_arn.status_code == 200 and latest.status_code == 200
    assert other.status_code == 404


async def test_payload_that_is_not_json_is_400(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        response = await running.client.post(INVOKE.format("Hello"), content=b"{not json")
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "InvalidRequestContentException"


async def test_empty_payload_reaches_the_function_as_an_empty_object(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        response = await running.client.post(INVOKE.format("Hello"), content=b"")
    assert response.json()["event"] == {}


async def test_payload_limits_are_6mb_sync_and_1mb_async(make_app: AppFactory) -> None:
    sync_body = json.dumps("x" * (6 * 1024 * 1024)).encode()
    async_body = json.dumps("x" * (1024 * 1024)).encode()
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        too_big = await running.client.post(INVOKE.format("Hello"), content=sync_body)
        too_big_async = await running.client.post(
            INVOKE.format("Hello"), content=async_body, headers={"X-Amz-Invocation-Type": "Event"}
        )
    assert too_big.status_code == 413
    assert too_big.headers["x-amzn-ErrorType"] == "RequestTooLargeException"
    assert too_big_async.status_code == 413


async def test_init_error_is_returned_as_the_function_error(make_app: AppFactory) -> None:
    async with make_app(function("Missing", "app.missing"), HANDLERS) as running:
        response = await running.client.post(INVOKE.format("Missing"), json={})
    assert response.headers["X-Amz-Function-Error"] == "Unhandled"
    assert response.json()["errorType"] == "Runtime.HandlerNotFound"


async def test_unknown_invocation_type_is_400(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        response = await running.client.post(
            INVOKE.format("Hello"), json={}, headers={"X-Amz-Invocation-Type": "Sometimes"}
        )
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "InvalidParameterValueException"


async def test_list_and_get_function_describe_the_configuration(make_app: AppFactory) -> None:
    resources = function("Hello", "app.hello", Timeout=7, MemorySize=256)
    async with make_app(resources, HANDLERS) as running:
        listing = await running.client.get("/2015-03-31/functions/")
        one = await running.client.get("/2015-03-31/functions/Hello")
    [config] = listing.json()["Functions"]
    assert config["FunctionName"] == "Hello"
    assert config["FunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:Hello"
    assert (config["Runtime"], config["Handler"]) == ("python3.12", "app.hello")
    assert (config["Timeout"], config["MemorySize"]) == (7, 256)
    assert one.json()["Configuration"] == config


async def _until_idle(env: Environment) -> None:
    # An environment is idle again once its runtime asks for the next event, which can come
    # a few turns of the loop after the answer. Bounded wait.
    for _ in range(1000):
        if env.state is State.IDLE:
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"environment still {env.state.value}")


async def test_idle_environments_are_reaped_after_the_idle_timeout(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS, idle_timeout=3600) as running:
        await running.client.post(INVOKE.format("Hello"), json={})
        pool = running.services.pool
        await _until_idle(pool.environments("Hello")[0])
        assert await pool.reap() == 0
        assert len(pool.environments("Hello")) == 1
        pool.settings = type(pool.settings)(region="us-east-1", idle_timeout=0.0)
        assert await pool.reap() == 1
        assert pool.environments("Hello") == []
