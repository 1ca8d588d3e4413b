"""Trace headers of S3 writes, from MinIO's audit log.

The entry under tests/fixtures/events/s3/minio-audit-put.json was posted by the pinned MinIO's
audit webhook (`internal/logger/message/audit/entry.go`) for a boto3 PutObject made with
AWS_LAMBDA_FUNCTION_NAME and _X_AMZN_TRACE_ID set, so botocore sent X-Amzn-Trace-Id
(`add_recursion_detection_header`); the request signature is blanked.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from emulator.storage.audit import AuditedCall, TraceLog, parse_audit_body

FIXTURES = Path(__file__).parents[2] / "fixtures" / "events" / "s3"
TRACE = (
    "Root=1-6b0aa2bc-f6c189886bfe9c18677984cd;Parent=5691b452059ee4cd;Sampled=0;Lineage=a15dc798:3"
)


def audit_put() -> bytes:
    return (FIXTURES / "minio-audit-put.json").read_bytes()


def entry(request_id: str, api: str, trace: str | None = None) -> bytes:
    headers = {"X-Amzn-Trace-Id": trace} if trace else {}
    return json.dumps({"requestID": request_id, "api": {"name": api}, "requestHeader": headers})


def test_an_audit_entry_gives_the_request_id_api_and_trace_header() -> None:
    assert parse_audit_body(audit_put()) == (
        AuditedCall(request_id="18EC2C6D6AE9B8B5", api="PutObject", trace_header=TRACE),
    )


def test_a_batch_has_one_entry_per_line_and_lines_that_are_not_entries_are_skipped() -> None:
    body = b"\n".join([entry("A", "PutObject").encode(), b"not json", b"{}", b"[1]"])
    assert parse_audit_body(body) == (AuditedCall("A", "PutObject", None),)


async def test_a_write_is_known_with_its_trace_header_and_a_read_is_not_kept() -> None:
    log = TraceLog()
    log.record(audit_put())
    log.record(entry("B", "GetObject", TRACE).encode())
    assert await log.trace_of("18EC2C6D6AE9B8B5", wait=0) == TRACE
    assert not log.known("B")
    assert log.entries == 2


async def test_a_reader_waits_for_the_entry_that_arrives_after_the_event() -> None:
    log = TraceLog()
    log.record(entry("first", "PutObject").encode())
    waiting = asyncio.create_task(log.trace_of("later", wait=5.0))
    await asyncio.sleep(0)
    log.record(entry("later", "CopyObject", TRACE).encode())
    assert await waiting == TRACE


async def test_without_an_audit_log_nothing_is_waited_for() -> None:
    log = TraceLog()
    assert await log.trace_of("unknown", wait=60.0) is None


async def test_an_entry_that_does_not_come_in_time_means_no_trace() -> None:
    log = TraceLog()
    log.record(entry("other", "PutObject").encode())
    assert await log.trace_of("missing", wait=0.01) is None


def test_the_oldest_writes_are_forgotten_past_the_capacity() -> None:
    log = TraceLog(capacity=2)
    for request_id in ("1", "2", "3"):
        log.record(entry(request_id, "PutObject").encode())
    assert [log.known(r) for r in ("1", "2", "3")] == [False, True, True]


async def test_an_expected_audit_log_is_waited_for_before_its_first_entry() -> None:
    log = TraceLog(expected=True)
    waiting = asyncio.create_task(log.trace_of("first", wait=5.0))
    await asyncio.sleep(0)
    log.record(entry("first", "PutObject", TRACE).encode())
    assert await waiting == TRACE
