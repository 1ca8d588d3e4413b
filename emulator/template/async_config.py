"""A function's asynchronous setup, typed and checked at load: its EventInvokeConfig (retry limits
and destinations) and its Schedule / ScheduleV2 rules.

Follows the SAM resource reference ("EventInvokeConfiguration", "OnSuccess"/"OnFailure" with
their SAM-only ``Type``, "Schedule" and "ScheduleV2" event sources) and the Lambda Developer Guide
("Capturing records of Lambda asynchronous invocations": an S3 bucket is an on-failure destination
only). Anything that would fail `sam deploy` raises AsyncConfigError naming the property, which
the loader turns into a TemplateError; what deploys but cannot be served locally is a warning.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from emulator.async_policy import EventInvokeConfig, EventInvokeConfigError
from emulator.errors import Location, TemplateError
from emulator.events import schedule as events
from emulator.schedules import (
    AtSchedule,
    Schedule,
    ScheduleExpressionError,
    parse_schedule,
)
from emulator.template.models import FunctionConfig
from emulator.template.scope import StackInfo, line_of
from emulator.template.yaml_loader import LocatedDict

# SAM's OnSuccess/OnFailure `Type` values, and the ARN service each one names.
DESTINATION_SERVICES = {
    "Lambda": "lambda",
    "S3": "s3",
    "SQS": "sqs",
    "SNS": "sns",
    "EventBridge": "events",
}
SERVED_DESTINATIONS = frozenset({"Lambda", "S3"})
SCHEDULE_TYPES = ("Schedule", "ScheduleV2")
_STATES = {"ENABLED": True, "DISABLED": False}
# Only used to check a time zone name and an expression's evaluation once at load.
_PROBE = datetime(2024, 1, 1, tzinfo=UTC)


class AsyncConfigError(ValueError):
    """A property of a function's async setup that AWS would refuse; `field` is its path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Destination:
    """Where a record goes: a destination `kind` (SAM's Type) and the resource ARN."""

    kind: str
    arn: str

    @property
    def served(self) -> bool:
        """Whether lambdock delivers to this kind of destination."""
        return self.kind in SERVED_DESTINATIONS

    @property
    def bucket(self) -> str:
        """The bucket an S3 destination names (``arn:aws:s3:::<bucket>``)."""
        return self.arn.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class AsyncConfig:
    """Retry limits and destinations of one function's asynchronous invocations."""

    policy: EventInvokeConfig
    on_success: Destination | None = None
    on_failure: Destination | None = None


@dataclass(frozen=True)
class ScheduleRule:
    """One Schedule (EventBridge rule) or ScheduleV2 (EventBridge Scheduler) event of a function."""

    function_name: str
    event_name: str
    event_type: str
    name: str
    arn: str
    expression: str
    schedule: Schedule
    timezone: str | None
    input: str | None
    enabled: bool


def async_config(function: FunctionConfig) -> AsyncConfig:
    """The function's EventInvokeConfig, typed; raises AsyncConfigError."""
    raw = function.event_invoke_config or {}
    if not isinstance(raw, Mapping):
        raise AsyncConfigError("EventInvokeConfig", "EventInvokeConfig must be a mapping")
    try:
        policy = EventInvokeConfig.from_template(raw)
    except EventInvokeConfigError as exc:
        field = str(exc).split(":", 1)[0]
        raise AsyncConfigError(field, str(exc).split(": ", 1)[-1]) from None
    destinations = raw.get("DestinationConfig") or {}
    if not isinstance(destinations, Mapping):
        raise AsyncConfigError(
            "EventInvokeConfig.DestinationConfig", "DestinationConfig must be a mapping"
        )
    return AsyncConfig(
        policy,
        on_success=_destination(destinations, "OnSuccess"),
        on_failure=_destination(destinations, "OnFailure"),
    )


