"""The sample_tasks walkthrough through `lambdock up --backend docker`: one container per
function environment, on the host's network, with the locally built runtime images."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.integration.samples.walkthrough import TasksApi, copy_sample, data_service, example
from tests.support import lambdock_up

# The API functions import pydantic, which the sample declares in requirements.txt, and the
# JavaScript task the AWS SDK it declares in package.json: installed on first use
# (emulator/dependencies.py) and mounted where Lambda puts layers (/opt/python,
# /opt/nodejs/node_modules).


@pytest.fixture(scope="module")
def api(
    python_boto3_image: str, nodejs_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TasksApi]:
    """A copy of sample_tasks served with the Docker backend; a client of its API."""
    if not os.environ.get("LAMBDOCK_MINIO_BIN"):
        pytest.fail("LAMBDOCK_MINIO_BIN is not set; run `bash scripts/test.sh`", pytrace=False)
    root = tmp_path_factory.mktemp("samples-docker")
    template = copy_sample(root / "sample_tasks")
    args = [
        "--backend",
        "docker",
        "--runtime-image",
        f"python3.12={python_boto3_image}",
        "--runtime-image",
        f"nodejs22.x={nodejs_image}",
        "--retry-delay",
        "0.01",
    ]
    with lambdock_up(template, root / "lambdock.log", args) as running:
        client = TasksApi(running.base_url)
        yield client
        client.close()


def test_python_tasks_run_in_containers_and_their_results_are_served(api: TasksApi) -> None:
    status = api.run(example("transform"))
    assert status["status"] == "succeeded", status
    assert status["result"]["records"][0] == {"name": "alpha", "points": 9}


def test_a_failing_task_in_a_container_reaches_its_failed_status(api: TasksApi) -> None:
    status = api.run(example("broken-csv"))
    assert status["status"] == "failed"
    assert status["error"]["type"] == "TaskInputError"


def test_the_javascript_task_runs_in_a_nodejs_container(api: TasksApi) -> None:
    with data_service() as base:
        status = api.run({"kind": "fetch-url", "url": f"{base}/orders.json"})
    assert status["status"] == "succeeded", status
    assert status["result"]["totals"] == {"items": 9, "total": 172.49}
