"""`docker compose up` with the repository's docker-compose.yml serves the sample API.

The stack runs from a copy of the checkout's compose file and sample_tasks/, with images built
offline (see conftest.py) and one override for this machine: pip inside the container installs
the sample's requirements from a local wheelhouse, as no package index is reachable from there.
Functions run as processes in the lambdock container (LAMBDOCK_BACKEND=process, the README's
"without the socket" route); the stack's network is the host's, so every request stays on
127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.integration.samples.walkthrough import (
    TasksApi,
    compose_command,
    copy_sample,
    data_service,
    example,
)
from tests.support import REPO, free_port

START_TIMEOUT_SECONDS = 120.0
DOWN_TIMEOUT_SECONDS = 120


def _npm_install(folder: Path) -> None:
    # The image has Node.js but no npm: the JavaScript task's SDK is installed beside its code,
    # as a developer's `npm install` would.
    result = subprocess.run(
        ["npm", "ci", "--omit=dev", "--no-audit", "--no-fund"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def _wait_healthy(base_url: str, compose: list[str], env: dict[str, str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/_lambdock/health", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    logs = subprocess.run([*compose, "logs"], capture_output=True, text=True, env=env, timeout=60)
    pytest.fail(f"the compose stack did not answer in time:\n{logs.stdout[-5000:]}")


@pytest.fixture(scope="module")
def stack(
    lambdock_image: str, wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The demo stack up on a free port; its base URL."""
    demo = tmp_path_factory.mktemp("demo")
    shutil.copy2(REPO / "docker-compose.yml", demo / "docker-compose.yml")
    copy_sample(demo / "sample_tasks")
    _npm_install(demo / "sample_tasks" / "src" / "fetch-url")
    offline = {
        "services": {
            "lambdock": {
                "environment": {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "/wheelhouse"},
                "volumes": [f"{wheelhouse}:/wheelhouse:ro"],
            }
        }
    }
    (demo / "offline.yml").write_text(yaml.safe_dump(offline))
    port = free_port()
    env = {
        **os.environ,
        "PWD": str(demo),
        "LAMBDOCK_IMAGE": lambdock_image,
        "LAMBDOCK_BACKEND": "process",
        "LAMBDOCK_PORT": str(port),
        "LAMBDOCK_UP_ARGS": "--retry-delay 0.01",
    }
    project = f"lambdock-samples-{uuid.uuid4().hex[:8]}"
    files = ["--file", "docker-compose.yml", "--file", "offline.yml"]
    compose = [*compose_command(), "--project-name", project, *files]
    up = subprocess.run(
        [*compose, "up", "--detach", "--no-build"],
        cwd=demo,
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_SECONDS,
    )
    try:
        assert up.returncode == 0, up.stderr[-3000:]
        base_url = f"http://127.0.0.1:{port}"
        _wait_healthy(base_url, compose, {**env, "COMPOSE_PROJECT_NAME": project})
        yield base_url
    finally:
        # The stack's output stays beside the copy for a look after a failure.
        with (demo / "compose.log").open("w") as log:
            subprocess.run(
                [*compose, "logs", "--no-color"], cwd=demo, env=env, stdout=log, timeout=60
            )
        subprocess.run(
            [*compose, "down", "--volumes", "--timeout", "20"],
            cwd=demo,
            env=env,
            capture_output=True,
            timeout=DOWN_TIMEOUT_SECONDS,
        )


@pytest.fixture(scope="module")
def api(stack: str) -> Iterator[TasksApi]:
    client = TasksApi(stack)
    yield client
    client.close()


def test_the_stack_serves_every_sample_function(stack: str) -> None:
    listing = httpx.get(f"{stack}/_lambdock/functions", timeout=10).json()
    assert sorted(f["logicalId"] for f in listing["functions"]) == [
        "DailyReportFunction",
        "FetchUrlFunction",
        "GetTaskFunction",
        "ProcessTaskFunction",
        "SubmitTaskFunction",
        "TaskFailedFunction",
    ]


def test_the_readme_walkthrough_works_on_the_stack(api: TasksApi) -> None:
    status = api.run(example("word-count"))
    assert status["status"] == "succeeded", status
    assert status["result"]["words"] == 12
    failed = api.run(example("broken-csv"))
    assert failed["status"] == "failed"
    assert failed["error"]["message"] == "CSV row 3 has 1 fields, the header has 2"


def test_the_javascript_task_runs_in_the_stack(api: TasksApi) -> None:
    with data_service() as base:
        status = api.run({"kind": "fetch-url", "url": f"{base}/orders.json"})
    assert status["status"] == "succeeded", status
    assert status["result"]["records"] == 3