def _destination(config: Mapping[str, Any], which: str) -> Destination | None:
    field = f"EventInvokeConfig.DestinationConfig.{which}"
    raw = config.get(which)
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise AsyncConfigError(field, f"{which} must be a mapping with Type and Destination")
    arn = raw.get("Destination")
    if arn is not None and not isinstance(arn, str):
        raise AsyncConfigError(f"{field}.Destination", "Destination must be an ARN string")
    kind = raw.get("Type") or _kind_of(arn or "")
    if kind not in DESTINATION_SERVICES:
        known = ", ".join(DESTINATION_SERVICES)
        raise AsyncConfigError(f"{field}.Type", f"Type {kind!r} is not one of {known}")
    if not arn:
        # SAM creates a queue or topic for SQS/SNS without a Destination; others need one.
        if kind in ("SQS", "SNS"):
            return Destination(kind, "")
        raise AsyncConfigError(f"{field}.Destination", f"a {kind} destination needs Destination")
    if _kind_of(arn) != kind:
        raise AsyncConfigError(f"{field}.Destination", f"{arn!r} is not the ARN of a {kind}")
    if kind == "S3" and which == "OnSuccess":
        raise AsyncConfigError(f"{field}.Type", "an S3 bucket is an on-failure destination only")
    return Destination(kind, arn)


def _kind_of(arn: str) -> str | None:
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn":
        return None
    for kind, service in DESTINATION_SERVICES.items():
        if parts[2] == service:
            return kind
    return None


def schedule_rules(
    function: FunctionConfig, *, stack_name: str, region: str, account_id: str
) -> tuple[ScheduleRule, ...]:
    """The function's Schedule and ScheduleV2 events as rules; raises AsyncConfigError."""
    rules = []
    for event in function.events_of(*SCHEDULE_TYPES):
        prefix = f"Events.{event.name}.Properties"
        props = event.properties
        v2 = event.type == "ScheduleV2"
        key = "ScheduleExpression" if v2 else "Schedule"
        expression, schedule = _expression(props, key, f"{prefix}.{key}", v2=v2)
        timezone = (
            _timezone(props, f"{prefix}.ScheduleExpressionTimezone", expression) if v2 else None
        )
        name_given = _optional_str(props, "Name", prefix)
        if v2:
            name = events.schedule_v2_name(function.logical_id, event.name, name_given)
            group = _optional_str(props, "GroupName", prefix)
            arn = events.schedule_arn(region, account_id, name, group)
        else:
            logical = events.rule_logical_id(function.logical_id, event.name)
            name = events.rule_name(stack_name, logical, name_given)
            arn = events.rule_arn(region, account_id, name)
        rules.append(
            ScheduleRule(
                function_name=function.function_name,
                event_name=event.name,
                event_type=event.type,
                name=name,
                arn=arn,
                expression=expression,
                schedule=schedule,
                timezone=timezone,
                input=_input(props, prefix, v2=v2),
                enabled=_enabled(props, prefix, v2=v2),
            )
        )
    return tuple(rules)


def _expression(
    props: Mapping[str, Any], key: str, field: str, *, v2: bool
) -> tuple[str, Schedule]:
    expression = props.get(key)
    if not isinstance(expression, str) or not expression:
        raise AsyncConfigError(field, f"{key} is required: rate(...) or cron(...)")
    try:
        schedule = parse_schedule(expression)
    except ScheduleExpressionError as exc:
        raise AsyncConfigError(field, str(exc)) from None
    if isinstance(schedule, AtSchedule) and not v2:
        # EventBridge rules take rate and cron; one-time at() is EventBridge Scheduler's.
        raise AsyncConfigError(
            field, f"Schedule expression {expression!r}: a Schedule event takes rate() or cron()"
        )
    return expression, schedule


def _timezone(props: Mapping[str, Any], field: str, expression: str) -> str | None:
    zone = props.get("ScheduleExpressionTimezone")
    if zone is None:
        return None
    if not isinstance(zone, str):
        raise AsyncConfigError(field, "ScheduleExpressionTimezone must be a time zone name")
    try:
        parse_schedule(expression).next_after(_PROBE, zone)
    except ScheduleExpressionError as exc:
        raise AsyncConfigError(field, exc.reason) from None
    return zone


