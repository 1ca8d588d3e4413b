"""Serve a template's APIs in-process with the fake backend, a hand-moved clock and numbered
request ids, so gateway tests can assert whole events and responses."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from emulator.app import create_app
from emulator.services import Services
from emulator.settings import Settings
from emulator.template import load_template
from tests.fakes import FakeBackend, FakeClock, Handler

HEADER = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
"""
# A fixed caller: the headers httpx would send, spelled out so events are literal.
CALLER = {
    "Accept": "*/*",
    "Accept-Encoding": "gzip",
    "User-Agent": "test-agent/1.0",
    "X-Amzn-Trace-Id": "Root=1-65536700-0123456789abcdef01234567",
}


class NumberedIds:
    """Request ids 00000000-0000-4000-8000-000000000001, ...002, ... in order."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"00000000-0000-4000-8000-{self.count:012d}"


@dataclass
class Served:
    """An app serving a template, its client, and the knobs a test turns."""

    client: httpx.AsyncClient
    services: Services
    backend: FakeBackend
    clock: FakeClock
    path: Path


@asynccontextmanager
async def serve(
    tmp_path: Path, template: str, handlers: dict[str, Handler], **settings: object
) -> AsyncIterator[Served]:
    """Serve `template` (YAML after the header lines) with `handlers` keyed by Handler."""
    (tmp_path / "src").mkdir(exist_ok=True)
    path = tmp_path / "template.yaml"
    path.write_text(HEADER + textwrap.dedent(template))
    loaded = load_template(path, stack_name="gw")
    config = Settings(template=path, echo_logs=False, **settings)  # type: ignore[arg-type]
    backend = FakeBackend(handlers)
    clock = FakeClock()
    app = create_app(config, loaded, backend, clock=clock, request_ids=NumberedIds())
    transport = httpx.ASGITransport(app=app)
    client = httpx.AsyncClient(transport=transport, base_url="http://lambdock", headers=CALLER)
    async with app.router.lifespan_context(app), client:
        yield Served(client, app.state.services, backend, clock, path)


def function(name: str, handler: str, events: str = "", **properties: object) -> str:
    """A function resource as template YAML; `events` is the YAML of its Events map."""
    lines = [
        f"  {name}:",
        "    Type: AWS::Serverless::Function",
        "    Properties:",
        f"      Handler: {handler}",
        "      Runtime: python3.12",
        "      CodeUri: src",
    ]
    lines += [f"      {key}: {value}" for key, value in properties.items()]
    if events:
        lines.append("      Events:")
        lines += [f"        {line}" for line in textwrap.dedent(events).strip().splitlines()]
    return "\n".join(lines) + "\n"


def api_event(name: str, kind: str, path: str, method: str, **properties: object) -> str:
    """One Api / HttpApi event as YAML (extra properties as `Key: value` lines)."""
    lines = [f"{name}:", f"  Type: {kind}", "  Properties:", f"    Path: {path}"]
    lines.append(f"    Method: {method}")
    lines += [f"    {key}: {value}" for key, value in properties.items()]
    return "\n".join(lines) + "\n"
