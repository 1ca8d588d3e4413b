"""Lambda's retry policy for asynchronous invocations, as a pure decision per attempt.

Follows "How Lambda handles errors and retries with asynchronous invocation" (Lambda Developer
Guide): a function error, which includes a timeout, is retried up to MaximumRetryAttempts times
(default 2), one minute after the first attempt and two minutes after the second; a throttle (429)
or a system error (500-series) returns the event to the queue, retried with a delay growing
exponentially from 1 second to at most 5 minutes, without using up retry attempts, until the event
is older than MaximumEventAgeInSeconds (default 21600, six hours). The ranges, 0-2 and 60-21600,
are those of PutFunctionEventInvokeConfig and AWS::Lambda::EventInvokeConfig.

When the next retry would fall past the maximum age, the event is given up now with
``EventAgeExceeded`` rather than kept until it expires: the same record, sent sooner.
``retry_delay_scale`` shrinks every delay (0 retries at once), so that tests and demos need not
wait minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from emulator.events.destinations import Condition

DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 2
DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 21600
FUNCTION_ERROR_DELAY_SECONDS = 60.0
THROTTLE_FIRST_DELAY_SECONDS = 1.0
THROTTLE_MAX_DELAY_SECONDS = 300.0
_MAX_DOUBLINGS = 9  # 2**9 s already passes the 300 s ceiling

_RANGES = {
    "MaximumRetryAttempts": (0, 2),
    "MaximumEventAgeInSeconds": (60, 21600),
}


class Outcome(StrEnum):
    """How one attempt to run the function ended."""

    SUCCESS = "success"
    FUNCTION_ERROR = "function_error"
    TIMEOUT = "timeout"
    THROTTLE = "throttle"
    SYSTEM_ERROR = "system_error"


class EventInvokeConfigError(ValueError):
    """An EventInvokeConfig value outside the range Lambda accepts; names the field."""


@dataclass(frozen=True)
class EventInvokeConfig:
    """The two limits of a function's asynchronous invocation configuration."""

    maximum_retry_attempts: int = DEFAULT_MAXIMUM_RETRY_ATTEMPTS
    maximum_event_age_seconds: int = DEFAULT_MAXIMUM_EVENT_AGE_SECONDS

    @classmethod
    def from_template(cls, raw: Mapping[str, Any] | None) -> EventInvokeConfig:
        """Read a SAM/CloudFormation ``EventInvokeConfig``; absent fields take Lambda's defaults."""
        raw = raw or {}
        return cls(
            maximum_retry_attempts=_field(
                raw, "MaximumRetryAttempts", DEFAULT_MAXIMUM_RETRY_ATTEMPTS
            ),
            maximum_event_age_seconds=_field(
                raw, "MaximumEventAgeInSeconds", DEFAULT_MAXIMUM_EVENT_AGE_SECONDS
            ),
        )


@dataclass(frozen=True)
class AttemptState:
    """What the queue knows once an attempt has ended.

    ``invoke_count`` counts the attempts that ran the function (this one included, if it ran);
    ``throttle_count`` counts the throttles and system errors since the function last ran (this
    one included, if it was one); ``age_seconds`` is the time since the event was accepted.
    """

    invoke_count: int
    throttle_count: int
    age_seconds: float


@dataclass(frozen=True)
class Succeeded:
    """The function processed the event; an on-success destination gets a record."""

    condition: Condition = Condition.SUCCESS


@dataclass(frozen=True)
class RetryLater:
    """Run the event again after ``delay_seconds``."""

    delay_seconds: float


@dataclass(frozen=True)
class GiveUp:
    """Discard the event; an on-failure destination or dead-letter queue gets it."""

    condition: Condition


Decision = Succeeded | RetryLater | GiveUp


def decide(
    outcome: Outcome,
    state: AttemptState,
    config: EventInvokeConfig,
    *,
    retry_delay_scale: float = 1.0,
) -> Decision:
    """What Lambda does after an attempt ended with ``outcome``."""
    if retry_delay_scale < 0:
        raise ValueError(f"retry_delay_scale must not be negative, got {retry_delay_scale}")
    if outcome is Outcome.SUCCESS:
        return Succeeded()
    if outcome in (Outcome.FUNCTION_ERROR, Outcome.TIMEOUT):
        if state.invoke_count > config.maximum_retry_attempts:
            return GiveUp(Condition.RETRIES_EXHAUSTED)
        delay = FUNCTION_ERROR_DELAY_SECONDS * state.invoke_count
    else:
        doublings = min(max(state.throttle_count - 1, 0), _MAX_DOUBLINGS)
        delay = min(THROTTLE_FIRST_DELAY_SECONDS * 2**doublings, THROTTLE_MAX_DELAY_SECONDS)
    delay *= retry_delay_scale
    if state.age_seconds + delay > config.maximum_event_age_seconds:
        return GiveUp(Condition.EVENT_AGE_EXCEEDED)
    return RetryLater(delay)


def is_expired(age_seconds: float, config: EventInvokeConfig) -> bool:
    """An event older than MaximumEventAgeInSeconds is discarded before it is run."""
    return age_seconds > config.maximum_event_age_seconds


def _field(raw: Mapping[str, Any], name: str, default: int) -> int:
    """One integer field, checked against Lambda's range; digit strings come from parameters."""
    value = raw.get(name, default)
    low, high = _RANGES[name]
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise EventInvokeConfigError(
            f"EventInvokeConfig.{name}: Value {value!r} must be an integer from {low} to {high}"
        )
    if value < low:
        raise EventInvokeConfigError(
            f"EventInvokeConfig.{name}: Value '{value}' failed to satisfy constraint: "
            f"Member must have value greater than or equal to {low}"
        )
    if value > high:
        raise EventInvokeConfigError(
            f"EventInvokeConfig.{name}: Value '{value}' failed to satisfy constraint: "
            f"Member must have value less than or equal to {high}"
        )
    return value
