"""Scheduled trigger payloads and the names and ARNs of the rules and schedules behind them.

Sources, named per test:
- [EB-TUTORIAL] EventBridge User Guide, "Tutorial: Schedule AWS Lambda functions using
  EventBridge": the example "Scheduled Event" (fixture eventbridge-scheduled-event.json).
- [SAM-SCHEDULE] SAM Developer Guide, "Schedule" event source (Name, Input) and samtranslator
  ``eventsources/push.py`` (the rule's logical id is the function's plus the event's name).
- [CFN-NAME] CloudFormation "Name type": an unnamed resource gets a generated physical name;
  for a rule, ``<stack>-<logical id>-<13 characters>`` within 64, as in the rule ARN quoted in
  aws-solutions/instance-scheduler-on-aws issue #37.
- [SAM-SCHEDULEV2] SAM "ScheduleV2" event source and samtranslator ``eventsources/scheduler.py``
  (the schedule's name is its Name, else the logical id).
- [SCHED-TARGET] EventBridge Scheduler API reference, Target.Input ("a default notification"
  when absent) and User Guide "Adding context attributes"; the default notification's shape is
  the one recorded from a real schedule (fixture scheduler-default-notification.json, account
  and ids replaced), with ``detail`` the string "{}" (cloud-custodian pull request #9566).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from emulator.events.schedule import (
    rule_arn,
    rule_logical_id,
    rule_name,
    rule_target_payload,
    schedule_arn,
    schedule_v2_name,
    scheduled_event,
    scheduler_input,
    scheduler_notification,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "events"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_scheduled_event_matches_the_eventbridge_tutorial_example() -> None:
    # [EB-TUTORIAL]
    event = scheduled_event(
        event_id="53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        time=datetime(2015, 10, 8, 16, 53, 6, tzinfo=UTC),
        account_id="123456789012",
        region="us-east-1",
        rule_arn="arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule",
    )
    assert event == fixture("eventbridge-scheduled-event.json")
    assert list(event) == list(fixture("eventbridge-scheduled-event.json"))


def test_scheduled_event_time_is_utc_to_the_second() -> None:
    paris_summer = timezone(timedelta(hours=2))
    event = scheduled_event(
        event_id="id-1",
        time=datetime(2024, 7, 1, 9, 30, 15, 987654, tzinfo=paris_summer),
        account_id="123456789012",
        region="eu-west-3",
        rule_arn="arn:aws:events:eu-west-3:123456789012:rule/r",
    )
    assert event == {
        "version": "0",
        "id": "id-1",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2024-07-01T07:30:15Z",
        "region": "eu-west-3",
        "resources": ["arn:aws:events:eu-west-3:123456789012:rule/r"],
        "detail": {},
    }


def test_scheduled_event_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="must carry a time zone"):
        scheduled_event(
            event_id="id",
            time=datetime(2024, 7, 1),
            account_id="123456789012",
            region="us-east-1",
            rule_arn="arn:aws:events:us-east-1:123456789012:rule/r",
        )


def test_rule_logical_id_joins_function_and_event_names() -> None:
    # [SAM-SCHEDULE]
    assert rule_logical_id("HelloWorldFunction", "Nightly") == "HelloWorldFunctionNightly"


def test_rule_name_is_the_events_name_when_given() -> None:
    # [SAM-SCHEDULE] "Name: The name of the rule."
    assert rule_name("sam-app", "HelloWorldFunctionNightly", "TestSchedule") == "TestSchedule"


def test_generated_rule_name_is_stack_logical_id_and_13_character_suffix() -> None:
    # [CFN-NAME]
    name = rule_name("sam-app", "HelloWorldFunctionNightly")
    assert re.fullmatch(r"sam-app-HelloWorldFunctionNightly-[A-Z0-9]{13}", name)
    assert rule_name("sam-app", "HelloWorldFunctionNightly") == name
    assert rule_name("other-app", "HelloWorldFunctionNightly")[-13:] != name[-13:]


def test_generated_rule_name_shortens_the_stack_name_to_64_characters() -> None:
    # [CFN-NAME] AWS named this rule "Instance-Scheduler-Scheduler-19BIN6Q-SchedulerRule-<13>"
    # in the stack "Instance-Scheduler-Scheduler-19BIN6QDFUVTN".
    name = rule_name("Instance-Scheduler-Scheduler-19BIN6QDFUVTN", "SchedulerRule")
    assert len(name) == 64
    assert re.fullmatch(r"Instance-Scheduler-Scheduler-19BIN6Q-SchedulerRule-[A-Z0-9]{13}", name)


def test_generated_rule_name_shortens_a_very_long_logical_id_too() -> None:
    name = rule_name("app", "F" * 80)
    assert len(name) == 64
    assert re.fullmatch(r"a-F{48}-[A-Z0-9]{13}", name)


def test_rule_arn_is_on_the_default_bus_path() -> None:
    assert (
        rule_arn("us-east-1", "123456789012", "my-scheduled-rule")
        == "arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"
    )


def test_rule_target_gets_the_event_without_input() -> None:
    event = {"detail-type": "Scheduled Event"}
    assert rule_target_payload(None, event) is event


def test_rule_target_gets_only_the_input_json_when_set() -> None:
    # [SAM-SCHEDULE] "If you use this property, nothing from the event text itself is passed."
    event = {"detail-type": "Scheduled Event"}
    assert rule_target_payload('{"job": "report", "days": [1, 2]}', event) == {
        "job": "report",
        "days": [1, 2],
    }


def test_rule_target_input_that_is_not_json_is_refused() -> None:
    with pytest.raises(ValueError, match="Input is not valid JSON"):
        rule_target_payload("{job: report}", {})


def test_schedule_v2_name_defaults_to_the_logical_id() -> None:
    # [SAM-SCHEDULEV2]
    assert schedule_v2_name("ReportFunction", "Nightly") == "ReportFunctionNightly"
    assert schedule_v2_name("ReportFunction", "Nightly", "nightly-report") == "nightly-report"


def test_schedule_arn_uses_the_default_group() -> None:
    assert (
        schedule_arn("us-east-2", "123456789012", "nightly-report")
        == "arn:aws:scheduler:us-east-2:123456789012:schedule/default/nightly-report"
    )
    assert (
        schedule_arn("us-east-2", "123456789012", "nightly-report", "reports")
        == "arn:aws:scheduler:us-east-2:123456789012:schedule/reports/nightly-report"
    )


def test_scheduler_default_notification_matches_the_recorded_event() -> None:
    # [SCHED-TARGET]
    event = scheduler_notification(
        event_id="0c5ab1d2-6a3e-4d8f-9b71-2f4e8c9d0a13",
        time=datetime(2024, 6, 13, 12, 30, tzinfo=UTC),
        account_id="123456789012",
        region="us-east-2",
        schedule_arn="arn:aws:scheduler:us-east-2:123456789012:schedule/default/nightly-report",
    )
    assert event == fixture("scheduler-default-notification.json")
    assert event["detail"] == "{}"


def test_scheduler_input_fills_in_the_context_attributes() -> None:
    # [SCHED-TARGET] "Adding context attributes"
    text = (
        '{"arn": "<aws.scheduler.schedule-arn>", "at": "<aws.scheduler.scheduled-time>",'
        ' "run": "<aws.scheduler.execution-id>", "try": "<aws.scheduler.attempt-number>"}'
    )
    payload = scheduler_input(
        text,
        schedule_arn="arn:aws:scheduler:us-east-2:123456789012:schedule/default/nightly-report",
        scheduled_time=datetime(2022, 3, 22, 18, 59, 43, tzinfo=UTC),
        execution_id="d32c5kddcf5bb8c3",
        attempt=1,
    )
    assert payload == {
        "arn": "arn:aws:scheduler:us-east-2:123456789012:schedule/default/nightly-report",
        "at": "2022-03-22T18:59:43Z",
        "run": "d32c5kddcf5bb8c3",
        "try": "1",
    }


def test_scheduler_input_without_attributes_is_passed_as_given() -> None:
    payload = scheduler_input(
        '{"backupID": "123"}',
        schedule_arn="arn:aws:scheduler:us-east-1:123456789012:schedule/default/backup1",
        scheduled_time=datetime(2024, 5, 17, 3, 0, tzinfo=UTC),
        execution_id="e1",
        attempt=2,
    )
    assert payload == {"backupID": "123"}
