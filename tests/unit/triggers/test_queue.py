"""The durable queue stepped with a fake clock: Lambda's retry policy, event age, destinations.

Sources, named per test:
- [RETRIES] Lambda Developer Guide, "How Lambda handles errors and retries with asynchronous
  invocation": two retries by default, one then two minutes apart; throttles backed off from 1 s
  up to 5 minutes while the event is younger than MaximumEventAgeInSeconds.
- [RECORDS] Lambda Developer Guide, "Capturing records of Lambda asynchronous invocations": the
  invocation record a destination gets; a Lambda destination is invoked asynchronously with it;
  an S3 destination (on failure only) gets it as an object under aws/lambda/async/<function>/.
- [OURS] lambdock's own: `retry_delay_scale` runs the policy's whole timeline faster.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from emulator.errors import TooManyRequests
from emulator.invoker import InvocationRequest
from emulator.template.models import Template
from emulator.triggers.async_events import DeliveryState, EventState
from emulator.triggers.queue import DurableQueue, QueueSettings
from tests.fakes import FakeClock
from tests.unit.triggers.conftest import FakeInvoker, Timeout, counter, write_template

START = 1_700_000_000.0  # 2023-11-14T22:13:20Z, the fake clock's start
RECORDER = """\
Recorder:
  Type: AWS::Serverless::Function
  Properties:
    Handler: app.recorder
    Runtime: python3.12
    CodeUri: src
"""


def worker(invoke_config: str = "", **properties: str) -> str:
    lines = [
        "Worker:",
        "  Type: AWS::Serverless::Function",
        "  Properties:",
        "    Handler: app.worker",
        "    Runtime: python3.12",
        "    CodeUri: src",
    ]
    lines += [f"    {key}: {value}" for key, value in properties.items()]
    if invoke_config:
        lines.append("    EventInvokeConfig:")
        lines += [f"      {line}" for line in invoke_config.strip().splitlines()]
    return "\n".join(lines) + "\n"


TO_RECORDER = """\
DestinationConfig:
  OnSuccess:
    Type: Lambda
    Destination: !GetAtt Recorder.Arn
  OnFailure:
    Type: Lambda
    Destination: !GetAtt Recorder.Arn
"""


def fail(event: Any) -> Any:
    raise ValueError(f"failed on {event['n']}")


def echo(event: Any) -> Any:
    return {"got": event}


def throttle(event: Any) -> Any:
    raise TooManyRequests(reason="ReservedFunctionConcurrentInvocationLimitExceeded")


class Harness:
    def __init__(self, tmp_path: Path, template: Template, handlers: dict[str, Any], **kw: Any):
        self.clock = FakeClock(START)
        self.invoker = FakeInvoker({"Recorder": lambda event: None, **handlers})
        settings = QueueSettings(path=tmp_path / ".lambdock" / "queue.sqlite3", **kw)
        self.queue = DurableQueue(
            self.invoker,  # type: ignore[arg-type]
            lambda: template,
            settings,
            clock=self.clock,
            request_ids=counter("id"),
        )

    async def submit(
        self, payload: Any, function: str = "Worker", request_id: str = "req-1"
    ) -> None:
        request = InvocationRequest(function, json.dumps(payload).encode(), "Event", request_id)
        await self.queue.submit(request)

    async def run_until_quiet(self, limit: int = 50) -> None:
        """Run due events, moving the clock to the next one, until nothing is left."""
        for _ in range(limit):
            await self.queue.run_due()
            due = self.queue.store.next_due_at()
            if due is None:
                return
            self.clock.advance(max(0.0, due - self.clock.time()))
        raise AssertionError("the queue did not settle")

    def state(self, request_id: str = "req-1") -> Any:
        return self.queue.store.get(request_id)

    def timed(self, handler: Any) -> list[float]:
        """Run the Worker with `handler`, noting the clock's time (from START) at each attempt."""
        seen: list[float] = []

        def noting(event: Any) -> Any:
            seen.append(self.clock.time() - START)
            return handler(event)

        self.invoker.handlers["Worker"] = noting
        return seen


def recorded(harness: Harness) -> list[Any]:
    return harness.invoker.events_of("Recorder")


async def test_a_failing_event_is_tried_three_times_a_minute_then_two_apart(tmp_path: Path) -> None:
    # [RETRIES]
    template = write_template(tmp_path, worker(TO_RECORDER) + RECORDER)
    harness = Harness(tmp_path, template, {})
    seen = harness.timed(fail)
    await harness.submit({"n": 7})
    await harness.run_until_quiet()
    assert seen == [0.0, 60.0, 180.0]
    assert recorded(harness) == [
        {
            "version": "1.0",
            "timestamp": "2023-11-14T22:16:20.000Z",
            "requestContext": {
                "requestId": "req-1",
                "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:Worker:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3,
            },
            "requestPayload": {"n": 7},
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {"errorMessage": "failed on 7", "errorType": "ValueError"},
        }
    ]
    event = harness.state()
    assert (event.state, event.invoke_count, event.condition) == (
        EventState.FAILED,
        3,
        "RetriesExhausted",
    )
    assert event.last_error == "ValueError: failed on 7"


