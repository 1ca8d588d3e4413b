"""The async event state machine: legal transitions, and the attempt bookkeeping.

Source: [RETRIES] Lambda Developer Guide, "How Lambda handles errors and retries with
asynchronous invocation": attempts that ran the function count towards MaximumRetryAttempts,
throttles and system errors do not. The states themselves are lambdock's [OURS].
"""

from __future__ import annotations

import pytest

from emulator.triggers.async_events import (
    Delivery,
    DeliveryState,
    EventState,
    IllegalTransition,
    QueuedEvent,
)


def queued() -> QueuedEvent:
    return QueuedEvent("req-1", "Worker", b"{}", accepted_at=100.0, due_at=100.0)


def test_an_event_is_claimed_then_retried_then_claimed_again() -> None:
    running = queued().claim(101.0)
    assert running.state is EventState.RUNNING
    waiting = running.ran(response=b"{}", function_error="Unhandled", error="E: x").retry(161, 101)
    assert (waiting.state, waiting.due_at, waiting.invoke_count) == (EventState.RETRYING, 161, 1)
    assert waiting.claim(161.0).state is EventState.RUNNING


def test_a_throttle_counts_apart_from_invocations_and_a_run_resets_it() -> None:
    # [RETRIES] a throttle does not use up a retry attempt
    running = queued().claim(101.0).throttled("TooManyRequestsException: Rate Exceeded.")
    assert (running.invoke_count, running.throttle_count) == (0, 1)
    ran = running.ran(response=b"1", function_error=None, error=None)
    assert (ran.invoke_count, ran.throttle_count, ran.last_error) == (1, 0, None)


def test_finished_events_accept_no_further_transition() -> None:
    done = queued().claim(101.0).succeed(102.0, "Success")
    assert (done.state, done.condition, done.updated_at) == (EventState.SUCCEEDED, "Success", 102)
    with pytest.raises(IllegalTransition, match="cannot go from succeeded to running"):
        done.claim(103.0)
    failed = queued().claim(101.0).fail(102.0, "RetriesExhausted", "E: boom")
    with pytest.raises(IllegalTransition):
        failed.retry(200.0, 103.0)


def test_an_event_must_be_running_to_record_an_attempt_or_finish() -> None:
    with pytest.raises(IllegalTransition, match="an attempt ended while it was queued"):
        queued().ran(response=b"", function_error=None, error=None)
    with pytest.raises(IllegalTransition, match="cannot go from queued to succeeded"):
        queued().succeed(101.0, "Success")


def test_requeue_after_a_stop_keeps_attempts_and_runs_at_once() -> None:
    fresh = queued().claim(101.0).requeue(500.0)
    assert (fresh.state, fresh.due_at) == (EventState.QUEUED, 500.0)
    tried = queued().claim(101.0).ran(response=b"", function_error="Unhandled", error="E")
    again = tried.requeue(500.0)
    assert (again.state, again.invoke_count, again.due_at) == (EventState.RETRYING, 1, 500.0)


def test_a_delivery_is_retried_until_given_up_and_then_stays_failed() -> None:
    delivery = Delivery("d-1", "req-1", "bucket", "key", b"{}", created_at=1.0, due_at=1.0)
    retried = delivery.failed_attempt("ConnectionError: refused", due_at=3.0)
    assert (retried.state, retried.attempts, retried.due_at) == (DeliveryState.PENDING, 1, 3.0)
    given_up = retried.failed_attempt("ConnectionError: refused", due_at=None)
    assert (given_up.state, given_up.attempts) == (DeliveryState.FAILED, 2)
    with pytest.raises(IllegalTransition, match="already failed"):
        given_up.delivered()
    assert retried.postpone(60.0).delivered().state is DeliveryState.DELIVERED
