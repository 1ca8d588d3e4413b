"""The admin API's view of the async queue and the schedules, driving the real app in-process.

Sources, named per test:
- [INVOKE] AWS Lambda API reference, "Invoke": `Event` is answered 202; a payload over the
  asynchronous quota (1 MB, "Lambda quotas") is 413 RequestTooLargeException.
- [RETRIES] Lambda Developer Guide, "How Lambda handles errors and retries with asynchronous
  invocation".
- [OURS] The admin API's shapes (`/_lambdock/async-events`, `/_lambdock/schedules`) are
  lambdock's own; the README documents them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from tests.fakes import FakeContext
from tests.unit.api.conftest import AppFactory, Running, function

INVOKE = "/2015-03-31/functions/{}/invocations"
EVENT = {"X-Amz-Invocation-Type": "Event"}
TIMES = ("acceptedAt", "updatedAt", "nextAttemptAt")


def ok(event: Any, context: FakeContext) -> Any:
    return {"got": event}


def fail(event: Any, context: FakeContext) -> Any:
    raise ValueError("failed on purpose")


HANDLERS = {"app.ok": ok, "app.fail": fail}


async def wait_for(
    client: httpx.AsyncClient, check: Callable[[dict[str, Any]], bool], url: str
) -> dict[str, Any]:
    """Poll an admin URL until `check` holds: at most 250 looks, 20 ms apart."""
    body: dict[str, Any] = {}
    for _ in range(250):
        body = (await client.get(url)).json()
        if check(body):
            return body
        await asyncio.sleep(0.02)
    raise AssertionError(f"never reached the expected state: {body}")


def without_times(view: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in view.items() if key not in TIMES}


async def submit(running: Running, name: str, payload: Any) -> str:
    response = await running.client.post(INVOKE.format(name), json=payload, headers=EVENT)
    assert response.status_code == 202
    return response.headers["x-amzn-RequestId"]


def finished(request_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda body: any(
        e["requestId"] == request_id and e["state"] in ("succeeded", "failed")
        for e in body["events"]
    )


async def test_a_succeeded_event_is_listed_with_its_one_attempt(make_app: AppFactory) -> None:
    async with make_app(function("Ok", "app.ok"), HANDLERS) as running:
        request_id = await submit(running, "Ok", {"n": 1})
        body = await wait_for(running.client, finished(request_id), "/_lambdock/async-events")
    assert body["counts"] == {
        "queued": 0,
        "running": 0,
        "retrying": 0,
        "succeeded": 1,
        "failed": 0,
    }
    assert [without_times(e) for e in body["events"]] == [
        {
            "requestId": request_id,
            "functionName": "Ok",
            "source": "invoke",
            "state": "succeeded",
            "attempts": 1,
            "throttles": 0,
            "lastError": None,
            "condition": "Success",
        }
    ]
    assert body["events"][0]["nextAttemptAt"] is None
    assert body["deliveries"] == []


async def test_a_failed_event_shows_its_attempts_and_last_error(make_app: AppFactory) -> None:
    # [RETRIES] MaximumRetryAttempts 1: two attempts in all
    resources = """\
    Fail:
      Type: AWS::Serverless::Function
      Properties:
        Handler: app.fail
        Runtime: python3.12
        CodeUri: src
        EventInvokeConfig:
          MaximumRetryAttempts: 1
    """
    async with make_app(resources, HANDLERS, retry_delay_scale=0.001) as running:
        request_id = await submit(running, "Fail", {"n": 1})
        await wait_for(running.client, finished(request_id), "/_lambdock/async-events")
        failed = (await running.client.get("/_lambdock/async-events?state=failed")).json()
        detail = (await running.client.get(f"/_lambdock/async-events/{request_id}")).json()
    assert [without_times(e) for e in failed["events"]] == [
        {
            "requestId": request_id,
            "functionName": "Fail",
            "source": "invoke",
            "state": "failed",
            "attempts": 2,
            "throttles": 0,
            "lastError": "ValueError: failed on purpose",
            "condition": "RetriesExhausted",
        }
    ]
    assert (detail["payload"], detail["functionError"]) == ({"n": 1}, "Unhandled")
    assert detail["response"] == {
        "errorMessage": "failed on purpose",
        "errorType": "ValueError",
        "stackTrace": [],
    }


async def test_an_unknown_state_filter_is_400(make_app: AppFactory) -> None:
    async with make_app(function("Ok", "app.ok"), HANDLERS) as running:
        response = await running.client.get("/_lambdock/async-events?state=lost")
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "InvalidParameterValueException"
    assert response.json()["Message"] == (
        "state must be one of queued, running, retrying, succeeded, failed"
    )


async def test_an_unknown_async_event_is_404(make_app: AppFactory) -> None:
    async with make_app(function("Ok", "app.ok"), HANDLERS) as running:
        response = await running.client.get("/_lambdock/async-events/nope")
    assert response.status_code == 404
    assert response.json()["Message"] == "Async event not found: nope"


async def test_an_event_payload_over_1_mb_is_413(make_app: AppFactory) -> None:
    # [INVOKE]
    payload = '{"blob": "' + "x" * (1024 * 1024) + '"}'
    async with make_app(function("Ok", "app.ok"), HANDLERS) as running:
        response = await running.client.post(INVOKE.format("Ok"), content=payload, headers=EVENT)
        listed = (await running.client.get("/_lambdock/async-events")).json()
    assert response.status_code == 413
    assert response.headers["x-amzn-ErrorType"] == "RequestTooLargeException"
    assert listed["events"] == []


SCHEDULED = """\
Tick:
  Type: AWS::Serverless::Function
  Properties:
    Handler: app.record
    Runtime: python3.12
    CodeUri: src
    Events:
      Hourly:
        Type: Schedule
        Properties:
          Schedule: rate(1 hour)
          Name: hourly
      Paused:
        Type: Schedule
        Properties:
          Schedule: cron(0 3 ? * MON-FRI *)
          Name: paused
          Enabled: false
