"""The async queue on disk: one SQLite file in the project's state folder.

An event is committed (WAL journal, synchronous=FULL) before the Invoke API answers 202, so it
survives a crash or a SIGKILL of lambdock; an event found `running` when the queue opens was cut
off mid-attempt and waits again (at-least-once, as Lambda's own queue). Every state change is
checked against the state the caller last read, so a stale writer raises instead of clobbering.
The methods are blocking and thread-safe; the queue calls them from a worker thread.

Two lambdocks on one project share the file, but only the owner (an flock on `<file>.lock`,
released by the kernel even after a SIGKILL) runs events and takes back cut-off ones.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from emulator.triggers.async_events import (
    TERMINAL,
    WAITING,
    Delivery,
    DeliveryState,
    EventState,
    IllegalTransition,
    QueuedEvent,
)

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    request_id TEXT PRIMARY KEY,
    function_name TEXT NOT NULL,
    payload BLOB NOT NULL,
    accepted_at REAL NOT NULL,
    due_at REAL NOT NULL,
    state TEXT NOT NULL,
    source TEXT NOT NULL,
    client_context TEXT,
    trace_id TEXT,
    invoke_count INTEGER NOT NULL,
    throttle_count INTEGER NOT NULL,
    last_error TEXT,
    response BLOB,
    function_error TEXT,
    condition TEXT,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_state ON events (state, due_at);
CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at REAL NOT NULL,
    due_at REAL NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_by_state ON deliveries (state, due_at);
"""
_EVENT_COLUMNS = (
    "request_id",
    "function_name",
    "payload",
    "accepted_at",
    "due_at",
    "state",
    "source",
    "client_context",
    "trace_id",
    "invoke_count",
    "throttle_count",
    "last_error",
    "response",
    "function_error",
    "condition",
    "updated_at",
)
_DELIVERY_COLUMNS = (
    "delivery_id",
    "request_id",
    "bucket",
    "key",
    "body",
    "created_at",
    "due_at",
    "state",
    "attempts",
    "last_error",
)


