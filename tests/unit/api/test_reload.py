"""Hot reload applied to a running app (the watcher's reactions, without the file watching):
code changes drain a function's environments, template changes replace the served template,
and a template that does not load leaves the last good one serving."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import Any

import pytest

from emulator.template.models import Template
from emulator.watch import Reloader
from tests.fakes import FakeContext
from tests.unit.api.conftest import HEADER, AppFactory, function

INVOKE = "/2015-03-31/functions/{}/invocations"


def where(event: Any, context: FakeContext) -> Any:
    return {"environment": context.environment_id}


async def slow(event: Any, context: FakeContext) -> Any:
    await asyncio.sleep(float(event.get("seconds", 0.2)))
    return {"environment": context.environment_id}


HANDLERS = {"app.where": where, "app.slow": slow}


def rewrite(template: Path, resources: str) -> None:
    template.write_text(HEADER + textwrap.indent(textwrap.dedent(resources), "  "))


async def environment_of(client: Any, name: str, event: dict[str, Any] | None = None) -> str:
    response = await client.post(INVOKE.format(name), json=event or {})
    assert response.status_code == 200, response.text
    environment: str = response.json()["environment"]
    # Warm means idle: the runtime has answered and asked for its next event (bounded wait).
    for _ in range(500):
        listing = (await client.get("/_lambdock/functions")).json()["functions"]
        states = {e["id"]: e["state"] for f in listing for e in f["environments"]}
        if states.get(environment) == "idle":
            break
        await asyncio.sleep(0.01)
    return environment


async def test_a_code_change_gives_the_next_invocation_a_new_environment(
    make_app: AppFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with make_app(function("Hello", "app.where"), HANDLERS) as running:
        before = await environment_of(running.client, "Hello")
        assert await environment_of(running.client, "Hello") == before
        await Reloader(running.services).apply({tmp_path / "src" / "app.py"})
        after = await environment_of(running.client, "Hello")
    assert after != before
    assert "src/app.py changed: new code for Hello from the next invocation" in (
        capsys.readouterr().out
    )


async def test_an_invocation_in_flight_finishes_on_its_environment(
    make_app: AppFactory, tmp_path: Path
) -> None:
    async with make_app(function("Slow", "app.slow"), HANDLERS) as running:
        first = await environment_of(running.client, "Slow", {"seconds": 0})
        in_flight = asyncio.create_task(environment_of(running.client, "Slow", {"seconds": 0.3}))
        await asyncio.sleep(0.05)
        await Reloader(running.services).apply({tmp_path / "src" / "app.py"})
        assert await in_flight == first
        assert await environment_of(running.client, "Slow", {"seconds": 0}) != first
        live = [env.environment_id for env in running.services.pool.environments("Slow")]
    assert first not in live


async def test_a_change_outside_every_code_folder_changes_nothing(
    make_app: AppFactory, tmp_path: Path
) -> None:
    async with make_app(function("Hello", "app.where"), HANDLERS) as running:
        before = await environment_of(running.client, "Hello")
        await Reloader(running.services).apply({tmp_path / "README.md"})
        assert await environment_of(running.client, "Hello") == before


async def test_a_template_that_does_not_load_keeps_the_last_good_one_serving(
    make_app: AppFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "template.yaml"
    async with make_app(function("Hello", "app.where"), HANDLERS) as running:
        reloader = Reloader(running.services)
        template.write_text(HEADER + "  Broken: [\n")
        assert await reloader.reload_template() is False
        assert await environment_of(running.client, "Hello")
        status = reloader.status()
    assert status["reloads"] == 0
    assert status["error"].startswith(f"{template}:")
    printed = capsys.readouterr().out
    assert f"lambdock: error: {template}:" in printed
    assert "still serving the last good template" in printed


async def test_a_fixed_template_brings_its_new_functions_and_clears_the_error(
    make_app: AppFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "template.yaml"
    seen: list[Template] = []

    async def follow(new: Template) -> None:
        seen.append(new)

    async with make_app(function("Hello", "app.where"), HANDLERS) as running:
        running.services.on_reload.append(follow)
        reloader = Reloader(running.services)
        template.write_text(HEADER + "  Broken: [\n")
        await reloader.apply({template})
        rewrite(template, function("Hello", "app.where") + function("Extra", "app.where"))
        await reloader.apply({template})
        assert await environment_of(running.client, "Extra")
        status = reloader.status()
    assert (status["reloads"], status["error"]) == (1, None)
    assert [sorted(t.functions) for t in seen] == [["Extra", "Hello"]]
    assert "lambdock: template.yaml reloaded: +Extra" in capsys.readouterr().out


async def test_a_removed_function_is_gone_and_its_environments_stop(
    make_app: AppFactory, tmp_path: Path
) -> None:
    template = tmp_path / "template.yaml"
    resources = function("Hello", "app.where") + function("Gone", "app.where")
    async with make_app(resources, HANDLERS) as running:
        await environment_of(running.client, "Gone")
        rewrite(template, function("Hello", "app.where"))
        await Reloader(running.services).apply({template})
        response = await running.client.post(INVOKE.format("Gone"), json={})
        assert running.services.pool.environments("Gone") == []
    assert response.status_code == 404


async def test_a_configuration_change_drains_but_an_event_change_does_not(
    make_app: AppFactory, tmp_path: Path
) -> None:
    template = tmp_path / "template.yaml"
    async with make_app(function("Hello", "app.where"), HANDLERS) as running:
        reloader = Reloader(running.services)
        first = await environment_of(running.client, "Hello")
        with_route = (
            function("Hello", "app.where")
            + textwrap.dedent("""\
                Events:
                  Get:
                    Type: HttpApi
                    Properties: {Path: /hello, Method: GET}
            """)
            .replace("\n", "\n  ")
            .rstrip()
            + "\n"
        )
        rewrite(template, with_route)
        await reloader.apply({template})
        assert await environment_of(running.client, "Hello") == first
        rewrite(template, function("Hello", "app.where", Timeout=9))
        await reloader.apply({template})
        assert await environment_of(running.client, "Hello") != first
