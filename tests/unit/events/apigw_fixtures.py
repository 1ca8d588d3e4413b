"""Load the recorded API Gateway samples under tests/fixtures/events/apigw/ as our own types."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emulator.events.apigw import EventContext, HttpRequest, RouteInfo

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "events" / "apigw"


def load(name: str) -> dict[str, Any]:
    """One fixture file: its source, notes, request, context, route and expected event."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def request_of(sample: dict[str, Any]) -> HttpRequest:
    raw = sample["request"]
    return HttpRequest(
        method=raw["method"],
        raw_path=raw["raw_path"],
        raw_query=raw["raw_query"],
        headers=tuple((name, value) for name, value in raw["headers"]),
        body=raw["body"].encode("utf-8"),
        source_ip=raw["source_ip"],
        host=raw["host"],
    )


def context_of(sample: dict[str, Any]) -> EventContext:
    return EventContext(**sample["context"])


def route_of(sample: dict[str, Any]) -> RouteInfo:
    return RouteInfo(**sample["route"])
