"""The Docker engine restarted under a running lambdock: while it is down lambdock keeps
answering (an invocation fails with an AWS error, health says 200), and once it is back the
next invocation runs in a new container.

The engine restarted here is one this test starts itself (its own data root, exec root, pid
file and socket, no networking of its own), never the machine's engine other tests use.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import docker
import httpx
import pytest

from tests.containers.docker_backend.conftest import Lambdock, write_project

APP = "def hello(event, context):\n    return {'hello': event.get('name', 'world')}\n"
TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: er-hello, Runtime: python3.11, Handler: app.hello, CodeUri: src/}
"""
IMAGE = "lambdock-restart/python:3.11"
START_SECONDS = 60.0
STOP_SECONDS = 60.0


class PrivateEngine:
    """A dockerd of this test's own, under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.socket = f"unix://{root}/docker.sock"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> docker.DockerClient:
        """Start it and wait until it answers; a client of it."""
        command = [
            "dockerd",
            "--data-root", str(self.root / "data"),
            "--exec-root", str(self.root / "exec"),
            "--pidfile", str(self.root / "dockerd.pid"),
            "-H", self.socket,
            "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-masq=false",
            "--shutdown-timeout", "1",
        ]  # fmt: skip
        with (self.root / "dockerd.log").open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            # Ask only once the socket is there: a refused unix connection leaks a socket in
            # the SDK (a ResourceWarning), as the session's engine fixture notes too.
            if (self.root / "docker.sock").exists():
                client = docker.DockerClient(base_url=self.socket, version="1.41", timeout=30)
                with contextlib.suppress(docker.errors.DockerException):
                    client.ping()
                    return client
                client.close()
            time.sleep(0.2)
        pytest.fail(f"the test's own dockerd did not answer:\n{self.log_tail()}", pytrace=False)

    def stop(self) -> None:
        """Stop it (SIGTERM, bounded wait, then SIGKILL) and wait for its process."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_SECONDS)

    def remove(self) -> None:
        """Unmount what it left mounted under its root, then delete the root."""
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
        for point in sorted((m for m in mounts if m.startswith(str(self.root))), reverse=True):
            subprocess.run(["umount", "-l", point], check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self) -> str:
        return (self.root / "dockerd.log").read_text(errors="replace")[-3000:]


@pytest.fixture
def private_engine(
    engine: docker.DockerClient, images: dict[str, str]
) -> Iterator[tuple[PrivateEngine, docker.DockerClient]]:
    root = Path(f"/tmp/lambdock-dockerd-{os.getpid()}")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    own = PrivateEngine(root)
    try:
        client = own.start()
        # The runtime image comes from the machine's engine; nothing is pulled.
        client.images.load(engine.images.get(images["python"]).save())[0].tag(IMAGE)
        yield own, client
    finally:
        own.stop()
        own.remove()


def invoke(lambdock: Lambdock, name: str) -> dict[str, Any]:
    client: Any = lambdock.client(read_timeout=60)
    response = client.invoke(FunctionName=name, Payload=b'{"name": "engine"}')
    return {"error": response.get("FunctionError"), "payload": response["Payload"].read()}


def test_lambdock_survives_its_engine_restarting_and_uses_it_again(
    private_engine: tuple[PrivateEngine, docker.DockerClient],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    own, client = private_engine
    monkeypatch.setenv("DOCKER_HOST", own.socket)
    template = write_project(tmp_path / "project", TEMPLATE, {"src/app.py": APP})
    lambdock = Lambdock(template, ["--runtime-image", f"python3.11={IMAGE}"])
    try:
        assert invoke(lambdock, "er-hello") == {"error": None, "payload": b'{"hello": "engine"}'}
        [first] = client.containers.list(filters={"label": "lambdock.function=er-hello"})
        client.close()
        own.stop()

        health = httpx.get(f"{lambdock.url}/_lambdock/health", timeout=30)
        assert health.status_code == 200
        # Its container died with the engine; a new one cannot be made: Lambda's answer when
        # the service itself fails (ServiceException, 500), naming the cause.
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            invoke(lambdock, "er-hello")
        error = refused.value.response
        assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
            "ServiceException",
            500,
        )
        assert "the Docker engine did not answer" in error["Error"]["Message"]

        client = own.start()
        assert invoke(lambdock, "er-hello") == {"error": None, "payload": b'{"hello": "engine"}'}
        running = client.containers.list(filters={"label": "lambdock.function=er-hello"})
        assert [c.id for c in running] != [first.id] and len(running) == 1
    finally:
        lambdock.stop()
        client.close()
