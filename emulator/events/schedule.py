"""What a scheduled trigger hands the function: EventBridge rule and EventBridge Scheduler payloads.

A SAM ``Schedule`` event becomes an ``AWS::Events::Rule`` whose target gets the "Scheduled
Event" (EventBridge User Guide, "Tutorial: Schedule AWS Lambda functions using EventBridge"), or
the event's ``Input`` JSON instead of it (SAM ``Schedule`` property ``Input``: "nothing from the
event text itself is passed to the target"). A SAM ``ScheduleV2`` event becomes an
``AWS::Scheduler::Schedule``, which sends its ``Input`` with the Scheduler context attributes
filled in, or else its default notification. Ids and times are passed in; nothing reads a clock.
"""

from __future__ import annotations

import hashlib
import json
import string
from datetime import UTC, datetime
from typing import Any

SCHEDULED_EVENT_DETAIL_TYPE = "Scheduled Event"
RULE_EVENT_SOURCE = "aws.events"
SCHEDULER_EVENT_SOURCE = "aws.scheduler"
DEFAULT_SCHEDULE_GROUP = "default"

# CloudFormation names an unnamed rule <stack>-<logical id>-<13 upper-case letters and digits>,
# at most 64 characters, shortening the stack name first, as in the rule ARN
# ".../rule/Instance-Scheduler-Scheduler-19BIN6Q-SchedulerRule-14DFUXIRT279M"
# (aws-solutions/instance-scheduler-on-aws issue #37). Its suffix is random; ours is a hash of
# stack and logical id, so a rule keeps its name across restarts.
RULE_NAME_MAX_LENGTH = 64
_SUFFIX_LENGTH = 13
_SUFFIX_ALPHABET = string.ascii_uppercase + string.digits

# EventBridge Scheduler User Guide, "Adding context attributes".
CONTEXT_SCHEDULE_ARN = "<aws.scheduler.schedule-arn>"
CONTEXT_SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
CONTEXT_EXECUTION_ID = "<aws.scheduler.execution-id>"
CONTEXT_ATTEMPT_NUMBER = "<aws.scheduler.attempt-number>"


def event_time(moment: datetime) -> str:
    """An EventBridge ``time`` field: UTC to the second, ``2015-10-08T16:53:06Z``."""
    if moment.tzinfo is None:
        raise ValueError(f"datetime {moment.isoformat()} must carry a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rule_logical_id(function_logical_id: str, event_name: str) -> str:
    """SAM names the rule resource after the function and the event (``MyFnMySchedule``)."""
    return function_logical_id + event_name


def rule_name(stack_name: str, logical_id: str, name: str | None = None) -> str:
    """The rule's name: the event's ``Name`` if given, else one CloudFormation-style."""
    if name:
        return name
    digest = hashlib.sha256(f"{stack_name}/{logical_id}".encode()).digest()
    suffix = "".join(_SUFFIX_ALPHABET[b % len(_SUFFIX_ALPHABET)] for b in digest[:_SUFFIX_LENGTH])
    room = RULE_NAME_MAX_LENGTH - _SUFFIX_LENGTH - 2
    logical = logical_id[: room - 1]
    return f"{stack_name[: room - len(logical)]}-{logical}-{suffix}"


def rule_arn(region: str, account_id: str, name: str) -> str:
    """``arn:aws:events:<region>:<account>:rule/<name>`` (rules on the default event bus)."""
    return f"arn:aws:events:{region}:{account_id}:rule/{name}"


def scheduled_event(
    *, event_id: str, time: datetime, account_id: str, region: str, rule_arn: str
) -> dict[str, Any]:
    """The event an EventBridge schedule rule sends its target, field for field."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": SCHEDULED_EVENT_DETAIL_TYPE,
        "source": RULE_EVENT_SOURCE,
        "account": account_id,
        "time": event_time(time),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def rule_target_payload(input_text: str | None, event: dict[str, Any]) -> Any:
    """A rule target gets its constant ``Input`` JSON when set, else the event itself."""
    if input_text is None:
        return event
    return _json(input_text, "Input")


def schedule_v2_name(function_logical_id: str, event_name: str, name: str | None = None) -> str:
    """SAM names a ScheduleV2 schedule by its ``Name``, else by its logical id."""
    return name or function_logical_id + event_name


def schedule_arn(region: str, account_id: str, name: str, group: str | None = None) -> str:
    """``arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>``; group ``default``."""
    group_name = group or DEFAULT_SCHEDULE_GROUP
    return f"arn:aws:scheduler:{region}:{account_id}:schedule/{group_name}/{name}"


def scheduler_notification(
    *, event_id: str, time: datetime, account_id: str, region: str, schedule_arn: str
) -> dict[str, Any]:
    """What EventBridge Scheduler sends a Lambda target that has no ``Input``.

    The Scheduler API reference only says "a default notification"; this is the event recorded
    from a real schedule: a "Scheduled Event" from ``aws.scheduler`` whose ``detail`` is the
    string ``"{}"``, not an object (cloud-custodian pull request #9566 handles exactly that).
    """
    return {
        "version": "0",
        "id": event_id,
        "detail-type": SCHEDULED_EVENT_DETAIL_TYPE,
        "source": SCHEDULER_EVENT_SOURCE,
        "account": account_id,
        "time": event_time(time),
        "region": region,
        "resources": [schedule_arn],
        "detail": "{}",
    }


def scheduler_input(
    input_text: str, *, schedule_arn: str, scheduled_time: datetime, execution_id: str, attempt: int
) -> Any:
    """A schedule's ``Input`` with its context attributes replaced, parsed as JSON.

    A templated Lambda target's input "must be a well-formed JSON" (Scheduler API, Target).
    """
    filled = (
        input_text.replace(CONTEXT_SCHEDULE_ARN, schedule_arn)
        .replace(CONTEXT_SCHEDULED_TIME, event_time(scheduled_time))
        .replace(CONTEXT_EXECUTION_ID, execution_id)
        .replace(CONTEXT_ATTEMPT_NUMBER, str(attempt))
    )
    return _json(filled, "Input")


def _json(text: str, what: str) -> Any:
    """Parse JSON text, naming the property when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{what} is not valid JSON: {error}") from None
