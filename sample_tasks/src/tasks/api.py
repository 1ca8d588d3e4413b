"""The HTTP API (API Gateway HTTP API, payload format 2.0): submit a task, ask for its status."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import store
from pydantic import ValidationError
from schema import TASK_DESCRIPTION

# How long a result's presigned URL stays valid.
RESULT_URL_SECONDS = 3600


def _response(status: int, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", **(headers or {})},
        "body": json.dumps(body),
    }


def _body(event: dict[str, Any]) -> str:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body).decode()
    return str(body)


def _status_url(event: dict[str, Any], task_id: str) -> str:
    """The absolute URL of GET /tasks/{id}, as the caller reached this API."""
    headers = event.get("headers") or {}
    context = event["requestContext"]
    scheme = headers.get("x-forwarded-proto", "https")
    stage = context.get("stage", "$default")
    prefix = "" if stage == "$default" else f"/{stage}"
    return f"{scheme}://{context['domainName']}{prefix}/tasks/{task_id}"


def submit_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """POST /tasks: validate the description, store it in the incoming bucket, answer 202."""
    try:
        task = TASK_DESCRIPTION.validate_json(_body(event))
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        return _response(400, {"message": "invalid task description", "errors": errors})
    task_id = uuid.uuid4().hex
    submitted = store.record_status(task_id, task.kind, "queued")
    description = {
        "taskId": task_id,
        "submittedAt": submitted["submittedAt"],
        "task": task.model_dump(mode="json", by_alias=True),
    }
    store.put_json(store.incoming_bucket(), store.input_key(task.kind, task_id), description)
    url = _status_url(event, task_id)
    body = {"taskId": task_id, "status": "queued", "statusUrl": url}
    return _response(202, body, {"location": url})


def get_task(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """GET /tasks/{id}: the task's status; once it succeeded, its result and a link to it."""
    task_id = (event.get("pathParameters") or {}).get("id", "")
    if not store.TASK_ID.match(task_id):
        return _response(400, {"message": "a task id is 32 hexadecimal digits"})
    status = store.get_json(store.outgoing_bucket(), store.status_key(task_id))
    if status is None:
        return _response(404, {"message": f"no task {task_id}"})
    if status["status"] == "succeeded":
        key = store.result_key(task_id)
        status["result"] = store.get_json(store.outgoing_bucket(), key)
        status["resultUrl"] = store.s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": store.outgoing_bucket(), "Key": key},
            ExpiresIn=RESULT_URL_SECONDS,
        )
    return _response(200, status)