"""


async def test_schedules_are_listed_with_their_next_firing(make_app: AppFactory) -> None:
    async with make_app(SCHEDULED, {"app.record": ok}) as running:
        body = (await running.client.get("/_lambdock/schedules")).json()
    hourly, paused = body["schedules"]
    assert hourly["nextFiring"].endswith("Z")
    assert {**hourly, "nextFiring": None} == {
        "name": "hourly",
        "arn": "arn:aws:events:us-east-1:123456789012:rule/hourly",
        "type": "Schedule",
        "functionName": "Tick",
        "eventName": "Hourly",
        "expression": "rate(1 hour)",
        "timezone": None,
        "enabled": True,
        "nextFiring": None,
    }
    assert (paused["enabled"], paused["nextFiring"]) == (False, None)


async def test_a_schedule_fired_by_hand_runs_its_function_with_the_scheduled_event(
    make_app: AppFactory,
) -> None:
    seen: list[Any] = []

    def record(event: Any, context: FakeContext) -> Any:
        seen.append(event)

    async with make_app(SCHEDULED, {"app.record": record}) as running:
        response = await running.client.post("/_lambdock/schedules/paused/fire")
        request_id = response.json()["requestId"]
        body = await wait_for(running.client, finished(request_id), "/_lambdock/async-events")
    assert response.status_code == 202
    assert response.json()["schedule"]["name"] == "paused"
    [event] = body["events"]
    assert (event["source"], event["state"]) == ("schedule", "succeeded")
    [payload] = seen
    assert payload["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/paused"]
    assert (payload["source"], payload["detail-type"]) == ("aws.events", "Scheduled Event")


async def test_firing_an_unknown_schedule_is_404(make_app: AppFactory) -> None:
    async with make_app(SCHEDULED, {"app.record": ok}) as running:
        response = await running.client.post("/_lambdock/schedules/nope/fire")
    assert response.status_code == 404
    assert response.json()["Message"] == "Schedule not found: nope"


async def test_an_event_cut_off_by_a_stop_runs_after_the_next_start(make_app: AppFactory) -> None:
    # At-least-once: the first app stops while the attempt hangs; the second runs it again.
    started = asyncio.Event()

    async def hang(event: Any, context: FakeContext) -> Any:
        started.set()
        await asyncio.sleep(60)

    async with make_app(function("Work", "app.work"), {"app.work": hang}) as running:
        request_id = await submit(running, "Work", {"n": 1})
        await asyncio.wait_for(started.wait(), 5)
    async with make_app(function("Work", "app.work"), {"app.work": ok}) as running:
        body = await wait_for(running.client, finished(request_id), "/_lambdock/async-events")
    [event] = body["events"]
    assert (event["requestId"], event["state"], event["attempts"]) == (
        request_id,
        "succeeded",
        1,
    )
