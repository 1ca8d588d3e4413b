"""The queue's SQLite store: what it keeps across a reopen, and how it guards state changes.

Source: issue 6 ("an event answered with 202 survives a crash or kill of lambdock and runs after
the next `lambdock up`", at-least-once as on AWS). All [OURS] beyond that.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.triggers.async_events import (
    Delivery,
    DeliveryState,
    EventState,
    IllegalTransition,
    QueuedEvent,
)
from emulator.triggers.queue_store import QueueStore


def event(request_id: str, due_at: float = 100.0, function: str = "Worker") -> QueuedEvent:
    return QueuedEvent(
        request_id, function, b'{"n": 1}', accepted_at=due_at, due_at=due_at, updated_at=due_at
    )


@pytest.fixture
def store(tmp_path: Path) -> QueueStore:
    return QueueStore(tmp_path / ".lambdock" / "queue.sqlite3")


def test_an_added_event_is_read_back_whole_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state" / "queue.sqlite3"
    original = QueuedEvent(
        "req-1",
        "Worker",
        b'{"n": 1}',
        accepted_at=100.5,
        due_at=100.5,
        source="schedule",
        client_context='{"custom": {}}',
        trace_id="Root=1-abc",
        updated_at=100.5,
    )
    first = QueueStore(path)
    first.add(original)
    first.close()
    assert QueueStore(path).get("req-1") == original


def test_due_returns_waiting_events_by_due_time_and_skips_busy_functions(store: QueueStore) -> None:
    store.add(event("late", 300.0))
    store.add(event("early", 100.0))
    store.add(event("other", 150.0, function="Busy"))
    store.add(event("future", 900.0))
    assert [e.request_id for e in store.due(500.0, 10)] == ["early", "other", "late"]
    assert [e.request_id for e in store.due(500.0, 10, skip=["Busy"])] == ["early", "late"]
    assert [e.request_id for e in store.due(500.0, 1)] == ["early"]
    assert store.next_due_at(skip=["Worker"]) == 150.0


def test_a_claimed_event_is_no_longer_due(store: QueueStore) -> None:
    store.add(event("req-1"))
    store.save(event("req-1").claim(101.0), previous=EventState.QUEUED)
    assert store.due(500.0, 10) == []
    assert store.next_due_at() is None


def test_a_stale_state_change_is_refused(store: QueueStore) -> None:
    store.add(event("req-1"))
    store.save(event("req-1").claim(101.0), previous=EventState.QUEUED)
    with pytest.raises(IllegalTransition, match="req-1 is no longer queued"):
        store.save(event("req-1").claim(102.0), previous=EventState.QUEUED)


def test_finish_stores_the_end_and_the_destination_event_together(store: QueueStore) -> None:
    store.add(event("req-1"))
    running = event("req-1").claim(101.0)
    store.save(running, previous=EventState.QUEUED)
    record_event = event("dest-1", 102.0, function="Recorder")
    delivery = Delivery("d-1", "req-1", "failures", "aws/lambda/async/x", b"{}", 102.0, 102.0)
    store.finish(
        running.fail(102.0, "RetriesExhausted", "ValueError: no"),
        previous=EventState.RUNNING,
        follow_ups=[record_event],
        deliveries=[delivery],
    )
    assert store.get("req-1").state is EventState.FAILED  # type: ignore[union-attr]
    assert [e.request_id for e in store.due(200.0, 10)] == ["dest-1"]
    assert store.due_deliveries(200.0, 10) == [delivery]


def test_finish_stores_nothing_when_the_event_changed_meanwhile(store: QueueStore) -> None:
    store.add(event("req-1"))
    running = event("req-1").claim(101.0)
    with pytest.raises(IllegalTransition):
        store.finish(
            running.succeed(102.0, "Success"),
            previous=EventState.RUNNING,
            follow_ups=[event("dest-1", 102.0, function="Recorder")],
        )
    assert store.get("dest-1") is None
    assert store.get("req-1").state is EventState.QUEUED  # type: ignore[union-attr]


def test_recover_puts_events_cut_off_mid_attempt_back_to_waiting(tmp_path: Path) -> None:
    path = tmp_path / "queue.sqlite3"
    first = QueueStore(path)
    first.add(event("fresh"))
    first.add(event("tried"))
    first.save(event("fresh").claim(101.0), previous=EventState.QUEUED)
    tried = event("tried").claim(101.0).ran(response=b"", function_error="Unhandled", error="E")
    first.save(tried, previous=EventState.QUEUED)
    # A SIGKILL leaves no chance to close; a second connection sees what was committed.
    second = QueueStore(path)
    assert second.recover(500.0) == 2
    assert {e.request_id: e.state for e in second.due(500.0, 10)} == {
        "fresh": EventState.QUEUED,
        "tried": EventState.RETRYING,
    }


def test_counts_name_every_state(store: QueueStore) -> None:
    store.add(event("a"))
    store.add(event("b"))
    store.save(event("b").claim(101.0), previous=EventState.QUEUED)
    assert store.counts() == {
        "queued": 1,
        "running": 1,
        "retrying": 0,
        "succeeded": 0,
        "failed": 0,
    }


def test_prune_forgets_the_oldest_finished_events_only(store: QueueStore) -> None:
    for n in range(4):
        store.add(event(f"done-{n}", 100.0 + n))
        running = event(f"done-{n}", 100.0 + n).claim(100.0 + n)
        store.save(running, previous=EventState.QUEUED)
        store.finish(running.succeed(200.0 + n, "Success"), previous=EventState.RUNNING)
    store.add(event("waiting"))
    assert store.prune(keep=2) == 2
    assert [e.request_id for e in store.events()] == ["done-3", "done-2", "waiting"]


def test_events_are_listed_by_state_most_recent_first(store: QueueStore) -> None:
    store.add(event("a", 100.0))
    store.add(event("b", 200.0))
    running = event("a").claim(300.0)
    store.save(running, previous=EventState.QUEUED)
    store.finish(running.fail(301.0, "RetriesExhausted"), previous=EventState.RUNNING)
    assert [e.request_id for e in store.events([EventState.FAILED])] == ["a"]
    assert [e.request_id for e in store.events()] == ["a", "b"]


def test_a_delivery_update_needs_it_pending(store: QueueStore) -> None:
    delivery = Delivery("d-1", "req-1", "failures", "key", b"{}", 1.0, 1.0)
    store.add(event("req-1"))
    running = event("req-1").claim(1.0)
    store.save(running, previous=EventState.QUEUED)
    store.finish(
        running.fail(1.0, "RetriesExhausted"), previous=EventState.RUNNING, deliveries=[delivery]
    )
    store.save_delivery(delivery.delivered())
    assert store.deliveries()[0].state is DeliveryState.DELIVERED
    assert store.due_deliveries(10.0, 10) == []
    with pytest.raises(IllegalTransition, match="d-1 is no longer pending"):
        store.save_delivery(delivery.failed_attempt("E", None))


def test_one_store_owns_the_queue_file_until_it_closes(tmp_path: Path) -> None:
    first, second = QueueStore(tmp_path / "q.sqlite3"), QueueStore(tmp_path / "q.sqlite3")
    assert (first.try_own(), second.try_own()) == (True, False)
    assert (first.owned, second.owned) == (True, False)
    first.close()
    assert second.try_own()
