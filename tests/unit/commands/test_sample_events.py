"""Sample events of `lambdock generate-event`: shaped as AWS sends them.

Sources:
- [REST] API Gateway Developer Guide, "Input format of a Lambda function for proxy
  integration" (fixture events/apigw/rest_proxy_v1_tutorial.json).
- [HTTP-API] "Create AWS Lambda proxy integrations for HTTP APIs", payload format 2.0
  (fixture events/apigw/http_api_v2_payload.json; empty fields are left out).
- [S3] Amazon S3 User Guide, "Event message structure", version 2.1 (fixtures
  events/samples/s3-put.json and s3-delete.json): the key is URL-encoded ("red flower.jpg"
  becomes "red+flower.jpg"); a removed object has no size or eTag.
- [EB] EventBridge "Scheduled Event" (fixture events/eventbridge-scheduled-event.json).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emulator.commands.sample_events import (
    SOURCES,
    SampleOptions,
    Stamp,
    apigw_v1,
    apigw_v2,
    s3_delete,
    s3_event_key,
    s3_put,
    schedule,
)

EVENTS = Path(__file__).resolve().parents[2] / "fixtures" / "events"
STAMP = Stamp(1_700_000_000_123, "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "0123456789abcdef" * 2)
DOMAIN = "0123456789.execute-api.us-east-1.amazonaws.com"


def recorded(path: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EVENTS / path).read_text())
    return document.get("event", document)


# Maps whose keys are the caller's data (header names, query names), not part of the shape.
DATA_MAPS = frozenset(
    {
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "authorizer",
    }
)


def shape(value: Any) -> Any:
    """The keys of nested objects (lists by their first element), without the values."""
    if isinstance(value, dict):
        return {
            key: ("map" if isinstance(item, dict) else None) if key in DATA_MAPS else shape(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__ if value is not None else None


def keys_within(ours: Any, theirs: Any, where: str = "") -> list[str]:
    """Paths of keys we send that AWS's sample does not have (data maps aside)."""
    if (
        not isinstance(ours, dict)
        or not isinstance(theirs, dict)
        or where.endswith(tuple(f".{key}" for key in DATA_MAPS))
    ):
        return []
    missing = [f"{where}.{key}" for key in ours if key not in theirs]
    for key in ours.keys() & theirs.keys():
        missing += keys_within(ours[key], theirs[key], f"{where}.{key}")
    return missing


def test_rest_event_has_the_shape_of_aws_sample() -> None:  # [REST]
    ours = apigw_v1(STAMP, SampleOptions(method="POST", path="/helloworld", query="a=1", body="{}"))
    assert shape(ours) == shape(recorded("apigw/rest_proxy_v1_tutorial.json"))


def test_rest_event_carries_the_request_and_the_stage() -> None:  # [REST]
    event = apigw_v1(STAMP, SampleOptions(method="post", path="/orders", query="a=1&a=2"))
    assert {k: event[k] for k in ("resource", "path", "httpMethod", "body")} == {
        "resource": "/orders",
        "path": "/orders",
        "httpMethod": "POST",
        "body": None,
    }
    assert event["queryStringParameters"] == {"a": "2"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["requestContext"]["path"] == "/Prod/orders"
    assert event["requestContext"]["requestTime"] == "14/Nov/2023:22:13:20 +0000"
    assert event["headers"]["Host"] == DOMAIN


def test_http_api_event_is_exactly_what_the_gateway_sends() -> None:  # [HTTP-API]
    options = SampleOptions(path="/hello", query="name=ada", headers={"Cookie": "a=1; b=2"})
    assert apigw_v2(STAMP, options) == {
        "version": "2.0",
        "routeKey": "GET /hello",
        "rawPath": "/hello",
        "rawQueryString": "name=ada",
        "cookies": ["a=1", "b=2"],
        "headers": {
            "accept": "*/*",
            "host": DOMAIN,
            "user-agent": "curl/8.5.0",
            "x-amzn-trace-id": "Root=1-6553f100-0123456789abcdef01234567",
            "x-forwarded-for": "127.0.0.1",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
        },
        "queryStringParameters": {"name": "ada"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "0123456789",
            "domainName": DOMAIN,
            "domainPrefix": "0123456789",
            "http": {
                "method": "GET",
                "path": "/hello",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "curl/8.5.0",
            },
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "routeKey": "GET /hello",
            "stage": "$default",
            "time": "14/Nov/2023:22:13:20 +0000",
            "timeEpoch": 1_700_000_000_123,
        },
        "isBase64Encoded": False,
    }


def test_http_api_event_sends_no_key_the_aws_sample_lacks() -> None:  # [HTTP-API]
    ours = apigw_v2(STAMP, SampleOptions(path="/my/path", query="p=1", body="{}"))
    assert keys_within(ours, recorded("apigw/http_api_v2_payload.json")) == []


def test_s3_put_is_one_object_created_record() -> None:  # [S3]
    options = SampleOptions(
        bucket="uploads", key="in/red flower.jpg", size=2048, region="eu-west-1"
    )
    assert s3_put(STAMP, options) == {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "eu-west-1",
                "eventTime": "2023-11-14T22:13:20.123Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:AIDA0123456789ABCDEF0"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": "0123456789ABCDEF",
                    "x-amz-id-2": "ASNFZ4mrze8BI0VniavN7w==",
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "lambdock-sample",
                    "bucket": {
                        "name": "uploads",
                        "ownerIdentity": {"principalId": "0123456789ABCD"},
                        "arn": "arn:aws:s3:::uploads",
                    },
                    "object": {
                        "key": "in/red+flower.jpg",
                        "size": 2048,
                        "eTag": "0123456789abcdef0123456789abcdef",
                        "sequencer": "0123456789ABCDEF01",
                    },
                },
            }
        ]
    }


def test_s3_events_have_the_shape_of_aws_samples() -> None:  # [S3]
    assert shape(s3_put(STAMP, SampleOptions())) == shape(recorded("samples/s3-put.json"))
    assert shape(s3_delete(STAMP, SampleOptions())) == shape(recorded("samples/s3-delete.json"))


def test_a_removed_object_has_no_size_or_etag() -> None:  # [S3]
    record = s3_delete(STAMP, SampleOptions(key="a b"))["Records"][0]
    assert record["eventName"] == "ObjectRemoved:Delete"
    assert record["s3"]["object"] == {"key": "a+b", "sequencer": "0123456789ABCDEF01"}


def test_s3_keys_are_url_encoded_but_keep_slashes() -> None:  # [S3]
    assert s3_event_key("photos/2024 05/été:1.jpg") == "photos/2024+05/%C3%A9t%C3%A9%3A1.jpg"


def test_schedule_is_the_eventbridge_scheduled_event() -> None:  # [EB]
    event = schedule(STAMP, SampleOptions(rule="nightly"))
    assert event == {
        "version": "0",
        "id": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2023-11-14T22:13:20Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/nightly"],
        "detail": {},
    }
    assert shape(event) == shape(recorded("eventbridge-scheduled-event.json"))


def test_every_source_the_command_offers_builds_an_event() -> None:
    assert sorted(SOURCES) == ["apigw-v1", "apigw-v2", "s3-delete", "s3-put", "schedule"]
    for build in SOURCES.values():
        assert json.loads(json.dumps(build(STAMP, SampleOptions())))
