"""How the admin API shows async events, S3 destination deliveries and schedule rules (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from emulator.events.destinations import payload_value, record_timestamp
from emulator.template.async_config import ScheduleRule
from emulator.triggers.async_events import WAITING, Delivery, DeliveryState, QueuedEvent


def timestamp(epoch_seconds: float) -> str:
    """UTC to the millisecond, as Lambda writes times: ``2024-05-01T12:00:00.000Z``."""
    return record_timestamp(datetime.fromtimestamp(epoch_seconds, UTC))


def event_view(event: QueuedEvent, *, detail: bool = False) -> dict[str, Any]:
    """An async event: its state, attempts, last error, and when it runs next."""
    view: dict[str, Any] = {
        "requestId": event.request_id,
        "functionName": event.function_name,
        "source": event.source,
        "state": event.state.value,
        "attempts": event.invoke_count,
        "throttles": event.throttle_count,
        "acceptedAt": timestamp(event.accepted_at),
        "updatedAt": timestamp(event.updated_at),
        "nextAttemptAt": timestamp(event.due_at) if event.state in WAITING else None,
        "lastError": event.last_error,
        "condition": event.condition,
    }
    if detail:
        view["payload"] = payload_value(event.payload)
        view["response"] = payload_value(event.response) if event.response is not None else None
        view["functionError"] = event.function_error
    return view


def delivery_view(delivery: Delivery) -> dict[str, Any]:
    """An invocation record on its way to an S3 destination."""
    return {
        "requestId": delivery.request_id,
        "destination": f"s3://{delivery.bucket}/{delivery.key}",
        "state": delivery.state.value,
        "attempts": delivery.attempts,
        "createdAt": timestamp(delivery.created_at),
        "nextAttemptAt": (
            timestamp(delivery.due_at) if delivery.state is DeliveryState.PENDING else None
        ),
        "lastError": delivery.last_error,
    }


def rule_view(rule: ScheduleRule, next_firing: datetime | None) -> dict[str, Any]:
    """A Schedule / ScheduleV2 rule and when it fires next (null: disabled or never again)."""
    return {
        "name": rule.name,
        "arn": rule.arn,
        "type": rule.event_type,
        "functionName": rule.function_name,
        "eventName": rule.event_name,
        "expression": rule.expression,
        "timezone": rule.timezone,
        "enabled": rule.enabled,
        "nextFiring": timestamp(next_firing.timestamp()) if next_firing is not None else None,
    }
