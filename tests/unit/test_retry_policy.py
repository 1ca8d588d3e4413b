"""Lambda's asynchronous retry policy and EventInvokeConfig limits.

Sources, named per test:
- [RETRIES] Lambda Developer Guide, "How Lambda handles errors and retries with asynchronous
  invocation": function errors (timeouts included) retried twice, one minute then two minutes
  apart; throttles (429) and system errors (500-series) retried with a delay growing
  exponentially from 1 second to at most 5 minutes, for up to 6 hours by default.
- [CONFIG] Lambda API reference, PutFunctionEventInvokeConfig: MaximumRetryAttempts 0-2,
  MaximumEventAgeInSeconds 60-21600; its validation message wording.
- [OURS] Decided in ``emulator/async_policy.py`` where AWS is silent.
"""

from __future__ import annotations

import pytest

from emulator.async_policy import (
    AttemptState,
    EventInvokeConfig,
    EventInvokeConfigError,
    GiveUp,
    Outcome,
    RetryLater,
    Succeeded,
    decide,
    is_expired,
)
from emulator.events.destinations import Condition

DEFAULTS = EventInvokeConfig()


def state(invoke_count: int = 1, throttle_count: int = 0, age: float = 0.0) -> AttemptState:
    return AttemptState(invoke_count=invoke_count, throttle_count=throttle_count, age_seconds=age)


# --- [CONFIG] EventInvokeConfig ---------------------------------------------------------------


def test_defaults_are_two_retries_and_six_hours() -> None:
    assert EventInvokeConfig.from_template(None) == EventInvokeConfig(2, 21600)
    assert EventInvokeConfig.from_template({}) == EventInvokeConfig(2, 21600)


def test_template_values_are_read_including_parameter_strings() -> None:
    raw = {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": "60", "DestinationConfig": {}}
    assert EventInvokeConfig.from_template(raw) == EventInvokeConfig(0, 60)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"MaximumRetryAttempts": 3},
            "EventInvokeConfig.MaximumRetryAttempts: Value '3' failed to satisfy constraint: "
            "Member must have value less than or equal to 2",
        ),
        (
            {"MaximumRetryAttempts": -1},
            "EventInvokeConfig.MaximumRetryAttempts: Value '-1' failed to satisfy constraint: "
            "Member must have value greater than or equal to 0",
        ),
        (
            {"MaximumEventAgeInSeconds": 59},
            "EventInvokeConfig.MaximumEventAgeInSeconds: Value '59' failed to satisfy "
            "constraint: Member must have value greater than or equal to 60",
        ),
        (
            {"MaximumEventAgeInSeconds": 21601},
            "EventInvokeConfig.MaximumEventAgeInSeconds: Value '21601' failed to satisfy "
            "constraint: Member must have value less than or equal to 21600",
        ),
        (
            {"MaximumRetryAttempts": "two"},
            "EventInvokeConfig.MaximumRetryAttempts: Value 'two' must be an integer from 0 to 2",
        ),
        (
            {"MaximumRetryAttempts": True},
            "EventInvokeConfig.MaximumRetryAttempts: Value True must be an integer from 0 to 2",
        ),
        (
            {"MaximumEventAgeInSeconds": 90.5},
            "EventInvokeConfig.MaximumEventAgeInSeconds: Value 90.5 must be an integer "
            "from 60 to 21600",
        ),
    ],
)
def test_out_of_range_config_names_the_field(raw: dict[str, object], message: str) -> None:
    with pytest.raises(EventInvokeConfigError) as caught:
        EventInvokeConfig.from_template(raw)
    assert str(caught.value) == message


# --- [RETRIES] decisions ----------------------------------------------------------------------


def test_success_is_done_with_the_success_condition() -> None:
    assert decide(Outcome.SUCCESS, state(), DEFAULTS) == Succeeded()
    assert Succeeded().condition is Condition.SUCCESS


def test_function_errors_retry_after_one_then_two_minutes_then_give_up() -> None:
    assert decide(Outcome.FUNCTION_ERROR, state(1, age=0.5), DEFAULTS) == RetryLater(60.0)
    assert decide(Outcome.FUNCTION_ERROR, state(2, age=61), DEFAULTS) == RetryLater(120.0)
    assert decide(Outcome.FUNCTION_ERROR, state(3, age=182), DEFAULTS) == GiveUp(
        Condition.RETRIES_EXHAUSTED
    )


def test_a_timeout_is_a_function_error() -> None:
    assert decide(Outcome.TIMEOUT, state(1), DEFAULTS) == RetryLater(60.0)
    assert decide(Outcome.TIMEOUT, state(3), DEFAULTS) == GiveUp(Condition.RETRIES_EXHAUSTED)


