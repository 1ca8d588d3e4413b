"""The OnFailure destination of the task functions: it marks their tasks failed.

Lambda sends it an invocation record (AWS docs: "Capturing records of Lambda asynchronous
invocations"): the S3 event that failed is its `requestPayload`, the error its `responsePayload`.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote_plus

import store

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def _error(record: dict[str, Any]) -> dict[str, Any]:
    response = record.get("responsePayload") or {}
    if not isinstance(response, dict):
        response = {"errorMessage": str(response)}
    return {
        "type": response.get("errorType", "Error"),
        "message": response.get("errorMessage", "the task failed"),
        "condition": record.get("requestContext", {}).get("condition", ""),
        "attempts": record.get("requestContext", {}).get("approximateInvokeCount", 1),
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Record a failed status for every task of the failed S3 event."""
    error = _error(event)
    failed = []
    for s3_record in (event.get("requestPayload") or {}).get("Records", []):
        key = unquote_plus(s3_record["s3"]["object"]["key"])
        match = store.KEY.match(key)
        if match is None:
            logger.warning("not a task key: %s", key)
            continue
        store.record_status(match["task_id"], match["kind"], "failed", error=error)
        logger.info("task %s failed: %s", match["task_id"], error["message"])
        failed.append(match["task_id"])
    return {"failed": failed}
