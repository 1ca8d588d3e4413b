"""Real `lambdock up --backend process --retry-delay 0.01` processes on a copy of the async project.

Every wait is bounded; only processes these tests started are stopped, by pid: lambdock itself,
and the runtime processes a SIGKILLed lambdock leaves behind (found by their task root, which is
inside this test's temporary folder).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.support import FIXTURES, REPO, Lambdock, start_lambdock

T = TypeVar("T")


def wait_until(check: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    """Poll `check` every 50 ms until it returns something truthy, for at most `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


class AsyncProject:
    """The project copy, the folder its handlers write to, and the lambdocks serving it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.project = root / "project"
        self.records = root / "records"
        shutil.copytree(FIXTURES / "projects" / "async", self.project)
        self.records.mkdir()
        self.started: list[Lambdock] = []

    def up(self) -> Lambdock:
        """Start `lambdock up` on the project; its code is this checkout's (PYTHONPATH)."""
        args = [
            "--backend",
            "process",
            "--retry-delay",
            "0.01",
            "--parameter-overrides",
            f"RecordDir={self.records}",
        ]
        log = self.root / f"lambdock-{len(self.started)}.log"
        running = start_lambdock(
            self.project / "template.yaml", log, args, env={"PYTHONPATH": str(REPO)}
        )
        self.started.append(running)
        return running

    def kill(self, running: Lambdock) -> None:
        """SIGKILL lambdock (no chance to clean up), then the runtimes it leaves orphaned."""
        running.stop(signal.SIGKILL)
        self.kill_runtimes()

    def kill_runtimes(self) -> None:
        # Each runtime process leads its own process group (the process backend's setsid).
        marker = f"LAMBDA_TASK_ROOT={self.project}".encode()
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

    def close(self) -> None:
        for running in self.started:
            running.stop()
        self.kill_runtimes()

    def written(self, function: str, kind: str = "event") -> list[dict[str, Any]]:
        """What a handler of the project wrote, oldest first."""
        folder = self.records / function
        if not folder.is_dir():
            return []
        files = sorted(folder.glob(f"{kind}-*.json"), key=lambda path: path.name.split("-")[-1])
        return [json.loads(path.read_text()) for path in files]


@pytest.fixture
def project(tmp_path: Path) -> Iterator[AsyncProject]:
    served = AsyncProject(tmp_path)
    yield served
    served.close()


@pytest.fixture
def lambdock(project: AsyncProject) -> Lambdock:
    return project.up()


def invoke_event(running: Lambdock, function: str, payload: Any) -> str:
    """InvocationType Event: asserts the 202 and returns the request id."""
    response = httpx.post(
        f"{running.base_url}/2015-03-31/functions/{function}/invocations",
        json=payload,
        headers={"X-Amz-Invocation-Type": "Event"},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    return str(response.headers["x-amzn-RequestId"])


def admin(running: Lambdock, path: str) -> Any:
    response = httpx.get(f"{running.base_url}/_lambdock/{path}", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()
