"""S3 event notifications from a real MinIO, through lambdock's webhook target and listener.

The guarantee under test (emulator/storage/notifications.py): every write MinIO acknowledged
reaches the sink at least once across restarts of MinIO and of the receiver, in normal operation
exactly once, and oldest first while MinIO keeps running.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from minio import Minio
from minio.commonconfig import CopySource

from emulator.events.s3 import aws_event_name, encode_key, matches, s3_event, subscription_from_sam
from emulator.storage.audit import TraceLog
from emulator.storage.buckets import create_buckets
from emulator.storage.endpoint import S3Endpoint, minio_client
from emulator.storage.notifications import (
    MINIO_REPLAY_SECONDS,
    ListenerState,
    NotificationListener,
)
from tests.integration.storage.support import (
    CONNECT_SECONDS,
    Collector,
    RunningMinio,
    minio_with_webhook,
)

MULTIPART_SIZE = 6 * 1024 * 1024
PART_SIZE = 5 * 1024 * 1024


def boto3_client(endpoint: S3Endpoint) -> Any:
    """A boto3 S3 client for the endpoint."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint.url,
        aws_access_key_id=endpoint.access_key,
        aws_secret_access_key=endpoint.secret_key,
        region_name=endpoint.region,
    )


async def with_client(endpoint: S3Endpoint, work: Callable[[Minio], None]) -> None:
    """Run blocking SDK calls off the event loop, which has to keep serving the webhook."""

    def run() -> None:
        with minio_client(endpoint) as client:
            work(client)

    await asyncio.to_thread(run)


def put(client: Minio, bucket: str, key: str, data: bytes = b"payload") -> None:
    client.put_object(bucket, key, io.BytesIO(data), len(data))


def put_all(bucket: str, keys: list[str]) -> Callable[[Minio], None]:
    """Work that puts `keys` one after the other."""

    def work(client: Minio) -> None:
        for key in keys:
            put(client, bucket, key)

    return work


async def test_writes_arrive_in_order_and_route_to_matching_sam_subscriptions(
    minio: RunningMinio, bucket_name: str, collector: Collector
) -> None:
    csv_uploads = subscription_from_sam(
        {
            "Events": "s3:ObjectCreated:*",
            "Filter": {
                "S3Key": {
                    "Rules": [
                        {"Name": "prefix", "Value": "uploads/"},
                        {"Name": "suffix", "Value": ".csv"},
                    ]
                }
            },
        },
        bucket_name=bucket_name,
        configuration_id="CsvUploads",
    )
    removals = subscription_from_sam(
        {"Events": ["s3:ObjectRemoved:*"]}, bucket_name=bucket_name, configuration_id="Removals"
    )

    def writes(client: Minio) -> None:
        put(client, bucket_name, "uploads/a.csv")
        put(client, bucket_name, "uploads/a.txt")
        put(client, bucket_name, "notes/b.csv")
        client.copy_object(bucket_name, "uploads/c.csv", CopySource(bucket_name, "uploads/a.csv"))
        big = io.BytesIO(b"x" * MULTIPART_SIZE)
        client.put_object(bucket_name, "uploads/big.csv", big, -1, part_size=PART_SIZE)
        client.remove_object(bucket_name, "uploads/a.csv")

    await with_client(minio.server.endpoint, writes)
    received = await collector.wait_for(6)

    deliveries = [
        (subscription.configuration_id, aws_event_name(item.event_name), item.key)
        for item in received
        for subscription in (csv_uploads, removals)
        if matches(subscription, item.event_name, item.key)
    ]
    assert deliveries == [
        ("CsvUploads", "ObjectCreated:Put", "uploads/a.csv"),
        ("CsvUploads", "ObjectCreated:Copy", "uploads/c.csv"),
        ("CsvUploads", "ObjectCreated:CompleteMultipartUpload", "uploads/big.csv"),
        ("Removals", "ObjectRemoved:Delete", "uploads/a.csv"),
    ]
    multipart = s3_event(received[4].record, region="us-east-1", configuration_id="CsvUploads")
    assert multipart is not None
    assert multipart["Records"][0]["s3"]["object"]["size"] == MULTIPART_SIZE
    assert multipart["Records"][0]["s3"]["object"]["eTag"].endswith("-2")


async def test_two_hundred_quick_writes_yield_exactly_two_hundred_records(
    minio: RunningMinio, bucket_name: str, collector: Collector
) -> None:
    keys = [f"burst/object-{number:03d}.bin" for number in range(200)]

    def writes(client: Minio) -> None:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda key: put(client, bucket_name, key), keys))

    await with_client(minio.server.endpoint, writes)
    await collector.wait_for(200, seconds=60)
    # One more replay round of MinIO's queue, so a duplicate would have arrived by now.
    await asyncio.sleep(MINIO_REPLAY_SECONDS + 1)
    assert len(collector.items) == 200
    assert sorted(item.key for item in collector.items) == keys
    assert {item.event_name for item in collector.items} == {"s3:ObjectCreated:Put"}


