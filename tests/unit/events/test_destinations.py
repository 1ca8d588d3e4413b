"""Invocation records for asynchronous invocation destinations, and S3 destination object keys.

Sources, named per test:
- [RECORDS] Lambda Developer Guide, "Capturing records of Lambda asynchronous invocations": the
  example invocation record (fixture lambda-destination-retries-exhausted.json) and the S3
  object name ``aws/lambda/async/<function-name>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>``.
- [BLOG] AWS Compute Blog, "Introducing AWS Lambda Destinations": records for a success (no
  ``functionError``) and for a handled error (``"functionError": "Handled"``).
- [OURS] Not shown by AWS; decided in ``emulator/events/destinations.py`` and tested as such.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from emulator.events.destinations import (
    AsyncEvent,
    Condition,
    FunctionResponse,
    destination_record,
    payload_value,
    qualified_arn,
    record_timestamp,
    s3_object_key,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "events"
FUNCTION_ARN = "arn:aws:lambda:sa-east-1:123456789123:function:event-destinations"


def test_record_matches_the_documented_retries_exhausted_example() -> None:
    # [RECORDS]
    request_id = "e4b46cbf-b738-xmpl-8880-a18cdf61200e"
    event = AsyncEvent(
        request_id=request_id,
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:my-function",
        payload=json.dumps(
            {
                "ORDER_IDS": [
                    "9e07af03-ce31-4ff3-xmpl-36dce652cb4f",
                    "637de236-e7b2-464e-xmpl-baf57f86bb53",
                    "a81ddca6-2c35-45c7-xmpl-c3a03a31ed15",
                ]
            }
        ).encode(),
    )
    error = f"RequestId: {request_id} Process exited before completing request"
    response = FunctionResponse(
        payload=json.dumps({"errorMessage": error}).encode(), function_error="Unhandled"
    )
    record = destination_record(
        event,
        condition=Condition.RETRIES_EXHAUSTED,
        approximate_invoke_count=3,
        response=response,
        timestamp=datetime(2019, 11, 14, 18, 16, 5, 568000, tzinfo=UTC),
    )
    expected = json.loads((FIXTURES / "lambda-destination-retries-exhausted.json").read_text())
    assert record == expected
    assert list(record) == list(expected)


def test_success_record_has_no_function_error() -> None:
    # [BLOG] the on-success record of the "event-destinations" function.
    record = destination_record(
        AsyncEvent("c2a6f2ae-7dbb-4d22-8782-d0485c9877e2", FUNCTION_ARN, b'{ "Success": true }'),
        condition=Condition.SUCCESS,
        approximate_invoke_count=1,
        response=FunctionResponse(b'{"status": "done"}'),
        timestamp=datetime(2019, 11, 24, 23, 8, 25, 651000, tzinfo=UTC),
    )
    assert record == {
        "version": "1.0",
        "timestamp": "2019-11-24T23:08:25.651Z",
        "requestContext": {
            "requestId": "c2a6f2ae-7dbb-4d22-8782-d0485c9877e2",
            "functionArn": f"{FUNCTION_ARN}:$LATEST",
            "condition": "Success",
            "approximateInvokeCount": 1,
        },
        "requestPayload": {"Success": True},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "responsePayload": {"status": "done"},
    }


def test_handled_error_record_carries_the_error_kind() -> None:
    # [BLOG] the on-failure record: the function called back with an Error.
    failure = {
        "errorMessage": "Failure from event, Success = false, I am failing!",
        "errorType": "Error",
        "stackTrace": ["exports.handler (/var/task/index.js:18:18)"],
    }
    record = destination_record(
        AsyncEvent("8ea123e4-1db7-4aca-ad10-d9ca1234c1fd", FUNCTION_ARN, b'{"Success": false}'),
        condition=Condition.RETRIES_EXHAUSTED,
        approximate_invoke_count=3,
        response=FunctionResponse(json.dumps(failure).encode(), function_error="Handled"),
        timestamp=datetime(2019, 11, 24, 21, 52, 47, 333000, tzinfo=UTC),
    )
    assert record == {
        "version": "1.0",
        "timestamp": "2019-11-24T21:52:47.333Z",
        "requestContext": {
            "requestId": "8ea123e4-1db7-4aca-ad10-d9ca1234c1fd",
            "functionArn": f"{FUNCTION_ARN}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": {"Success": False},
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Handled",
        },
        "responsePayload": failure,
    }


def test_event_age_exceeded_after_a_timeout_keeps_the_last_response() -> None:
    timeout = b'{"errorMessage": "2024-05-01T10:00:03.000Z r-1 Task timed out after 3.00 seconds"}'
    record = destination_record(
        AsyncEvent("r-1", FUNCTION_ARN, b"{}"),
        condition=Condition.EVENT_AGE_EXCEEDED,
        approximate_invoke_count=2,
        response=FunctionResponse(timeout, function_error="Unhandled"),
        timestamp=datetime(2024, 5, 1, 10, 1, 4, tzinfo=UTC),
    )
    assert record == {
        "version": "1.0",
        "timestamp": "2024-05-01T10:01:04.000Z",
        "requestContext": {
            "requestId": "r-1",
            "functionArn": f"{FUNCTION_ARN}:$LATEST",
            "condition": "EventAgeExceeded",
            "approximateInvokeCount": 2,
        },
        "requestPayload": {},
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": {
            "errorMessage": "2024-05-01T10:00:03.000Z r-1 Task timed out after 3.00 seconds"
        },
    }


def test_event_that_never_ran_has_no_response_parts() -> None:
    # [OURS] throttled until it expired: there was no response to report.
    record = destination_record(
        AsyncEvent("r-2", FUNCTION_ARN, b'{"n": 1}'),
        condition=Condition.EVENT_AGE_EXCEEDED,
        approximate_invoke_count=0,
        response=None,
        timestamp=datetime(2024, 5, 1, 16, 0, tzinfo=UTC),
    )
    assert record == {
        "version": "1.0",
        "timestamp": "2024-05-01T16:00:00.000Z",
        "requestContext": {
            "requestId": "r-2",
            "functionArn": f"{FUNCTION_ARN}:$LATEST",
            "condition": "EventAgeExceeded",
            "approximateInvokeCount": 0,
        },
        "requestPayload": {"n": 1},
    }


@pytest.mark.parametrize(
    ("raw", "placed"),
    [
        (b'{"a": [1, 2.5, null]}', {"a": [1, 2.5, None]}),
        (b'"hello"', "hello"),
        (b"42", 42),
        (b"null", None),
        # [OURS] not JSON: the text as a JSON string; nothing at all: null.
        (b"plain text answer", "plain text answer"),
        (b"", None),
        (b"\xff\xfe", "\ufffd\ufffd"),
    ],
)
def test_payload_is_placed_as_json_or_as_text(raw: bytes, placed: object) -> None:
    assert payload_value(raw) == placed


def test_non_json_response_is_a_string_in_the_record() -> None:
    record = destination_record(
        AsyncEvent("r-3", FUNCTION_ARN, b"{}"),
        condition=Condition.SUCCESS,
        approximate_invoke_count=1,
        response=FunctionResponse(b"OK done"),
        timestamp=datetime(2024, 5, 1, tzinfo=UTC),
    )
    assert record["responsePayload"] == "OK done"


def test_function_arn_is_qualified_once() -> None:
    assert qualified_arn(FUNCTION_ARN) == f"{FUNCTION_ARN}:$LATEST"
    assert qualified_arn(FUNCTION_ARN, "live") == f"{FUNCTION_ARN}:live"
    assert qualified_arn(f"{FUNCTION_ARN}:7") == f"{FUNCTION_ARN}:7"


def test_record_timestamp_is_utc_with_milliseconds() -> None:
    tokyo = timezone(timedelta(hours=9))
    moment = datetime(2024, 5, 2, 3, 4, 5, 678999, tzinfo=tokyo)
    assert record_timestamp(moment) == "2024-05-01T18:04:05.678Z"
    with pytest.raises(ValueError, match="must carry a time zone"):
        record_timestamp(datetime(2024, 5, 2))


def test_s3_object_key_follows_the_documented_layout() -> None:
    # [RECORDS]
    key = s3_object_key(
        "my-function",
        datetime(2024, 11, 14, 18, 16, 5, 568000, tzinfo=UTC),
        "3c0b1f9e-6f1d-4d52-9f0e-8a5b2c7d1e44",
    )
    assert key == (
        "aws/lambda/async/my-function/2024/11/14/"
        "2024-11-14T18.16.05-3c0b1f9e-6f1d-4d52-9f0e-8a5b2c7d1e44"
    )


def test_s3_object_key_dates_by_utc() -> None:
    new_york_evening = datetime(2024, 12, 31, 22, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert s3_object_key("f", new_york_evening, "u") == (
        "aws/lambda/async/f/2025/01/01/2025-01-01T03.30.00-u"
    )
