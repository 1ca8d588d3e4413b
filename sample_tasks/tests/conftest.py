"""Fixtures of the sample's tests: a local HTTP service for fetch-url tasks, and task helpers."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parent.parent / "data"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FINISHED = ("succeeded", "failed")
# S3 events reach the functions within seconds; a task then runs in well under a second.
TASK_TIMEOUT_SECONDS = 60.0


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def data_service() -> Iterator[str]:
    """A local HTTP service serving data/ (the recipe's database behind HTTP): its base URL."""
    handler = functools.partial(_Quiet, directory=str(DATA))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture
def s3(lambdock: Any) -> Any:
    """A boto3 S3 client on lambdock's S3 endpoint; fails at once where lambdock serves none,
    before any handler could send its SDK calls to AWS itself."""
    return lambdock.client("s3")


def wait_for_task(api: Any, task_id: str, timeout: float = TASK_TIMEOUT_SECONDS) -> dict[str, Any]:
    """Poll GET /tasks/{id} until the task succeeded or failed; its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        response = api.get(f"/tasks/{task_id}")
        assert response.status_code == 200, response.text
        status: dict[str, Any] = response.json()
        if status["status"] in FINISHED:
            return status
        if time.monotonic() > deadline:
            raise TimeoutError(f"task {task_id} still {status['status']} after {timeout:.0f} s")
        time.sleep(0.2)
