"""The S3 destination against a real MinIO: records written as objects, failures made readable.

Sources: [RECORDS] Lambda Developer Guide, "Capturing records of Lambda asynchronous
invocations": an S3 on-failure destination gets the invocation record as a JSON object named
aws/lambda/async/<function-name>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>.
The MinIO binary comes from LAMBDOCK_MINIO_BIN; without it the tests fail (never skip).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.errors import StorageError
from emulator.invoker import InvocationRequest
from emulator.storage.buckets import create_buckets
from emulator.storage.endpoint import S3Endpoint, minio_client
from emulator.storage.minio_server import (
    BINARY_ENV,
    HOW_TO_GET_MINIO,
    MinioServer,
    MinioServerConfig,
)
from emulator.triggers.object_writer import S3ObjectWriter
from emulator.triggers.queue import DurableQueue, QueueSettings
from tests.fakes import FakeClock
from tests.unit.triggers.conftest import FakeInvoker, counter, write_template

BUCKET = "failures"


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """A MinIO of this module's own, with the `failures` bucket."""
    binary = os.environ.get(BINARY_ENV)
    if not binary:
        pytest.fail(f"{BINARY_ENV} is not set: {HOW_TO_GET_MINIO}", pytrace=False)
    root = tmp_path_factory.mktemp("minio")
    server = MinioServer(MinioServerConfig(data_dir=root / "data", binary=Path(binary)))
    endpoint = asyncio.run(server.start())
    try:
        asyncio.run(create_buckets(endpoint, [BUCKET]))
        yield endpoint
    finally:
        asyncio.run(server.stop())


def read(endpoint: S3Endpoint, key: str) -> bytes:
    with minio_client(endpoint) as client:
        response = client.get_object(BUCKET, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()


async def test_a_record_is_written_as_a_json_object(s3: S3Endpoint) -> None:
    await S3ObjectWriter(s3).put_object(BUCKET, "aws/lambda/async/x/one", b'{"version": "1.0"}')
    assert read(s3, "aws/lambda/async/x/one") == b'{"version": "1.0"}'
    with minio_client(s3) as client:
        stat = client.stat_object(BUCKET, "aws/lambda/async/x/one")
    assert stat.content_type == "application/json"


async def test_a_missing_bucket_is_a_storage_error_naming_the_object(s3: S3Endpoint) -> None:
    with pytest.raises(StorageError, match=r"^cannot write s3://no-such-bucket/k: .*NoSuchBucket"):
        await S3ObjectWriter(s3).put_object("no-such-bucket", "k", b"{}")


async def test_a_failed_event_ends_in_its_s3_destination(s3: S3Endpoint, tmp_path: Path) -> None:
    # [RECORDS]
    template = write_template(
        tmp_path,
        """\
        Worker:
          Type: AWS::Serverless::Function
          Properties:
            Handler: app.worker
            Runtime: python3.12
            CodeUri: src
            EventInvokeConfig:
              MaximumRetryAttempts: 0
              DestinationConfig:
                OnFailure:
                  Type: S3
                  Destination: arn:aws:s3:::failures
        """,
    )

    def fail(event: object) -> object:
        raise ValueError("no luck")

    clock = FakeClock(1_700_000_000.0)
    queue = DurableQueue(
        FakeInvoker({"Worker": fail}),  # type: ignore[arg-type]
        lambda: template,
        QueueSettings(path=tmp_path / "queue.sqlite3"),
        clock=clock,
        request_ids=counter("id"),
        object_writer=S3ObjectWriter(s3),
    )
    await queue.submit(InvocationRequest("Worker", b'{"n": 1}', "Event", "req-1"))
    await queue.run_due()  # the attempt, which stores the record's delivery
    await queue.run_due()  # the delivery
    [delivery] = queue.store.deliveries()
    assert (delivery.state.value, delivery.attempts, delivery.last_error) == ("delivered", 1, None)
    assert re.fullmatch(
        r"aws/lambda/async/Worker/2023/11/14/2023-11-14T22\.13\.20-id-\d+", delivery.key
    )
    record = json.loads(read(s3, delivery.key))
    assert record["requestContext"] == {
        "requestId": "req-1",
        "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:Worker:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 1,
    }
    assert record["responsePayload"] == {"errorMessage": "no luck", "errorType": "ValueError"}
