"""Handlers that fail in every way a process can, through a real `lambdock up --backend
process`: each invocation fails as Lambda reports it, lambdock keeps serving, and no process or
file is left behind.

How Lambda reports each failure: AWS Lambda developer guide, "Troubleshoot invocation issues"
(Runtime.ExitError "Runtime exited with error: signal: killed" when a function runs out of
memory; Sandbox.Timedout "Task timed out after N seconds"), and "Lambda quotas" (1,024
execution processes/threads).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from tests.integration.reliability import procfs
from tests.integration.reliability.conftest import Served


def invoke(served: Served, name: str, event: Any = None, **kwargs: Any) -> tuple[dict, Any]:
    response = served.lam.invoke(FunctionName=name, Payload=json.dumps(event or {}), **kwargs)
    raw = response["Payload"].read()
    return response, json.loads(raw) if raw else None


@dataclass(frozen=True)
class Baseline:
    """What lambdock holds while idle and warm: its child processes and open files."""

    children: int
    files: int


def warm_baseline(served: Served) -> Baseline:
    """Warm Hello, then note what lambdock holds."""
    response, body = invoke(served, "Hello", {"name": "before"})
    assert "FunctionError" not in response and body["hello"] == "before"
    return Baseline(len(procfs.children(served.pid)), procfs.open_files(served.pid))


def assert_served_and_nothing_leaked(served: Served, function: str, baseline: Baseline) -> None:
    """lambdock still answers, the failed function left no process, lambdock no file or child."""
    response, body = invoke(served, "Hello", {"name": "after"})
    assert "FunctionError" not in response and body["hello"] == "after"
    procfs.wait_until(
        lambda: not procfs.environment_processes(served.project, function) or None,
        f"{function}'s processes to be gone",
    )
    procfs.wait_until(
        lambda: len(procfs.children(served.pid)) == baseline.children,
        "lambdock's children back to the baseline",
    )
    procfs.wait_until(
        lambda: procfs.open_files(served.pid) == baseline.files,
        "lambdock's open files back to the baseline",
    )


def test_crash_is_runtime_exit_error_and_nothing_is_left(faults: Served) -> None:
    baseline = warm_baseline(faults)
    response, body = invoke(faults, "Crash")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Error: Runtime exited with error: signal: aborted")
    assert_served_and_nothing_leaked(faults, "Crash", baseline)


def test_hang_past_the_timeout_is_sandbox_timedout_and_the_process_is_killed(
    faults: Served,
) -> None:
    baseline = warm_baseline(faults)
    response, body = invoke(faults, "Hang")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].startswith("RequestId: ")
    assert "Task timed out after 2." in body["errorMessage"]
    assert_served_and_nothing_leaked(faults, "Hang", baseline)


def test_memory_over_memory_size_is_killed_as_lambdas_oom_killer_does(faults: Served) -> None:
    baseline = warm_baseline(faults)
    response, body = invoke(faults, "Hog", LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Error: Runtime exited with error: signal: killed")
    log = base64.b64decode(response["LogResult"]).decode()
    assert "over its MemorySize of 128 MB; killing it as Lambda would" in log
    assert "\tMemory Size: 128 MB\t" in log
    assert_served_and_nothing_leaked(faults, "Hog", baseline)


def test_one_allocation_far_over_memory_size_fails_at_once_with_memory_error(
    faults: Served,
) -> None:
    # The process backend's backstop (RLIMIT_DATA = MemorySize + 1 GB) refuses the mapping, so
    # Python raises MemoryError where Lambda's cgroup would kill the runtime as it touched the
    # pages: the invocation fails either way; the error type is where the two differ. The
    # runtime survives a handler's error, so its environment stays warm and serves again.
    first, _ = invoke(faults, "BigAlloc")
    baseline = warm_baseline(faults)
    response, body = invoke(faults, "BigAlloc")
    assert response["FunctionError"] == "Unhandled" == first["FunctionError"]
    assert body["errorType"] == "MemoryError"
    assert len(procfs.environment_processes(faults.project, "BigAlloc")) == 1
    assert len(procfs.children(faults.pid)) == baseline.children
    assert procfs.open_files(faults.pid) == baseline.files


def test_forking_without_end_is_stopped_at_lambdas_task_quota_and_every_child_dies(
    faults: Served,
) -> None:
    baseline = warm_baseline(faults)
    response, body = invoke(faults, "Forker", LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Error: Runtime exited with error: signal: killed")
    log = base64.b64decode(response["LogResult"]).decode()
    assert "more than 1024 processes and threads (Lambda's quota)" in log
    assert_served_and_nothing_leaked(faults, "Forker", baseline)


def test_runtime_that_cuts_its_response_and_exits_is_runtime_exit_error(faults: Served) -> None:
    baseline = warm_baseline(faults)
    response, body = invoke(faults, "Rude", {"mode": "truncate-exit"})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Error: Runtime exited with error: exit status 7")
    assert_served_and_nothing_leaked(faults, "Rude", baseline)


def test_runtime_that_cuts_its_response_and_stays_is_timed_out(faults: Served) -> None:
    # A Runtime API connection is not tied to an invocation: an answer cut off mid-body is no
    # answer, and the invocation runs on until the function's timeout, as on Lambda.
    baseline = warm_baseline(faults)
    response, body = invoke(faults, "Rude", {"mode": "truncate-hang"})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert_served_and_nothing_leaked(faults, "Rude", baseline)


def test_garbage_on_the_runtime_api_does_not_disturb_the_invocation(faults: Served) -> None:
    response, body = invoke(faults, "Rude", {"mode": "garbage"})
    assert "FunctionError" not in response
    assert body["mode"] == "garbage"
    # The same environment serves the next invocation: the garbage did not break it.
    _, again = invoke(faults, "Rude", {"mode": "ok"})
    assert again["pid"] == body["pid"]


def test_answering_a_request_id_that_is_not_the_current_one_is_refused(faults: Served) -> None:
    response, body = invoke(faults, "Rude", {"mode": "wrong-id"}, LogType="Tail")
    assert "FunctionError" not in response and body["mode"] == "wrong-id"
    log = base64.b64decode(response["LogResult"]).decode()
    assert 'rude runtime: wrong id answered 400 {"errorMessage": "Invalid request ID: not-' in log
