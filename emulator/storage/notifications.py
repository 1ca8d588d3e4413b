"""S3 event notifications from MinIO: a webhook target with a persistent queue, and its receiver.

Why a webhook target and not MinIO's listen API
-----------------------------------------------
The listen API (`Minio.listen_bucket_notification`, a streaming GET) needs no MinIO
configuration, but:
- In the pinned MinIO it delivers nothing: since commit 52eee5a2f every S3 response goes
  through a `trackingResponseWriter` that does not implement `http.Flusher`, so the stream
  is never flushed and events sit in a 4 KiB buffer until the connection closes
  (chainguard-forks/minio#37, pgsty/silo#34; reproduced against the pinned build).
- Even when it works it is lossy by design: MinIO publishes to listeners with a non-blocking
  send into a bounded buffer (`internal/pubsub`), and an event raised while no stream is open
  is never sent. After a dropped connection a client has to rebuild what it missed, e.g. by
  diffing a bucket listing, which loses intermediate states (put-then-delete, overwrites).

A webhook target with `queue_dir` is MinIO's durable path. What it guarantees:
- With `MINIO_API_SYNC_EVENTS=on` MinIO writes each event into the target's on-disk queue
  before it answers the S3 request that caused it (`sendEvent` runs before the response in
  the object handlers; the queue store is `internal/store/queuestore.go`).
- MinIO removes an event from the queue only after this receiver answered 2xx, and the
  receiver answers 2xx only after the sink accepted every record of the post. When the
  receiver is down or answers otherwise, MinIO keeps the event and retries every 3 s.
- So: every write MinIO acknowledged is reported at least once, whether lambdock, the
  receiver or MinIO itself restarts in between, as long as the queue directory survives and
  holds fewer than MinIO's queue limit (100 000 events). A duplicate arrives when lambdock
  accepted an event but MinIO did not see the 2xx (receiver stopped mid-answer, or the sink
  failed on a later record of the same post).
- Order: MinIO sends its queue oldest first, one event at a time. After MinIO restarts it
  orders what is left by file modification time, whose granularity (a few ms) can swap
  events queued close together. S3 promises no order either; `sequencer` orders the events
  of one key.
- Latency: MinIO scans the queue every 3 s (`retryInterval` in `internal/store/store.go`), so
  an event arrives 0 to 3 s after its write. S3 itself promises only "typically seconds".
The price: the target must be configured when MinIO starts (environment variables, see
`minio_webhook_env`), which lambdock does for the MinIO it runs. An external endpoint
(`--s3-endpoint`) needs the same target configured by its operator.

A second, immediate target for latency
--------------------------------------
0 to 3 s is far from an S3 trigger that reaches its handler in tens of milliseconds. So the
buckets route every event to two targets: the queued one above, and one without `queue_dir`,
which MinIO posts to while it handles the write (`Save` sends at once when a target has no
store; with `MINIO_API_SYNC_EVENTS=on` the write waits for that post). Every event then
arrives twice, told apart by the path posted to (IMMEDIATE_PATH; MinIO writes the same
`s3.configurationId`, "Config", into both); the receiver's sink runs it once and drops the
other copy (see `emulator/triggers/s3.py`). The immediate copy is the fast path and may be
lost (receiver down or slow: MinIO drops it); the queued copy is the guarantee.
Measured on the pinned MinIO (2 cores, 40 single puts 50 ms apart, from the start of the put
to the arrival of the post): queued p50 1765 ms, max 2876 ms; immediate p50 4.3 ms, max
17 ms. A put that finds the receiver down is not slowed (the refused connection fails at
once; measured 10 ms).

MinIO's audit log goes to the same receiver (AUDIT_PATH): each entry carries the request
headers of one S3 call, among them the `X-Amzn-Trace-Id` that the AWS SDKs send from inside a
Lambda function; lambdock's recursive loop detection reads it (`emulator/storage/audit.py`).

"Connected" here means: MinIO answers its liveness check and every bucket routes its events
to the target. The listener probes MinIO, re-applies the routing after MinIO comes back (a
recreated data directory loses it) and reports `reconnecting` while that fails, retrying with
a bounded backoff.
"""

