"""The README's walkthrough, run by lambdock's pytest plugin against template.yaml.

Each test submits a task through the HTTP API, lets the incoming bucket's S3 event run it, and
reads its status and result back through the API, as a client of the deployed system would.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from conftest import EXAMPLES, wait_for_task

pytestmark = pytest.mark.usefixtures("s3")


def submit(api: httpx.Client, task: dict[str, Any]) -> str:
    response = api.post("/tasks", json=task)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "queued"
    assert body["statusUrl"].endswith(f"/tasks/{body['taskId']}")
    assert response.headers["location"] == body["statusUrl"]
    return str(body["taskId"])


def example(name: str) -> dict[str, Any]:
    return dict(json.loads((EXAMPLES / f"{name}.json").read_text()))


def test_a_csv_task_runs_and_its_result_is_served(lambdock: Any) -> None:
    with lambdock.http() as api:
        task_id = submit(api, example("csv-stats"))
        status = wait_for_task(api, task_id)
        result_url = status.pop("resultUrl")
        downloaded = httpx.get(result_url, timeout=30)
    assert status["status"] == "succeeded", status
    assert status["result"]["rows"] == 3
    assert status["result"]["columns"]["population"] == {
        "count": 3,
        "missing": 0,
        "type": "number",
        "min": 236710.0,
        "max": 522250.0,
        "mean": 359897.333333,
        "sum": 1079692.0,
    }
    assert downloaded.status_code == 200
    assert downloaded.json() == status["result"]


def test_word_count_and_transform_tasks_succeed(lambdock: Any) -> None:
    with lambdock.http() as api:
        words = submit(api, example("word-count"))
        records = submit(api, example("transform"))
        word_status = wait_for_task(api, words)
        record_status = wait_for_task(api, records)
    assert word_status["result"] == {
        "words": 12,
        "distinctWords": 9,
        "lines": 2,
        "top": [
            {"word": "the", "count": 3},
            {"word": "dog", "count": 2},
            {"word": "brown", "count": 1},
        ],
    }
    assert record_status["result"] == {
        "count": 3,
        "records": [
            {"name": "alpha", "points": 9},
            {"name": "beta", "points": 8},
            {"name": "gamma", "points": 7},
        ],
    }


def test_the_javascript_task_fetches_a_url_and_sums_it_up(lambdock: Any, data_service: str) -> None:
    url = f"{data_service}/orders.json"
    with lambdock.http() as api:
        status = wait_for_task(api, submit(api, {"kind": "fetch-url", "url": url}))
    assert status["status"] == "succeeded", status
    assert status["kind"] == "fetch-url"
    assert status["result"] == {
        "url": url,
        "records": 3,
        "fields": ["customer", "items", "order", "total"],
        "totals": {"items": 9, "total": 172.49},
    }


def test_a_failing_task_reaches_its_failed_status_through_the_destination(lambdock: Any) -> None:
    with lambdock.http() as api:
        status = wait_for_task(api, submit(api, example("broken-csv")))
    assert status["status"] == "failed"
    assert status["error"] == {
        "type": "TaskInputError",
        "message": "CSV row 3 has 1 fields, the header has 2",
        "condition": "RetriesExhausted",
        "attempts": 1,
    }


def test_an_invalid_task_description_is_refused_with_its_errors(lambdock: Any) -> None:
    with lambdock.http() as api:
        response = api.post("/tasks", json={"kind": "word-count", "top": 0})
    assert response.status_code == 400
    assert response.json() == {
        "message": "invalid task description",
        "errors": [
            {"type": "missing", "loc": ["word-count", "text"], "msg": "Field required"},
            {
                "type": "greater_than_equal",
                "loc": ["word-count", "top"],
                "msg": "Input should be greater than or equal to 1",
            },
        ],
    }


def test_an_unknown_task_is_not_found(lambdock: Any) -> None:
    with lambdock.http() as api:
        response = api.get(f"/tasks/{'0' * 32}")
    assert response.status_code == 404
    assert response.json() == {"message": f"no task {'0' * 32}"}


def test_the_daily_report_fired_by_hand_counts_the_tasks(lambdock: Any) -> None:
    with lambdock.http() as api:
        wait_for_task(api, submit(api, example("word-count")))
    # The event an EventBridge Schedule rule sends its target, "time" being now.
    scheduled = lambdock.sample_event("schedule")
    now = scheduled["time"]
    result = lambdock.invoke("DailyReportFunction", scheduled)
    assert result.ok, result.payload
    report = json.loads(result.payload)
    assert report["day"] == now[:10]
    assert report["tasks"] >= 1
    assert report["byStatus"]["succeeded"] >= 1
    assert report["expired"] == []
    s3 = lambdock.client("s3")
    bucket = lambdock.services.template().buckets["OutgoingBucket"].bucket_name
    stored = json.loads(s3.get_object(Bucket=bucket, Key=f"reports/{now[:10]}.json")["Body"].read())
    assert stored == report
