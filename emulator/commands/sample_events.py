"""AWS-shaped sample events for `lambdock generate-event` and the dashboard's invoke form.

Pure: the moment and the ids come in as a `Stamp`. Shapes follow AWS's documented examples:
- apigw-v1: API Gateway Developer Guide, "Input format of a Lambda function for proxy
  integration" (REST API, payload 1.0);
- apigw-v2: "Create AWS Lambda proxy integrations for HTTP APIs", payload format version 2.0
  (fields absent when empty: cookies, queryStringParameters, pathParameters, body);
- s3-put / s3-delete: Amazon S3 User Guide, "Event message structure", version 2.1 (a removed
  object carries no size or eTag); keys are URL-encoded as S3 writes them;
- schedule: the EventBridge "Scheduled Event", built by `emulator.events.schedule`.
The gateway's own event builders (branch apigw-pure) build the same shapes from real requests.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from emulator.events.schedule import rule_arn, scheduled_event

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Bytes an S3 event key keeps; a space becomes "+", every other byte is percent-encoded
# (S3 User Guide: the key is URL-encoded, "red flower.jpg" becomes "red+flower.jpg").
_KEY_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._/")


@dataclass(frozen=True)
class Stamp:
    """What a real event gets from its moment and its service: the time and fresh ids."""

    epoch_ms: int
    request_id: str
    token: str  # 32 lower-case hex digits: API ids, ETags and sequencers are cut from it

    @property
    def moment(self) -> datetime:
        """The stamp's time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.epoch_ms / 1000, UTC)


@dataclass(frozen=True)
class SampleOptions:
    """What a user may choose about a sample event; the rest is AWS's defaults."""

    region: str = "us-east-1"
    account_id: str = "123456789012"
    method: str = "GET"
    path: str = "/"
    query: str = ""
    body: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    stage: str = "Prod"
    bucket: str = "example-bucket"
    key: str = "test/key"
    size: int = 1024
    rule: str = "my-schedule"
    source_ip: str = "127.0.0.1"


def request_time(epoch_ms: int) -> str:
    """API Gateway's $context.requestTime: `04/Mar/2020:19:03:58 +0000`."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return f"{moment.day:02d}/{_MONTHS[moment.month - 1]}/{moment:%Y:%H:%M:%S} +0000"


def s3_event_key(key: str) -> str:
    """An object key as an S3 event record writes it."""
    encoded = []
    for byte in key.encode("utf-8"):
        if byte in _KEY_SAFE:
            encoded.append(chr(byte))
        else:
            encoded.append("+" if byte == 0x20 else f"%{byte:02X}")
    return "".join(encoded)


def _api_id(stamp: Stamp) -> str:
    return stamp.token[:10]


def _domain(stamp: Stamp, options: SampleOptions) -> str:
    return f"{_api_id(stamp)}.execute-api.{options.region}.amazonaws.com"


def _request_headers(stamp: Stamp, options: SampleOptions) -> dict[str, str]:
    """What a curl call through API Gateway carries (names as a REST API passes them), plus
    the user's own headers."""
    headers = {
        "Accept": "*/*",
        "Host": _domain(stamp, options),
        "User-Agent": "curl/8.5.0",
        "X-Amzn-Trace-Id": f"Root=1-{stamp.epoch_ms // 1000:08x}-{stamp.token[:24]}",
        "X-Forwarded-For": options.source_ip,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    if options.body is not None:
        headers["Content-Type"] = "application/json"
    headers.update(options.headers)
    return headers


def _grouped_query(query: str) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        grouped.setdefault(name, []).append(value)
    return grouped


def apigw_v1(stamp: Stamp, options: SampleOptions) -> dict[str, Any]:
    """A REST API proxy event (payload 1.0); single-value maps keep the last value."""
    headers = _request_headers(stamp, options)
    query = _grouped_query(options.query)
    identity_keys = (
        "cognitoIdentityPoolId",
        "accountId",
        "cognitoIdentityId",
        "caller",
        "principalOrgId",
        "accessKey",
        "cognitoAuthenticationType",
        "cognitoAuthenticationProvider",
        "userArn",
        "user",
    )
    identity: dict[str, Any] = dict.fromkeys(identity_keys)
    identity.update(sourceIp=options.source_ip, userAgent=headers["User-Agent"])
    return {
        "resource": options.path,
        "path": options.path,
        "httpMethod": options.method.upper(),
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": stamp.token[10:16],
            "resourcePath": options.path,
            "httpMethod": options.method.upper(),
            "extendedRequestId": base64.b64encode(bytes.fromhex(stamp.token[:12])).decode(),
            "requestTime": request_time(stamp.epoch_ms),
            "path": f"/{options.stage}{options.path}",
            "accountId": options.account_id,
            "protocol": "HTTP/1.1",
            "stage": options.stage,
            "domainPrefix": _api_id(stamp),
            "requestTimeEpoch": stamp.epoch_ms,
            "requestId": stamp.request_id,
            "identity": identity,
            "domainName": _domain(stamp, options),
            "apiId": _api_id(stamp),
        },
        "body": options.body,
        "isBase64Encoded": False,
    }


