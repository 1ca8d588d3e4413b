"""The Docker backend's orchestration against a fake engine (no Docker): create, attach before
start, images inspected once, a missing image failing at once, output and exit forwarded,
removal on stop and close."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest
import requests

from emulator.backends.base import EnvironmentSpec
from emulator.backends.container_env import ContainerEnvironment
from emulator.backends.container_plan import NetworkPlan, Owner
from emulator.backends.docker import DockerBackend, connect
from emulator.backends.images import IMAGE_UNAVAILABLE
from emulator.errors import BackendError, EnvironmentFailed
from emulator.settings import Settings
from emulator.template.models import FunctionConfig

AWS_IMAGE = {"Config": {"Entrypoint": ["/lambda-entrypoint.sh"], "Cmd": ["x.y"]}}


class FakeEngine:
    """Just enough of docker.APIClient; containers print two lines, then end when removed or
    when told to exit."""

    def __init__(self, images: dict[str, Any], exit_state: dict[str, Any] | None = None) -> None:
        self.images = images
        self.exit_state = exit_state or {"ExitCode": 137, "OOMKilled": True}
        self.calls: list[tuple[str, str]] = []
        self.created: dict[str, dict[str, Any]] = {}
        self.ended: dict[str, threading.Event] = {}
        self.started: dict[str, threading.Event] = {}

    def inspect_image(self, name: str) -> Any:
        self.calls.append(("inspect_image", name))
        if name not in self.images:
            raise docker.errors.ImageNotFound(f"No such image: {name}")
        return self.images[name]

    def pull(self, repository: str, tag: str, stream: bool, decode: bool) -> Iterator[Any]:
        self.calls.append(("pull", f"{repository}:{tag}"))
        yield {"status": "Trying"}
        yield {"error": "dial tcp 127.0.0.1:9: connect: connection refused"}

    def create_host_config(self, **options: Any) -> dict[str, Any]:
        return options

    def create_container(self, **options: Any) -> dict[str, str]:
        container_id = f"c{len(self.created)}"
        self.calls.append(("create", container_id))
        self.created[container_id] = options
        self.ended[container_id] = threading.Event()
        self.started[container_id] = threading.Event()
        return {"Id": container_id}

    def attach(self, container_id: str, stream: bool, logs: bool) -> Iterator[bytes]:
        self.calls.append(("attach", container_id))
        return self._output(container_id)

    def _output(self, container_id: str) -> Iterator[bytes]:
        self.started[container_id].wait(5)
        yield b"init line\npart"
        yield b"ial\n"
        self.ended[container_id].wait(5)

    def start(self, container_id: str) -> None:
        self.calls.append(("start", container_id))
        self.started[container_id].set()

    def wait(self, container_id: str, timeout: int | None) -> dict[str, int]:
        self.ended[container_id].wait(5)
        return {"StatusCode": 137}

    def inspect_container(self, container_id: str) -> dict[str, Any]:
        return {"State": self.exit_state}

    def remove_container(self, container_id: str, force: bool, v: bool) -> None:
        self.calls.append(("remove", container_id))
        if container_id not in self.ended:
            raise docker.errors.NotFound(f"No such container: {container_id}")
        self.ended[container_id].set()

    def containers(self, all: bool, filters: dict[str, str]) -> list[dict[str, Any]]:
        return []

    def close(self) -> None:
        self.calls.append(("close", ""))


def backend(engine: FakeEngine, runtime_images: dict[str, str]) -> DockerBackend:
    return DockerBackend(
        engine,  # type: ignore[arg-type]
        network=NetworkPlan(mode="host"),
        owner=Owner("inst", "devbox", 1, 1),
        runtime_images=runtime_images,
        announce=lambda message: None,
        cgroup_root=Path("/nonexistent"),
    )


def spec(environment_id: str = "e" * 32) -> EnvironmentSpec:
    function = FunctionConfig(
        logical_id="Hello",
        function_name="hello",
        handler="app.handler",
        runtime="python3.12",
        code_uri=Path("/src"),
    )
    return EnvironmentSpec(environment_id, function, 40000, "stream", "us-east-1", {}, {})


async def test_a_container_is_created_attached_then_started_and_its_lines_forwarded() -> None:
    engine = FakeEngine({"aws:py": AWS_IMAGE})
    lines: list[str] = []
    running = await backend(engine, {"python": "aws:py"}).start(spec(), lines.append)
    assert engine.calls[:4] == [
        ("inspect_image", "aws:py"),
        ("create", "c0"),
        ("attach", "c0"),
        ("start", "c0"),
    ]
    engine.ended["c0"].set()
    assert await asyncio.wait_for(running.wait(), 5) == -9
    assert lines == ["init line", "partial"]


async def test_an_image_is_inspected_once_for_many_environments() -> None:
    engine = FakeEngine({"aws:py": AWS_IMAGE})
    docker_backend = backend(engine, {"python": "aws:py"})
    await docker_backend.start(spec("a" * 32), lambda line: None)
    await docker_backend.start(spec("b" * 32), lambda line: None)
    assert [call for call in engine.calls if call[0] == "inspect_image"] == [
        ("inspect_image", "aws:py")
    ]
    await docker_backend.close()


async def test_a_missing_image_fails_the_invocation_naming_the_image_and_the_fix() -> None:
    engine = FakeEngine({})
    docker_backend = backend(engine, {"python3.12": "127.0.0.1:9/missing:1"})
    with pytest.raises(EnvironmentFailed) as failure:
        await docker_backend.start(spec(), lambda line: None)
    assert failure.value.error_type == IMAGE_UNAVAILABLE
    assert failure.value.message == (
        "image 127.0.0.1:9/missing:1 is not present in the Docker engine and cannot be pulled "
        "(dial tcp 127.0.0.1:9: connect: connection refused); pull it (docker pull "
        "127.0.0.1:9/missing:1), or map runtime python3.12 to a local image that has the "
        "language installed: --runtime-image python3.12=IMAGE"
    )
    assert ("create", "c0") not in engine.calls


async def test_a_failed_pull_is_not_retried_on_the_next_invocation() -> None:
    engine = FakeEngine({})
    docker_backend = backend(engine, {"python": "127.0.0.1:9/missing:1"})
    for _ in range(2):
        with pytest.raises(EnvironmentFailed):
            await docker_backend.start(spec(), lambda line: None)
    assert [call for call in engine.calls if call[0] == "pull"] == [
        ("pull", "127.0.0.1:9/missing:1")
    ]


async def test_stop_removes_the_container_ends_its_wait_and_is_safe_twice() -> None:
    engine = FakeEngine({"aws:py": AWS_IMAGE}, exit_state={"ExitCode": 0})
    docker_backend = backend(engine, {"python": "aws:py"})
    running = await docker_backend.start(spec(), lambda line: None)
    assert isinstance(running, ContainerEnvironment)
    await docker_backend.stop(running)
    await docker_backend.stop(running)
    assert await asyncio.wait_for(running.wait(), 5) in (None, 0)
    assert engine.calls.count(("remove", "c0")) == 2


async def test_close_removes_every_running_container_and_closes_the_client() -> None:
    engine = FakeEngine({"aws:py": AWS_IMAGE})
    docker_backend = backend(engine, {"python": "aws:py"})
    await docker_backend.start(spec("a" * 32), lambda line: None)
    await docker_backend.start(spec("b" * 32), lambda line: None)
    await docker_backend.close()
    assert sorted(call for call in engine.calls if call[0] in ("remove", "close")) == [
        ("close", ""),
        ("remove", "c0"),
        ("remove", "c1"),
    ]


async def test_an_engine_error_becomes_a_backend_error() -> None:
    engine = FakeEngine({"aws:py": AWS_IMAGE})

    def refuse(**options: Any) -> dict[str, str]:
        raise docker.errors.APIError("500 Server Error", explanation="no space left on device")

    engine.create_container = refuse  # type: ignore[method-assign]
    with pytest.raises(BackendError, match="creating a container: no space left on device"):
        await backend(engine, {"python": "aws:py"}).start(spec(), lambda line: None)


def test_without_an_engine_socket_connect_fails_at_once_and_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/docker.sock")
    with pytest.raises(BackendError) as failure:
        connect(Settings(), required=True)
    assert str(failure.value) == (
        f"the docker backend needs a Docker engine: no socket at unix://{tmp_path}/docker.sock. "
        "Start dockerd (or Docker Desktop), or use --backend process."
    )


async def test_an_image_name_no_image_can_have_fails_the_invocation_not_the_server() -> None:
    engine = FakeEngine({})

    def refuse(name: str) -> Any:
        response = requests.Response()
        response.status_code = 400
        raise docker.errors.APIError(
            "400 Client Error",
            response=response,
            explanation="invalid reference format: repository name must be lowercase",
        )

    engine.inspect_image = refuse  # type: ignore[method-assign]
    with pytest.raises(EnvironmentFailed) as failure:
        await backend(engine, {"python": "Bad/Name:1"}).start(spec(), lambda line: None)
    assert failure.value.error_type == IMAGE_UNAVAILABLE


async def test_an_entry_point_that_cannot_start_is_an_invalid_entrypoint_error() -> None:
    engine = FakeEngine({"aws:py": AWS_IMAGE})

    def refuse(container_id: str) -> None:
        response = requests.Response()
        response.status_code = 400
        raise docker.errors.APIError(
            "400 Client Error",
            response=response,
            explanation="OCI runtime create failed: runc create failed: unable to start container "
            'process: exec: "/bin/sh": stat /bin/sh: no such file or directory: unknown',
        )

    engine.start = refuse  # type: ignore[method-assign]
    with pytest.raises(EnvironmentFailed) as failure:
        await backend(engine, {"python": "aws:py"}).start(spec(), lambda line: None)
    assert failure.value.error_type == "Runtime.InvalidEntrypoint"
    assert ("remove", "c0") in engine.calls
