"""Read-only views of a running lambdock, as JSON-ready dicts: its functions with their routes,
triggers and latency, its invocations and their logs, the async queue and the buckets.

The dashboard and `lambdock logs` read these through `/_lambdock/api/...`. Object listing is
optional: it comes from a `BucketBrowser` the storage part sets on `Services.bucket_browser`.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import urllib3.exceptions
from minio import Minio
from minio.error import MinioException

from emulator.errors import StorageError
from emulator.logs import STATUS_OK, InvocationLog, LogStream, matching_lines
from emulator.storage.endpoint import S3Endpoint, minio_client
from emulator.template.models import EventSpec, FunctionConfig, Template

if TYPE_CHECKING:
    from emulator.environment import Environment

_T = TypeVar("_T")
Connect = Callable[..., AbstractContextManager[Minio]]

# Event types that are routes of an API rather than triggers (SAM event source types).
ROUTE_TYPES = ("Api", "HttpApi")
# How many recent invocations the latency chart and percentiles look at.
CHART_POINTS = 50


@dataclass(frozen=True)
class ObjectInfo:
    """One object of a bucket, as a listing shows it."""

    key: str
    size: int
    last_modified: str | None
    etag: str | None


class BucketBrowser(Protocol):
    """Lists buckets and objects, read-only (S3 ListBuckets and ListObjectsV2)."""

    async def list_buckets(self) -> list[str]: ...

    async def list_objects(self, bucket: str, prefix: str, limit: int) -> list[ObjectInfo]: ...


class MinioBrowser:
    """A BucketBrowser on lambdock's S3 endpoint through the storage package's bounded client.

    The SDK's blocking calls run in a thread; its exceptions become StorageError here."""

    def __init__(
        self, endpoint: S3Endpoint, *, connect: Connect = minio_client, timeout: float = 10.0
    ) -> None:
        self._endpoint = endpoint
        self._connect = connect
        self._timeout = timeout

    async def list_buckets(self) -> list[str]:
        """Every bucket's name."""
        return await asyncio.to_thread(self._guarded, self._buckets)

    async def list_objects(self, bucket: str, prefix: str, limit: int) -> list[ObjectInfo]:
        """Up to `limit` objects under `prefix`, in key order."""
        return await asyncio.to_thread(
            self._guarded, lambda c: self._objects(c, bucket, prefix, limit)
        )

    def _guarded(self, call: Callable[[Minio], _T]) -> _T:
        try:
            with self._connect(self._endpoint, timeout=self._timeout) as client:
                return call(client)
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageError(f"cannot list {self._endpoint.url}: {exc}") from None

    @staticmethod
    def _buckets(client: Minio) -> list[str]:
        return sorted(bucket.name for bucket in client.list_buckets())

    @staticmethod
    def _objects(client: Minio, bucket: str, prefix: str, limit: int) -> list[ObjectInfo]:
        found: list[ObjectInfo] = []
        for item in client.list_objects(bucket, prefix=prefix or None, recursive=True):
            if len(found) >= limit:
                break
            modified = item.last_modified.isoformat() if item.last_modified else None
            found.append(ObjectInfo(item.object_name or "", item.size or 0, modified, item.etag))
        return found


def route_of(event: EventSpec) -> dict[str, Any]:
    """An Api/HttpApi event as a route: method, path and which kind of API."""
    properties = event.properties
    method = str(properties.get("Method", "ANY")).upper()
    if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
        method = "ANY"
    path = str(properties.get("Path", "$default"))
    return {"name": event.name, "api": event.type, "method": method, "path": path}


