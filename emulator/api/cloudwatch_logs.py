"""The CloudWatch Logs calls that `aws logs tail` and friends make, over functions' logs.

AWS JSON 1.1 protocol: `POST /` with `X-Amz-Target: Logs_20140328.<Operation>` (CloudWatch Logs
API reference). Served: FilterLogEvents (what `aws logs tail [--follow]` polls), GetLogEvents,
DescribeLogStreams and DescribeLogGroups. A function's log group is `/aws/lambda/<name>`, its
streams are its execution environments, and every line of an invocation carries the time the
invocation started. The route answers only requests with that header, so `POST /` stays free
for the template's API routes.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from emulator.inspection import epoch_ms
from emulator.logs import InvocationLog
from emulator.services import Services

TARGET_PREFIX = "Logs_20140328."
CONTENT_TYPE = "application/x-amz-json-1.1"
GROUP_PREFIX = "/aws/lambda/"
# FilterLogEvents returns at most 10,000 events a page (API reference, `limit`).
MAX_EVENTS = 10_000

Operation = Callable[[Services, dict[str, Any]], dict[str, Any]]


class LogsError(Exception):
    """A CloudWatch Logs error: its `__type` and message, answered with 400."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


def _group_function(services: Services, params: dict[str, Any]) -> str:
    """The function whose log group the request names (by name, or by ARN as an identifier)."""
    group = str(params.get("logGroupName") or params.get("logGroupIdentifier") or "")
    group = group.split(":log-group:", 1)[-1].removesuffix(":*")
    name = group.removeprefix(GROUP_PREFIX)
    if group.startswith(GROUP_PREFIX):
        served = services.template().function(name)
        if (served is not None and served.function_name == name) or services.logs.timeline(
            function_name=name
        ):
            return name
    raise LogsError("ResourceNotFoundException", "The specified log group does not exist.")


def pattern_matches(pattern: str | None, message: str) -> bool:
    """CloudWatch's term filter: every plain term (or "quoted phrase") appears, any `?term` of
    an OR group appears, no `-term` appears. Case-sensitive, as CloudWatch matches terms."""
    if not pattern or not pattern.strip():
        return True
    try:
        terms = shlex.split(pattern)
    except ValueError:
        terms = pattern.split()
    either = [t[1:] for t in terms if t.startswith("?") and len(t) > 1]
    excluded = [t[1:] for t in terms if t.startswith("-") and len(t) > 1]
    required = [t for t in terms if not t.startswith(("?", "-"))]
    return (
        all(term in message for term in required)
        and (not either or any(term in message for term in either))
        and not any(term in message for term in excluded)
    )


def _events(logs: Iterable[InvocationLog], params: dict[str, Any]) -> list[dict[str, Any]]:
    start, end = params.get("startTime"), params.get("endTime")
    names = set(params.get("logStreamNames") or ())
    prefix = params.get("logStreamNamePrefix") or ""
    found = []
    for log in logs:
        stamp = epoch_ms(log.started_at)
        if (start is not None and stamp < start) or (end is not None and stamp > end):
            continue
        if (names and log.log_stream_name not in names) or not log.log_stream_name.startswith(
            prefix
        ):
            continue
        for index, line in enumerate(log.lines):
            if pattern_matches(params.get("filterPattern"), line):
                found.append(
                    {
                        "logStreamName": log.log_stream_name,
                        "timestamp": stamp,
                        "message": line,
                        "ingestionTime": stamp,
                        "eventId": f"{stamp:013d}{log.sequence:010d}{index:06d}",
                    }
                )
    return found


def filter_log_events(services: Services, params: dict[str, Any]) -> dict[str, Any]:
    """Events of a group's streams, oldest first, a page at a time."""
    name = _group_function(services, params)
    events = _events(services.logs.timeline(function_name=name), params)
    offset = int(params.get("nextToken") or 0)
    limit = min(int(params.get("limit") or MAX_EVENTS), MAX_EVENTS)
    page: dict[str, Any] = {"events": events[offset : offset + limit], "searchedLogStreams": []}
    if offset + limit < len(events):
        page["nextToken"] = str(offset + limit)
    return page