async def test_every_attempt_keeps_the_request_id_the_202_gave(tmp_path: Path) -> None:
    # Lambda's retries of an async event carry the same request id (AWS Knowledge Center,
    # "How do I prevent duplicate Lambda function invocations?").
    template = write_template(tmp_path, worker("MaximumRetryAttempts: 1"))
    harness = Harness(tmp_path, template, {"Worker": fail})
    await harness.submit({"n": 1})
    await harness.run_until_quiet()
    assert [call.request_id for call in harness.invoker.calls] == ["req-1", "req-1"]
    assert {call.invocation_type for call in harness.invoker.calls} == {"Event"}


async def test_a_timeout_is_retried_like_a_function_error(tmp_path: Path) -> None:
    # [RETRIES] "function errors (including timeouts)"
    template = write_template(tmp_path, worker("MaximumRetryAttempts: 1"))

    def time_out(event: Any) -> Any:
        raise Timeout

    harness = Harness(tmp_path, template, {"Worker": time_out})
    await harness.submit({"n": 1})
    await harness.run_until_quiet()
    event = harness.state()
    assert (event.invoke_count, event.state) == (2, EventState.FAILED)
    assert event.last_error.startswith("Sandbox.Timedout: RequestId: req-1 Error: Task timed out")


async def test_success_sends_the_on_success_record_without_function_error(tmp_path: Path) -> None:
    # [RECORDS]
    template = write_template(tmp_path, worker(TO_RECORDER) + RECORDER)
    harness = Harness(tmp_path, template, {"Worker": echo})
    await harness.submit({"n": 1})
    await harness.run_until_quiet()
    assert recorded(harness) == [
        {
            "version": "1.0",
            "timestamp": "2023-11-14T22:13:20.000Z",
            "requestContext": {
                "requestId": "req-1",
                "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:Worker:$LATEST",
                "condition": "Success",
                "approximateInvokeCount": 1,
            },
            "requestPayload": {"n": 1},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
            "responsePayload": {"got": {"n": 1}},
        }
    ]
    destination_call = harness.invoker.calls[-1]
    assert (destination_call.function_name, destination_call.invocation_type) == (
        "Recorder",
        "Event",
    )
    assert harness.queue.store.get(destination_call.request_id or "").source == "destination"


async def test_no_destination_means_no_record(tmp_path: Path) -> None:
    template = write_template(tmp_path, worker("MaximumRetryAttempts: 0") + RECORDER)
    harness = Harness(tmp_path, template, {"Worker": fail})
    await harness.submit({"n": 1})
    await harness.run_until_quiet()
    assert recorded(harness) == []
    assert harness.queue.store.counts()["failed"] == 1


async def test_a_retry_past_the_maximum_age_gives_up_with_event_age_exceeded(
    tmp_path: Path,
) -> None:
    # [RETRIES] the second retry (two minutes on) would fall past 60 s: given up now.
    config = "MaximumEventAgeInSeconds: 60\n" + TO_RECORDER
    template = write_template(tmp_path, worker(config) + RECORDER)
    harness = Harness(tmp_path, template, {"Worker": fail})
    await harness.submit({"n": 1})
    await harness.run_until_quiet()
    record = recorded(harness)[0]
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert harness.state().condition == "EventAgeExceeded"


async def test_an_event_too_old_when_taken_is_not_run(tmp_path: Path) -> None:
    # [RETRIES] an event past MaximumEventAgeInSeconds is discarded (lambdock was down meanwhile)
    config = "MaximumEventAgeInSeconds: 60\n" + TO_RECORDER
    template = write_template(tmp_path, worker(config) + RECORDER)
    harness = Harness(tmp_path, template, {"Worker": echo})
    await harness.submit({"n": 1})
    harness.clock.advance(61)
    await harness.run_until_quiet()
    assert [c.function_name for c in harness.invoker.calls] == ["Recorder"]
    assert recorded(harness)[0]["requestContext"] == {
        "requestId": "req-1",
        "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:Worker:$LATEST",
        "condition": "EventAgeExceeded",
        "approximateInvokeCount": 0,
    }
    assert "responseContext" not in recorded(harness)[0]


