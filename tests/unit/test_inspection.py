"""The views the dashboard reads: latency figures, routes and triggers of SAM events."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import urllib3.exceptions

from emulator.errors import StorageError
from emulator.inspection import MinioBrowser, ObjectInfo, percentile, route_of, stats, trigger_of
from emulator.logs import InvocationLog, InvocationSummary
from emulator.storage.endpoint import S3Endpoint
from emulator.template.models import EventSpec


def finished(duration_ms: float, *, cold: bool = False, status: str = "ok") -> InvocationLog:
    log = InvocationLog("Hello", "stream", f"r{duration_ms}")
    log.summary = InvocationSummary(
        request_id=log.request_id,
        function_name="Hello",
        log_stream_name="stream",
        started_at=0.0,
        duration_ms=duration_ms,
        status=status,
        error_type=None if status == "ok" else "ValueError",
        cold=cold,
        init_duration_ms=None,
        max_memory_mb=40,
        memory_size=128,
    )
    return log


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 1.0)) == (
        10.0,
        19.0,
        20.0,
    )
    assert percentile([], 0.5) is None


def test_stats_count_errors_and_cold_starts_and_chart_the_latest() -> None:
    logs = [finished(100.0, cold=True), finished(2.0), finished(4.0, status="error"), finished(3.0)]
    assert stats(logs) == {
        "invocations": 4,
        "errors": 1,
        "coldStarts": 1,
        "p50Ms": 3.0,
        "p95Ms": 100.0,
        "chart": [
            {"ms": 100.0, "cold": True, "status": "ok"},
            {"ms": 2.0, "cold": False, "status": "ok"},
            {"ms": 4.0, "cold": False, "status": "error"},
            {"ms": 3.0, "cold": False, "status": "ok"},
        ],
    }


def test_a_rest_route_with_any_method_reads_any() -> None:
    event = EventSpec("Proxy", "Api", {"Path": "/{proxy+}", "Method": "any"})
    assert route_of(event) == {"name": "Proxy", "api": "Api", "method": "ANY", "path": "/{proxy+}"}


def test_an_http_api_event_without_path_is_the_default_route() -> None:
    assert route_of(EventSpec("All", "HttpApi", {})) == {
        "name": "All",
        "api": "HttpApi",
        "method": "ANY",
        "path": "$default",
    }


def test_an_s3_trigger_names_its_bucket_and_events() -> None:
    event = EventSpec("Upload", "S3", {"Bucket": "data", "Events": ["s3:ObjectCreated:*"]})
    assert trigger_of(event) == {
        "name": "Upload",
        "type": "S3",
        "detail": "data s3:ObjectCreated:*",
    }


@dataclass
class Listed:
    object_name: str
    size: int
    last_modified: datetime.datetime | None
    etag: str | None


@dataclass
class Bucket:
    name: str


class FakeMinio:
    def list_buckets(self) -> list[Bucket]:
        return [Bucket("b"), Bucket("a")]

    def list_objects(self, bucket: str, *, prefix: str | None, recursive: bool) -> Iterator[Listed]:
        assert (bucket, prefix, recursive) == ("a", "in/", True)
        moment = datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)
        yield from (Listed(f"in/{n}.csv", n, moment, f'"e{n}"') for n in range(5))


ENDPOINT = S3Endpoint("http://127.0.0.1:9000", "key", "secret")


@contextlib.contextmanager
def fake_connect(endpoint: S3Endpoint, *, timeout: float) -> Iterator[Any]:
    assert (endpoint, timeout) == (ENDPOINT, 10.0)
    yield FakeMinio()


async def test_the_minio_browser_lists_buckets_and_a_bounded_page_of_objects() -> None:
    browser = MinioBrowser(ENDPOINT, connect=fake_connect)
    assert await browser.list_buckets() == ["a", "b"]
    assert await browser.list_objects("a", "in/", 2) == [
        ObjectInfo("in/0.csv", 0, "2024-05-01T00:00:00+00:00", '"e0"'),
        ObjectInfo("in/1.csv", 1, "2024-05-01T00:00:00+00:00", '"e1"'),
    ]


async def test_the_minio_browser_turns_sdk_failures_into_storage_errors() -> None:
    @contextlib.contextmanager
    def refused(endpoint: S3Endpoint, *, timeout: float) -> Iterator[Any]:
        raise urllib3.exceptions.MaxRetryError(None, "/", "connection refused")  # type: ignore[arg-type]
        yield

    with pytest.raises(StorageError, match=r"cannot list http://127\.0\.0\.1:9000"):
        await MinioBrowser(ENDPOINT, connect=refused).list_buckets()
