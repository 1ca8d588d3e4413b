"""S3 triggers: SAM `S3` events of a template, and the sink that queues one invocation per event
and matching subscription, however many copies of the event MinIO posts.

The MinIO posts are those under tests/fixtures/events/s3/ (captured from the pinned MinIO);
the recorded audit entry of a write made inside a function is minio-audit-put.json.
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from emulator.errors import TemplateError
from emulator.events.s3 import S3Subscription, generated_configuration_id, s3_event
from emulator.invoker import InvocationRequest
from emulator.storage.audit import TraceLog
from emulator.storage.notifications import ObjectNotification, parse_webhook_body
from emulator.template import Template, load_template
from emulator.triggers.recursion import function_hash
from emulator.triggers.s3 import S3EventSink, S3Trigger, s3_triggers

FIXTURES = Path(__file__).parents[2] / "fixtures" / "events" / "s3"
HEADER = 'AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31\n'
TEMPLATE = """
Resources:
  Incoming:
    Type: AWS::S3::Bucket
    Properties: {BucketName: incoming}
  Csv:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src
      Events:
        Uploads:
          Type: S3
          Properties:
            Bucket: !Ref Incoming
            Events: s3:ObjectCreated:*
            Filter:
              S3Key:
                Rules: [{Name: prefix, Value: uploads/}, {Name: suffix, Value: .csv}]
  Removals:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src
      Events:
        Gone:
          Type: S3
          Properties: {Bucket: !Ref Incoming, Events: [s3:ObjectRemoved:Delete]}
