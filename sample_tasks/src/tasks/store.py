"""Where a task's input, status and result live in S3, and how a status is recorded.

incoming bucket:  <kind>/<task id>.json     the task description, as submitted
outgoing bucket:  status/<task id>.json     {"taskId", "kind", "status", ...}
                  results/<task id>.json    the task's result
                  reports/<yyyy-mm-dd>.json the daily report
"""

from __future__ import annotations

import datetime
import json
import os
import re
from typing import Any

import boto3
from botocore.exceptions import ClientError

TASK_ID = re.compile(r"^[0-9a-f]{32}$")
KEY = re.compile(r"^(?P<kind>[a-z-]+)/(?P<task_id>[0-9a-f]{32})\.json$")

# Created once per execution environment and reused by every invocation it serves.
s3 = boto3.client("s3")


def incoming_bucket() -> str:
    """The bucket tasks are submitted to."""
    return os.environ["INCOMING_BUCKET"]


def outgoing_bucket() -> str:
    """The bucket results, statuses and reports are written to."""
    return os.environ["OUTGOING_BUCKET"]


def now() -> str:
    """The current time in ISO 8601, UTC."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def input_key(kind: str, task_id: str) -> str:
    """The incoming key of a task; its prefix picks the function that runs it."""
    return f"{kind}/{task_id}.json"


def status_key(task_id: str) -> str:
    """The outgoing key of a task's status."""
    return f"status/{task_id}.json"


def result_key(task_id: str) -> str:
    """The outgoing key of a task's result."""
    return f"results/{task_id}.json"


def put_json(bucket: str, key: str, document: Any) -> None:
    """Write a JSON document."""
    body = json.dumps(document, separators=(",", ":")).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")


def get_json(bucket: str, key: str) -> Any | None:
    """Read a JSON document; None when there is no such key."""
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise
    return json.loads(response["Body"].read())


def record_status(task_id: str, kind: str, status: str, **details: Any) -> dict[str, Any]:
    """Write a task's status, keeping when it was submitted."""
    previous = get_json(outgoing_bucket(), status_key(task_id)) or {}
    document = {
        "taskId": task_id,
        "kind": kind,
        "status": status,
        "submittedAt": previous.get("submittedAt", now()),
        "updatedAt": now(),
        **details,
    }
    put_json(outgoing_bucket(), status_key(task_id), document)
    return document