async def test_keys_with_spaces_and_unicode_arrive_intact_and_encode_as_s3_does(
    minio: RunningMinio, bucket_name: str, collector: Collector
) -> None:
    keys = [
        "folder with spaces/file name (1).txt",
        "unicode/r\u00e9sum\u00e9 \u00fc \u65e5\u672c\u8a9e \U0001f600.txt",
        "signs/a+b=c&d%25.txt",
    ]
    await with_client(minio.server.endpoint, put_all(bucket_name, keys))
    received = await collector.wait_for(3)

    assert [item.key for item in received] == keys
    encoded = []
    for item in received:
        event = s3_event(item.record, region="us-east-1", configuration_id="c")
        assert event is not None
        encoded.append(event["Records"][0]["s3"]["object"]["key"])
    assert encoded == [
        "folder+with+spaces/file+name+%281%29.txt",
        "unicode/r%C3%A9sum%C3%A9+%C3%BC+%E6%97%A5%E6%9C%AC%E8%AA%9E+%F0%9F%98%80.txt",
        "signs/a%2Bb%3Dc%26d%2525.txt",
    ]
    assert encoded == [encode_key(key) for key in keys]


async def test_after_minio_restarts_the_listener_reconnects_and_loses_nothing(
    minio_binary: Path, tmp_path: Path
) -> None:
    running = minio_with_webhook(tmp_path, minio_binary)
    endpoint = await running.server.start()
    try:
        await create_buckets(endpoint, ["restarts"])
        collector = Collector("restarts")
        listener = NotificationListener(
            endpoint, running.target, ["restarts"], collector, probe_interval=0.2
        )
        async with listener:
            await listener.wait_connected(CONNECT_SECONDS)
            before = [f"before/{number}" for number in range(5)]
            await with_client(endpoint, put_all("restarts", before))
            # Stopped at once: these events are most likely still in MinIO's on-disk queue.
            await running.server.stop()
            await listener.wait_state(ListenerState.RECONNECTING, CONNECT_SECONDS)

            await running.server.start()
            await listener.wait_connected(CONNECT_SECONDS)
            after = [f"after/{number}" for number in range(5)]
            await with_client(endpoint, put_all("restarts", after))

            await collector.wait_for(10, seconds=30)
            await asyncio.sleep(MINIO_REPLAY_SECONDS + 1)
            assert sorted(item.key for item in collector.items) == sorted(before + after)
            assert listener.status()["reconnects"] == 1
    finally:
        await running.server.stop()


async def test_writes_made_while_the_receiver_is_down_arrive_when_it_returns(
    minio_binary: Path, tmp_path: Path
) -> None:
    running = minio_with_webhook(tmp_path, minio_binary)
    endpoint = await running.server.start()
    try:
        await create_buckets(endpoint, ["offline"])
        first = NotificationListener(endpoint, running.target, ["offline"], Collector("offline"))
        async with first:
            await first.wait_connected(CONNECT_SECONDS)
        written_while_down = [f"while-down/{number}" for number in range(5)]
        await with_client(endpoint, put_all("offline", written_while_down))
        # MinIO itself restarts too before anyone receives them: the queue is on disk.
        await running.server.stop()
        await running.server.start()

        collector = Collector("offline")
        second = NotificationListener(endpoint, running.target, ["offline"], collector)
        async with second:
            await collector.wait_for(5, seconds=30)
            await asyncio.sleep(MINIO_REPLAY_SECONDS + 1)
        # Exactly once each; the order may differ (see the guarantee's note on order).
        assert sorted(item.key for item in collector.items) == written_while_down
    finally:
        await running.server.stop()


async def test_the_immediate_copy_and_the_write_s_audit_entry_arrive_while_it_is_answered(
    minio: RunningMinio, bucket_name: str
) -> None:
    # With MINIO_API_SYNC_EVENTS=on MinIO posts to a target without a queue before it answers
    # the write, so the copy is there when put_object returns; the audit entry follows it.
    await create_buckets(minio.server.endpoint, [bucket_name])
    immediate, traces = Collector(bucket_name, immediate=True), TraceLog(expected=True)
    listener = NotificationListener(
        minio.server.endpoint, minio.target, [bucket_name], immediate, audit=traces.record
    )
    trace = "Root=1-6b0aa2bc-f6c189886bfe9c18677984cd;Parent=5691b452059ee4cd;Sampled=0"
    async with listener:
        await listener.wait_connected(CONNECT_SECONDS)

        def write() -> None:
            # What botocore does inside a Lambda function (add_recursion_detection_header).
            s3 = boto3_client(minio.server.endpoint)
            s3.meta.events.register(
                "before-sign.s3.PutObject",
                lambda request, **_: request.headers.__setitem__("X-Amzn-Trace-Id", trace),
            )
            s3.put_object(Bucket=bucket_name, Key="now.txt", Body=b"payload")
            assert [item.key for item in immediate.items] == ["now.txt"]

        await asyncio.to_thread(write)
        record = immediate.items[0].record
        request_id = record["responseElements"]["x-amz-request-id"]
        assert await traces.trace_of(request_id, wait=CONNECT_SECONDS) == trace
