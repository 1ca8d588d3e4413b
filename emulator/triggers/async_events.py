"""An asynchronous event's life in lambdock's queue, as an explicit state machine.

    queued ──claim──> running ──retry──> retrying ──claim──> running ...
                         │
                         ├──finish──> succeeded | failed      (terminal)
                         └──requeue─> queued | retrying       (lambdock stopped mid-attempt)

Each transition returns a new frozen event and raises IllegalTransition from a state that does
not allow it. An S3 destination's record waits in the queue as a Delivery of its own, so that a
record, like an event, is written at least once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from emulator.errors import LambdockError


class EventState(StrEnum):
    """Where an event is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


WAITING = (EventState.QUEUED, EventState.RETRYING)
TERMINAL = (EventState.SUCCEEDED, EventState.FAILED)
_ALLOWED = {
    EventState.QUEUED: frozenset({EventState.RUNNING}),
    EventState.RUNNING: frozenset(
        {EventState.RETRYING, EventState.SUCCEEDED, EventState.FAILED, EventState.QUEUED}
    ),
    EventState.RETRYING: frozenset({EventState.RUNNING}),
    EventState.SUCCEEDED: frozenset(),
    EventState.FAILED: frozenset(),
}


class IllegalTransition(LambdockError):
    """An event was asked to move to a state its current state does not lead to."""


class Source(StrEnum):
    """What handed lambdock the event."""

    INVOKE = "invoke"
    S3 = "s3"
    SCHEDULE = "schedule"
    DESTINATION = "destination"


@dataclass(frozen=True)
class QueuedEvent:
    """One asynchronous invocation and what its attempts so far have left.

    `invoke_count` counts attempts that ran the function; `throttle_count` the throttles and
    lambdock-side failures since it last ran. `response` and `function_error` are the
    function's answer on its last attempt, for the destination record."""

    request_id: str
    function_name: str
    payload: bytes
    accepted_at: float
    due_at: float
    state: EventState = EventState.QUEUED
    source: str = Source.INVOKE
    client_context: str | None = None
    trace_id: str | None = None
    invoke_count: int = 0
    throttle_count: int = 0
    last_error: str | None = None
    response: bytes | None = None
    function_error: str | None = None
    condition: str | None = None
    updated_at: float = 0.0

    def _to(self, state: EventState, now: float, **changes: object) -> QueuedEvent:
        if state not in _ALLOWED[self.state]:
            raise IllegalTransition(
                f"async event {self.request_id}: cannot go from {self.state} to {state}"
            )
        return replace(self, state=state, updated_at=now, **changes)  # type: ignore[arg-type]

    def claim(self, now: float) -> QueuedEvent:
        """Taken by a worker for an attempt."""
        return self._to(EventState.RUNNING, now)

    def ran(self, *, response: bytes, function_error: str | None, error: str | None) -> QueuedEvent:
        """An attempt that reached the function ended (successfully or not)."""
        self._require_running()
        return replace(
            self,
            invoke_count=self.invoke_count + 1,
            throttle_count=0,
            response=response,
            function_error=function_error,
            last_error=error,
        )

    def throttled(self, error: str) -> QueuedEvent:
        """An attempt that did not reach the function: a throttle or a lambdock failure."""
        self._require_running()
        return replace(self, throttle_count=self.throttle_count + 1, last_error=error)

    def retry(self, due_at: float, now: float) -> QueuedEvent:
        """Wait until `due_at` for the next attempt."""
        return self._to(EventState.RETRYING, now, due_at=due_at)

    def succeed(self, now: float, condition: str) -> QueuedEvent:
        """Done: the function processed the event."""
        return self._to(EventState.SUCCEEDED, now, condition=condition)

    def fail(self, now: float, condition: str | None, error: str | None = None) -> QueuedEvent:
        """Given up: retries exhausted, too old, or its function is gone."""
        return self._to(
            EventState.FAILED, now, condition=condition, last_error=error or self.last_error
        )

    def requeue(self, now: float) -> QueuedEvent:
        """Back to waiting after lambdock stopped during an attempt (at-least-once)."""
        waiting = (
            EventState.RETRYING if self.invoke_count or self.throttle_count else EventState.QUEUED
        )
        return self._to(waiting, now, due_at=now)

    def _require_running(self) -> None:
        if self.state is not EventState.RUNNING:
            raise IllegalTransition(
                f"async event {self.request_id}: an attempt ended while it was {self.state}"
            )


class DeliveryState(StrEnum):
    """Where a destination record is on its way to a bucket."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class Delivery:
    """A destination record to be written as an object to a bucket (an S3 destination)."""

    delivery_id: str
    request_id: str
    bucket: str
    key: str
    body: bytes
    created_at: float
    due_at: float
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    last_error: str | None = None

    def postpone(self, due_at: float) -> Delivery:
        """Held back until `due_at` while one attempt to write it runs (a lease)."""
        self._require_pending()
        return replace(self, due_at=due_at)

    def delivered(self) -> Delivery:
        """Written."""
        self._require_pending()
        return replace(self, state=DeliveryState.DELIVERED, attempts=self.attempts + 1)

    def failed_attempt(self, error: str, due_at: float | None) -> Delivery:
        """Not written; tried again at `due_at`, or given up when it is None."""
        self._require_pending()
        state = DeliveryState.PENDING if due_at is not None else DeliveryState.FAILED
        return replace(
            self,
            state=state,
            attempts=self.attempts + 1,
            last_error=error,
            due_at=due_at if due_at is not None else self.due_at,
        )

    def _require_pending(self) -> None:
        if self.state is not DeliveryState.PENDING:
            raise IllegalTransition(f"delivery {self.delivery_id} is already {self.state}")
