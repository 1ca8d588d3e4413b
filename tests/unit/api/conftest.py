"""Drive the real app in-process with the fake backend."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from emulator.app import create_app
from emulator.services import Services
from emulator.settings import Settings
from emulator.template import load_template
from tests.fakes import FakeBackend, Handler

HEADER = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
"""


@dataclass
class Running:
    client: httpx.AsyncClient
    services: Services
    backend: FakeBackend


AppFactory = Callable[..., AbstractAsyncContextManager[Running]]


@pytest.fixture
def make_app(tmp_path: Path) -> AppFactory:
    """Build an app from template resources (YAML text) and fake handlers."""

    @asynccontextmanager
    async def factory(
        resources: str, handlers: dict[str, Handler], **settings: object
    ) -> AsyncIterator[Running]:
        (tmp_path / "src").mkdir(exist_ok=True)
        path = tmp_path / "template.yaml"
        path.write_text(HEADER + textwrap.indent(textwrap.dedent(resources), "  "))
        template = load_template(path)
        config = Settings(template=path, echo_logs=False, **settings)  # type: ignore[arg-type]
        backend = FakeBackend(handlers)
        app = create_app(config, template, backend)
        transport = httpx.ASGITransport(app=app)
        client = httpx.AsyncClient(transport=transport, base_url="http://lambdock")
        async with app.router.lifespan_context(app), client:
            yield Running(client, app.state.services, backend)

    return factory


def function(name: str, handler: str, **properties: object) -> str:
    """A function resource as template YAML."""
    lines = [
        f"{name}:",
        "  Type: AWS::Serverless::Function",
        "  Properties:",
        f"    Handler: {handler}",
        "    Runtime: python3.12",
        "    CodeUri: src",
    ]
    lines += [f"    {key}: {value}" for key, value in properties.items()]
    return "\n".join(lines) + "\n"
