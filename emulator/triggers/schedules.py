"""The scheduler: fires the template's Schedule and ScheduleV2 events through the async queue.

EventBridge invokes a rule's Lambda target asynchronously, so a firing is a queued event like
any other: retried, aged and sent to destinations by the queue. A rate's first firing is one
interval after the rule starts (here: after `lambdock up`), a cron's is its next match; firings
missed while lambdock was stopped or paused are not made up for, as EventBridge does not catch
up either. `Enabled: false` / `State: DISABLED` rules never fire on their own, but can be fired by
hand for local work. Time comes from the injected clock; the loop sleeps with asyncio until the
next firing, at most `max_sleep_seconds` at a time, so a clock change is noticed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from emulator.clock import Clock
from emulator.events import schedule as events
from emulator.invoker import InvocationRequest
from emulator.schedules import RateSchedule
from emulator.template.async_config import AsyncConfigError, ScheduleRule, schedule_rules
from emulator.template.models import Template
from emulator.triggers.async_events import Source
from emulator.triggers.queue import AsyncQueue

log = logging.getLogger("lambdock.schedules")

MAX_SLEEP_SECONDS = 30.0


@dataclass(frozen=True)
class Firing:
    """One firing of a rule: when it was meant for, and the async event it became."""

    rule: ScheduleRule
    time: datetime
    request_id: str


def template_rules(template: Template) -> list[ScheduleRule]:
    """Every schedule rule of the template, in template order."""
    rules: list[ScheduleRule] = []
    for function in template.functions.values():
        try:
            rules += schedule_rules(
                function,
                stack_name=template.stack_name,
                region=template.region,
                account_id=template.account_id,
            )
        except AsyncConfigError as exc:
            # Checked at load; a template reloaded since with a broken rule loses only that one.
            log.warning("%s: schedules ignored: %s", function.logical_id, exc.message)
    return rules


def scheduled_payload(
    rule: ScheduleRule, *, event_id: str, time: datetime, account_id: str, region: str
) -> Any:
    """What the function gets: the rule's Input, or EventBridge's (or Scheduler's) own event."""
    if rule.event_type == "ScheduleV2":
        if rule.input is not None:
            return events.scheduler_input(
                rule.input,
                schedule_arn=rule.arn,
                scheduled_time=time,
                execution_id=event_id,
                attempt=1,
            )
        return events.scheduler_notification(
            event_id=event_id,
            time=time,
            account_id=account_id,
            region=region,
            schedule_arn=rule.arn,
        )
    event = events.scheduled_event(
        event_id=event_id, time=time, account_id=account_id, region=region, rule_arn=rule.arn
    )
    return events.rule_target_payload(rule.input, event)


def following(rule: ScheduleRule, fired: datetime, now: datetime) -> datetime | None:
    """The rule's next firing after one at `fired`, skipping any already past at `now`."""
    schedule = rule.schedule
    if isinstance(schedule, RateSchedule):
        # A rate keeps its phase: the first multiple of the interval after `now`.
        steps = max(1, math.floor((now - fired) / schedule.interval) + 1)
        return fired + steps * schedule.interval
    return schedule.next_after(max(fired, now), rule.timezone)


def first_firing(rule: ScheduleRule, start: datetime) -> datetime | None:
    """When an enabled rule that starts at `start` fires first; None when disabled or never."""
    if not rule.enabled:
        return None
    return rule.schedule.next_after(start, rule.timezone)


class Scheduler:
    """Keeps each rule's next firing and hands due firings to the queue."""

    def __init__(
        self,
        template: Callable[[], Template],
        queue: AsyncQueue,
        *,
        clock: Clock,
        request_ids: Callable[[], str],
        max_sleep_seconds: float = MAX_SLEEP_SECONDS,
    ) -> None:
        self._template = template
        self._queue = queue
        self._clock = clock
        self._request_ids = request_ids
        self._max_sleep = max_sleep_seconds
        self._seen: Template | None = None
        self._rules: dict[str, ScheduleRule] = {}
        self._next: dict[str, datetime | None] = {}
        self._task: asyncio.Task[None] | None = None

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.time(), UTC)

    def refresh(self) -> None:
        """Take up the current template's rules; an unchanged rule keeps its next firing."""
        template = self._template()
        if template is self._seen:
            return
        self._seen = template
        start = self._now()
        old_rules, old_next = self._rules, self._next
        self._rules = {_key(rule): rule for rule in template_rules(template)}
        self._next = {}
        for key, rule in self._rules.items():
            kept = old_rules.get(key) == rule and key in old_next
            self._next[key] = old_next[key] if kept else first_firing(rule, start)

    def rules(self) -> list[tuple[ScheduleRule, datetime | None]]:
        """Every rule with its next firing (None when disabled or never again)."""
        self.refresh()
        return [(rule, self._next.get(key)) for key, rule in self._rules.items()]

    def find(self, name: str) -> ScheduleRule | None:
        """A rule by its name, its ARN, or `<function name>.<event name>`."""
        self.refresh()
        for key, rule in self._rules.items():
            if name in (rule.name, rule.arn, key):
                return rule
        return None

    async def tick(self) -> list[Firing]:
        """Fire every rule that is due by the clock; returns what was fired."""
        self.refresh()
        now = self._now()
        fired = []
        for key, rule in self._rules.items():
            due = self._next.get(key)
            if due is None or due > now:
                continue
            self._next[key] = following(rule, due, now)
            fired.append(await self.fire(rule, due))
        return fired

    async def fire(self, rule: ScheduleRule, time: datetime | None = None) -> Firing:
        """Queue one firing of `rule` meant for `time` (now when not given)."""
        template = self._template()
        moment = time or self._now()
        event_id = self._request_ids()
        payload = scheduled_payload(
            rule,
            event_id=event_id,
            time=moment,
            account_id=template.account_id,
            region=template.region,
        )
        request = InvocationRequest(
            function_name=rule.function_name,
            payload=json.dumps(payload).encode(),
            invocation_type="Event",
            request_id=self._request_ids(),
        )
        request_id = await self._queue.submit(request, source=Source.SCHEDULE)
        log.info("schedule %s fired for %s: %s", rule.name, rule.function_name, request_id)
        return Firing(rule, moment, request_id)

    def seconds_until_next(self) -> float | None:
        """How long until the earliest next firing; None when nothing will fire."""
        upcoming = [t for t in self._next.values() if t is not None]
        if not upcoming:
            return None
        return max(0.0, (min(upcoming) - self._now()).total_seconds())

    async def start(self) -> None:
        """Begin firing rules on time."""
        self.refresh()
        self._task = asyncio.create_task(self._serve())

    async def close(self) -> None:
        """Stop firing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _serve(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler: firing failed; trying again")
            wait = self.seconds_until_next()
            await asyncio.sleep(self._max_sleep if wait is None else min(wait, self._max_sleep))


def _key(rule: ScheduleRule) -> str:
    return f"{rule.function_name}.{rule.event_name}"
