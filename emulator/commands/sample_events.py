"""AWS-shaped sample events for `lambdock generate-event` and the dashboard's invoke form.

Pure: the moment and the ids come in as a `Stamp`. The API Gateway events come from the
gateway's own builders (`emulator.events.apigw`) fed a curl-like request, so a sample is exactly
what lambdock's gateway would send; the schedule event from `emulator.events.schedule`. The S3
events follow the Amazon S3 User Guide, "Event message structure", version 2.1: a removed object
carries no size or eTag, and keys are URL-encoded as S3 writes them.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from emulator.events.apigw import (
    EventContext,
    HttpRequest,
    RouteInfo,
    build_v1_event,
    build_v2_event,
)
from emulator.events.schedule import rule_arn, scheduled_event

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


def s3_event_key(key: str) -> str:
    """An object key as an S3 event record writes it."""
    encoded = []
    for byte in key.encode("utf-8"):
        if byte in _KEY_SAFE:
            encoded.append(chr(byte))
        else:
            encoded.append("+" if byte == 0x20 else f"%{byte:02X}")
    return "".join(encoded)


def _request(stamp: Stamp, options: SampleOptions, host: str) -> HttpRequest:
    """What curl sends through API Gateway (which adds the trace and forwarding headers)."""
    headers = {
        "Accept": "*/*",
        "Host": host,
        "User-Agent": "curl/8.5.0",
        "X-Amzn-Trace-Id": f"Root=1-{stamp.epoch_ms // 1000:08x}-{stamp.token[:24]}",
        "X-Forwarded-For": options.source_ip,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    if options.body is not None:
        headers["Content-Type"] = "application/json"
    headers.update(options.headers)
    return HttpRequest(
        method=options.method.upper(),
        raw_path=options.path,
        raw_query=options.query,
        headers=tuple(headers.items()),
        body=(options.body or "").encode(),
        source_ip=options.source_ip,
        host=host,
    )


def _context(stamp: Stamp, options: SampleOptions, stage: str) -> EventContext:
    api_id = stamp.token[:10]
    return EventContext(
        request_id=stamp.request_id,
        extended_request_id=base64.b64encode(bytes.fromhex(stamp.token[:12])).decode(),
        time_epoch_ms=stamp.epoch_ms,
        account_id=options.account_id,
        api_id=api_id,
        stage=stage,
        domain_name=f"{api_id}.execute-api.{options.region}.amazonaws.com",
    )


def apigw_v1(stamp: Stamp, options: SampleOptions) -> dict[str, Any]:
    """A REST API proxy event (payload 1.0) for a request on the route `options.path`."""
    ctx = _context(stamp, options, options.stage)
    route = RouteInfo(
        resource_path=options.path,
        route_key=f"{options.method.upper()} {options.path}",
        path_parameters={},
        resource_id=stamp.token[10:16],
        is_http_api=False,
    )
    return build_v1_event(_request(stamp, options, ctx.domain_name), route, ctx)


def apigw_v2(stamp: Stamp, options: SampleOptions) -> dict[str, Any]:
    """An HTTP API event (payload 2.0, `$default` stage) for the route `METHOD path`."""
    ctx = _context(stamp, options, "$default")
    route = RouteInfo(
        resource_path=options.path,
        route_key=f"{options.method.upper()} {options.path}",
        path_parameters={},
        resource_id=None,
        is_http_api=True,
    )
    return build_v2_event(_request(stamp, options, ctx.domain_name), route, ctx)


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
