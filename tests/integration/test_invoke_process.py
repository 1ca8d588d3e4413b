"""boto3's Lambda client against a real `lambdock up` with the process backend: each way an
invocation ends behaves as on AWS (AWS Lambda API reference, "Invoke"; developer guide,
"Troubleshoot invocation issues" for timeout and exit error payloads)."""

from __future__ import annotations

import base64
import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support import Lambdock


def invoke(lam: Any, name: str, event: Any = None, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}), **kwargs)
    raw = response["Payload"].read()
    return response, json.loads(raw) if raw else None


def test_success_returns_the_handlers_result_with_lambdas_context(lam: Any) -> None:
    response, body = invoke(lam, "Hello", {"n": 1})
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert body["event"] == {"n": 1}
    assert body["greeting"] == "hello"
    assert body["function_name"] == "Hello"
    assert body["memory_limit_in_mb"] == 128
    assert body["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:Hello"
    assert body["request_id"] == response["ResponseMetadata"]["RequestId"]
    assert 0 < body["remaining_ms"] <= 3000


def test_tail_log_has_start_output_end_and_report(lam: Any) -> None:
    response, body = invoke(lam, "Hello", LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()
    request_id = body["request_id"]
    assert f"START RequestId: {request_id} Version: $LATEST" in log
    assert "hello from Hello" in log
    assert f"END RequestId: {request_id}" in log
    assert f"REPORT RequestId: {request_id}\tDuration: " in log
    assert "\tMemory Size: 128 MB\tMax Memory Used: " in log


def test_warm_invocations_reuse_one_process(lam: Any) -> None:
    pids = {invoke(lam, "Hello")[1]["pid"] for _ in range(3)}
    assert len(pids) == 1


def test_client_context_reaches_the_handler(lam: Any) -> None:
    context = base64.b64encode(json.dumps({"custom": {"team": "qa"}}).encode()).decode()
    _, body = invoke(lam, "Hello", ClientContext=context)
    assert body["client_context"] == {"team": "qa"}


def test_function_error_is_unhandled_with_the_error_document(lam: Any) -> None:
    response, body = invoke(lam, "Fail", {"why": "testing"})
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "failed on purpose: testing"
    assert isinstance(body["stackTrace"], list)


def test_timeout_returns_sandbox_timedout_then_a_fresh_environment_serves(lam: Any) -> None:
    response, body = invoke(lam, "Slow", {"seconds": 5})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1." in body["errorMessage"]
    response, body = invoke(lam, "Slow", {"seconds": 0})
    assert "FunctionError" not in response and body["slept"] == 0


def test_runtime_exit_is_runtime_exit_error_and_lambdock_keeps_serving(lam: Any) -> None:
    response, body = invoke(lam, "Crash", {"code": 3})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Error: Runtime exited with error: exit status 3")
    assert "FunctionError" not in invoke(lam, "Hello")[0]


def test_over_the_concurrency_limit_is_throttled(lam: Any) -> None:
    busy = threading.Thread(target=invoke, args=(lam, "Single", {"seconds": 2}))
    busy.start()
    try:
        time.sleep(0.8)
        with pytest.raises(lam.exceptions.TooManyRequestsException) as throttled:
            invoke(lam, "Single", {"seconds": 0})
        assert throttled.value.response["Error"]["Code"] == "TooManyRequestsException"
    finally:
        busy.join(30)


def test_dry_run_is_204(lam: Any) -> None:
    response = lam.invoke(FunctionName="Hello", InvocationType="DryRun")
    assert response["StatusCode"] == 204


def test_event_is_202_and_runs_in_the_background(lam: Any, tmp_path: Path) -> None:
    path = tmp_path / "record.jsonl"
    response = lam.invoke(
        FunctionName="Record", InvocationType="Event", Payload=json.dumps({"path": str(path)})
    )
    assert response["StatusCode"] == 202
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not path.exists():
        time.sleep(0.05)
    record = json.loads(path.read_text().splitlines()[0])
    assert record["request_id"] == response["ResponseMetadata"]["RequestId"]


def test_unknown_function_raises_resource_not_found(lam: Any) -> None:
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="Nope", Payload=b"{}")


def test_payload_that_is_not_json_raises_invalid_request_content(lam: Any) -> None:
    with pytest.raises(lam.exceptions.InvalidRequestContentException):
        lam.invoke(FunctionName="Hello", Payload=b"{oops")


def test_payload_over_6mb_raises_request_too_large(lam: Any) -> None:
    with pytest.raises(lam.exceptions.RequestTooLargeException):
        lam.invoke(FunctionName="Hello", Payload=json.dumps("x" * (6 * 1024 * 1024)))


def test_response_over_6mb_is_a_function_error(lam: Any) -> None:
    response, body = invoke(lam, "BigResponse", {"bytes": 7 * 1024 * 1024})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Function.ResponseSizeTooLarge"


def test_import_error_is_reported_as_runtime_import_module_error(lam: Any) -> None:
    response, body = invoke(lam, "BadImport")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert "module_that_does_not_exist" in body["errorMessage"]


def test_official_awslambdaric_runs_unmodified(lam: Any) -> None:
    response, body = invoke(lam, "Ric", {"k": "v"})
    assert "FunctionError" not in response
    assert body == {
        "event": {"k": "v"},
        "request_id": response["ResponseMetadata"]["RequestId"],
        "handler": "app.hello",
    }
    response, body = invoke(lam, "Ric", {"fail": True})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "RuntimeError"


def test_list_and_get_function(lam: Any) -> None:
    names = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    assert {"Hello", "Fail", "Slow", "Crash", "Ric"} <= names
    config = lam.get_function(FunctionName="Slow")["Configuration"]
    assert (config["Timeout"], config["Runtime"], config["Handler"]) == (
        1,
        "python3.12",
        "app.slow",
    )


def test_stopping_lambdock_stops_every_runtime_it_started(basic: Lambdock, lam: Any) -> None:
    pid = invoke(lam, "Hello")[1]["pid"]
    os.kill(pid, 0)  # alive while lambdock runs
    # Ctrl-C: uvicorn shuts down gracefully, then re-raises the signal (exit 130 or -SIGINT).
    assert basic.stop() in (0, 130, -signal.SIGINT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