def trigger_of(event: EventSpec) -> dict[str, Any]:
    """Any other event source, with the one property that says when it fires."""
    properties = event.properties
    detail = ""
    match event.type:
        case "S3":
            events = properties.get("Events", [])
            names = events if isinstance(events, list) else [events]
            detail = f"{properties.get('Bucket', '?')} {', '.join(map(str, names))}"
        case "Schedule":
            detail = str(properties.get("Schedule", ""))
        case "ScheduleV2":
            detail = str(properties.get("ScheduleExpression", ""))
        case _:
            detail = ", ".join(f"{k}={v}" for k, v in properties.items() if isinstance(v, str))
    return {"name": event.name, "type": event.type, "detail": detail}


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile (0 < fraction <= 1), or None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def stats(invocations: Sequence[InvocationLog]) -> dict[str, Any]:
    """Counts, percentiles and chart points of a function's recent invocations."""
    summaries = [log.summary for log in invocations if log.summary is not None]
    recent = summaries[-CHART_POINTS:]
    durations = [summary.duration_ms for summary in recent]
    return {
        "invocations": len(summaries),
        "errors": sum(1 for summary in summaries if summary.status != STATUS_OK),
        "coldStarts": sum(1 for summary in summaries if summary.cold),
        "p50Ms": _rounded(percentile(durations, 0.5)),
        "p95Ms": _rounded(percentile(durations, 0.95)),
        "chart": [
            {"ms": round(s.duration_ms, 2), "cold": s.cold, "status": s.status} for s in recent
        ],
    }


def epoch_ms(epoch_seconds: float) -> int:
    """Epoch milliseconds, as the AWS APIs and the dashboard's JSON carry times."""
    return int(epoch_seconds * 1000)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def function_view(
    function: FunctionConfig,
    environments: Iterable[Environment],
    invocations: Sequence[InvocationLog],
) -> dict[str, Any]:
    """A function as the dashboard lists it."""
    return {
        "functionName": function.function_name,
        "logicalId": function.logical_id,
        "runtime": function.runtime or function.package_type,
        "handler": function.handler or function.image_uri,
        "memorySize": function.memory_size,
        "timeout": function.timeout,
        "routes": [route_of(e) for e in function.events if e.type in ROUTE_TYPES],
        "triggers": [trigger_of(e) for e in function.events if e.type not in ROUTE_TYPES],
        "environments": [environment_view(env) for env in environments],
        "stats": stats(invocations),
    }


def environment_view(env: Environment) -> dict[str, Any]:
    """An execution environment, and the invocation it is running now, if any."""
    running = env.current_log
    return {
        "id": env.environment_id,
        "state": env.state.value,
        "invocations": env.invocations,
        "logStreamName": env.log_stream_name,
        "running": None
        if running is None
        else {"requestId": running.request_id, "startedAt": epoch_ms(running.started_at)},
    }


def invocation_view(
    log: InvocationLog, *, lines: bool = False, text: str | None = None
) -> dict[str, Any]:
    """An invocation's summary (and its log lines, those containing `text` when given)."""
    summary = log.summary
    view: dict[str, Any] = {
        "sequence": log.sequence,
        "requestId": log.request_id,
        "functionName": log.function_name,
        "logStreamName": log.log_stream_name,
        "startedAt": epoch_ms(log.started_at),
        "status": summary.status if summary else "unknown",
        "errorType": summary.error_type if summary else None,
        "durationMs": round(summary.duration_ms, 2) if summary else None,
        "cold": summary.cold if summary else None,
        "initDurationMs": summary.init_duration_ms if summary else None,
        "maxMemoryMb": summary.max_memory_mb if summary else None,
        "memorySize": summary.memory_size if summary else None,
    }
    if lines:
        view["lines"] = matching_lines(log.lines, text)
    return view


def stream_view(stream: LogStream) -> dict[str, Any]:
    """A log stream as CloudWatch's DescribeLogStreams names its fields."""
    return {
        "logStreamName": stream.log_stream_name,
        "firstEventTimestamp": epoch_ms(stream.first_event),
        "lastEventTimestamp": epoch_ms(stream.last_event),
        "invocations": stream.invocations,
    }


def queue_view(queue: object) -> dict[str, Any]:
    """How many async events wait (None when the queue cannot say)."""
    pending = getattr(queue, "pending", None)
    return {"pending": pending() if callable(pending) else None}


def buckets_view(template: Template, listed: Sequence[str] | None) -> list[dict[str, Any]]:
    """The template's buckets, then any other bucket the storage lists."""
    known = {bucket.bucket_name: bucket.logical_id for bucket in template.buckets.values()}
    names = list(known) + [name for name in listed or () if name not in known]
    return [
        {
            "bucketName": name,
            "logicalId": known.get(name),
            "exists": None if listed is None else name in listed,
        }
        for name in names
    ]