from __future__ import annotations

import asyncio
import enum
import hmac
import json
import logging
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from emulator.events.s3 import minio_object_key
from emulator.storage.buckets import (
    IMMEDIATE_NOTIFICATION_ID,
    NOTIFICATION_ID,
    BucketError,
    route_all_notifications,
)
from emulator.storage.endpoint import S3Endpoint
from emulator.storage.webhook import LOOPBACK, WebhookRequest, WebhookServer

TARGET_ID = "LAMBDOCK"
IMMEDIATE_TARGET_ID = "LAMBDOCKNOW"
WEBHOOK_PATH = "/minio/events"
IMMEDIATE_PATH = "/minio/events/immediate"
AUDIT_PATH = "/minio/audit"
# A failed audit post is retried after this long (MinIO's default is 3 s), holding back every
# later entry: short, because the receiver starts after the MinIO it manages.
AUDIT_RETRY_INTERVAL = "250ms"
HEALTH_PATH = "/minio/health/live"
PROBE_TIMEOUT_SECONDS = 2.0
# MinIO's queue store replays every 3 s (`retryInterval`); callers waiting for an event should
# allow at least this long.
MINIO_REPLAY_SECONDS = 3.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookTarget:
    """MinIO's webhook target for lambdock: receiver port, shared token, on-disk queue."""

    port: int
    token: str
    queue_dir: Path
    target_id: str = TARGET_ID

    @property
    def url(self) -> str:
        """Where MinIO posts events."""
        return f"http://{LOOPBACK}:{self.port}{WEBHOOK_PATH}"

    @property
    def arn(self) -> str:
        """The ARN a bucket notification configuration names this target by."""
        return f"arn:minio:sqs::{self.target_id}:webhook"

    @property
    def immediate_arn(self) -> str:
        """The ARN of the queue-less target that posts while MinIO handles the write."""
        return f"arn:minio:sqs::{IMMEDIATE_TARGET_ID}:webhook"

    @property
    def routes(self) -> dict[str, str]:
        """Configuration ID -> target ARN, for every bucket's notification configuration."""
        return {NOTIFICATION_ID: self.arn, IMMEDIATE_NOTIFICATION_ID: self.immediate_arn}

    @property
    def immediate_url(self) -> str:
        """Where MinIO's immediate target posts events."""
        return f"http://{LOOPBACK}:{self.port}{IMMEDIATE_PATH}"

    @property
    def audit_url(self) -> str:
        """Where MinIO posts its audit log."""
        return f"http://{LOOPBACK}:{self.port}{AUDIT_PATH}"


def new_webhook_target(queue_dir: Path, *, port: int | None = None) -> WebhookTarget:
    """A target on a free loopback port (unless given) with a fresh random token."""
    if port is None:
        with socket.socket() as probe:
            probe.bind((LOOPBACK, 0))
            port = probe.getsockname()[1]
    return WebhookTarget(port=port, token=secrets.token_urlsafe(24), queue_dir=queue_dir.resolve())


def minio_webhook_env(target: WebhookTarget) -> dict[str, str]:
    """MinIO environment variables that configure the targets and the audit log.

    MinIO documents them under "Publish Events to Webhook" and "Audit Logging" (webhook).
    """
    suffix, now = target.target_id, IMMEDIATE_TARGET_ID
    return {
        f"MINIO_NOTIFY_WEBHOOK_ENABLE_{suffix}": "on",
        f"MINIO_NOTIFY_WEBHOOK_ENDPOINT_{suffix}": target.url,
        f"MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_{suffix}": target.token,
        # MinIO requires an absolute path here.
        f"MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_{suffix}": str(target.queue_dir),
        f"MINIO_NOTIFY_WEBHOOK_ENABLE_{now}": "on",
        f"MINIO_NOTIFY_WEBHOOK_ENDPOINT_{now}": target.immediate_url,
        f"MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_{now}": target.token,
        # Queue each event before the S3 request that caused it is answered.
        "MINIO_API_SYNC_EVENTS": "on",
        f"MINIO_AUDIT_WEBHOOK_ENABLE_{suffix}": "on",
        f"MINIO_AUDIT_WEBHOOK_ENDPOINT_{suffix}": target.audit_url,
        # The audit target sends its token as the whole Authorization header.
        f"MINIO_AUDIT_WEBHOOK_AUTH_TOKEN_{suffix}": f"Bearer {target.token}",
        f"MINIO_AUDIT_WEBHOOK_RETRY_INTERVAL_{suffix}": AUDIT_RETRY_INTERVAL,
    }


