"""S3 triggers: the template's SAM `S3` events, and the sink that turns MinIO's events into
asynchronous invocations.

Each bucket event reaches the sink twice (MinIO's immediate and queued webhook targets, see
`emulator/storage/notifications.py`); the sink runs it once:
- the immediate copy is handled in the background, so that MinIO, which waits for the post
  while it handles the write, is answered at once; the invocation is queued a few milliseconds
  later, once the audit log said which trace header the write carried;
- the queued copy is handled before the post is answered (an error answers 503 and MinIO
  posts it again): it is dropped when the immediate copy was queued already, and queued
  otherwise. So an event is queued at least once, and once while lambdock keeps running.

Every matching subscription gets its own invocation (`InvocationType: Event`) with AWS's event
record, through `services.queue`. Recursive loops are stopped as Lambda does
(`emulator/triggers/recursion.py`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator.clock import Clock
from emulator.errors import Location, TemplateError
from emulator.events.s3 import (
    InvalidS3EventConfig,
    S3Subscription,
    aws_event_name,
    bucket_reference,
    generated_configuration_id,
    matches,
    s3_event,
    subscription_from_sam,
)
from emulator.invoker import InvocationRequest
from emulator.storage.audit import TraceLog
from emulator.storage.notifications import ObjectNotification
from emulator.template.models import Template
from emulator.triggers.recursion import MAX_INVOCATIONS_PER_CHAIN, ChainStep, new_root, next_step

log = logging.getLogger("lambdock.s3")

# How long an event waits for the audit entry of the write that caused it, and how old an event
# may be for that wait to be worth it (an entry arrives within milliseconds of its write).
AUDIT_WAIT_SECONDS = 2.0
AUDIT_RECENT_SECONDS = 10.0
# Events whose other copy is still to come; more than this and the oldest are forgotten.
MAX_REMEMBERED_EVENTS = 100_000

Submit = Callable[[InvocationRequest], Awaitable[object]]


@dataclass(frozen=True)
class S3Trigger:
    """One SAM `S3` event of one function."""

    function_name: str
    function_arn: str
    event_name: str
    subscription: S3Subscription


def s3_triggers(template: Template) -> tuple[S3Trigger, ...]:
    """Every S3 event of the template's functions; TemplateError naming the event if one is
    invalid or names a bucket the template does not define (SAM requires it to)."""
    triggers = []
    for function in template.functions.values():
        for event in function.events_of("S3"):
            where = Location(
                template.path, resource=function.logical_id, field=f"Events.{event.name}"
            )
            try:
                bucket = _bucket_name(template, bucket_reference(event.properties))
                subscription = subscription_from_sam(
                    event.properties,
                    bucket_name=bucket,
                    configuration_id=generated_configuration_id(function.logical_id, event.name),
                )
            except InvalidS3EventConfig as error:
                raise TemplateError(str(error), where) from None
            arn = function.arn(template.region, template.account_id)
            triggers.append(S3Trigger(function.function_name, arn, event.name, subscription))
    return tuple(triggers)


def _bucket_name(template: Template, reference: str) -> str:
    """The bucket an S3 event names: by logical ID, or by the name a `!Ref` resolved to."""
    if reference in template.buckets:
        return template.buckets[reference].bucket_name
    names = {bucket.bucket_name for bucket in template.buckets.values()}
    if reference in names:
        return reference
    raise InvalidS3EventConfig(
        f"S3 event Bucket {reference!r} is not an AWS::S3::Bucket of this template"
    )


def event_identity(notification: ObjectNotification) -> tuple[str, ...]:
    """What both copies of one bucket event share: request, bucket, key, event, sequencer."""
    record = notification.record
    response = record.get("responseElements") or {}
    sequencer = str(record["s3"]["object"].get("sequencer", ""))
    request_id = str(response.get("x-amz-request-id", ""))
    return (request_id, notification.bucket, notification.key, notification.event_name, sequencer)


class S3EventSink:
    """The listener's sink: match subscriptions, stop recursive loops, queue invocations."""

    def __init__(
        self,
        template: Callable[[], Template],
        submit: Submit,
        traces: TraceLog,
        *,
        clock: Clock,
        audit_wait: float = AUDIT_WAIT_SECONDS,
        notify: Callable[[str], None] = log.warning,
    ) -> None:
        self._template = template
        self._notify = notify
        self._submit = submit
        self._traces = traces
        self._clock = clock
        self._audit_wait = audit_wait
        self._triggers: tuple[S3Trigger, ...] = ()
        self._triggers_of: Template | None = None
        self._pending: dict[tuple[str, ...], asyncio.Task[None]] = {}
        self._done: OrderedDict[tuple[str, ...], None] = OrderedDict()
        self.counts = {"events": 0, "invocations": 0, "duplicates": 0, "immediate": 0}
        self.counts.update({"queued": 0, "unmatched": 0, "recursive_loops_stopped": 0})

    def status(self) -> dict[str, Any]:
        """Counters for the health endpoint."""
        return {"subscriptions": len(self.triggers()), **self.counts}

    async def close(self) -> None:
        """Cancel the immediate copies still being queued (MinIO's queued copies remain)."""
        pending = list(self._pending.values())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def triggers(self) -> tuple[S3Trigger, ...]:
        """The subscriptions of the template served now (a reloaded template's S3 events that
        S3 would refuse leave the last good subscriptions in place)."""
        template = self._template()
        if template is not self._triggers_of:
            self._triggers_of = template
            try:
                self._triggers = s3_triggers(template)
            except TemplateError as error:
                self._notify(f"{error}; S3 triggers stay as they were")
        return self._triggers

    async def __call__(self, notification: ObjectNotification) -> None:
        """Take one copy of a bucket event (see the module docstring)."""
        identity = event_identity(notification)
        if notification.immediate:
            if identity in self._pending or self._forget(identity):
                return
            self._start(notification, identity, "immediate")
            return
        pending = self._pending.get(identity)
        if pending is not None:
            await asyncio.wait([pending])
        if self._forget(identity):
            return
        await self._start(notification, identity, "queued")

    def _start(
        self, notification: ObjectNotification, identity: tuple[str, ...], copy: str
    ) -> asyncio.Task[None]:
        """Deliver one copy as a task that the other copy can see and wait for."""
        task = asyncio.create_task(self._deliver(notification, identity, copy))
        self._pending[identity] = task
        task.add_done_callback(lambda done: self._finished(identity, done))
        return task

    def _finished(self, identity: tuple[str, ...], task: asyncio.Task[None]) -> None:
        self._pending.pop(identity, None)
        if not task.cancelled() and task.exception() is not None:
            # Awaited by the queued copy's post (answered 503); the immediate copy's error is
            # only logged: MinIO's queued copy will come.
            log.debug("S3 event %s not queued: %r", identity, task.exception())

    def _forget(self, identity: tuple[str, ...]) -> bool:
        """True (and forget it) when the other copy of this event was delivered already."""
        if identity not in self._done:
            return False
        del self._done[identity]
        self.counts["duplicates"] += 1
        return True

    async def _deliver(
        self, notification: ObjectNotification, identity: tuple[str, ...], copy: str
    ) -> None:
        """Queue an invocation for every matching subscription, then remember the event."""
        matching = self._matching(notification)
        if matching:
            cause = await self._cause(notification)
            for trigger in matching:
                await self._invoke(trigger, notification, cause)
        else:
            self.counts["unmatched"] += 1
        self.counts["events"] += 1
        self.counts[copy] += 1
        self._done[identity] = None
        while len(self._done) > MAX_REMEMBERED_EVENTS:
            self._done.popitem(last=False)

    def _matching(self, notification: ObjectNotification) -> list[S3Trigger]:
        """The subscriptions S3 would notify of this event (AWS has no event for some of
        MinIO's, e.g. `s3:ObjectCreated:PutRetention`)."""
        if aws_event_name(notification.event_name) is None:
            return []
        return [
            trigger
            for trigger in self.triggers()
            if trigger.subscription.bucket == notification.bucket
            and matches(trigger.subscription, notification.event_name, notification.key)
        ]

    async def _cause(self, notification: ObjectNotification) -> str | None:
        """The trace header of the write behind the event, from the audit log."""
        response = notification.record.get("responseElements") or {}
        request_id = response.get("x-amz-request-id")
        if not isinstance(request_id, str):
            return None
        age = self._clock.time() - _epoch(notification.record.get("eventTime"))
        wait = self._audit_wait if age < AUDIT_RECENT_SECONDS else 0.0
        return await self._traces.trace_of(request_id, wait=wait)

    async def _invoke(
        self, trigger: S3Trigger, notification: ObjectNotification, cause: str | None
    ) -> None:
        step = next_step(cause, trigger.function_arn, new_root=lambda: new_root(self._clock.time()))
        if step.stopped:
            self._stop(trigger, notification, step)
            return
        region = self._template().region
        configuration_id = trigger.subscription.configuration_id
        event = s3_event(notification.record, region=region, configuration_id=configuration_id)
        if event is None:
            return
        payload = json.dumps(event).encode("utf-8")
        request = InvocationRequest(
            trigger.function_name, payload, invocation_type="Event", trace_id=step.trace_header
        )
        await self._submit(request)
        self.counts["invocations"] += 1

    def _stop(self, trigger: S3Trigger, notification: ObjectNotification, step: ChainStep) -> None:
        self.counts["recursive_loops_stopped"] += 1
        self._notify(
            f"recursive loop detected: {trigger.function_name} has run "
            f"{MAX_INVOCATIONS_PER_CHAIN} times in one chain of requests through bucket "
            f"{notification.bucket}; its invocation for s3://{notification.bucket}/"
            f"{notification.key} was stopped and the event dropped, as Lambda's recursive loop "
            f"detection does (trace {step.trace_header})"
        )


def _epoch(event_time: object) -> float:
    """Epoch seconds of a record's eventTime (0 when it has none)."""
    if not isinstance(event_time, str):
        return 0.0
    try:
        return datetime.fromisoformat(event_time.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def trigger_summary(triggers: tuple[S3Trigger, ...]) -> Mapping[str, list[str]]:
    """Bucket name -> the functions its events trigger, for the start-up banner."""
    summary: dict[str, list[str]] = {}
    for trigger in triggers:
        summary.setdefault(trigger.subscription.bucket, []).append(trigger.function_name)
    return summary