def _optional_str(props: Mapping[str, Any], key: str, prefix: str) -> str | None:
    value = props.get(key)
    if value is not None and not isinstance(value, str):
        raise AsyncConfigError(f"{prefix}.{key}", f"{key} must be a string")
    return value


def _input(props: Mapping[str, Any], prefix: str, *, v2: bool) -> str | None:
    text = _optional_str(props, "Input", prefix)
    if text is None:
        return None
    try:
        if v2:
            events.scheduler_input(
                text, schedule_arn="", scheduled_time=_PROBE, execution_id="", attempt=1
            )
        else:
            json.loads(text)
    except ValueError as exc:
        raise AsyncConfigError(f"{prefix}.Input", f"Input is not valid JSON: {exc}") from None
    return text


def _enabled(props: Mapping[str, Any], prefix: str, *, v2: bool) -> bool:
    # Schedule takes Enabled or State (not both); ScheduleV2 takes State only.
    if "Enabled" in props and "State" in props:
        raise AsyncConfigError(f"{prefix}.Enabled", "give Enabled or State, not both")
    if "Enabled" in props and not v2:
        enabled = props["Enabled"]
        if isinstance(enabled, str) and enabled.lower() in ("true", "false"):
            return enabled.lower() == "true"
        if not isinstance(enabled, bool):
            raise AsyncConfigError(f"{prefix}.Enabled", "Enabled must be true or false")
        return enabled
    state = props.get("State", "ENABLED")
    if not isinstance(state, str) or state.upper() not in _STATES:
        # EventBridge's third state turns on CloudTrail events too; the rule itself is enabled.
        if state == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" and not v2:
            return True
        raise AsyncConfigError(
            f"{prefix}.State", f"State must be ENABLED or DISABLED, not {state!r}"
        )
    return _STATES[state.upper()]


def check_async_setup(
    functions: Sequence[FunctionConfig],
    info: StackInfo,
    document: LocatedDict,
    warnings: list[str],
) -> None:
    """Check every function's async setup; raises TemplateError, warns of what is not served."""
    names = {f.function_name for f in functions}
    for function in functions:
        try:
            config = async_config(function)
            schedule_rules(
                function, stack_name=info.stack_name, region=info.region, account_id=info.account_id
            )
        except AsyncConfigError as exc:
            path = ("Resources", function.logical_id, "Properties", *exc.field.split("."))
            where = Location(info.path, line_of(document, path), function.logical_id, exc.field)
            raise TemplateError(exc.message, where) from None
        for which in ("OnSuccess", "OnFailure"):
            destination = config.on_success if which == "OnSuccess" else config.on_failure
            _warn_destination(function, which, destination, names, warnings.append)
        if function.dead_letter_queue:
            warnings.append(
                f"{function.logical_id}: DeadLetterQueue is not emulated; use an OnFailure "
                "destination of Type Lambda or S3 to keep failed events locally"
            )
        for event in function.events_of("ScheduleV2"):
            for key in ("StartDate", "EndDate"):
                if key in event.properties:
                    warnings.append(
                        f"{function.logical_id}: event {event.name}: {key} is not emulated"
                    )


def _warn_destination(
    function: FunctionConfig,
    which: str,
    destination: Destination | None,
    names: set[str],
    warn: Callable[[str], None],
) -> None:
    if destination is None:
        return
    if not destination.served:
        warn(
            f"{function.logical_id}: {which} destination of Type {destination.kind} is not "
            "emulated; its records are dropped"
        )
    elif destination.kind == "Lambda" and _function_name(destination.arn) not in names:
        warn(
            f"{function.logical_id}: {which} destination {destination.arn} is not a function of "
            "this template; its records are dropped"
        )


def _function_name(arn: str) -> str:
    parts = arn.split(":")
    return parts[6] if len(parts) > 6 else ""
