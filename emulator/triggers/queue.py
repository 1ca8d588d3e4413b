"""The durable queue behind every asynchronous invocation (Invoke API `Event`, S3, schedules).

An event is on disk (QueueStore) before its 202 is sent, and is run at least once: after a crash
or a SIGKILL the next `lambdock up` on the project runs what was waiting or cut off. Each attempt
goes through the one Invoker; what follows is Lambda's own policy (``async_policy.decide``):
function errors and timeouts retried up to MaximumRetryAttempts, one and two minutes apart,
throttles and lambdock-side failures backed off from 1 s to 5 min, nothing kept past
MaximumEventAgeInSeconds, and the destination of the outcome handed its record.

``retry_delay_scale`` runs the whole policy timeline faster: every wait is multiplied by it and
an event's age is divided by it, so the decisions are those AWS would take at full scale
(``--retry-delay 0.01`` turns six hours of maximum age into 216 seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Collection, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from emulator import wire
from emulator.async_policy import (
    AttemptState,
    EventInvokeConfig,
    GiveUp,
    RetryLater,
    Succeeded,
    decide,
    is_expired,
)
from emulator.clock import Clock
from emulator.events.destinations import Condition
from emulator.invoker import InvocationRequest, Invoker
from emulator.template.async_config import (
    AsyncConfig,
    AsyncConfigError,
    Destination,
    async_config,
)
from emulator.template.models import FunctionConfig, Template
from emulator.triggers.async_events import (
    Delivery,
    EventState,
    QueuedEvent,
    Source,
)
from emulator.triggers.attempts import attempt
from emulator.triggers.destinations import ObjectWriter, handoff, write_record
from emulator.triggers.queue_store import QueueStore

log = logging.getLogger("lambdock.queue")

QUEUE_FILE = "queue.sqlite3"
# How long an S3 delivery attempt may take before another worker may try the record again.
DELIVERY_LEASE_SECONDS = 60.0
PRUNE_EVERY = 100


class AsyncQueue(Protocol):
    """Accepts events for asynchronous invocation."""

    async def submit(self, request: InvocationRequest, *, source: str = Source.INVOKE) -> str:
        """Accept an event; once this returns, it is stored and will be run. Returns its id."""
        ...

    def start(self) -> None:
        """Begin running queued events."""
        ...

    async def close(self) -> None:
        """Stop running events."""
        ...

    def pending(self) -> int:
        """How many events wait to run or are running."""
        ...


@dataclass(frozen=True)
class Listing:
    """What the queue holds, for the admin API: counts by state, events, S3 deliveries."""

    counts: dict[str, int]
    events: list[QueuedEvent]
    deliveries: list[Delivery]


@dataclass(frozen=True)
class QueueSettings:
    """Where the queue lives and how hard it works."""

    path: Path
    retry_delay_scale: float = 1.0
    # Attempts (invocations and S3 deliveries) run at once across all functions.
    workers: int = 8
    # Finished events and deliveries kept for the admin API.
    keep_finished: int = 1000
    # The longest the dispatcher sleeps without looking at the store.
    max_wait_seconds: float = 1.0
    delivery_attempts: int = 10


class DurableQueue:
    """Runs stored async events through the invoker with Lambda's retry policy."""

    def __init__(
        self,
        invoker: Invoker,
        template: Callable[[], Template],
        settings: QueueSettings,
        *,
        clock: Clock,
        request_ids: Callable[[], str],
        object_writer: ObjectWriter | None = None,
    ) -> None:
        self._invoker = invoker
        self._template = template
        self.settings = settings
        self._clock = clock
        self._request_ids = request_ids
        self.object_writer = object_writer
        self._store: QueueStore | None = None
        self._wake = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._busy: Counter[str] = Counter()
        self._loop: asyncio.Task[None] | None = None
        self._finished = 0

    @property
    def store(self) -> QueueStore:
        """The store, opened on first use (so `lambdock invoke` never creates one)."""
        if self._store is None:
            self._store = QueueStore(self.settings.path)
        return self._store

    async def submit(self, request: InvocationRequest, *, source: str = Source.INVOKE) -> str:
        """Store the event; it is durable when this returns."""
        now = self._clock.time()
        event = QueuedEvent(
            request_id=request.request_id or self._request_ids(),
            function_name=request.function_name,
            payload=request.payload,
            accepted_at=now,
            due_at=now,
            source=source,
            client_context=request.client_context,
            trace_id=request.trace_id,
            updated_at=now,
        )
        await asyncio.to_thread(self.store.add, event)
        self._wake.set()
        return event.request_id

    def start(self) -> None:
        """Own the queue (taking back events cut off by the last stop), then dispatch."""
        if not self._take_over():
            log.warning(
                "async queue: another lambdock runs the events in %s; this one accepts events "
                "and takes over when that one stops",
                self.settings.path,
            )
        self._loop = asyncio.create_task(self._serve())

    def _take_over(self) -> bool:
        """Whether this queue owns the file; a new owner first takes back cut-off events."""
        store = self.store
        if store.owned:
            return True
        if not store.try_own():
            return False
        recovered = store.recover(self._clock.time())
        if recovered:
            log.warning("async queue: %d event(s) cut off by the last stop run again", recovered)
        store.prune(self.settings.keep_finished)
        return True

    async def close(self) -> None:
        """Stop dispatching; events cut off now wait in the store for the next start."""
        tasks = [t for t in (self._loop, *self._tasks.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loop = None
        if self._store is not None:
            if self._store.owned:
                self._store.recover(self._clock.time())
            self._store.close()
            self._store = None

    def pending(self) -> int:
        """Events waiting or running."""
        counts = self.store.counts()
        return sum(counts[s] for s in (EventState.QUEUED, EventState.RUNNING, EventState.RETRYING))

    async def listing(self, states: Collection[EventState] = (), limit: int = 100) -> Listing:
        """Events in the given states (all when empty), newest first, with the deliveries."""

        def read() -> Listing:
            store = self.store
            return Listing(store.counts(), store.events(states, limit), store.deliveries(limit))

        return await asyncio.to_thread(read)

    async def get(self, request_id: str) -> QueuedEvent | None:
        """One event by its request id."""
        return await asyncio.to_thread(self.store.get, request_id)

    async def run_due(self) -> int:
        """One dispatch, awaited to the end: how tests step the queue with a fake clock."""
        if not self._take_over():
            return 0
        started = await self._dispatch()
        await asyncio.gather(*list(self._tasks.values()))
        return started

    # --- dispatching ------------------------------------------------------------------------------

    async def _serve(self) -> None:
        while True:
            self._wake.clear()
            try:
                timeout = self.settings.max_wait_seconds
                if self._take_over():
                    await self._dispatch()
                    timeout = await self._timeout()
            except Exception:
                log.exception("async queue: dispatch failed; trying again")
                timeout = self.settings.max_wait_seconds
            # asyncio.timeout, not wait_for: in Python 3.11 wait_for can swallow a cancel that
            # lands as the wake-up comes, and close() would then wait for this loop forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    async def _timeout(self) -> float:
        """Until the next event falls due, at most max_wait; wait for a worker when all are busy."""
        if len(self._tasks) >= self.settings.workers:
            return self.settings.max_wait_seconds
        due = await asyncio.to_thread(self.store.next_due_at, skip=self._full())
        if due is None:
            return self.settings.max_wait_seconds
        return min(self.settings.max_wait_seconds, max(0.001, due - self._clock.time()))

    async def _dispatch(self) -> int:
        free = self.settings.workers - len(self._tasks)
        now = self._clock.time()
        started = 0
        if free > 0:
            events = await asyncio.to_thread(self.store.due, now, free, skip=self._full())
            for event in events:
                if self._busy[event.function_name] >= self._capacity(event.function_name):
                    continue
                claimed = event.claim(now)
                await asyncio.to_thread(self.store.save, claimed, previous=event.state)
                self._spawn(claimed.request_id, claimed.function_name, self._run(claimed))
                started += 1
        free = self.settings.workers - len(self._tasks)
        if free > 0:
            deliveries = await asyncio.to_thread(self.store.due_deliveries, now, free)
            for delivery in deliveries:
                leased = delivery.postpone(now + DELIVERY_LEASE_SECONDS)
                await asyncio.to_thread(self.store.save_delivery, leased)
                self._spawn(delivery.delivery_id, "", self._deliver(leased))
                started += 1
        return started

    def _spawn(self, key: str, function_name: str, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks[key] = task
        if function_name:
            self._busy[function_name] += 1

        def done(_: asyncio.Task[None]) -> None:
            self._tasks.pop(key, None)
            if function_name:
                self._busy[function_name] -= 1
            self._wake.set()

        task.add_done_callback(done)

    def _capacity(self, function_name: str) -> int:
        # At most as many attempts at once as the function may have environments: more would
        # only be throttled. At least one, so a function with none still ages out to its
        # destination.
        function = self._template().function(function_name)
        if function is None:
            return 1
        return max(1, self._invoker.pool.limit(function))

    def _full(self) -> list[str]:
        return [name for name, busy in self._busy.items() if busy >= self._capacity(name)]

    # --- one event --------------------------------------------------------------------------------

    async def _run(self, event: QueuedEvent) -> None:
        try:
            await self._attempt_and_decide(event)
        except Exception:
            # Left `running`: the next start takes it back (at-least-once).
            log.exception("async queue: event %s for %s", event.request_id, event.function_name)

    async def _attempt_and_decide(self, event: QueuedEvent) -> None:
        template = self._template()
        function = template.function(event.function_name)
        if function is None:
            error = f"{wire.RESOURCE_NOT_FOUND}: Function not found: {event.function_name}"
            await self._end(event.fail(self._clock.time(), None, error), None)
            return
        config = _config_of(function)
        if is_expired(self._policy_age(event), config.policy):
            expired = event.fail(self._clock.time(), Condition.EVENT_AGE_EXCEEDED)
            await self._end(expired, config.on_failure)
            return
        outcome, attempted = await attempt(self._invoker, event)
        state = AttemptState(
            attempted.invoke_count, attempted.throttle_count, self._policy_age(attempted)
        )
        decision = decide(outcome, state, config.policy)
        now = self._clock.time()
        match decision:
            case Succeeded():
                await self._end(attempted.succeed(now, Condition.SUCCESS), config.on_success)
            case RetryLater(delay_seconds=delay):
                waiting = attempted.retry(now + delay * self.settings.retry_delay_scale, now)
                await asyncio.to_thread(self.store.save, waiting, previous=EventState.RUNNING)
            case GiveUp(condition=condition):
                await self._end(attempted.fail(now, condition), config.on_failure)

    async def _end(self, ended: QueuedEvent, destination: Destination | None) -> None:
        """Store the end of an event together with what its destination gets."""
        given = handoff(ended, destination, template=self._template(), new_id=self._request_ids)
        for reason in given.dropped:
            log.warning("async queue: record of %s dropped: %s", ended.request_id, reason)
        await asyncio.to_thread(
            self.store.finish,
            ended,
            previous=EventState.RUNNING,
            follow_ups=given.follow_ups,
            deliveries=given.deliveries,
        )
        if ended.state is EventState.FAILED:
            log.warning(
                "async event %s for %s failed (%s) after %d attempt(s): %s",
                ended.request_id,
                ended.function_name,
                ended.condition,
                ended.invoke_count,
                ended.last_error,
            )
        await self._count_finished()

    async def _count_finished(self) -> None:
        self._finished += 1
        if self._finished % PRUNE_EVERY == 0:
            await asyncio.to_thread(self.store.prune, self.settings.keep_finished)

    def _policy_age(self, event: QueuedEvent) -> float:
        """The event's age on the policy's timeline (see the module docstring)."""
        age = self._clock.time() - event.accepted_at
        scale = self.settings.retry_delay_scale
        return age / scale if scale > 0 else age

    async def _deliver(self, delivery: Delivery) -> None:
        updated = await write_record(
            delivery,
            self.object_writer,
            now=self._clock.time,
            retry_delay_scale=self.settings.retry_delay_scale,
            max_attempts=self.settings.delivery_attempts,
        )
        await asyncio.to_thread(self.store.save_delivery, updated)


def _config_of(function: FunctionConfig) -> AsyncConfig:
    # The template was checked at load; a reload that broke it falls back to Lambda's defaults.
    try:
        return async_config(function)
    except AsyncConfigError as exc:
        log.warning("%s: EventInvokeConfig ignored: %s", function.logical_id, exc.message)
        return AsyncConfig(EventInvokeConfig())
