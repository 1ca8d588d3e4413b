"""Invocation records Lambda sends to async destinations, and where an S3 destination keeps them.

Follows "Capturing records of Lambda asynchronous invocations" (Lambda Developer Guide): the
record has ``version`` "1.0", a millisecond ``timestamp``, a ``requestContext`` naming the
request, the version-qualified function ARN, the condition and the approximate invoke count, the
event as ``requestPayload``, and the function's answer as ``responseContext`` and
``responsePayload``; ``functionError`` appears only when the function returned an error. An S3
destination (on failure only) stores the record as a JSON object named
``aws/lambda/async/<function-name>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>``.

Two cases the page does not show, decided here: a payload that is not JSON (the Invoke API
refuses such a request, but a custom runtime may answer with plain text) is placed as a JSON
string, and an empty one as null; an event whose function never ran (throttled until it
expired) gets no ``responseContext`` or ``responsePayload``, as there was no response.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

RECORD_VERSION = "1.0"
LATEST = "$LATEST"
S3_KEY_PREFIX = "aws/lambda/async"


class Condition(StrEnum):
    """Why a record was sent (``requestContext.condition``)."""

    SUCCESS = "Success"
    RETRIES_EXHAUSTED = "RetriesExhausted"
    EVENT_AGE_EXCEEDED = "EventAgeExceeded"


@dataclass(frozen=True)
class AsyncEvent:
    """An event Lambda accepted with ``InvocationType: Event``."""

    request_id: str
    function_arn: str
    payload: bytes
    qualifier: str = LATEST


@dataclass(frozen=True)
class FunctionResponse:
    """The function's answer on its last attempt, as the Invoke API reports it."""

    payload: bytes
    function_error: str | None = None
    status_code: int = 200
    executed_version: str = LATEST


def destination_record(
    event: AsyncEvent,
    *,
    condition: Condition,
    approximate_invoke_count: int,
    response: FunctionResponse | None,
    timestamp: datetime,
) -> dict[str, Any]:
    """The invocation record, field for field as Lambda sends it to any destination type."""
    record: dict[str, Any] = {
        "version": RECORD_VERSION,
        "timestamp": record_timestamp(timestamp),
        "requestContext": {
            "requestId": event.request_id,
            "functionArn": qualified_arn(event.function_arn, event.qualifier),
            "condition": str(condition),
            "approximateInvokeCount": approximate_invoke_count,
        },
        "requestPayload": payload_value(event.payload),
    }
    if response is not None:
        record["responseContext"] = _response_context(response)
        record["responsePayload"] = payload_value(response.payload)
    return record


def _response_context(response: FunctionResponse) -> dict[str, Any]:
    """Status and executed version, plus ``functionError`` only when there was one."""
    context: dict[str, Any] = {
        "statusCode": response.status_code,
        "executedVersion": response.executed_version,
    }
    if response.function_error is not None:
        context["functionError"] = response.function_error
    return context


def payload_value(raw: bytes) -> Any:
    """A payload as it sits in the record: parsed JSON, else its text as a string, empty as null."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return raw.decode("utf-8", errors="replace")


def qualified_arn(function_arn: str, qualifier: str = LATEST) -> str:
    """``arn:aws:lambda:<region>:<account>:function:<name>:<qualifier>``; kept if already so."""
    if function_arn.count(":") >= 7:
        return function_arn
    return f"{function_arn}:{qualifier}"


def record_timestamp(moment: datetime) -> str:
    """UTC to the millisecond: ``2019-11-14T18:16:05.568Z``."""
    if moment.tzinfo is None:
        raise ValueError(f"datetime {moment.isoformat()} must carry a time zone")
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def s3_object_key(function_name: str, timestamp: datetime, unique_id: str) -> str:
    """Where an S3 on-failure destination stores a record, by the record's UTC time."""
    if timestamp.tzinfo is None:
        raise ValueError(f"datetime {timestamp.isoformat()} must carry a time zone")
    utc = timestamp.astimezone(UTC)
    return f"{S3_KEY_PREFIX}/{function_name}/{utc:%Y/%m/%d}/{utc:%Y-%m-%dT%H.%M.%S}-{unique_id}"
