"""EventBridge schedule expressions: parsing, validation and next firing times.

Sources, named per test:
- [EB] EventBridge User Guide, "Creating an Amazon EventBridge rule that runs on a schedule"
  (cron fields and wildcards, the example table, the put-rule examples, rate rules).
- [SCHED] EventBridge Scheduler API reference, ScheduleExpression ("at(yyyy-mm-ddThh:mm:ss)",
  "rate(value unit)", "cron(fields)") and Scheduler User Guide, "Schedule types" (time zones).
- [DST] re:Post knowledge center "eventbridge-scheduler-adjust-dst", quoting the Scheduler guide:
  a cron time that does not exist when clocks go forward is skipped; when they go back the
  schedule "runs only once"; a rate in days is 24 hours.
- [QUARTZ] Behaviour AWS leaves unstated, taken from Quartz, whose syntax AWS's is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from emulator.schedules import (
    AtSchedule,
    CronSchedule,
    RateSchedule,
    ScheduleExpressionError,
    parse_schedule,
)

NEW_YORK = "America/New_York"
LONDON = "Europe/London"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def firings(expr: str, after: datetime, count: int, tz: str | None = None) -> list[datetime]:
    """The next ``count`` firings after ``after`` (fewer if the schedule ends)."""
    schedule = parse_schedule(expr)
    found: list[datetime] = []
    moment = after
    for _ in range(count):
        following = schedule.next_after(moment, tz)
        if following is None:
            break
        found.append(following)
        moment = following
    return found


# --- [EB] the cron example table and put-rule examples ---------------------------------------


def test_eb_example_10am_every_day() -> None:
    assert firings("cron(0 10 * * ? *)", utc(2024, 5, 1, 9, 59, 30), 2) == [
        utc(2024, 5, 1, 10, 0),
        utc(2024, 5, 2, 10, 0),
    ]


def test_eb_example_12_15_every_day_is_strictly_after_the_given_time() -> None:
    assert firings("cron(15 12 * * ? *)", utc(2024, 5, 1, 12, 15), 1) == [utc(2024, 5, 2, 12, 15)]


def test_eb_example_6pm_monday_to_friday_skips_the_weekend() -> None:
    assert firings("cron(0 18 ? * MON-FRI *)", utc(2024, 5, 3, 18, 0), 2) == [
        utc(2024, 5, 6, 18, 0),
        utc(2024, 5, 7, 18, 0),
    ]


def test_eb_example_8am_on_the_first_of_every_month() -> None:
    assert firings("cron(0 8 1 * ? *)", utc(2024, 1, 31, 12, 0), 2) == [
        utc(2024, 2, 1, 8, 0),
        utc(2024, 3, 1, 8, 0),
    ]


def test_eb_example_every_15_minutes() -> None:
    assert firings("cron(0/15 * * * ? *)", utc(2024, 5, 1, 10, 7), 4) == [
        utc(2024, 5, 1, 10, 15),
        utc(2024, 5, 1, 10, 30),
        utc(2024, 5, 1, 10, 45),
        utc(2024, 5, 1, 11, 0),
    ]


def test_eb_example_every_10_minutes_monday_to_friday() -> None:
    assert firings("cron(0/10 * ? * MON-FRI *)", utc(2024, 5, 3, 23, 45), 2) == [
        utc(2024, 5, 3, 23, 50),
        utc(2024, 5, 6, 0, 0),
    ]


def test_eb_example_every_5_minutes_between_8am_and_5_55pm_weekdays() -> None:
    assert firings("cron(0/5 8-17 ? * MON-FRI *)", utc(2024, 5, 1, 17, 52), 2) == [
        utc(2024, 5, 1, 17, 55),
        utc(2024, 5, 2, 8, 0),
    ]


def test_eb_example_hour_range_20_to_2_wraps_past_midnight() -> None:
    assert firings("cron(0/30 20-2 ? * MON-FRI *)", utc(2024, 5, 6, 23, 15), 8) == [
        utc(2024, 5, 6, 23, 30),
        utc(2024, 5, 7, 0, 0),
        utc(2024, 5, 7, 0, 30),
        utc(2024, 5, 7, 1, 0),
        utc(2024, 5, 7, 1, 30),
        utc(2024, 5, 7, 2, 0),
        utc(2024, 5, 7, 2, 30),
        utc(2024, 5, 7, 20, 0),
    ]


def test_eb_example_hour_range_20_to_2_matches_each_field_on_its_own_day() -> None:
    # Saturday's early hours are not MON-FRI, so Friday night stops at midnight.
    assert firings("cron(0/30 20-2 ? * MON-FRI *)", utc(2024, 5, 3, 23, 30), 1) == [
        utc(2024, 5, 6, 0, 0)
    ]


def test_eb_put_rule_example_2_05pm_and_2_35pm() -> None:
    assert firings("cron(5,35 14 * * ? *)", utc(2024, 5, 1, 14, 5), 2) == [
        utc(2024, 5, 1, 14, 35),
        utc(2024, 5, 2, 14, 5),
    ]


def test_eb_put_rule_example_last_friday_of_the_month_in_2019_to_2022() -> None:
    assert firings("cron(15 10 ? * 6L 2019-2022)", utc(2018, 12, 31), 1) == [
        utc(2019, 1, 25, 10, 15)
    ]
    assert firings("cron(15 10 ? * 6L 2019-2022)", utc(2022, 10, 1), 4) == [
        utc(2022, 10, 28, 10, 15),
        utc(2022, 11, 25, 10, 15),
        utc(2022, 12, 30, 10, 15),
    ]


def test_eb_rate_examples() -> None:
    start = utc(2024, 5, 1, 12, 0, 30)
    assert parse_schedule("rate(1 minute)").next_after(start) == utc(2024, 5, 1, 12, 1, 30)
    assert parse_schedule("rate(5 minutes)").next_after(start) == utc(2024, 5, 1, 12, 5, 30)
    assert parse_schedule("rate(1 hour)").next_after(start) == utc(2024, 5, 1, 13, 0, 30)
    assert parse_schedule("rate(1 day)").next_after(start) == utc(2024, 5, 2, 12, 0, 30)


def test_parse_returns_the_kind_of_schedule() -> None:
    assert parse_schedule("rate(2 hours)") == RateSchedule("rate(2 hours)", timedelta(hours=2))
    assert parse_schedule("at(2024-05-01T09:30:00)") == AtSchedule(
        "at(2024-05-01T09:30:00)", datetime(2024, 5, 1, 9, 30)
    )
    assert isinstance(parse_schedule("cron(0 10 * * ? *)"), CronSchedule)


# --- [EB] invalid expressions and their messages ----------------------------------------------


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("rate(1 hours)", "a value of 1 needs the singular unit 'hour'"),
        ("rate(5 hour)", "a value above 1 needs the plural unit 'hours'"),
        ("rate(0 minutes)", "the rate value must be a positive integer"),
        ("rate(5 weeks)", "a rate is 'value unit' with unit minute(s), hour(s) or day(s)"),
        ("rate(1.5 hours)", "a rate is 'value unit' with unit minute(s), hour(s) or day(s)"),
        ("every 5 minutes", "expected rate(...), cron(...) or at(...)"),
        ("cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 12 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 12 * * ?)", "cron needs 6 fields, got 5"),
        ("cron(60 * * * ? *)", "minutes value '60' is not 0-59"),
        # aws/aws-sdk-js issue #4212: AWS rejects cron(*/60 * * * ? *).
        ("cron(*/60 * * * ? *)", "minutes step must be between 1 and 59, got 60"),
        ("cron(0 24 * * ? *)", "hours value '24' is not 0-23"),
        ("cron(0 ? * * ? *)", "hours field has invalid item '?'"),
        ("cron(0 0 32 * ? *)", "day-of-month value '32' is not 1-31"),
        ("cron(0 0 * 13 ? *)", "month value '13' is not 1-12 or a name"),
        ("cron(0 0 * FOO ? *)", "month value 'FOO' is not 1-12 or a name"),
        ("cron(0 0 ? * 8 *)", "day-of-week value '8' is not 1-7 or a name"),
        ("cron(0 0 ? * 0 *)", "day-of-week value '0' is not 1-7 or a name"),
        # winglang/wing issue #7115: AWS rejects cron(15 12 ? * -1 *).
        ("cron(15 12 ? * -1 *)", "day-of-week field has invalid item '-1'"),
        ("cron(0 0 ? * 3#6 *)", "day-of-week '3#6': '#' takes 1 to 5"),
        # [EB] "3#1,6#3" is not valid: a '#' expression stands alone in day-of-week.
        ("cron(0 0 ? * 3#1,6#3 *)", "day-of-week '3#1,6#3': a '#' value stands alone"),
        ("cron(0 0 * * ? 1969)", "year value '1969' is not 1970-2199"),
        ("cron(0 0 * * ? 2200)", "year value '2200' is not 1970-2199"),
        ("cron(0 0 1,,2 * ? *)", "day-of-month field has invalid item ''"),
        ("at(2024-02-30T00:00:00)", "'2024-02-30T00:00:00' is not a real date and time"),
        ("at(2024-1-1T00:00:00)", "an at expression is at(yyyy-mm-ddThh:mm:ss)"),
    ],
)
def test_invalid_expression_names_expression_and_reason(expr: str, reason: str) -> None:
    with pytest.raises(ScheduleExpressionError) as caught:
        parse_schedule(expr)
    assert caught.value.reason == reason
    assert str(caught.value) == f"Schedule expression {expr!r} is not valid: {reason}"


def test_unknown_time_zone_is_refused_naming_it() -> None:
    schedule = parse_schedule("cron(0 0 * * ? *)")
    with pytest.raises(ScheduleExpressionError) as caught:
        schedule.next_after(utc(2024, 1, 1), "Mars/Olympus_Mons")
    assert caught.value.reason == "unknown time zone 'Mars/Olympus_Mons'"


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="must carry a time zone"):
        parse_schedule("cron(0 0 * * ? *)").next_after(datetime(2024, 1, 1))


# --- wildcards and fields ---------------------------------------------------------------------


def test_names_are_case_insensitive_and_mix_with_numbers() -> None:
    assert firings("cron(0 9 ? jan,JUL sun *)", utc(2024, 6, 1), 2) == [
        utc(2024, 7, 7, 9, 0),
        utc(2024, 7, 14, 9, 0),
    ]


def test_steps_from_star_from_a_value_and_within_a_range() -> None:
    assert firings("cron(*/20 0 * * ? *)", utc(2024, 5, 1), 3) == [
        utc(2024, 5, 1, 0, 20),
        utc(2024, 5, 1, 0, 40),
        utc(2024, 5, 2, 0, 0),
    ]
    assert firings("cron(5/20 0 * * ? *)", utc(2024, 5, 1), 3) == [
        utc(2024, 5, 1, 0, 5),
        utc(2024, 5, 1, 0, 25),
        utc(2024, 5, 1, 0, 45),
    ]
    assert firings("cron(10-40/15 0 * * ? *)", utc(2024, 5, 1), 4) == [
        utc(2024, 5, 1, 0, 10),
        utc(2024, 5, 1, 0, 25),
        utc(2024, 5, 1, 0, 40),
        utc(2024, 5, 2, 0, 10),
    ]


def test_month_ends_skip_months_without_a_31st() -> None:
    assert firings("cron(0 0 31 * ? *)", utc(2024, 1, 31), 4) == [
        utc(2024, 3, 31),
        utc(2024, 5, 31),
        utc(2024, 7, 31),
        utc(2024, 8, 31),
    ]


def test_february_29_fires_only_in_leap_years() -> None:
    assert firings("cron(0 12 29 2 ? *)", utc(2024, 3, 1), 2) == [
        utc(2028, 2, 29, 12, 0),
        utc(2032, 2, 29, 12, 0),
    ]


def test_impossible_dates_return_none() -> None:
    assert parse_schedule("cron(0 0 30 2 ? *)").next_after(utc(2024, 1, 1)) is None
    assert parse_schedule("cron(0 0 31 4,6,9,11 ? *)").next_after(utc(2024, 1, 1)) is None


# --- L, W and # -------------------------------------------------------------------------------


def test_l_in_day_of_month_is_the_last_day_including_leap_february() -> None:
    assert firings("cron(0 0 L * ? *)", utc(2023, 12, 31), 4) == [
        utc(2024, 1, 31),
        utc(2024, 2, 29),
        utc(2024, 3, 31),
        utc(2024, 4, 30),
    ]
    assert firings("cron(0 0 L 2 ? *)", utc(2023, 1, 1), 2) == [utc(2023, 2, 28), utc(2024, 2, 29)]


def test_w_is_the_weekday_nearest_the_day() -> None:
    # 2024-06-15 is a Saturday (Friday 14th), 2024-09-15 a Sunday (Monday 16th).
    assert firings("cron(0 9 15W * ? *)", utc(2024, 6, 1), 4) == [
        utc(2024, 6, 14, 9, 0),
        utc(2024, 7, 15, 9, 0),
        utc(2024, 8, 15, 9, 0),
        utc(2024, 9, 16, 9, 0),
    ]


def test_1w_on_a_saturday_moves_forward_not_into_the_previous_month() -> None:
    # [QUARTZ] 2024-06-01 is a Saturday: Monday June 3rd, not Friday May 31st.
    assert firings("cron(0 9 1W * ? *)", utc(2024, 5, 2), 1) == [utc(2024, 6, 3, 9, 0)]


def test_lw_is_the_last_weekday_of_the_month() -> None:
    # March 31st 2024 is a Sunday and June 30th a Sunday: both move back to Friday.
    assert firings("cron(0 9 LW * ? *)", utc(2024, 3, 1), 4) == [
        utc(2024, 3, 29, 9, 0),
        utc(2024, 4, 30, 9, 0),
        utc(2024, 5, 31, 9, 0),
        utc(2024, 6, 28, 9, 0),
    ]


def test_31w_does_not_fire_in_a_month_without_a_31st() -> None:
    # Unstated by AWS and Quartz alike; like a plain 31, a 30-day month has no match.
    assert firings("cron(0 9 31W * ? *)", utc(2024, 4, 1), 1) == [utc(2024, 5, 31, 9, 0)]


def test_hash_picks_the_nth_weekday_of_the_month() -> None:
    # [EB] "3#2 would be the second Tuesday of the month".
    assert firings("cron(0 9 ? * 3#2 *)", utc(2024, 5, 1), 2) == [
        utc(2024, 5, 14, 9, 0),
        utc(2024, 6, 11, 9, 0),
    ]


def test_hash_5_skips_months_without_a_fifth_weekday() -> None:
    assert firings("cron(0 9 ? * FRI#5 *)", utc(2024, 1, 1), 4) == [
        utc(2024, 3, 29, 9, 0),
        utc(2024, 5, 31, 9, 0),
        utc(2024, 8, 30, 9, 0),
        utc(2024, 11, 29, 9, 0),
    ]


def test_l_alone_in_day_of_week_is_saturday() -> None:
    # [QUARTZ] "L" alone in day-of-week is the last day of the week, 7 (SAT).
    assert firings("cron(0 9 ? * L *)", utc(2024, 5, 1), 1) == [utc(2024, 5, 4, 9, 0)]


def test_5l_is_the_last_thursday_since_sunday_is_1() -> None:
    assert firings("cron(0 9 ? * 5L *)", utc(2024, 11, 1), 1) == [utc(2024, 11, 28, 9, 0)]


# --- the year field ---------------------------------------------------------------------------


def test_year_field_ends_the_schedule_after_its_last_year() -> None:
    assert firings("cron(0 0 1 1 ? 2199)", utc(2198, 6, 1), 2) == [utc(2199, 1, 1)]


def test_nothing_fires_after_2199() -> None:
    assert parse_schedule("cron(0 0 * * ? *)").next_after(utc(2199, 12, 31)) is None
    assert parse_schedule("cron(0 0 * * ? *)").next_after(utc(3000, 1, 1)) is None


def test_nothing_fires_before_1970() -> None:
    assert parse_schedule("cron(0 0 * * ? *)").next_after(utc(1900, 6, 1)) == utc(1970, 1, 1)


# --- [SCHED] time zones and [DST] daylight saving time ----------------------------------------


def test_cron_is_read_in_the_schedule_time_zone() -> None:
    # AWS CDK docs, aws_scheduler: cron(0 23 20 11 ? *) in New York, "11:00 PM, on day 20".
    assert firings("cron(0 23 20 11 ? *)", utc(2024, 1, 1), 1, NEW_YORK) == [
        utc(2024, 11, 21, 4, 0)
    ]


def test_a_daily_cron_keeps_its_wall_clock_time_across_the_spring_change() -> None:
    assert firings("cron(0 7 * * ? *)", utc(2024, 3, 9, 0), 2, NEW_YORK) == [
        utc(2024, 3, 9, 12, 0),
        utc(2024, 3, 10, 11, 0),
    ]


def test_spring_forward_skips_a_time_that_does_not_exist_in_new_york() -> None:
    # 2024-03-10 02:00 EST jumps to 03:00 EDT: 02:30 does not happen that day.
    assert firings("cron(30 2 * * ? *)", utc(2024, 3, 9, 12), 2, NEW_YORK) == [
        utc(2024, 3, 11, 6, 30),
        utc(2024, 3, 12, 6, 30),
    ]


def test_fall_back_runs_a_repeated_time_once_in_new_york() -> None:
    # 2024-11-03 01:00-02:00 happens twice; 01:30 fires at its first occurrence (EDT) only.
    assert firings("cron(30 1 * * ? *)", utc(2024, 11, 3, 0), 2, NEW_YORK) == [
        utc(2024, 11, 3, 5, 30),
        utc(2024, 11, 4, 6, 30),
    ]


def test_fall_back_does_not_repeat_an_every_30_minutes_schedule() -> None:
    assert firings("cron(0/30 * * * ? *)", utc(2024, 11, 3, 4, 45), 3, NEW_YORK) == [
        utc(2024, 11, 3, 5, 0),
        utc(2024, 11, 3, 5, 30),
        utc(2024, 11, 3, 7, 0),
    ]


def test_asked_during_the_repeated_hour_the_next_firing_is_after_it() -> None:
    # 06:10Z is 01:10 EST, the second pass; 01:30 already fired in the first pass.
    assert firings("cron(30 1,2 * * ? *)", utc(2024, 11, 3, 6, 10), 1, NEW_YORK) == [
        utc(2024, 11, 3, 7, 30)
    ]


def test_spring_forward_skips_a_time_that_does_not_exist_in_london() -> None:
    # 2024-03-31 01:00 GMT jumps to 02:00 BST.
    assert firings("cron(30 1 * * ? *)", utc(2024, 3, 30, 12), 1, LONDON) == [
        utc(2024, 4, 1, 0, 30)
    ]


def test_fall_back_runs_a_repeated_time_once_in_london() -> None:
    # 2024-10-27 01:00-02:00 happens twice (BST, then GMT).
    assert firings("cron(30 1 * * ? *)", utc(2024, 10, 26, 12), 2, LONDON) == [
        utc(2024, 10, 27, 0, 30),
        utc(2024, 10, 28, 1, 30),
    ]


def test_rate_in_days_is_24_hours_whatever_the_clock_does() -> None:
    assert parse_schedule("rate(1 day)").next_after(utc(2024, 3, 9, 12), NEW_YORK) == utc(
        2024, 3, 10, 12
    )


def test_at_fires_once_at_its_local_time() -> None:
    # Serverless Land snippet "Create One-time schedule with timezone support": Asia/Kolkata.
    schedule = parse_schedule("at(2026-03-11T10:21:00)")
    assert schedule.next_after(utc(2026, 1, 1), "Asia/Kolkata") == utc(2026, 3, 11, 4, 51)
    assert schedule.next_after(utc(2026, 3, 11, 4, 51), "Asia/Kolkata") is None


def test_at_without_a_time_zone_is_utc() -> None:
    assert parse_schedule("at(2026-03-11T10:21:00)").next_after(utc(2026, 1, 1)) == utc(
        2026, 3, 11, 10, 21
    )


def test_at_in_the_spring_gap_never_fires() -> None:
    # Undocumented for at(); we apply the cron rule: a time that does not exist is skipped.
    assert parse_schedule("at(2024-03-10T02:30:00)").next_after(utc(2024, 1, 1), NEW_YORK) is None


def test_at_in_the_repeated_hour_fires_at_the_first_occurrence() -> None:
    assert parse_schedule("at(2024-11-03T01:30:00)").next_after(utc(2024, 1, 1), NEW_YORK) == utc(
        2024, 11, 3, 5, 30
    )


def test_next_after_accepts_any_aware_datetime_and_answers_in_utc() -> None:
    tokyo = timezone(timedelta(hours=9))
    result = parse_schedule("cron(0 10 * * ? *)").next_after(
        datetime(2024, 5, 1, 18, 0, tzinfo=tokyo)
    )
    assert result == utc(2024, 5, 1, 10, 0)
    assert result is not None and result.tzinfo is UTC
