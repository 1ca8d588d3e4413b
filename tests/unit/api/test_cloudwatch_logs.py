"""The CloudWatch Logs calls `aws logs tail` makes (AWS JSON 1.1, `X-Amz-Target:
Logs_20140328.<Operation>`; CloudWatch Logs API reference: FilterLogEvents, GetLogEvents,
DescribeLogStreams, DescribeLogGroups), and the term syntax of filter patterns (CloudWatch Logs
User Guide, "Filter pattern syntax for metric filters, subscription filters, and filter log
events": terms all match, `?term` any of, `-term` none of, "quoted phrase")."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.api.cloudwatch_logs import pattern_matches
from tests.fakes import FakeContext
from tests.unit.api.conftest import AppFactory, function

INVOKE = "/2015-03-31/functions/{}/invocations"


def hello(event: Any, context: FakeContext) -> Any:
    context.print(f"order {event['order']} {event.get('state', 'done')}")
    return {}


HANDLERS = {"app.hello": hello}


async def call(client: Any, operation: str, body: dict[str, Any]) -> Any:
    return await client.post(
        "/",
        json=body,
        headers={
            "X-Amz-Target": f"Logs_20140328.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )


async def invoke(client: Any, event: dict[str, Any]) -> str:
    response = await client.post(INVOKE.format("Hello"), json=event)
    request_id: str = response.headers["x-amzn-RequestId"]
    return request_id


@pytest.mark.parametrize(
    ("pattern", "matched"),
    [
        ("", [True, True, True]),
        ("ERROR", [True, False, False]),
        ("ERROR order", [True, False, False]),
        ('"order 2"', [False, True, False]),
        ("?ERROR ?WARN", [True, False, True]),
        ("order -ERROR", [False, True, False]),
        ("error", [False, False, False]),
    ],
)
def test_filter_patterns_match_terms_as_cloudwatch_does(pattern: str, matched: list[bool]) -> None:
    messages = ["ERROR order 1 failed", "order 2 done", "WARN disk"]
    assert [pattern_matches(pattern, message) for message in messages] == matched


async def test_filter_log_events_returns_every_line_with_its_stream(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        request_id = await invoke(running.client, {"order": 1})
        (env,) = running.services.pool.environments("Hello")
        response = await call(
            running.client,
            "FilterLogEvents",
            {"logGroupName": "/aws/lambda/Hello", "interleaved": True, "startTime": 0},
        )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    events = response.json()["events"]
    assert [event["message"] for event in events][:2] == [
        f"START RequestId: {request_id} Version: $LATEST",
        "order 1 done",
    ]
    assert {event["logStreamName"] for event in events} == {env.log_stream_name}
    assert len({event["eventId"] for event in events}) == len(events) == 4
    assert "nextToken" not in response.json()


async def test_filter_log_events_applies_the_pattern_and_start_time(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        await invoke(running.client, {"order": 1, "state": "failed"})
        await invoke(running.client, {"order": 2})
        group = {"logGroupName": "/aws/lambda/Hello"}
        failed = await call(running.client, "FilterLogEvents", group | {"filterPattern": "failed"})
        later = await call(running.client, "FilterLogEvents", group | {"startTime": 10**13})
    assert [e["message"] for e in failed.json()["events"]] == ["order 1 failed"]
    assert later.json()["events"] == []


async def test_filter_log_events_pages_with_next_token(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        await invoke(running.client, {"order": 1})
        group = {"logGroupName": "/aws/lambda/Hello", "limit": 3}
        first = (await call(running.client, "FilterLogEvents", group)).json()
        rest = (
            await call(running.client, "FilterLogEvents", group | {"nextToken": first["nextToken"]})
        ).json()
    assert (len(first["events"]), len(rest["events"])) == (3, 1)
    assert "nextToken" not in rest


async def test_an_unknown_log_group_is_resource_not_found(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        response = await call(running.client, "FilterLogEvents", {"logGroupName": "/aws/lambda/No"})
    assert response.status_code == 400
    assert response.json() == {
        "__type": "ResourceNotFoundException",
        "message": "The specified log group does not exist.",
    }


async def test_streams_groups_and_one_streams_events(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        await invoke(running.client, {"order": 7})
        (env,) = running.services.pool.environments("Hello")
        group = {"logGroupName": "/aws/lambda/Hello"}
        streams = (await call(running.client, "DescribeLogStreams", group)).json()
        groups = (await call(running.client, "DescribeLogGroups", {})).json()
        stream = group | {"logStreamName": env.log_stream_name}
        events = (await call(running.client, "GetLogEvents", stream)).json()
    assert [s["logStreamName"] for s in streams["logStreams"]] == [env.log_stream_name]
    assert [g["logGroupName"] for g in groups["logGroups"]] == ["/aws/lambda/Hello"]
    assert [e["message"] for e in events["events"]][1] == "order 7 done"


async def test_an_unknown_operation_is_answered_as_aws_does(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        response = await call(running.client, "PutLogEvents", {})
    assert response.status_code == 400
    assert response.json()["__type"] == "UnknownOperationException"


async def test_a_post_to_the_root_without_the_target_is_left_to_other_routes(
    make_app: AppFactory,
) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        response = await running.client.post("/", json={})
    assert response.status_code != 200
    assert response.headers.get("content-type") != "application/x-amz-json-1.1"
