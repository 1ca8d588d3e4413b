"""The sample_tasks walkthrough of the README, driven over HTTP against any running lambdock.

Shared by the process-backend tests (`lambdock up`) and the container tests (Docker backend,
`docker compose up`): each step is what the README tells a newcomer to do with curl.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import REPO

SAMPLE = REPO / "sample_tasks"
EXAMPLES = SAMPLE / "examples"
FINISHED = ("succeeded", "failed")
# An S3 event reaches its function within MinIO's replay interval (3 s); a task then runs in
# well under a second, a cold start with a dependency install in a few seconds.
TASK_TIMEOUT_SECONDS = 90.0
POLL_SECONDS = 0.25
COMPOSE_TIMEOUT_SECONDS = 60


def copy_sample(destination: Path) -> Path:
    """A copy of sample_tasks/ without installed or generated files; its template's path."""
    ignore = shutil.ignore_patterns("node_modules", ".lambdock", ".aws-sam", "__pycache__")
    shutil.copytree(SAMPLE, destination, ignore=ignore)
    return destination / "template.yaml"


def example(name: str) -> dict[str, Any]:
    """A task description from sample_tasks/examples/."""
    document: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
    return document


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def data_service() -> Iterator[str]:
    """sample_tasks/data/ served on a free loopback port (the recipe's service behind HTTP)."""
    handler = functools.partial(_Quiet, directory=str(SAMPLE / "data"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


class TasksApi:
    """A client of the sample's HTTP API, as the README's curl commands use it."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60.0)
        # Without lambdock's S3 the handlers' SDK calls would go to AWS itself: stop first.
        health = self.http.get("/_lambdock/health").json()
        if "storage" not in health:
            self.http.close()
            pytest.fail(f"lambdock at {base_url} serves no S3 storage: {health}", pytrace=False)

    def close(self) -> None:
        self.http.close()

    def submit(self, task: dict[str, Any]) -> dict[str, Any]:
        """POST /tasks; asserts the 202 answer and returns its body."""
        response = self.http.post("/tasks", json=task)
        assert response.status_code == 202, response.text
        body: dict[str, Any] = response.json()
        assert response.headers["location"] == body["statusUrl"]
        return body

    def status(self, task_id: str) -> dict[str, Any]:
        """GET /tasks/{id}; asserts a 200 answer."""
        response = self.http.get(f"/tasks/{task_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def wait(self, task_id: str, timeout: float = TASK_TIMEOUT_SECONDS) -> dict[str, Any]:
        """Poll the status until the task succeeded or failed (bounded in time)."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            status = self.status(task_id)
            if not seen or seen[-1] != status["status"]:
                seen.append(status["status"])
            if status["status"] in FINISHED:
                return status
            time.sleep(POLL_SECONDS)
        raise AssertionError(f"task {task_id} not finished after {timeout:.0f} s: went {seen}")

    def run(self, task: dict[str, Any]) -> dict[str, Any]:
        """Submit a task and wait for it to finish."""
        return self.wait(self.submit(task)["taskId"])


def compose_command() -> list[str]:
    """`docker compose` where the plugin is installed, else Debian's `docker-compose`."""
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, timeout=COMPOSE_TIMEOUT_SECONDS
        )
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.fail(
        "neither `docker compose` nor `docker-compose` is installed (Debian package "
        "docker-compose; scripts/setup-test-env.sh installs it)",
        pytrace=False,
    )