def test_zero_retry_attempts_gives_up_after_the_first_error() -> None:
    no_retries = EventInvokeConfig(maximum_retry_attempts=0)
    assert decide(Outcome.FUNCTION_ERROR, state(1), no_retries) == GiveUp(
        Condition.RETRIES_EXHAUSTED
    )


def test_one_retry_attempt_allows_exactly_one_retry() -> None:
    one_retry = EventInvokeConfig(maximum_retry_attempts=1)
    assert decide(Outcome.FUNCTION_ERROR, state(1), one_retry) == RetryLater(60.0)
    assert decide(Outcome.FUNCTION_ERROR, state(2), one_retry) == GiveUp(
        Condition.RETRIES_EXHAUSTED
    )


def test_throttles_back_off_exponentially_from_1_second_to_5_minutes() -> None:
    delays = [decide(Outcome.THROTTLE, state(0, throttle_count=n), DEFAULTS) for n in range(1, 12)]
    assert delays == [
        RetryLater(1.0),
        RetryLater(2.0),
        RetryLater(4.0),
        RetryLater(8.0),
        RetryLater(16.0),
        RetryLater(32.0),
        RetryLater(64.0),
        RetryLater(128.0),
        RetryLater(256.0),
        RetryLater(300.0),
        RetryLater(300.0),
    ]


def test_system_errors_back_off_like_throttles() -> None:
    assert decide(Outcome.SYSTEM_ERROR, state(0, throttle_count=3), DEFAULTS) == RetryLater(4.0)
    assert decide(Outcome.SYSTEM_ERROR, state(0, throttle_count=10_000), DEFAULTS) == RetryLater(
        300.0
    )


def test_throttles_do_not_use_up_retry_attempts() -> None:
    # Three function errors would be the end; a throttle after them is retried still.
    assert decide(Outcome.THROTTLE, state(3, throttle_count=1), DEFAULTS) == RetryLater(1.0)


def test_a_throttled_event_is_given_up_at_the_maximum_age() -> None:
    assert decide(Outcome.THROTTLE, state(0, 9, age=21500.0), DEFAULTS) == GiveUp(
        Condition.EVENT_AGE_EXCEEDED
    )
    assert decide(Outcome.THROTTLE, state(0, 9, age=21344.0), DEFAULTS) == RetryLater(256.0)


def test_a_retry_that_would_land_past_the_maximum_age_gives_up_now() -> None:
    # [OURS] the EventAgeExceeded record is sent when the retry could no longer happen in time.
    one_minute = EventInvokeConfig(maximum_event_age_seconds=60)
    assert decide(Outcome.FUNCTION_ERROR, state(1, age=10.0), one_minute) == GiveUp(
        Condition.EVENT_AGE_EXCEEDED
    )
    assert decide(Outcome.THROTTLE, state(0, 1, age=58.0), one_minute) == RetryLater(1.0)
    assert decide(Outcome.THROTTLE, state(0, 1, age=59.5), one_minute) == GiveUp(
        Condition.EVENT_AGE_EXCEEDED
    )


def test_retries_exhausted_wins_over_event_age() -> None:
    one_minute = EventInvokeConfig(maximum_event_age_seconds=60)
    assert decide(Outcome.FUNCTION_ERROR, state(3, age=500.0), one_minute) == GiveUp(
        Condition.RETRIES_EXHAUSTED
    )


def test_delay_scale_shrinks_every_delay() -> None:
    assert decide(Outcome.FUNCTION_ERROR, state(2), DEFAULTS, retry_delay_scale=0.01) == (
        RetryLater(1.2)
    )
    assert decide(Outcome.THROTTLE, state(0, 4), DEFAULTS, retry_delay_scale=0.5) == RetryLater(4.0)
    assert decide(Outcome.FUNCTION_ERROR, state(1), DEFAULTS, retry_delay_scale=0) == RetryLater(
        0.0
    )


def test_scaled_delays_are_also_checked_against_the_maximum_age() -> None:
    one_minute = EventInvokeConfig(maximum_event_age_seconds=60)
    assert decide(
        Outcome.FUNCTION_ERROR, state(1, age=10.0), one_minute, retry_delay_scale=0.1
    ) == RetryLater(6.0)


def test_negative_delay_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="retry_delay_scale must not be negative, got -1"):
        decide(Outcome.THROTTLE, state(0, 1), DEFAULTS, retry_delay_scale=-1)


def test_an_event_older_than_the_maximum_age_is_expired() -> None:
    assert is_expired(21600.0, DEFAULTS) is False
    assert is_expired(21600.5, DEFAULTS) is True
    assert is_expired(61.0, EventInvokeConfig(maximum_event_age_seconds=60)) is True