@dataclass(frozen=True)
class ObjectNotification:
    """One MinIO event record as received, with its bucket, decoded key and event name; and
    whether it came from the immediate target (the queued target's copy follows)."""

    bucket: str
    key: str
    event_name: str
    record: Mapping[str, Any]
    immediate: bool = False


def parse_webhook_body(body: bytes, *, immediate: bool = False) -> tuple[ObjectNotification, ...]:
    """The records of one webhook post (`{"EventName", "Key", "Records": [...]}`)."""
    try:
        document = json.loads(body)
        return tuple(_notification(record, immediate) for record in document["Records"])
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"not a MinIO webhook event: {error}") from error


def _notification(record: Mapping[str, Any], immediate: bool) -> ObjectNotification:
    """One record; the webhook sends keys through url.QueryEscape."""
    return ObjectNotification(
        bucket=record["s3"]["bucket"]["name"],
        key=minio_object_key(record, key_escaped=True),
        event_name=record["eventName"],
        record=record,
        immediate=immediate,
    )


class ListenerState(enum.StrEnum):
    """What a health endpoint shows for the notification path."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Backoff:
    """Delays between probes while MinIO is unreachable: doubling, capped."""

    initial: float = 0.2
    maximum: float = 5.0

    def next(self, delay: float) -> float:
        """The delay after `delay`."""
        return min(delay * 2, self.maximum)


Sink = Callable[[ObjectNotification], Awaitable[None]]
AuditSink = Callable[[bytes], None]


class NotificationListener:
    """Receives the target's posts and hands each record to `sink`; watches MinIO."""

    def __init__(
        self,
        endpoint: S3Endpoint,
        target: WebhookTarget,
        buckets: Iterable[str],
        sink: Sink,
        *,
        probe_interval: float = 2.0,
        backoff: Backoff = Backoff(),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        audit: AuditSink | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._audit = audit
        self._target = target
        self._buckets = tuple(buckets)
        self._sink = sink
        self._probe_interval = probe_interval
        self._backoff = backoff
        self._clock = clock
        self._server = WebhookServer(self.handle, port=target.port)
        self._monitor_task: asyncio.Task[None] | None = None
        self._reached = {state: asyncio.Event() for state in ListenerState}
        self._state = ListenerState.STOPPED
        self._reached[self._state].set()
        self._received = 0
        self._reconnects = 0
        self._last_event_at: datetime | None = None
        self._last_error: str | None = None

    @property
    def state(self) -> ListenerState:
        """Current state."""
        return self._state

    def status(self) -> dict[str, Any]:
        """State and counters for a health endpoint."""
        last = self._last_event_at
        return {
            "state": str(self._state),
            "endpoint": self._endpoint.url,
            "target": self._target.arn,
            "receiver": self._target.url,
            "buckets": list(self._buckets),
            "received": self._received,
            "reconnects": self._reconnects,
            "last_event_at": last.isoformat(timespec="milliseconds") if last else None,
            "last_error": self._last_error,
        }

    async def start(self) -> None:
        """Start receiving and watching MinIO; returns at once (see `wait_connected`)."""
        if self._monitor_task is not None:
            return
        await self._server.start()
        self._set_state(ListenerState.CONNECTING)
        self._monitor_task = asyncio.create_task(self._monitor(), name="minio-notifications")

    async def stop(self) -> None:
        """Stop watching and receiving; MinIO keeps undelivered events in its queue."""
        task, self._monitor_task = self._monitor_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self._server.stop()
        self._set_state(ListenerState.STOPPED)

    async def wait_connected(self, seconds: float) -> None:
        """Return once connected; TimeoutError after `seconds`."""
        await self.wait_state(ListenerState.CONNECTED, seconds)

    async def wait_state(self, state: ListenerState, seconds: float) -> None:
        """Return once the listener is in `state`; TimeoutError after `seconds`."""
        async with asyncio.timeout(seconds):
            await self._reached[state].wait()

    async def __aenter__(self) -> NotificationListener:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def handle(self, request: WebhookRequest) -> int:
        """Answer one post from MinIO: 2xx only once the sink has taken every record.

        Public so that another HTTP server could serve it; the listener serves it itself.
        """
        path = request.target.partition("?")[0]
        if request.method != "POST" or path not in (WEBHOOK_PATH, IMMEDIATE_PATH, AUDIT_PATH):
            return 404
        expected = f"Bearer {self._target.token}"
        if not hmac.compare_digest(request.headers.get("authorization", ""), expected):
            return 403
        if path == AUDIT_PATH:
            if self._audit is not None:
                self._audit(request.body)
            return 200
        try:
            notifications = parse_webhook_body(request.body, immediate=path == IMMEDIATE_PATH)
        except ValueError:
            # A body that cannot be parsed now never will be; refusing it would make MinIO
            # retry it forever and hold back every later event.
            log.exception("dropping an unreadable MinIO webhook post")
            return 200
        for notification in notifications:
            try:
                await self._sink(notification)
            except Exception:
                log.exception("S3 event not accepted; MinIO will deliver it again")
                return 503
            self._received += 1
            self._last_event_at = self._clock()
        return 200

    async def _monitor(self) -> None:
        """Probe MinIO; route the buckets' events whenever it (re)appears. Runs until stopped."""
        delay = self._backoff.initial
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_SECONDS) as http:
            while True:
                if await self._checked(http):
                    delay = self._backoff.initial
                    await asyncio.sleep(self._probe_interval)
                else:
                    await asyncio.sleep(delay)
                    delay = self._backoff.next(delay)

    async def _checked(self, http: httpx.AsyncClient) -> bool:
        """`_check`, counting an unexpected failure as a lost connection, not a dead monitor."""
        try:
            return await self._check(http)
        except Exception as error:
            log.exception("S3 notifications: check failed")
            self._lost(f"check failed: {error!r}")
            return False

    async def _check(self, http: httpx.AsyncClient) -> bool:
        """One probe; moves between connected and reconnecting. True when connected."""
        if not await self._minio_live(http):
            self._lost("MinIO is not live")
            return False
        if self._state is ListenerState.CONNECTED:
            return True
        try:
            await route_all_notifications(self._endpoint, self._buckets, self._target.routes)
        except BucketError as error:
            self._lost(str(error))
            return False
        self._last_error = None
        self._set_state(ListenerState.CONNECTED)
        return True

    async def _minio_live(self, http: httpx.AsyncClient) -> bool:
        """Whether MinIO's liveness endpoint answers 200."""
        try:
            response = await http.get(self._endpoint.url.rstrip("/") + HEALTH_PATH)
        except httpx.TransportError:
            return False
        return response.status_code == httpx.codes.OK

    def _lost(self, reason: str) -> None:
        """Record why the path is down; a connected listener starts reconnecting."""
        self._last_error = reason
        if self._state is ListenerState.CONNECTED:
            self._reconnects += 1
            self._set_state(ListenerState.RECONNECTING)

    def _set_state(self, state: ListenerState) -> None:
        """Change state, and the events that `wait_state` waits on."""
        if state is not self._state:
            log.info("S3 notifications: %s", state)
            self._reached[self._state].clear()
        self._state = state
        self._reached[state].set()
