"""The scheduler with a fake clock: when rules fire, what the function gets, and by-hand firing.

Sources, named per test:
- [EB-RATE] EventBridge User Guide, "Schedule expressions for rules": a rate rule fires every
  interval from when it is created; cron fields in UTC.
- [EB-TUTORIAL] EventBridge User Guide, "Tutorial: Schedule AWS Lambda functions using
  EventBridge": the "Scheduled Event" a rule's Lambda target gets; SAM "Schedule" event source:
  `Input` replaces it, `Enabled: false` disables the rule.
- [SCHED] EventBridge Scheduler User Guide ("Schedule types", "Adding context attributes") and
  SAM "ScheduleV2": ScheduleExpressionTimezone, State, the default notification and Input's
  context attributes.
- [OURS] Firings missed while lambdock was stopped or busy are not made up for (EventBridge does
  not catch up either); by-hand firing is lambdock's own.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from emulator.invoker import InvocationRequest
from emulator.template.models import Template
from emulator.triggers.schedules import Scheduler
from tests.fakes import FakeClock
from tests.unit.triggers.conftest import counter, write_template

START = 1_700_000_000.0  # 2023-11-14T22:13:20Z


@dataclass
class RecordingQueue:
    submitted: list[tuple[InvocationRequest, str]] = field(default_factory=list)

    async def submit(self, request: InvocationRequest, *, source: str = "invoke") -> str:
        self.submitted.append((request, source))
        return request.request_id or ""

    def payloads(self) -> list[Any]:
        return [json.loads(request.payload) for request, _ in self.submitted]


def function(events: str, name: str = "Worker") -> str:
    lines = [
        f"{name}:",
        "  Type: AWS::Serverless::Function",
        "  Properties:",
        "    Handler: app.handler",
        "    Runtime: python3.12",
        "    CodeUri: src",
        "    Events:",
    ]
    lines += [f"      {line}" for line in textwrap.dedent(events).strip().splitlines()]
    return "\n".join(lines) + "\n"


class Harness:
    def __init__(self, template: Template) -> None:
        self.template = template
        self.clock = FakeClock(START)
        self.queue = RecordingQueue()
        self.scheduler = Scheduler(
            lambda: self.template, self.queue, clock=self.clock, request_ids=counter("id")
        )
        self.scheduler.refresh()  # as start() does when lambdock comes up

    def next_firings(self) -> dict[str, str | None]:
        return {
            rule.name: when.isoformat() if when else None for rule, when in self.scheduler.rules()
        }


def at(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(UTC).isoformat()


async def test_a_rate_fires_one_interval_after_start_then_every_interval(tmp_path: Path) -> None:
    # [EB-RATE]
    events = """\
    Every5:
      Type: Schedule
      Properties:
        Schedule: rate(5 minutes)
        Name: every-5
    """
    harness = Harness(write_template(tmp_path, function(events)))
    assert harness.next_firings() == {"every-5": "2023-11-14T22:18:20+00:00"}
    assert await harness.scheduler.tick() == []
    harness.clock.advance(299)
    assert await harness.scheduler.tick() == []
    harness.clock.advance(1)
    [firing] = await harness.scheduler.tick()
    assert firing.time.isoformat() == "2023-11-14T22:18:20+00:00"
    assert harness.next_firings() == {"every-5": "2023-11-14T22:23:20+00:00"}
    assert await harness.scheduler.tick() == []
    assert harness.scheduler.seconds_until_next() == 300.0


async def test_a_cron_rule_fires_at_its_next_match_in_utc(tmp_path: Path) -> None:
    # [EB-RATE] rules evaluate cron in UTC
    events = """\
    Noon:
      Type: Schedule
      Properties:
        Schedule: cron(0 12 * * ? *)
        Name: noon
    """
    harness = Harness(write_template(tmp_path, function(events)))
    assert harness.next_firings() == {"noon": "2023-11-15T12:00:00+00:00"}
    harness.clock.advance(13 * 3600 + 46 * 60 + 40)  # 2023-11-15T12:00:00Z
    [firing] = await harness.scheduler.tick()
    assert firing.time.isoformat() == "2023-11-15T12:00:00+00:00"
    assert harness.next_firings() == {"noon": "2023-11-16T12:00:00+00:00"}


async def test_a_schedule_v2_cron_follows_its_time_zone(tmp_path: Path) -> None:
    # [SCHED] 09:00 in New York is 14:00 UTC in November (EST)
    events = """\
    Morning:
      Type: ScheduleV2
      Properties:
        ScheduleExpression: cron(0 9 * * ? *)
        ScheduleExpressionTimezone: America/New_York
        Name: morning
    """
    harness = Harness(write_template(tmp_path, function(events)))
    assert harness.next_firings() == {"morning": at("2023-11-15T09:00:00-05:00")}


async def test_a_disabled_rule_never_fires_on_its_own_but_can_by_hand(tmp_path: Path) -> None:
    # [EB-TUTORIAL] Enabled: false; [SCHED] State: DISABLED; [OURS] by hand
    events = """\
    Paused:
      Type: Schedule
      Properties:
        Schedule: rate(1 minute)
        Enabled: false
        Name: paused
    PausedV2:
      Type: ScheduleV2
      Properties:
        ScheduleExpression: rate(1 minute)
        State: DISABLED
        Name: paused-v2
    """
    harness = Harness(write_template(tmp_path, function(events)))
    assert harness.next_firings() == {"paused": None, "paused-v2": None}
    harness.clock.advance(86400)
    assert await harness.scheduler.tick() == []
    assert harness.scheduler.seconds_until_next() is None
    rule = harness.scheduler.find("paused")
    assert rule is not None
    firing = await harness.scheduler.fire(rule)
    assert firing.time.isoformat() == "2023-11-15T22:13:20+00:00"
    assert len(harness.queue.submitted) == 1


async def test_missed_firings_are_not_made_up_for(tmp_path: Path) -> None:
    # [OURS] ten and a half minutes without a tick: one firing, then back in phase
    events = """\
    Minutely:
      Type: Schedule
      Properties:
        Schedule: rate(1 minute)
        Name: minutely
    """
    harness = Harness(write_template(tmp_path, function(events)))
    harness.clock.advance(10 * 60 + 30)
    fired = await harness.scheduler.tick()
    assert [f.time.isoformat() for f in fired] == ["2023-11-14T22:14:20+00:00"]
    assert harness.next_firings() == {"minutely": "2023-11-14T22:24:20+00:00"}


async def test_a_rule_hands_its_function_the_scheduled_event(tmp_path: Path) -> None:
    # [EB-TUTORIAL]
    events = """\
    Minutely:
      Type: Schedule
      Properties:
        Schedule: rate(1 minute)
        Name: minutely
    """
    harness = Harness(write_template(tmp_path, function(events)))
    harness.clock.advance(60)
    [firing] = await harness.scheduler.tick()
    [(request, source)] = harness.queue.submitted
    assert (request.function_name, request.invocation_type, source) == (
        "Worker",
        "Event",
        "schedule",
    )
    assert firing.request_id == request.request_id == "id-2"
    assert json.loads(request.payload) == {
        "version": "0",
        "id": "id-1",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2023-11-14T22:14:20Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/minutely"],
        "detail": {},
    }


async def test_a_rule_with_input_hands_over_only_the_input(tmp_path: Path) -> None:
    # [EB-TUTORIAL] SAM Schedule `Input`
    events = """\
    Report:
      Type: Schedule
      Properties:
        Schedule: rate(1 minute)
        Input: '{"report": "daily"}'
    """
    harness = Harness(write_template(tmp_path, function(events)))
    [(rule, _)] = harness.scheduler.rules()
    await harness.scheduler.fire(rule)
    assert harness.queue.payloads() == [{"report": "daily"}]
    assert rule.name.startswith("demo-WorkerReport-")


async def test_a_schedule_v2_sends_the_scheduler_notification_or_its_filled_input(
    tmp_path: Path,
) -> None:
    # [SCHED]
    events = """\
    Plain:
      Type: ScheduleV2
      Properties:
        ScheduleExpression: rate(1 minute)
    WithInput:
      Type: ScheduleV2
      Properties:
        ScheduleExpression: rate(1 minute)
        GroupName: reports
        Input: '{"arn": "<aws.scheduler.schedule-arn>", "at": "<aws.scheduler.scheduled-time>"}'
    """
    harness = Harness(write_template(tmp_path, function(events)))
    harness.clock.advance(60)
    await harness.scheduler.tick()
    assert harness.queue.payloads() == [
        {
            "version": "0",
            "id": "id-1",
            "detail-type": "Scheduled Event",
            "source": "aws.scheduler",
            "account": "123456789012",
            "time": "2023-11-14T22:14:20Z",
            "region": "us-east-1",
            "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/WorkerPlain"],
            "detail": "{}",
        },
        {
            "arn": "arn:aws:scheduler:us-east-1:123456789012:schedule/reports/WorkerWithInput",
            "at": "2023-11-14T22:14:20Z",
        },
    ]


async def test_a_rule_is_found_by_name_arn_or_function_and_event(tmp_path: Path) -> None:
    events = """\
    Minutely:
      Type: Schedule
      Properties:
        Schedule: rate(1 minute)
        Name: minutely
    """
    harness = Harness(write_template(tmp_path, function(events)))
    arn = "arn:aws:events:us-east-1:123456789012:rule/minutely"
    found = [harness.scheduler.find(n) for n in ("minutely", arn, "Worker.Minutely")]
    assert {rule.name if rule else None for rule in found} == {"minutely"}
    assert harness.scheduler.find("nope") is None


async def test_a_reloaded_template_keeps_unchanged_rules_on_their_times(tmp_path: Path) -> None:
    minutely = """\
    Minutely:
      Type: Schedule
      Properties:
        Schedule: rate(1 minute)
        Name: minutely
    """
    hourly = """\
    Hourly:
      Type: Schedule
      Properties:
        Schedule: rate(1 hour)
        Name: hourly
    """
    harness = Harness(write_template(tmp_path, function(minutely)))
    harness.clock.advance(30)
    both = textwrap.dedent(minutely) + textwrap.dedent(hourly)
    harness.template = write_template(tmp_path, function(both))
    assert harness.next_firings() == {
        "minutely": "2023-11-14T22:14:20+00:00",
        "hourly": "2023-11-14T23:13:50+00:00",
    }