async def test_throttles_back_off_doubling_and_use_no_retry_attempts(tmp_path: Path) -> None:
    # [RETRIES] 1, 2, 4, 8, 16, 32 s: the next wait (32 s at age 31 s) passes 60 s
    config = "MaximumEventAgeInSeconds: 60\n" + TO_RECORDER
    template = write_template(tmp_path, worker(config) + RECORDER)
    harness = Harness(tmp_path, template, {})
    seen = harness.timed(throttle)
    await harness.submit({"n": 1})
    await harness.run_until_quiet()
    assert seen == [0, 1, 3, 7, 15, 31]
    record = recorded(harness)[0]
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert harness.state().last_error == "TooManyRequestsException: Rate Exceeded."


async def test_retry_delay_scale_shrinks_waits_and_ages_alike(tmp_path: Path) -> None:
    # [OURS] at 0.01, one minute is 0.6 s and a 60 s maximum age 0.6 s: the same decisions
    config = "MaximumEventAgeInSeconds: 60\n" + TO_RECORDER
    template = write_template(tmp_path, worker(config) + RECORDER)
    harness = Harness(tmp_path, template, {}, retry_delay_scale=0.01)
    seen = harness.timed(fail)
    await harness.submit({"n": 1})
    await harness.run_until_quiet()
    assert [round(t, 6) for t in seen] == [0.0, 0.6]
    assert recorded(harness)[0]["requestContext"]["condition"] == "EventAgeExceeded"


async def test_an_event_for_a_function_no_longer_served_fails_without_record(
    tmp_path: Path,
) -> None:
    template = write_template(tmp_path, RECORDER)
    harness = Harness(tmp_path, template, {})
    await harness.submit({"n": 1}, function="Gone")
    await harness.run_until_quiet()
    event = harness.state()
    assert (event.state, event.invoke_count) == (EventState.FAILED, 0)
    assert event.last_error == "ResourceNotFoundException: Function not found: Gone"
    assert harness.invoker.calls == []


async def test_no_more_attempts_at_once_than_the_function_may_run(tmp_path: Path) -> None:
    template = write_template(tmp_path, worker(ReservedConcurrentExecutions="1"))
    harness = Harness(tmp_path, template, {"Worker": echo})
    for n in range(3):
        await harness.submit({"n": n}, request_id=f"req-{n}")
    assert await harness.queue.run_due() == 1
    assert harness.queue.store.counts()["queued"] == 2


class Writer:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.objects: dict[tuple[str, str], bytes] = {}

    async def put_object(self, bucket: str, key: str, body: bytes) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("S3 endpoint refused the connection")
        self.objects[bucket, key] = body


S3_ON_FAILURE = """\
MaximumRetryAttempts: 0
DestinationConfig:
  OnFailure:
    Type: S3
    Destination: !GetAtt Failures.Arn
"""
BUCKET = """\
Failures:
  Type: AWS::S3::Bucket
  Properties:
    BucketName: failures
"""


async def test_an_s3_destination_gets_the_record_as_an_object(tmp_path: Path) -> None:
    # [RECORDS]
    template = write_template(tmp_path, worker(S3_ON_FAILURE) + BUCKET)
    harness = Harness(tmp_path, template, {"Worker": fail})
    writer = Writer(failures=1)
    harness.queue.object_writer = writer
    await harness.submit({"n": 1})
    await harness.run_until_quiet()
    [(bucket, key)] = writer.objects
    assert bucket == "failures"
    assert re.fullmatch(r"aws/lambda/async/Worker/2023/11/14/2023-11-14T22\.13\.20-id-\d+", key), (
        key
    )
    record = json.loads(writer.objects[bucket, key])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    [delivery] = harness.queue.store.deliveries()
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 2)


async def test_an_s3_record_with_nowhere_to_go_is_given_up_after_bounded_attempts(
    tmp_path: Path,
) -> None:
    template = write_template(tmp_path, worker(S3_ON_FAILURE) + BUCKET)
    harness = Harness(tmp_path, template, {"Worker": fail}, delivery_attempts=3)
    await harness.submit({"n": 1})
    await harness.run_until_quiet()
    [delivery] = harness.queue.store.deliveries()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 3)
    assert delivery.last_error == (
        "LookupError: no S3 storage is configured to write destination records to"
    )


async def test_only_the_queue_owning_the_file_runs_events(tmp_path: Path) -> None:
    # [OURS] two lambdocks on one project: one runs the events, the other takes over later
    template = write_template(tmp_path, worker())
    owner = Harness(tmp_path, template, {"Worker": echo})
    other = Harness(tmp_path, template, {"Worker": echo})
    assert owner.queue.store.try_own()
    await other.submit({"n": 1})
    assert await other.queue.run_due() == 0
    assert await owner.queue.run_due() == 1
    await owner.queue.close()
    await other.submit({"n": 2}, request_id="req-2")
    assert await other.queue.run_due() == 1
    assert [json.loads(c.payload) for c in owner.invoker.calls + other.invoker.calls] == [
        {"n": 1},
        {"n": 2},
    ]