"""
CSV_ARN = "arn:aws:lambda:us-east-1:123456789012:function:Csv"
# The eventTime of minio-webhook-put.json, plus one second.
NOW = datetime.fromisoformat("2026-11-28T09:23:52.447+00:00").timestamp()


def load(tmp_path: Path, body: str = TEMPLATE) -> Template:
    (tmp_path / "src").mkdir(exist_ok=True)
    path = tmp_path / "template.yaml"
    path.write_text(HEADER + textwrap.dedent(body))
    return load_template(path)


def notification(name: str = "put", *, immediate: bool = False) -> ObjectNotification:
    body = (FIXTURES / f"minio-webhook-{name}.json").read_bytes()
    (found,) = parse_webhook_body(body, immediate=immediate)
    return found


class FixedClock:
    def time(self) -> float:
        return NOW

    def monotonic(self) -> float:
        return 0.0


class Queue:
    """Keeps what the sink submits, or fails on demand."""

    def __init__(self) -> None:
        self.requests: list[InvocationRequest] = []
        self.fail = False

    async def submit(self, request: InvocationRequest) -> None:
        if self.fail:
            raise RuntimeError("queue unavailable")
        self.requests.append(request)


def sink_for(template: Template, queue: Queue, traces: TraceLog | None = None) -> S3EventSink:
    return S3EventSink(
        lambda: template, queue.submit, traces or TraceLog(), clock=FixedClock(), audit_wait=0.5
    )


def test_the_template_s_s3_events_become_triggers_on_its_buckets(tmp_path: Path) -> None:
    assert s3_triggers(load(tmp_path)) == (
        S3Trigger(
            function_name="Csv",
            function_arn=CSV_ARN,
            event_name="Uploads",
            subscription=S3Subscription(
                bucket="incoming",
                events=("s3:ObjectCreated:*",),
                prefix="uploads/",
                suffix=".csv",
                configuration_id=generated_configuration_id("Csv", "Uploads"),
            ),
        ),
        S3Trigger(
            function_name="Removals",
            function_arn="arn:aws:lambda:us-east-1:123456789012:function:Removals",
            event_name="Gone",
            subscription=S3Subscription(
                bucket="incoming",
                events=("s3:ObjectRemoved:Delete",),
                prefix=None,
                suffix=None,
                configuration_id=generated_configuration_id("Removals", "Gone"),
            ),
        ),
    )


def test_an_event_on_a_bucket_the_template_does_not_define_names_the_event(
    tmp_path: Path,
) -> None:
    template = load(tmp_path, TEMPLATE.replace("Bucket: !Ref Incoming,", "Bucket: elsewhere,"))
    with pytest.raises(TemplateError) as raised:
        s3_triggers(template)
    assert str(raised.value) == (
        f"{template.path}, resource Removals, property Events.Gone: "
        "S3 event Bucket 'elsewhere' is not an AWS::S3::Bucket of this template"
    )


async def test_an_event_queues_one_async_invocation_with_aws_s_record(tmp_path: Path) -> None:
    queue = Queue()
    sink = sink_for(load(tmp_path), queue)
    await sink(notification("put"))
    (request,) = queue.requests
    expected = s3_event(
        notification("put").record,
        region="us-east-1",
        configuration_id=generated_configuration_id("Csv", "Uploads"),
    )
    assert (request.function_name, request.invocation_type) == ("Csv", "Event")
    assert json.loads(request.payload) == expected
    assert (
        request.trace_id is not None and f"Lineage={function_hash(CSV_ARN)}:0" in request.trace_id
    )


async def test_the_immediate_copy_is_queued_and_the_queued_copy_dropped(tmp_path: Path) -> None:
    queue = Queue()
    sink = sink_for(load(tmp_path), queue)
    await sink(notification("put", immediate=True))
    await sink(notification("put"))
    assert [r.function_name for r in queue.requests] == ["Csv"]
    assert sink.status() == {
        "subscriptions": 2,
        "events": 1,
        "invocations": 1,
        "duplicates": 1,
        "immediate": 1,
        "queued": 0,
        "unmatched": 0,
        "recursive_loops_stopped": 0,
    }


async def test_a_queued_copy_first_makes_the_late_immediate_copy_a_duplicate(
    tmp_path: Path,
) -> None:
    queue = Queue()
    sink = sink_for(load(tmp_path), queue)
    await sink(notification("put"))
    await sink(notification("put", immediate=True))
    assert len(queue.requests) == 1
    assert sink.status()["duplicates"] == 1


async def test_when_the_immediate_copy_fails_the_queued_copy_is_queued(tmp_path: Path) -> None:
    queue = Queue()
    sink = sink_for(load(tmp_path), queue)
    queue.fail = True
    await sink(notification("put", immediate=True))
    await asyncio.sleep(0)  # the immediate copy runs in the background, and fails
    queue.fail = False
    await sink(notification("put"))
    assert len(queue.requests) == 1
    assert (sink.status()["immediate"], sink.status()["queued"]) == (0, 1)


async def test_a_queued_copy_that_cannot_be_queued_raises_so_minio_posts_it_again(
    tmp_path: Path,
) -> None:
    queue = Queue()
    sink = sink_for(load(tmp_path), queue)
    queue.fail = True
    with pytest.raises(RuntimeError, match="queue unavailable"):
        await sink(notification("put"))
    queue.fail = False
    await sink(notification("put"))
    assert len(queue.requests) == 1


async def test_events_no_subscription_matches_invoke_nothing(tmp_path: Path) -> None:
    queue = Queue()
    template = load(tmp_path, TEMPLATE.replace("Value: .csv", "Value: .json"))
    sink = sink_for(template, queue)
    await sink(notification("put"))
    await sink(notification("copy"))
    assert queue.requests == []
    assert sink.status()["unmatched"] == 2


async def test_a_removal_goes_to_the_removal_subscription_only(tmp_path: Path) -> None:
    queue = Queue()
    sink = sink_for(load(tmp_path), queue)
    await sink(notification("delete"))
    assert [r.function_name for r in queue.requests] == ["Removals"]


async def test_a_write_from_a_function_continues_the_writer_s_chain(tmp_path: Path) -> None:
    queue, traces = Queue(), TraceLog()
    audit = json.loads((FIXTURES / "minio-audit-put.json").read_text())
    audit["requestID"] = notification("put").record["responseElements"]["x-amz-request-id"]
    traces.record(json.dumps(audit).encode())
    sink = sink_for(load(tmp_path), queue, traces)
    await sink(notification("put"))
    (request,) = queue.requests
    assert request.trace_id is not None
    assert request.trace_id.startswith("Root=1-6b0aa2bc-f6c189886bfe9c18677984cd;")
    assert request.trace_id.endswith(f";Sampled=0;Lineage=a15dc798:3|{function_hash(CSV_ARN)}:0")


async def test_the_seventeenth_invocation_of_a_chain_is_stopped(tmp_path: Path) -> None:
    queue, traces = Queue(), TraceLog()
    request_id = notification("put").record["responseElements"]["x-amz-request-id"]
    trace = f"Root=1-6b0aa2bc-f6c189886bfe9c18677984cd;Lineage={function_hash(CSV_ARN)}:15"
    entry = {"requestID": request_id, "api": {"name": "PutObject"}}
    traces.record(json.dumps({**entry, "requestHeader": {"X-Amzn-Trace-Id": trace}}).encode())
    sink = sink_for(load(tmp_path), queue, traces)
    await sink(notification("put"))
    assert queue.requests == []
    assert sink.status()["recursive_loops_stopped"] == 1


async def test_a_reloaded_template_s_subscriptions_apply_to_later_events(tmp_path: Path) -> None:
    queue = Queue()
    templates = [load(tmp_path)]
    sink = S3EventSink(lambda: templates[-1], queue.submit, TraceLog(), clock=FixedClock())
    templates.append(replace(templates[0], functions={}))
    await sink(notification("put"))
    assert queue.requests == []


async def test_closing_cancels_immediate_copies_still_waiting_for_their_audit_entry(
    tmp_path: Path,
) -> None:
    queue = Queue()
    sink = sink_for(load(tmp_path), queue, TraceLog(expected=True))
    await sink(notification("put", immediate=True))
    await asyncio.sleep(0)
    await sink.close()
    assert queue.requests == []
    assert sink.status()["events"] == 0


async def test_a_reloaded_template_with_a_refused_s3_event_keeps_the_last_subscriptions(
    tmp_path: Path,
) -> None:
    queue, notices = Queue(), []
    good = load(tmp_path)
    templates = [good]
    sink = S3EventSink(
        lambda: templates[-1], queue.submit, TraceLog(), clock=FixedClock(), notify=notices.append
    )
    sink.triggers()
    templates.append(load(tmp_path, TEMPLATE.replace("s3:ObjectCreated:*", "s3:ObjectMade:*")))
    await sink(notification("put"))
    assert [r.function_name for r in queue.requests] == ["Csv"]
    assert notices == [
        f"{templates[-1].path}, resource Csv, property Events.Uploads: The event is not "
        "supported for notifications: 's3:ObjectMade:*'; S3 triggers stay as they were"
    ]