def get_log_events(services: Services, params: dict[str, Any]) -> dict[str, Any]:
    """One stream's events, oldest first (the forward token ends the listing)."""
    name = _group_function(services, params)
    stream = params.get("logStreamName")
    logs = [
        log for log in services.logs.timeline(function_name=name) if log.log_stream_name == stream
    ]
    events = [
        {k: event[k] for k in ("timestamp", "message", "ingestionTime")}
        for event in _events(logs, params)
    ]
    limit = min(int(params.get("limit") or MAX_EVENTS), MAX_EVENTS)
    token = f"f/{len(events):056d}"
    return {"events": events[-limit:], "nextForwardToken": token, "nextBackwardToken": token}


def describe_log_streams(services: Services, params: dict[str, Any]) -> dict[str, Any]:
    """A group's streams, newest activity first unless asked otherwise."""
    name = _group_function(services, params)
    prefix = params.get("logStreamNamePrefix") or ""
    template = services.template()
    streams = [
        {
            "logStreamName": s.log_stream_name,
            "creationTime": epoch_ms(s.first_event),
            "firstEventTimestamp": epoch_ms(s.first_event),
            "lastEventTimestamp": epoch_ms(s.last_event),
            "lastIngestionTime": epoch_ms(s.last_event),
            "arn": f"arn:aws:logs:{template.region}:{template.account_id}:log-group:"
            f"{GROUP_PREFIX}{name}:log-stream:{s.log_stream_name}",
            "storedBytes": 0,
        }
        for s in services.logs.streams(name)
        if s.log_stream_name.startswith(prefix)
    ]
    if params.get("descending") is False:
        streams.reverse()
    return {"logStreams": streams}


def describe_log_groups(services: Services, params: dict[str, Any]) -> dict[str, Any]:
    """One group per function of the template."""
    template = services.template()
    prefix = params.get("logGroupNamePrefix") or ""
    groups = [
        {
            "logGroupName": GROUP_PREFIX + function.function_name,
            "creationTime": 0,
            "arn": f"arn:aws:logs:{template.region}:{template.account_id}:log-group:"
            f"{GROUP_PREFIX}{function.function_name}:*",
            "storedBytes": 0,
        }
        for function in template.functions.values()
        if (GROUP_PREFIX + function.function_name).startswith(prefix)
    ]
    return {"logGroups": sorted(groups, key=lambda group: group["logGroupName"])}


OPERATIONS: dict[str, Operation] = {
    "FilterLogEvents": filter_log_events,
    "GetLogEvents": get_log_events,
    "DescribeLogStreams": describe_log_streams,
    "DescribeLogGroups": describe_log_groups,
}


async def handle(request: Request) -> Response:
    """Parse the JSON body, run the operation the target names, render result or error."""
    services: Services = request.app.state.services
    operation = request.headers.get("x-amz-target", "").removeprefix(TARGET_PREFIX)
    headers = {"x-amzn-RequestId": services.request_ids()}
    try:
        run = OPERATIONS.get(operation)
        if run is None:
            raise LogsError("UnknownOperationException", f"lambdock does not serve {operation}")
        params = json.loads(await request.body() or b"{}")
        if not isinstance(params, dict):
            raise LogsError("InvalidParameterException", "The request body must be a JSON object")
        body, status = run(services, params), 200
    except json.JSONDecodeError:
        body, status = {"__type": "SerializationException", "message": "Not JSON"}, 400
    except LogsError as error:
        body, status = {"__type": error.error_type, "message": error.message}, 400
    return Response(json.dumps(body), status, headers, media_type=CONTENT_TYPE)


class LogsRoute(Route):
    """`POST /` carrying a CloudWatch Logs target; every other request goes on to later routes."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] == "POST":
            for name, value in scope["headers"]:
                if name == b"x-amz-target" and value.startswith(TARGET_PREFIX.encode()):
                    return super().matches(scope)
        return Match.NONE, {}


ROUTE = LogsRoute("/", handle, methods=["POST"], include_in_schema=False)
