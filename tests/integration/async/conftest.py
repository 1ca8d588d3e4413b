"""Start real `lambdock up --backend process` subprocesses on a copy of the async project.

Every wait is bounded; only processes this file started are stopped, by their pid (and the
runtime processes a SIGKILLed lambdock leaves behind, found by their task root in this test's
temporary folder).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

REPO = Path(__file__).resolve().parents[3]
PROJECT = REPO / "tests" / "fixtures" / "projects" / "async"
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
T = TypeVar("T")


def wait_until(check: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    """Poll `check` every 50 ms until it returns something, for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Lambdock:
    """One `lambdock up` subprocess serving the project copy."""

    def __init__(self, project: Path, records: Path, log: Path) -> None:
        self.project = project
        self.records = records
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(base_url=self.url, timeout=10.0)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> Lambdock:
        command = [
            sys.executable,
            "-m",
            "emulator",
            "up",
            "--template",
            str(self.project / "template.yaml"),
            "--backend",
            "process",
            "--retry-delay",
            "0.01",
            "--port",
            str(self.port),
            "--parameter-overrides",
            f"RecordDir={self.records}",
            f"TestPython={sys.executable}",
        ]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        wait_until(self._healthy, "lambdock to serve", START_TIMEOUT_SECONDS)
        return self

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"lambdock exited {self.process.returncode}:\n{self.output()}")
        try:
            return self.client.get("/_lambdock/health").status_code == 200
        except httpx.TransportError:
            return False

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def invoke_event(self, function: str, payload: Any) -> str:
        response = self.client.post(
            f"/2015-03-31/functions/{function}/invocations",
            json=payload,
            headers={"X-Amz-Invocation-Type": "Event"},
        )
        assert response.status_code == 202, response.text
        return str(response.headers["x-amzn-RequestId"])

    def event(self, request_id: str) -> dict[str, Any]:
        response = self.client.get(f"/_lambdock/async-events/{request_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def kill(self) -> None:
        """SIGKILL lambdock (no chance to clean up), then the runtimes it leaves orphaned."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT_SECONDS)
        kill_runtimes_of(self.project)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT_SECONDS)
        self.client.close()
        kill_runtimes_of(self.project)


def kill_runtimes_of(project: Path) -> None:
    """Kill runtime processes whose task root is inside `project` (each leads its own group)."""
    marker = f"LAMBDA_TASK_ROOT={project}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if any(item.startswith(marker) for item in environ.split(b"\0")):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(int(entry.name), signal.SIGKILL)


def records(folder: Path, function: str, kind: str = "event") -> list[dict[str, Any]]:
    """What a handler of the project wrote, oldest first."""
    directory = folder / function
    if not directory.is_dir():
        return []
    files = sorted(directory.glob(f"{kind}-*.json"), key=lambda p: p.stat().st_mtime_ns)
    return [json.loads(path.read_text()) for path in files]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(PROJECT, copy)
    return copy


@pytest.fixture
def record_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "records"
    folder.mkdir()
    return folder


@pytest.fixture
def lambdock_factory(
    project: Path, record_dir: Path, tmp_path: Path
) -> Iterator[Callable[[], Lambdock]]:
    started: list[Lambdock] = []

    def factory() -> Lambdock:
        instance = Lambdock(project, record_dir, tmp_path / "lambdock.log")
        started.append(instance)
        return instance.start()

    yield factory
    for instance in started:
        instance.stop()


@pytest.fixture
def lambdock(lambdock_factory: Callable[[], Lambdock]) -> Lambdock:
    return lambdock_factory()
