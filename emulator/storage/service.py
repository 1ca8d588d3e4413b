"""S3 for one lambdock: its endpoint (a MinIO it runs, or one it is given), the template's
buckets, the S3 triggers, and what functions and clients need to reach it.

Lifecycle, through the hooks of `Services`:
- prepare (before serving; the command line runs it first so that a failure exits 2 with its
  message): start MinIO, or check the given endpoint answers; create the buckets; route their
  events to lambdock's webhook targets. A failure is a StorageError naming the endpoint.
- start (on the serving event loop): receive MinIO's events (`NotificationListener`) and
  watch the MinIO process: if it exits, start it again on the same ports and data; the
  listener notices MinIO is back and resumes. While MinIO is away, S3 triggers pause (MinIO
  keeps their events in its queue) and invocations keep running.
- stop: stop receiving, then stop MinIO. Events not yet delivered stay in MinIO's queue
  directory under the state folder and are delivered at the next start.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import urllib3
from minio.error import S3Error

from emulator.errors import StorageError
from emulator.inspection import MinioBrowser
from emulator.settings import Settings
from emulator.storage.audit import TraceLog
from emulator.storage.buckets import BucketError, create_buckets, route_all_notifications
from emulator.storage.endpoint import S3Endpoint, minio_client
from emulator.storage.iam import give_functions_their_users
from emulator.storage.minio_server import (
    MinioBinaryNotFound,
    MinioError,
    MinioServer,
    MinioServerConfig,
)
from emulator.storage.notifications import (
    NotificationListener,
    Sink,
    minio_webhook_env,
    new_webhook_target,
)
from emulator.template.models import Template
from emulator.triggers.async_events import Source
from emulator.triggers.object_writer import S3ObjectWriter
from emulator.triggers.s3 import S3EventSink, S3Trigger, s3_triggers, trigger_summary

if TYPE_CHECKING:
    from emulator.services import Services

log = logging.getLogger("lambdock.storage")

CONNECT_SECONDS = 10.0
WATCH_INTERVAL_SECONDS = 0.5
RESTART_BACKOFF_MAX_SECONDS = 30.0
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def function_endpoint_url(url: str) -> str:
    """The endpoint URL as handed to functions: a loopback host name becomes 127.0.0.1.

    The AWS SDKs address a custom endpoint path-style when its host is an IP address and
    virtual-hosted style (`bucket.localhost`) otherwise (the S3 endpoint rule set of boto3 and of
    the JavaScript SDK v3); MinIO serves virtual-hosted style only with MINIO_DOMAIN set.
    """
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in _LOOPBACK_NAMES:
        return url
    netloc = f"127.0.0.1:{parts.port}" if parts.port else "127.0.0.1"
    return urlunsplit(parts._replace(netloc=netloc))


class StorageService:
    """The S3 endpoint, its buckets and its notification listener."""

    def __init__(
        self,
        settings: Settings,
        buckets: tuple[str, ...],
        sink: Sink,
        traces: TraceLog,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._buckets = buckets
        self._sink = sink
        self._traces = traces
        state = settings.resolved_state_dir
        self.target = new_webhook_target(state / "minio-events")
        self._endpoint: S3Endpoint | None = None
        self._server: MinioServer | None = None
        if settings.s3_endpoint:
            self._endpoint = S3Endpoint(
                url=settings.s3_endpoint.rstrip("/"),
                access_key=settings.s3_access_key or "",
                secret_key=settings.s3_secret_key or "",
                region=settings.region,
            )
        else:
            binary = Path(settings.minio_bin) if settings.minio_bin else None
            self._config = MinioServerConfig(
                data_dir=state / "minio", binary=binary, extra_env=minio_webhook_env(self.target)
            )
            self._server = MinioServer(self._config, environ=environ)
            atexit.register(self._terminate_at_exit)
        self._listener: NotificationListener | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._prepared = False
        self._restarts = 0
        self._last_error: str | None = None

    @property
    def buckets(self) -> tuple[str, ...]:
        """The template's bucket names, created at start."""
        return self._buckets

    def target_env(self) -> dict[str, str]:
        """The MinIO settings that send events to this lambdock (for an external MinIO)."""
        return minio_webhook_env(self.target)

    @property
    def managed(self) -> bool:
        """Whether lambdock runs this MinIO itself."""
        return self._server is not None

    @property
    def endpoint(self) -> S3Endpoint:
        """Where lambdock reaches S3 (known once prepared, for a managed MinIO)."""
        if self._endpoint is None:
            raise StorageError("the S3 endpoint is not known before MinIO has started")
        return self._endpoint

    def credentials(self) -> dict[str, str]:
        """Credentials that functions (and test clients) use, which the endpoint accepts.

        No AWS_SESSION_TOKEN: MinIO refuses a session token it did not issue (InvalidTokenId).
        """
        if self._server is not None:
            key, secret = self._config.root_user, self._config.root_password
        else:
            key, secret = self.endpoint.access_key, self.endpoint.secret_key
        return {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}

    def function_variables(self) -> dict[str, str]:
        """The variables that point the SDKs of a function at this S3."""
        if self._endpoint is None:
            return {}
        return {"AWS_ENDPOINT_URL_S3": function_endpoint_url(self._endpoint.url)}

    async def prepare(self) -> None:
        """Make the endpoint and the buckets ready; StorageError when they cannot be."""
        if self._prepared:
            return
        try:
            endpoint = await self._reach()
            await create_buckets(endpoint, self._buckets)
            if self._server is not None:
                await route_all_notifications(endpoint, self._buckets, self.target.routes)
        except (MinioError, BucketError) as error:
            await self._stop_server()
            raise StorageError(self._explain(error)) from None
        self._endpoint = endpoint
        self._prepared = True

    async def _reach(self) -> S3Endpoint:
        """Start MinIO, or check that the configured endpoint answers."""
        if self._server is not None:
            return await self._server.start()
        endpoint = self.endpoint
        await asyncio.to_thread(_list_buckets, endpoint)
        return endpoint

    def _explain(self, error: Exception) -> str:
        """The message for a storage failure at start."""
        if self._server is None:
            return f"S3 endpoint {self.endpoint.url}: {error}"
        hint = " A binary elsewhere is named with --minio-bin." if _no_binary(error) else ""
        return f"the template needs S3 storage, but MinIO could not be started: {error}{hint}"

    async def add_buckets(self, names: tuple[str, ...]) -> None:
        """Create, and route the events of, the buckets a reloaded template added."""
        added = tuple(name for name in names if name not in self._buckets)
        if not added or self._endpoint is None:
            return
        try:
            await create_buckets(self._endpoint, added)
            if self._server is not None:
                await route_all_notifications(self._endpoint, added, self.target.routes)
        except BucketError as error:
            log.warning("new buckets of the reloaded template not ready: %s", error)
            return
        self._buckets += added

    async def start(self) -> None:
        """Receive bucket events and watch MinIO (on the serving event loop)."""
        await self.prepare()
        listener = NotificationListener(
            self.endpoint, self.target, self._buckets, self._sink, audit=self._traces.record
        )
        self._listener = listener
        await listener.start()
        if self._server is None:
            return
        self._watcher = asyncio.create_task(self._watch(), name="minio-watcher")
        try:
            await listener.wait_connected(CONNECT_SECONDS)
        except TimeoutError:
            log.warning("S3 notifications not connected yet: %s", listener.status()["last_error"])

    async def stop(self) -> None:
        """Stop receiving and watching, then stop MinIO."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        if self._listener is not None:
            await self._listener.stop()
        await self._stop_server()

    async def _stop_server(self) -> None:
        if self._server is not None:
            await self._server.stop()

    def _terminate_at_exit(self) -> None:
        """Last resort when lambdock exits without stopping its MinIO (an interrupted start):
        MinIO runs in its own session, so nothing else would end it."""
        pid = self._server.pid if self._server is not None else None
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    async def _watch(self) -> None:
        """Start MinIO again whenever its process ends; runs until stopped."""
        assert self._server is not None
        delay = 1.0
        while True:
            await asyncio.sleep(WATCH_INTERVAL_SECONDS)
            if self._server.running:
                delay = 1.0
                continue
            log.warning("MinIO has exited; starting it again (log: %s)", self._config.log_file)
            try:
                await self._server.start()
                await create_buckets(self._server.endpoint, self._buckets)
            except (MinioError, BucketError) as error:
                self._last_error = str(error)
                log.warning("MinIO did not come back: %s; next try in %.0f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RESTART_BACKOFF_MAX_SECONDS)
                continue
            self._restarts += 1
            self._last_error = None

    def status(self) -> dict[str, Any]:
        """The storage part of `/_lambdock/health`."""
        listener = self._listener.status() if self._listener else None
        body: dict[str, Any] = {
            "state": listener["state"] if listener else "starting",
            "endpoint": self._endpoint.url if self._endpoint else None,
            "managed": self.managed,
            "buckets": list(self._buckets),
            "notifications": listener,
            "audit_entries": self._traces.entries,
        }
        if self._server is not None:
            body["minio"] = {
                "pid": self._server.pid,
                "running": self._server.running,
                "restarts": self._restarts,
                "last_error": self._last_error,
                "log": str(self._config.log_file),
                "console": self._server.console_url,
            }
        return body


def _no_binary(error: Exception) -> bool:
    return isinstance(error, MinioBinaryNotFound)


def _list_buckets(endpoint: S3Endpoint) -> None:
    """One cheap authenticated call; BucketError saying what went wrong."""
    with minio_client(endpoint, timeout=5.0) as client:
        try:
            client.list_buckets()
        except S3Error as error:
            raise BucketError(
                f"refused lambdock's request: {error.code}: {error.message}"
            ) from None
        except urllib3.exceptions.HTTPError as error:
            raise BucketError(f"unreachable: {error}") from None
        except ValueError as error:
            raise BucketError(f"not a usable S3 endpoint: {error}") from None


def wants_storage(settings: Settings, template: Template) -> bool:
    """S3 runs when the template has buckets or S3 events, or a flag names an endpoint or a
    MinIO binary; otherwise lambdock starts nothing for it."""
    has_events = any(function.events_of("S3") for function in template.functions.values())
    return bool(template.buckets or has_events or settings.s3_endpoint or settings.minio_bin)


def install_storage(services: Services) -> StorageService | None:
    """Wire S3 into the services when the template wants it (see `wants_storage`).

    Raises TemplateError for an S3 event that S3 or SAM would refuse.
    """
    settings, template = services.settings, services.template()
    if not wants_storage(settings, template):
        return None
    triggers = s3_triggers(template)
    # lambdock configures the audit log of the MinIO it runs; a configured endpoint may have one.
    traces = TraceLog(expected=not settings.s3_endpoint)
    sink = S3EventSink(
        services.template,
        lambda request: services.queue.submit(request, source=Source.S3),
        traces,
        clock=services.clock,
        notify=services.console.error if settings.echo_logs else log.warning,
    )
    buckets = tuple(bucket.bucket_name for bucket in template.buckets.values())
    storage = StorageService(settings, buckets, sink, traces)

    async def prepare() -> None:
        await storage.prepare()
        services.client_endpoints["s3"] = storage.endpoint.url
        # S3 destinations of async invocations (OnSuccess/OnFailure to a bucket) write here;
        # the dashboard lists objects here.
        services.queue.object_writer = S3ObjectWriter(storage.endpoint)
        services.bucket_browser = MinioBrowser(storage.endpoint)
        await _function_users(services, storage)

    async def reloaded(template: Template) -> None:
        await storage.add_buckets(tuple(b.bucket_name for b in template.buckets.values()))
        await _function_users(services, storage)

    services.credentials = storage.credentials()
    services.endpoint_providers.append(lambda function: storage.function_variables())
    services.prepares.append(prepare)
    services.startups.append(storage.start)
    services.shutdowns.append(storage.stop)
    services.shutdowns.append(sink.close)
    services.on_reload.append(reloaded)
    services.health["storage"] = lambda: {**storage.status(), "triggers": sink.status()}
    if settings.echo_logs:
        services.on_ready.append(lambda: print(banner(storage, triggers), flush=True))
    return storage


async def _function_users(services: Services, storage: StorageService) -> None:
    # Only the MinIO lambdock runs has an admin API lambdock holds the keys of.
    if storage.managed:
        await give_functions_their_users(services, storage.endpoint)


def banner(storage: StorageService, triggers: tuple[S3Trigger, ...]) -> str:
    """What `lambdock up` prints about S3 once it serves."""
    where = "MinIO run by lambdock" if storage.managed else "the configured S3 endpoint"
    lines = [f"  S3: {storage.endpoint.url} ({where})"]
    subscribed = trigger_summary(triggers)
    for bucket in storage.buckets:
        functions = ", ".join(subscribed.get(bucket, [])) or "no triggers"
        lines.append(f"    bucket {bucket} -> {functions}")
    if triggers and not storage.managed:
        lines.append("    S3 triggers need the endpoint to post its events to lambdock; configure")
        lines.append("    its MinIO with (then restart it):")
        lines.extend(f"      {name}={value}" for name, value in storage.target_env().items())
    return "\n".join(lines)