def apigw_v2(stamp: Stamp, options: SampleOptions) -> dict[str, Any]:
    """An HTTP API event (payload 2.0): lower-case headers, repeated values joined by commas."""
    headers = {name.lower(): value for name, value in _request_headers(stamp, options).items()}
    cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
    route_key = f"{options.method.upper()} {options.path}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": options.path,
        "rawQueryString": options.query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    query = _grouped_query(options.query)
    if query:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in query.items()}
    event["requestContext"] = {
        "accountId": options.account_id,
        "apiId": _api_id(stamp),
        "domainName": _domain(stamp, options),
        "domainPrefix": _api_id(stamp),
        "http": {
            "method": options.method.upper(),
            "path": options.path,
            "protocol": "HTTP/1.1",
            "sourceIp": options.source_ip,
            "userAgent": headers["user-agent"],
        },
        "requestId": stamp.request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": request_time(stamp.epoch_ms),
        "timeEpoch": stamp.epoch_ms,
    }
    if options.body is not None:
        event["body"] = options.body
    event["isBase64Encoded"] = False
    return event


def _s3_record(stamp: Stamp, options: SampleOptions, name: str) -> dict[str, Any]:
    moment = stamp.moment
    s3_object: dict[str, Any] = {"key": s3_event_key(options.key)}
    if name.startswith("ObjectCreated:"):
        s3_object.update(size=options.size, eTag=stamp.token)
    s3_object["sequencer"] = stamp.token[:18].upper()
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": options.region,
        "eventTime": f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z",
        "eventName": name,
        "userIdentity": {"principalId": f"AWS:AIDA{stamp.token[:17].upper()}"},
        "requestParameters": {"sourceIPAddress": options.source_ip},
        "responseElements": {
            "x-amz-request-id": stamp.token[:16].upper(),
            "x-amz-id-2": base64.b64encode(bytes.fromhex(stamp.token)).decode(),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "lambdock-sample",
            "bucket": {
                "name": options.bucket,
                "ownerIdentity": {"principalId": stamp.token[:14].upper()},
                "arn": f"arn:aws:s3:::{options.bucket}",
            },
            "object": s3_object,
        },
    }


def s3_put(stamp: Stamp, options: SampleOptions) -> dict[str, Any]:
    """An `ObjectCreated:Put` notification for one object."""
    return {"Records": [_s3_record(stamp, options, "ObjectCreated:Put")]}


def s3_delete(stamp: Stamp, options: SampleOptions) -> dict[str, Any]:
    """An `ObjectRemoved:Delete` notification for one object."""
    return {"Records": [_s3_record(stamp, options, "ObjectRemoved:Delete")]}


def schedule(stamp: Stamp, options: SampleOptions) -> dict[str, Any]:
    """The "Scheduled Event" an EventBridge rule sends its Lambda target."""
    return scheduled_event(
        event_id=stamp.request_id,
        time=stamp.moment,
        account_id=options.account_id,
        region=options.region,
        rule_arn=rule_arn(options.region, options.account_id, options.rule),
    )


SOURCES: dict[str, Callable[[Stamp, SampleOptions], dict[str, Any]]] = {
    "apigw-v1": apigw_v1,
    "apigw-v2": apigw_v2,
    "s3-put": s3_put,
    "s3-delete": s3_delete,
    "schedule": schedule,
}
