"""The sample_tasks walkthrough through `lambdock up --backend process` with a real MinIO.

Tasks go in through the HTTP API, run on the incoming bucket's S3 events, and come back through
GET /tasks/{id}; a failing task reaches its failed status through the OnFailure destination;
the daily report is fired by hand through lambdock's admin API.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.samples.walkthrough import (
    TasksApi,
    copy_sample,
    data_service,
    example,
)
from tests.support import Lambdock, lambdock_up

MINIO_VARIABLE = "LAMBDOCK_MINIO_BIN"
SCHEDULE_TIMEOUT_SECONDS = 60.0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lambdock]:
    """A copy of sample_tasks served by `lambdock up` with the process backend."""
    if not os.environ.get(MINIO_VARIABLE):
        pytest.fail(
            f"{MINIO_VARIABLE} is not set (the MinIO server binary); run `bash scripts/test.sh`",
            pytrace=False,
        )
    root = tmp_path_factory.mktemp("samples")
    template = copy_sample(root / "sample_tasks")
    args = ["--backend", "process", "--retry-delay", "0.01"]
    with lambdock_up(template, root / "lambdock.log", args) as running:
        yield running


@pytest.fixture(scope="module")
def api(served: Lambdock) -> Iterator[TasksApi]:
    client = TasksApi(served.base_url)
    yield client
    client.close()


def test_a_csv_task_is_accepted_processed_and_its_result_served(
    served: Lambdock, api: TasksApi
) -> None:
    accepted = api.submit(example("csv-stats"))
    assert accepted["status"] == "queued"
    assert accepted["statusUrl"] == f"{served.base_url}/tasks/{accepted['taskId']}"
    status = api.wait(accepted["taskId"])
    assert status["status"] == "succeeded", status
    assert status["result"]["rows"] == 3
    assert status["result"]["columns"]["area_km2"] == {
        "count": 3,
        "missing": 0,
        "type": "number",
        "min": 34.51,
        "max": 65.19,
        "mean": 49.19,
        "sum": 147.57,
    }
    downloaded = httpx.get(status["resultUrl"], timeout=30)
    assert downloaded.status_code == 200
    assert downloaded.json() == status["result"]


def test_word_count_and_transform_tasks_succeed(api: TasksApi) -> None:
    words = api.run(example("word-count"))
    records = api.run(example("transform"))
    assert words["result"]["top"] == [
        {"word": "the", "count": 3},
        {"word": "dog", "count": 2},
        {"word": "brown", "count": 1},
    ]
    assert records["result"]["records"] == [
        {"name": "alpha", "points": 9},
        {"name": "beta", "points": 8},
        {"name": "gamma", "points": 7},
    ]


def test_the_javascript_task_fetches_from_a_local_service(api: TasksApi) -> None:
    with data_service() as base:
        status = api.run({"kind": "fetch-url", "url": f"{base}/orders.json"})
    assert status["status"] == "succeeded", status
    assert status["result"] == {
        "url": f"{base}/orders.json",
        "records": 3,
        "fields": ["customer", "items", "order", "total"],
        "totals": {"items": 9, "total": 172.49},
    }


def test_a_failing_task_reaches_its_failed_status(api: TasksApi) -> None:
    status = api.run(example("broken-csv"))
    assert status["status"] == "failed"
    assert status["error"] == {
        "type": "TaskInputError",
        "message": "CSV row 3 has 1 fields, the header has 2",
        "condition": "RetriesExhausted",
        "attempts": 1,
    }


def test_a_fetch_that_keeps_failing_is_retried_then_marked_failed(api: TasksApi) -> None:
    with data_service() as base:
        status = api.run({"kind": "fetch-url", "url": f"{base}/missing.json"})
    assert status["status"] == "failed"
    assert status["error"]["message"] == f"GET {base}/missing.json answered 404 File not found"
    # MaximumRetryAttempts 1: the first try and one retry.
    assert status["error"]["attempts"] == 2


def test_an_invalid_task_is_refused_before_anything_is_stored(api: TasksApi) -> None:
    response = api.http.post("/tasks", json={"kind": "csv-stats", "csv": ""})
    assert response.status_code == 400
    assert response.json() == {
        "message": "invalid task description",
        "errors": [
            {
                "type": "string_too_short",
                "loc": ["csv-stats", "csv"],
                "msg": "String should have at least 1 character",
            }
        ],
    }


def _finished_event(served: Lambdock, request_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + SCHEDULE_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        answer = httpx.get(f"{served.base_url}/_lambdock/async-events/{request_id}", timeout=10)
        assert answer.status_code == 200, answer.text
        event: dict[str, Any] = answer.json()
        if event["state"] in ("succeeded", "failed"):
            return event
        time.sleep(0.2)
    raise AssertionError(f"scheduled event {request_id} did not finish")


def test_the_daily_report_fired_by_hand_counts_the_days_tasks(
    served: Lambdock, api: TasksApi
) -> None:
    api.run(example("word-count"))
    fired = httpx.post(
        f"{served.base_url}/_lambdock/schedules/DailyReportFunction.Daily/fire", timeout=10
    )
    assert fired.status_code == 202, fired.text
    event = _finished_event(served, fired.json()["requestId"])
    assert event["state"] == "succeeded", event
    report = event["response"]
    assert report["day"] == fired.json()["time"][:10]
    assert report["tasks"] >= 1
    assert report["byStatus"]["succeeded"] >= 1
    assert report["expired"] == []
