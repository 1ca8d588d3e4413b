"""The daily job (a Schedule event): report the tasks of the last day, delete expired ones."""

from __future__ import annotations

import collections
import datetime
import logging
import os
from collections.abc import Iterator
from typing import Any

import store

logger = logging.getLogger()
logger.setLevel(logging.INFO)
FINISHED = ("succeeded", "failed")


def _objects(bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    for page in store.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def _expire(statuses: list[dict[str, Any]], cutoff: str) -> list[str]:
    """Delete input, result and status of finished tasks last updated before the cutoff."""
    expired = [s for s in statuses if s["status"] in FINISHED and s["updatedAt"] < cutoff]
    for status in expired:
        task_id = status["taskId"]
        store.s3.delete_object(
            Bucket=store.incoming_bucket(), Key=store.input_key(status["kind"], task_id)
        )
        store.s3.delete_object(Bucket=store.outgoing_bucket(), Key=store.result_key(task_id))
        store.s3.delete_object(Bucket=store.outgoing_bucket(), Key=store.status_key(task_id))
    return [s["taskId"] for s in expired]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Write reports/<day>.json: tasks of the last 24 hours by status and kind; clean up."""
    # A scheduled event's `time` is when the rule fired (AWS docs: "EventBridge events").
    fired = event.get("time") or store.now()
    moment = datetime.datetime.fromisoformat(fired.replace("Z", "+00:00"))
    day_ago = (moment - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    retention = datetime.timedelta(days=int(os.environ.get("RETENTION_DAYS", "7")))
    cutoff = (moment - retention).strftime("%Y-%m-%dT%H:%M:%S")
    statuses = [
        store.get_json(store.outgoing_bucket(), item["Key"])
        for item in _objects(store.outgoing_bucket(), "status/")
    ]
    statuses = [s for s in statuses if s is not None]
    recent = [s for s in statuses if s["submittedAt"] >= day_ago]
    report = {
        "day": moment.strftime("%Y-%m-%d"),
        "generatedAt": store.now(),
        "tasks": len(recent),
        "byStatus": dict(collections.Counter(s["status"] for s in recent)),
        "byKind": dict(collections.Counter(s["kind"] for s in recent)),
        "expired": _expire(statuses, cutoff),
    }
    store.put_json(store.outgoing_bucket(), f"reports/{report['day']}.json", report)
    logger.info(
        "report %s: %d tasks, %d expired", report["day"], report["tasks"], len(report["expired"])
    )
    return report
