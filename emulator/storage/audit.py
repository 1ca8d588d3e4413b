"""Which X-Ray trace header each S3 write carried, read from MinIO's audit log.

Lambda's recursive loop detection follows a chain of invocations through the `X-Amzn-Trace-Id`
header that the AWS SDKs add to every request made inside a function (from `_X_AMZN_TRACE_ID`;
botocore's `add_recursion_detection_header`, the JS SDK's recursion detection middleware).
MinIO keeps no request header in its event records, but its audit log does: one entry per S3
call, with `requestID` (the `x-amz-request-id` that the event record's `responseElements` also
carries) and `requestHeader` (MinIO's `internal/logger/message/audit/entry.go`).

MinIO posts an entry after it has answered the call, so the immediate copy of an event arrives
before the entry of the write that caused it (measured: always, by about a millisecond); a
reader waits for it, briefly. Entries of reads are not kept.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

TRACE_HEADER = "x-amzn-trace-id"
DEFAULT_CAPACITY = 50_000
# API names of calls that change no object (MinIO's `api.name`): their entries are not kept.
_READ_PREFIXES = ("Get", "Head", "List")


@dataclass(frozen=True)
class AuditedCall:
    """One S3 call from the audit log: its request ID, API name and trace header (if any)."""

    request_id: str
    api: str
    trace_header: str | None


def parse_audit_body(body: bytes) -> tuple[AuditedCall, ...]:
    """The calls of one audit post: one JSON entry, or several one per line (batches)."""
    calls = []
    for document in _documents(body):
        call = _call(document)
        if call is not None:
            calls.append(call)
    return tuple(calls)


def _documents(body: bytes) -> Iterator[Any]:
    """Each JSON document of a post (the whole body, else each line); the rest is skipped."""
    try:
        documents = [json.loads(body)]
    except ValueError:
        documents = [_loads(line) for line in body.splitlines()]
    for document in documents:
        yield from document if isinstance(document, list) else (document,)


def _loads(line: bytes) -> Any:
    """One line's JSON document, or None."""
    try:
        return json.loads(line)
    except ValueError:
        return None


def _call(entry: Any) -> AuditedCall | None:
    """An entry's call, or None when it is not a call with a request ID."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("requestID"), str):
        return None
    api = entry.get("api")
    name = str(api.get("name", "")) if isinstance(api, Mapping) else ""
    headers = entry.get("requestHeader")
    trace = None
    if isinstance(headers, Mapping):
        trace = next((str(v) for k, v in headers.items() if str(k).lower() == TRACE_HEADER), None)
    return AuditedCall(entry["requestID"], name, trace)


class TraceLog:
    """Recent writes' trace headers by request ID, bounded; a reader may wait for one."""

    def __init__(
        self,
        *,
        expected: bool = False,
        capacity: int = DEFAULT_CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._expected = expected
        self._capacity = capacity
        self._clock = clock
        self._calls: OrderedDict[str, str | None] = OrderedDict()
        self._changed = asyncio.Event()
        self.entries = 0

    @property
    def active(self) -> bool:
        """Whether entries come: `expected` (lambdock configured the audit log), or one came.
        Without an audit log there is nothing to wait for."""
        return self._expected or self.entries > 0

    def record(self, body: bytes) -> None:
        """Take one audit post (the listener's audit sink)."""
        for call in parse_audit_body(body):
            self.entries += 1
            if call.api.startswith(_READ_PREFIXES):
                continue
            self._calls[call.request_id] = call.trace_header
            self._calls.move_to_end(call.request_id)
            while len(self._calls) > self._capacity:
                self._calls.popitem(last=False)
        self._changed.set()
        self._changed = asyncio.Event()

    def known(self, request_id: str) -> bool:
        """Whether the write with this request ID has been audited."""
        return request_id in self._calls

    async def trace_of(self, request_id: str, *, wait: float) -> str | None:
        """The trace header the write sent, waiting up to `wait` seconds for its entry; None
        when it sent none or its entry did not come."""
        deadline = self._clock() + wait
        while request_id not in self._calls and self.active:
            remaining = deadline - self._clock()
            if remaining <= 0:
                return None
            try:
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
            except TimeoutError:
                return None
        return self._calls.get(request_id)
