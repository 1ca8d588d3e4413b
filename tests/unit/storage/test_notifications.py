"""The MinIO webhook target's configuration and the receiver's answers to MinIO's posts.

MinIO's webhook target (`internal/event/target/webhook.go`): configured by
MINIO_NOTIFY_WEBHOOK_{ENABLE,ENDPOINT,AUTH_TOKEN,QUEUE_DIR}_<ID>, posts
`{"EventName", "Key", "Records": [...]}` with `Authorization: Bearer <token>`, counts any 2xx as
delivered and retries anything else from its queue. Posts are captured from the pinned MinIO.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator.storage.endpoint import S3Endpoint
from emulator.storage.notifications import (
    ListenerState,
    NotificationListener,
    ObjectNotification,
    WebhookTarget,
    minio_webhook_env,
    parse_webhook_body,
)
from emulator.storage.webhook import WebhookRequest

FIXTURES = Path(__file__).parents[2] / "fixtures" / "events" / "s3"
TARGET = WebhookTarget(port=9311, token="s3cret-token", queue_dir=Path("/var/queue"))
ENDPOINT = S3Endpoint(url="http://127.0.0.1:9310", access_key="lambdock", secret_key="secret")


def captured_post(name: str) -> bytes:
    return (FIXTURES / f"minio-webhook-{name}.json").read_bytes()


def post(body: bytes, *, token: str = TARGET.token, path: str = "/minio/events") -> WebhookRequest:
    return WebhookRequest(
        method="POST",
        target=path,
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
        body=body,
    )


class Recorder:
    """A sink that keeps what it is given, or fails on demand."""

    def __init__(self, *, fail: bool = False) -> None:
        self.received: list[ObjectNotification] = []
        self.fail = fail

    async def __call__(self, notification: ObjectNotification) -> None:
        if self.fail:
            raise RuntimeError("queue unavailable")
        self.received.append(notification)


def test_the_targets_and_the_audit_log_are_configured_through_minio_environment_variables() -> None:
    # MinIO "Audit Logging": MINIO_AUDIT_WEBHOOK_{ENABLE,ENDPOINT,AUTH_TOKEN,RETRY_INTERVAL}_<ID>;
    # the audit target sends AUTH_TOKEN as the whole Authorization header.
    assert minio_webhook_env(TARGET) == {
        "MINIO_NOTIFY_WEBHOOK_ENABLE_LAMBDOCK": "on",
        "MINIO_NOTIFY_WEBHOOK_ENDPOINT_LAMBDOCK": "http://127.0.0.1:9311/minio/events",
        "MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_LAMBDOCK": "s3cret-token",
        "MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_LAMBDOCK": str(Path("/var/queue")),
        "MINIO_NOTIFY_WEBHOOK_ENABLE_LAMBDOCKNOW": "on",
        "MINIO_NOTIFY_WEBHOOK_ENDPOINT_LAMBDOCKNOW": (
            "http://127.0.0.1:9311/minio/events/immediate"
        ),
        "MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_LAMBDOCKNOW": "s3cret-token",
        "MINIO_API_SYNC_EVENTS": "on",
        "MINIO_AUDIT_WEBHOOK_ENABLE_LAMBDOCK": "on",
        "MINIO_AUDIT_WEBHOOK_ENDPOINT_LAMBDOCK": "http://127.0.0.1:9311/minio/audit",
        "MINIO_AUDIT_WEBHOOK_AUTH_TOKEN_LAMBDOCK": "Bearer s3cret-token",
        "MINIO_AUDIT_WEBHOOK_RETRY_INTERVAL_LAMBDOCK": "250ms",
    }
    assert TARGET.routes == {
        "lambdock": "arn:minio:sqs::LAMBDOCK:webhook",
        "lambdock-immediate": "arn:minio:sqs::LAMBDOCKNOW:webhook",
    }


def test_a_post_yields_its_records_with_decoded_keys() -> None:
    (notification,) = parse_webhook_body(captured_post("put"))
    assert notification.bucket == "incoming"
    assert notification.key == "uploads/2024 Q1 r\u00e9sum\u00e9+final (1).csv"
    assert notification.event_name == "s3:ObjectCreated:Put"
    expected_record = json.loads(captured_post("put"))["Records"][0]
    assert notification.record == expected_record


@pytest.mark.parametrize("body", [b"not json", b"{}", b'{"Records": [{"s3": {}}]}'])
def test_bodies_that_are_not_minio_events_are_rejected(body: bytes) -> None:
    with pytest.raises(ValueError, match="not a MinIO webhook event"):
        parse_webhook_body(body)


async def test_an_accepted_post_is_answered_200_after_the_sink_took_it() -> None:
    sink = Recorder()
    listener = NotificationListener(ENDPOINT, TARGET, ["incoming"], sink)
    assert await listener.handle(post(captured_post("delete"))) == 200
    assert [n.event_name for n in sink.received] == ["s3:ObjectRemoved:Delete"]
    assert listener.status()["received"] == 1


async def test_a_post_of_the_immediate_target_is_delivered_marked_immediate() -> None:
    sink = Recorder()
    listener = NotificationListener(ENDPOINT, TARGET, ["incoming"], sink)
    assert await listener.handle(post(captured_post("put"), path="/minio/events/immediate")) == 200
    assert await listener.handle(post(captured_post("put"))) == 200
    assert [n.immediate for n in sink.received] == [True, False]


async def test_an_audit_post_goes_to_the_audit_sink_not_to_the_event_sink() -> None:
    sink, audited = Recorder(), []
    listener = NotificationListener(ENDPOINT, TARGET, ["incoming"], sink, audit=audited.append)
    assert await listener.handle(post(b'{"requestID": "1"}', path="/minio/audit")) == 200
    assert await listener.handle(post(b"{}", path="/minio/audit", token="guess")) == 403
    assert audited == [b'{"requestID": "1"}']
    assert sink.received == []


async def test_a_post_without_the_token_is_refused_and_not_delivered() -> None:
    sink = Recorder()
    listener = NotificationListener(ENDPOINT, TARGET, ["incoming"], sink)
    assert await listener.handle(post(captured_post("put"), token="guess")) == 403
    assert sink.received == []


async def test_a_sink_failure_answers_503_so_minio_keeps_the_event() -> None:
    listener = NotificationListener(ENDPOINT, TARGET, ["incoming"], Recorder(fail=True))
    assert await listener.handle(post(captured_post("put"))) == 503


async def test_an_unreadable_post_is_acknowledged_so_it_cannot_block_the_queue() -> None:
    sink = Recorder()
    listener = NotificationListener(ENDPOINT, TARGET, ["incoming"], sink)
    assert await listener.handle(post(b"garbage")) == 200
    assert sink.received == []


async def test_other_paths_and_methods_are_not_found() -> None:
    listener = NotificationListener(ENDPOINT, TARGET, ["incoming"], Recorder())
    assert await listener.handle(post(captured_post("put"), path="/other")) == 404
    get = WebhookRequest(method="GET", target="/minio/events", headers={}, body=b"")
    assert await listener.handle(get) == 404


def test_a_listener_that_was_not_started_reports_stopped() -> None:
    listener = NotificationListener(ENDPOINT, TARGET, ["incoming"], Recorder())
    assert listener.state is ListenerState.STOPPED
    assert listener.status() == {
        "state": "stopped",
        "endpoint": "http://127.0.0.1:9310",
        "target": "arn:minio:sqs::LAMBDOCK:webhook",
        "receiver": "http://127.0.0.1:9311/minio/events",
        "buckets": ["incoming"],
        "received": 0,
        "reconnects": 0,
        "last_event_at": None,
        "last_error": None,
    }
