"""What a finished asynchronous event hands its destination, decided without I/O.

Follows "Capturing records of Lambda asynchronous invocations" (Lambda Developer Guide): a Lambda
destination is invoked asynchronously with the invocation record as its event, so here it becomes
a new event in the same queue; an S3 destination gets the record as a JSON object, which waits
in the queue as a Delivery until an ObjectWriter has written it. Both are stored in the same
transaction that ends the event, so a record is sent at least once or the event is not ended.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from emulator.async_policy import THROTTLE_FIRST_DELAY_SECONDS, THROTTLE_MAX_DELAY_SECONDS
from emulator.events.destinations import (
    AsyncEvent,
    Condition,
    FunctionResponse,
    destination_record,
    s3_object_key,
)
from emulator.template.async_config import Destination
from emulator.template.models import Template
from emulator.triggers.async_events import Delivery, QueuedEvent, Source

log = logging.getLogger("lambdock.queue")


class ObjectWriter(Protocol):
    """Writes an object to a bucket: S3 (MinIO) as seen by an S3 destination."""

    async def put_object(self, bucket: str, key: str, body: bytes) -> None:
        """Store `body` under `key`; raise on failure so the delivery is tried again."""
        ...


@dataclass(frozen=True)
class Handoff:
    """The events and deliveries a destination gets, and records that had nowhere to go."""

    follow_ups: tuple[QueuedEvent, ...] = ()
    deliveries: tuple[Delivery, ...] = ()
    dropped: tuple[str, ...] = field(default_factory=tuple)


def handoff(
    event: QueuedEvent,
    destination: Destination | None,
    *,
    template: Template,
    new_id: Callable[[], str],
) -> Handoff:
    """What `destination` gets for an ended `event` (its condition and time are the record's)."""
    if destination is None or event.condition is None:
        return Handoff()
    now = event.updated_at
    record = json.dumps(_record(event, Condition(event.condition), template, now)).encode()
    if destination.kind == "Lambda":
        target = template.function(destination.arn)
        if target is None:
            return Handoff(dropped=(f"{destination.arn} is not a function of the template",))
        follow_up = QueuedEvent(
            request_id=new_id(),
            function_name=target.function_name,
            payload=record,
            accepted_at=now,
            due_at=now,
            source=Source.DESTINATION,
            updated_at=now,
        )
        return Handoff(follow_ups=(follow_up,))
    if destination.kind == "S3":
        moment = datetime.fromtimestamp(now, UTC)
        delivery = Delivery(
            delivery_id=new_id(),
            request_id=event.request_id,
            bucket=destination.bucket,
            key=s3_object_key(event.function_name, moment, new_id()),
            body=record,
            created_at=now,
            due_at=now,
        )
        return Handoff(deliveries=(delivery,))
    return Handoff(dropped=(f"destinations of Type {destination.kind} are not emulated",))


def _record(
    event: QueuedEvent, condition: Condition, template: Template, now: float
) -> dict[str, object]:
    function = template.function(event.function_name)
    arn = (
        function.arn(template.region, template.account_id)
        if function is not None
        else f"arn:aws:lambda:{template.region}:{template.account_id}:function:"
        f"{event.function_name}"
    )
    response = None
    if event.response is not None:
        response = FunctionResponse(payload=event.response, function_error=event.function_error)
    return destination_record(
        AsyncEvent(request_id=event.request_id, function_arn=arn, payload=event.payload),
        condition=condition,
        approximate_invoke_count=event.invoke_count,
        response=response,
        timestamp=datetime.fromtimestamp(now, UTC),
    )


async def write_record(
    delivery: Delivery,
    writer: ObjectWriter | None,
    *,
    now: Callable[[], float],
    retry_delay_scale: float,
    max_attempts: int,
) -> Delivery:
    """Try once to write an S3 record; on failure back off as for a throttle, then give up.

    AWS documents no retries for a destination it cannot reach (it counts
    DestinationDeliveryFailures); trying a few times, visibly, keeps a local hiccup harmless."""
    try:
        if writer is None:
            raise LookupError("no S3 storage is configured to write destination records to")
        await writer.put_object(delivery.bucket, delivery.key, delivery.body)
    except Exception as exc:
        attempts = delivery.attempts + 1
        due = None
        if attempts < max_attempts:
            backoff = min(
                THROTTLE_FIRST_DELAY_SECONDS * 2 ** (attempts - 1), THROTTLE_MAX_DELAY_SECONDS
            )
            due = now() + backoff * retry_delay_scale
        else:
            log.warning(
                "async queue: record s3://%s/%s not written after %d attempts: %s",
                delivery.bucket,
                delivery.key,
                attempts,
                exc,
            )
        return delivery.failed_attempt(f"{type(exc).__name__}: {exc}", due)
    return delivery.delivered()