class QueueStore:
    """Events and S3 destination deliveries, stored in one SQLite database file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._owner_fd: int | None = None
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")
        # executescript commits on its own; CREATE ... IF NOT EXISTS makes a rerun harmless.
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the database and give up ownership."""
        with self._lock:
            self._db.close()
        if self._owner_fd is not None:
            os.close(self._owner_fd)
            self._owner_fd = None

    @property
    def owned(self) -> bool:
        """Whether this store is the owner of the queue file."""
        return self._owner_fd is not None

    def try_own(self) -> bool:
        """Become the owner of the queue file, unless another process is; never blocks."""
        if self._owner_fd is not None:
            return True
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._owner_fd = fd
        return True

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # --- events -------------------------------------------------------------------------------

    def add(self, event: QueuedEvent) -> None:
        """Store a newly accepted event; durable once this returns."""
        with self._transaction() as db:
            _insert_event(db, event)

    def save(self, event: QueuedEvent, *, previous: EventState) -> None:
        """Store the event's new state; raises IllegalTransition unless it was `previous`."""
        with self._transaction() as db:
            _update_event(db, event, previous)

    def finish(
        self,
        event: QueuedEvent,
        *,
        previous: EventState,
        follow_ups: Sequence[QueuedEvent] = (),
        deliveries: Sequence[Delivery] = (),
    ) -> None:
        """End an event and queue what its destination gets, all in one transaction."""
        with self._transaction() as db:
            _update_event(db, event, previous)
            for follow_up in follow_ups:
                _insert_event(db, follow_up)
            for delivery in deliveries:
                _insert(db, "deliveries", _DELIVERY_COLUMNS, _delivery_row(delivery))

    def get(self, request_id: str) -> QueuedEvent | None:
        """The event with this request id, if stored."""
        rows = self._query("SELECT * FROM events WHERE request_id = ?", (request_id,))
        return _event(rows[0]) if rows else None

    def due(self, now: float, limit: int, *, skip: Collection[str] = ()) -> list[QueuedEvent]:
        """Waiting events due by `now`, oldest due first, leaving out the `skip` functions."""
        sql, params = _waiting_sql(skip)
        rows = self._query(
            f"SELECT * FROM events WHERE {sql} AND due_at <= ? "
            "ORDER BY due_at, accepted_at LIMIT ?",
            (*params, now, limit),
        )
        return [_event(row) for row in rows]

    def next_due_at(self, *, skip: Collection[str] = ()) -> float | None:
        """When the earliest waiting event (or pending delivery) falls due."""
        sql, params = _waiting_sql(skip)
        rows = self._query(
            f"SELECT MIN(due_at) FROM (SELECT due_at FROM events WHERE {sql} "
            "UNION ALL SELECT due_at FROM deliveries WHERE state = ?)",
            (*params, DeliveryState.PENDING.value),
        )
        value = rows[0][0] if rows else None
        return float(value) if value is not None else None

    def events(self, states: Collection[EventState] = (), limit: int = 100) -> list[QueuedEvent]:
        """Events in the given states (all when empty), most recently changed first."""
        chosen = tuple(s.value for s in states) or tuple(s.value for s in EventState)
        marks = ",".join("?" * len(chosen))
        rows = self._query(
            f"SELECT * FROM events WHERE state IN ({marks}) "
            "ORDER BY updated_at DESC, accepted_at DESC LIMIT ?",
            (*chosen, limit),
        )
        return [_event(row) for row in rows]

    def counts(self) -> dict[str, int]:
        """How many events are in each state (every state named, zeros included)."""
        rows = self._query("SELECT state, COUNT(*) FROM events GROUP BY state", ())
        found = {str(state): int(count) for state, count in rows}
        return {state.value: found.get(state.value, 0) for state in EventState}

    def recover(self, now: float) -> int:
        """Put events cut off mid-attempt back to waiting; returns how many."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT * FROM events WHERE state = ?", (EventState.RUNNING.value,)
            ).fetchall()
            for row in rows:
                _update_event(db, _event(row).requeue(now), EventState.RUNNING)
        return len(rows)

    def prune(self, keep: int) -> int:
        """Forget all but the `keep` most recent finished events and delivered records."""
        terminal = tuple(s.value for s in TERMINAL)
        with self._transaction() as db:
            removed = db.execute(
                "DELETE FROM events WHERE state IN (?, ?) AND request_id NOT IN ("
                "SELECT request_id FROM events WHERE state IN (?, ?) "
                "ORDER BY updated_at DESC LIMIT ?)",
                (*terminal, *terminal, keep),
            ).rowcount
            removed += db.execute(
                "DELETE FROM deliveries WHERE state != ? AND delivery_id NOT IN ("
                "SELECT delivery_id FROM deliveries WHERE state != ? "
                "ORDER BY created_at DESC LIMIT ?)",
                (DeliveryState.PENDING.value, DeliveryState.PENDING.value, keep),
            ).rowcount
        return int(removed)

    # --- deliveries -----------------------------------------------------------------------------

    def due_deliveries(self, now: float, limit: int) -> list[Delivery]:
        """Pending deliveries due by `now`, oldest first."""
        rows = self._query(
            "SELECT * FROM deliveries WHERE state = ? AND due_at <= ? ORDER BY due_at LIMIT ?",
            (DeliveryState.PENDING.value, now, limit),
        )
        return [_delivery(row) for row in rows]

    def save_delivery(self, delivery: Delivery) -> None:
        """Store a delivery's new state; raises IllegalTransition unless it was pending."""
        with self._transaction() as db:
            columns = _DELIVERY_COLUMNS[1:]
            row = _delivery_row(delivery)
            changed = db.execute(
                f"UPDATE deliveries SET {', '.join(f'{c} = ?' for c in columns)} "
                "WHERE delivery_id = ? AND state = ?",
                (*row[1:], delivery.delivery_id, DeliveryState.PENDING.value),
            ).rowcount
        if changed != 1:
            raise IllegalTransition(f"delivery {delivery.delivery_id} is no longer pending")

    def deliveries(self, limit: int = 100) -> list[Delivery]:
        """Deliveries, most recent first."""
        rows = self._query("SELECT * FROM deliveries ORDER BY created_at DESC LIMIT ?", (limit,))
        return [_delivery(row) for row in rows]

    def _query(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()


def _waiting_sql(skip: Collection[str]) -> tuple[str, tuple[str, ...]]:
    sql = "state IN (?, ?)"
    params: tuple[str, ...] = tuple(s.value for s in WAITING)
    if skip:
        sql += f" AND function_name NOT IN ({','.join('?' * len(skip))})"
        params += tuple(skip)
    return sql, params


def _insert(
    db: sqlite3.Connection, table: str, columns: Sequence[str], row: tuple[Any, ...]
) -> None:
    marks = ",".join("?" * len(columns))
    db.execute(f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})", row)


def _insert_event(db: sqlite3.Connection, event: QueuedEvent) -> None:
    _insert(db, "events", _EVENT_COLUMNS, _event_row(event))


def _update_event(db: sqlite3.Connection, event: QueuedEvent, previous: EventState) -> None:
    columns = _EVENT_COLUMNS[1:]
    changed = db.execute(
        f"UPDATE events SET {', '.join(f'{c} = ?' for c in columns)} "
        "WHERE request_id = ? AND state = ?",
        (*_event_row(event)[1:], event.request_id, previous.value),
    ).rowcount
    if changed != 1:
        raise IllegalTransition(f"async event {event.request_id} is no longer {previous}")


def _event_row(event: QueuedEvent) -> tuple[Any, ...]:
    return tuple(
        getattr(event, column).value if column == "state" else getattr(event, column)
        for column in _EVENT_COLUMNS
    )


def _event(row: sqlite3.Row) -> QueuedEvent:
    values = {column: row[column] for column in _EVENT_COLUMNS}
    values["state"] = EventState(values["state"])
    values["payload"] = bytes(values["payload"])
    if values["response"] is not None:
        values["response"] = bytes(values["response"])
    return QueuedEvent(**values)


def _delivery_row(delivery: Delivery) -> tuple[Any, ...]:
    return tuple(
        getattr(delivery, column).value if column == "state" else getattr(delivery, column)
        for column in _DELIVERY_COLUMNS
    )


def _delivery(row: sqlite3.Row) -> Delivery:
    values = {column: row[column] for column in _DELIVERY_COLUMNS}
    values["state"] = DeliveryState(values["state"])
    values["body"] = bytes(values["body"])
    return Delivery(**values)
