"""The clock and request ids, injected so tests control time and identity."""

from __future__ import annotations

import time
import uuid
from typing import Protocol


class Clock(Protocol):
    """Wall-clock time (epoch seconds) and a monotonic clock for durations."""

    def time(self) -> float: ...

    def monotonic(self) -> float: ...


class SystemClock:
    """The real clock."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class RequestIds(Protocol):
    """A source of request ids (Lambda's are UUID4 strings)."""

    def __call__(self) -> str: ...


def new_request_id() -> str:
    """A fresh Lambda-style request id."""
    return str(uuid.uuid4())
