"""Fixtures for the Docker backend's container tests: the engine, the runtime images, and a
real `lambdock up --backend docker` driven with boto3's Lambda client.

The engine and images come from `scripts/setup-test-env.sh`. A missing one fails the test with
a message naming it; nothing here is skipped. Containers run with host networking (the
backend's default on Linux), so every test's traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import gc
import os
import re
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import boto3
import botocore.config
import docker
import httpx
import pytest
from docker.errors import DockerException, ImageNotFound

REPO_ROOT = Path(__file__).resolve().parents[3]
SETUP_HINT = "run `bash scripts/test.sh` (it runs scripts/setup-test-env.sh)"
IMAGES = {
    "python": ("LAMBDOCK_TEST_IMAGE_PYTHON", "lambdock-test/python:3.11"),
    "nodejs": ("LAMBDOCK_TEST_IMAGE_NODEJS", "lambdock-test/nodejs:18"),
    "aws_python": ("LAMBDOCK_TEST_IMAGE_AWS_PYTHON", "lambdock-test/aws-python:3.11"),
}
# An image name whose registry is a closed loopback port: pulling it fails at once, and
# without any traffic leaving the machine.
MISSING_IMAGE = "127.0.0.1:9/lambdock-test/missing:1"
READY = re.compile(r"serving .* on (http://127\.0\.0\.1:\d+)")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


@pytest.fixture(scope="session")
def engine() -> Iterator[docker.DockerClient]:
    """The Docker engine that lambdock will use."""
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    problem = ""
    with warnings.catch_warnings():
        # The SDK leaves a socket unclosed when the engine's socket is missing; not our leak.
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            client = docker.from_env(timeout=60)
            client.ping()
        except DockerException as exc:
            problem = str(exc)
        gc.collect()
    if problem:
        pytest.fail(
            f"Docker engine not answering at {where}: {problem}; {SETUP_HINT}", pytrace=False
        )
    yield client
    client.close()


@pytest.fixture(scope="session")
def images(engine: docker.DockerClient) -> dict[str, str]:
    """The runtime images the tests run, each present in the engine."""
    found = {}
    missing = []
    for key, (variable, default) in IMAGES.items():
        name = os.environ.get(variable) or default
        try:
            engine.images.get(name)
        except ImageNotFound:
            missing.append(f"{name} ({variable})")
        found[key] = name
    if missing:
        names = ", ".join(missing)
        pytest.fail(f"image(s) not in the Docker engine: {names}; {SETUP_HINT}", pytrace=False)
    return found


class Lambdock:
    """A `lambdock up` process on a free loopback port, its output collected."""

    def __init__(self, template: Path, args: list[str]) -> None:
        command = [sys.executable, "-m", "emulator", "up", "-t", str(template), "--port", "0"]
        environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [*command, "--backend", "docker", *args],
            cwd=REPO_ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.url = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(START_TIMEOUT) or not self.url:
            self.kill()
            output = "\n".join(self.lines[-30:])
            pytest.fail(
                f"lambdock did not get ready in {START_TIMEOUT} s:\n{output}", pytrace=False
            )

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            match = READY.search(line)
            if match:
                self.url = match[1]
                self._ready.set()
        self._ready.set()

    def client(self, read_timeout: float = 60) -> object:
        """A boto3 Lambda client for this lambdock (dummy credentials, no retries)."""
        config = botocore.config.Config(
            retries={"max_attempts": 0}, read_timeout=read_timeout, connect_timeout=5
        )
        return boto3.client(
            "lambda",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=config,
        )

    def environments(self, function_name: str) -> dict[str, str]:
        """The function's live environments and their states, from lambdock's admin API."""
        listing = httpx.get(f"{self.url}/_lambdock/functions", timeout=10).json()["functions"]
        found = [f["environments"] for f in listing if f["functionName"] == function_name]
        return {env["id"]: env["state"] for env in (found[0] if found else [])}

    def wait_idle(self, function_name: str, environment_id: str) -> None:
        """Wait until the environment has asked for its next event, so it will be reused (an
        environment is reused only once it is idle, as in Lambda)."""
        wait_until(
            lambda: self.environments(function_name).get(environment_id) == "idle",
            f"environment {environment_id} of {function_name} idle",
        )

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Send `sig` (Ctrl-C by default) and wait for the process to end."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(
                f"lambdock did not stop within {STOP_TIMEOUT} s of signal {sig}", pytrace=False
            )
        self._release()
        return code

    def kill(self) -> None:
        """SIGKILL the process (no cleanup runs in it)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(STOP_TIMEOUT)
        self._release()

    def _release(self) -> None:
        self._reader.join(STOP_TIMEOUT)
        if self.process.stdout is not None:
            self.process.stdout.close()


def write_project(root: Path, template: str, files: dict[str, str]) -> Path:
    """A SAM project: template.yaml and code files, readable by the sandbox user (uid 993)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "template.yaml").write_text(template)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root / "template.yaml"


def containers_of(engine: docker.DockerClient, **labels: str) -> list[str]:
    """Ids of the containers (running or not) carrying all the given lambdock labels."""
    filters = {"label": [f"lambdock.{key}={value}" for key, value in labels.items()]}
    return [c.id for c in engine.containers.list(all=True, filters=filters)]


def wait_until(condition: object, what: str, timeout: float = 15.0) -> None:
    """Poll `condition()` every 0.1 s until it is true; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    pytest.fail(f"{what} (waited {timeout} s)", pytrace=False)
