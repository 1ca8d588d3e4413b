"""The Python task runner, triggered by the incoming bucket's S3 events (one per task kind)."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import unquote_plus

import store
from work import WORK, TaskInputError

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def run_task(bucket: str, key: str) -> dict[str, Any]:
    """Read and decode one task's input, do its work, write its result and status."""
    match = store.KEY.match(key)
    if match is None or match["kind"] not in WORK:
        raise TaskInputError(f"s3://{bucket}/{key} is not a task this function runs")
    kind, task_id = match["kind"], match["task_id"]
    store.record_status(task_id, kind, "running")
    body = store.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    try:
        description = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TaskInputError(f"s3://{bucket}/{key} is not JSON: {exc}") from None
    result = WORK[kind](description["task"])
    store.put_json(store.outgoing_bucket(), store.result_key(task_id), result)
    logger.info("task %s (%s) succeeded", task_id, kind)
    return store.record_status(task_id, kind, "succeeded", resultKey=store.result_key(task_id))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run the task of each record; an exception fails the invocation (OnFailure destination)."""
    done = []
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        # S3 event keys are URL-encoded, spaces as '+' (AWS docs: "Event message structure").
        key = unquote_plus(record["s3"]["object"]["key"])
        done.append(run_task(bucket, key)["taskId"])
    return {"tasks": done}
