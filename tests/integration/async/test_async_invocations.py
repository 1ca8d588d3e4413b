"""Async invocations through a real `lambdock up --backend process --retry-delay 0.01`.

Handlers run under lambdock's bundled Python runtime client and write what they saw under a
folder the test reads. Sources, named per test:
- [RETRIES] Lambda Developer Guide, "How Lambda handles errors and retries with asynchronous
  invocation": a failing event is tried three times in all by default.
- [RECORDS] Lambda Developer Guide, "Capturing records of Lambda asynchronous invocations": the
  record a Lambda destination is invoked with.
- [DURABLE] Issue 6: an event answered 202 survives a SIGKILL and runs after the next
  `lambdock up` on the same project (at-least-once, as on AWS).
- [EB-TUTORIAL] EventBridge User Guide, "Tutorial: Schedule AWS Lambda functions using
  EventBridge": the "Scheduled Event" a rule's target gets.
"""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

from tests.support import REPO, Lambdock, free_port

from .conftest import AsyncProject, admin, invoke_event, wait_until

ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}:$LATEST"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def record_for(project: AsyncProject, request_id: str) -> dict[str, Any] | None:
    for seen in project.written("Recorder"):
        if seen["event"]["requestContext"]["requestId"] == request_id:
            event: dict[str, Any] = seen["event"]
            return event
    return None


def test_a_failing_event_is_tried_three_times_then_sent_to_on_failure(
    project: AsyncProject, lambdock: Lambdock
) -> None:
    # [RETRIES] [RECORDS]
    request_id = invoke_event(lambdock, "Failing", {"why": "integration"})
    record = wait_until(lambda: record_for(project, request_id), "the OnFailure record")
    attempts = project.written("Failing", kind="attempt")
    assert [a["request_id"] for a in attempts] == [request_id] * 3
    assert TIMESTAMP.fullmatch(record.pop("timestamp"))
    response = record.pop("responsePayload")
    assert (response["errorType"], response["errorMessage"]) == (
        "ValueError",
        "failed on purpose: integration",
    )
    assert record == {
        "version": "1.0",
        "requestContext": {
            "requestId": request_id,
            "functionArn": ARN.format("Failing"),
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": {"why": "integration"},
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
    }
    event = admin(lambdock, f"async-events/{request_id}")
    assert (event["state"], event["attempts"], event["condition"]) == (
        "failed",
        3,
        "RetriesExhausted",
    )
    assert event["lastError"] == "ValueError: failed on purpose: integration"


def test_a_succeeding_event_is_sent_to_on_success(
    project: AsyncProject, lambdock: Lambdock
) -> None:
    # [RECORDS]
    request_id = invoke_event(lambdock, "Succeeding", {"n": 42})
    record = wait_until(lambda: record_for(project, request_id), "the OnSuccess record")
    assert TIMESTAMP.fullmatch(record.pop("timestamp"))
    assert record == {
        "version": "1.0",
        "requestContext": {
            "requestId": request_id,
            "functionArn": ARN.format("Succeeding"),
            "condition": "Success",
            "approximateInvokeCount": 1,
        },
        "requestPayload": {"n": 42},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "responsePayload": {"ok": {"n": 42}},
    }


def test_an_event_past_its_maximum_age_is_sent_to_on_failure(
    project: AsyncProject, lambdock: Lambdock
) -> None:
    # [RETRIES] MaximumEventAgeInSeconds 60: the one-minute retry would pass it (0.6 s at 0.01)
    request_id = invoke_event(lambdock, "Aging", {"why": "too old"})
    record = wait_until(lambda: record_for(project, request_id), "the EventAgeExceeded record")
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": ARN.format("Aging"),
        "condition": "EventAgeExceeded",
        "approximateInvokeCount": 1,
    }
    assert len(project.written("Aging", kind="attempt")) == 1


def test_an_accepted_event_survives_sigkill_and_runs_after_restart(project: AsyncProject) -> None:
    # [DURABLE] the handler sleeps 1.5 s before it writes, so the kill comes first
    first = project.up()
    request_id = invoke_event(first, "Durable", {"seconds": 1.5})
    project.kill(first)
    second = project.up()

    def written_under_second() -> list[dict[str, Any]]:
        return [r for r in project.written("Durable") if r["ppid"] == second.process.pid]

    [seen] = wait_until(written_under_second, "the event to run after the restart")
    assert seen["event"] == {"seconds": 1.5}
    assert all(r["ppid"] != first.process.pid for r in project.written("Durable"))
    event = wait_until(
        lambda: (e := admin(second, f"async-events/{request_id}"))["state"] == "succeeded" and e,
        "the event to be marked succeeded",
    )
    assert event["attempts"] == 1


def test_a_schedule_is_listed_and_fired_by_hand(project: AsyncProject, lambdock: Lambdock) -> None:
    # [EB-TUTORIAL]
    [schedule] = admin(lambdock, "schedules")["schedules"]
    assert (schedule["name"], schedule["expression"], schedule["enabled"]) == (
        "tick",
        "rate(1 hour)",
        True,
    )
    assert TIMESTAMP.fullmatch(schedule["nextFiring"])
    listing = subprocess.run(
        [sys.executable, "-m", "emulator", "schedule", "list", "--url", lambdock.base_url],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    row = r"^tick\s+Schedule\s+Ticker\s+rate\(1 hour\)\s+UTC\s+enabled\s+\d{4}-"
    assert re.search(row, listing.stdout, re.M), listing.stdout
    fired = subprocess.run(
        [sys.executable, "-m", "emulator", "schedule", "fire", "tick", "--url", lambdock.base_url],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert re.fullmatch(r"fired tick: async event [0-9a-f-]{36}\n", fired.stdout), fired.stdout
    [seen] = wait_until(lambda: project.written("Ticker"), "the scheduled event")
    event = seen["event"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event.pop("time"))
    assert event.pop("id")
    assert event == {
        "version": "0",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/tick"],
        "detail": {},
    }


def test_schedule_list_reads_the_template_when_no_lambdock_answers(project: AsyncProject) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    command = [sys.executable, "-m", "emulator", "schedule", "list", "--url", nobody]
    command += ["--template", str(project.project / "template.yaml")]
    command += ["--parameter-overrides", f"RecordDir={project.records}"]
    listing = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=30, check=True
    )
    lines = listing.stdout.splitlines()
    assert lines[0] == f"(no lambdock answers at {nobody}: next firings if it started now)"
    assert re.match(r"NAME\s+TYPE\s+FUNCTION\s+EXPRESSION\s+TIMEZONE\s+STATE\s+NEXT", lines[1])
    assert re.match(r"tick\s+Schedule\s+Ticker\s+rate\(1 hour\)\s+UTC\s+enabled\s+\d{4}-", lines[2])
