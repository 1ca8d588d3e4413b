"""`lambdock up --s3-endpoint`: buckets on an S3 server lambdock does not run.

Without the webhook targets configured on that server (its operator's part, printed at start),
S3 triggers cannot connect: health says `connecting` and why, and lambdock serves the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.storage.endpoint import S3Endpoint
from emulator.storage.minio_server import MinioServer, MinioServerConfig
from tests.integration.s3.conftest import copy_project
from tests.integration.s3.support import RESULTS, STACK, S3Stack, keys, wait_until
from tests.support import lambdock_up


@pytest.fixture(scope="module")
def external(minio_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """A MinIO started by the test, standing for a server that lambdock is pointed at."""
    root = tmp_path_factory.mktemp("external")
    server = MinioServer(MinioServerConfig(data_dir=root / "minio", binary=minio_binary))
    endpoint = asyncio.run(server.start())
    try:
        yield endpoint
    finally:
        asyncio.run(server.stop())


def test_a_configured_endpoint_gets_the_buckets_and_the_functions(
    external: S3Endpoint, tmp_path: Path
) -> None:
    project = copy_project(tmp_path)
    args = [
        "--backend",
        "process",
        "--stack-name",
        STACK,
        "--s3-endpoint",
        external.url.replace("127.0.0.1", "localhost"),
        "--s3-access-key",
        external.access_key,
        "--s3-secret-key",
        external.secret_key,
    ]
    with lambdock_up(project / "template.yaml", tmp_path / "lambdock.log", args) as running:
        stack = S3Stack(running, project)
        storage = stack.storage()
        assert (storage["managed"], storage["state"]) == (False, "connecting")
        wait_until(lambda: stack.storage()["notifications"]["last_error"], "the reason")
        assert "arn:minio:sqs::LAMBDOCK:webhook" in stack.storage()["notifications"]["last_error"]
        # Functions reach the server by address: the SDKs then address buckets path-style.
        settings = stack.invoke("Settings")
        assert settings["AWS_ENDPOINT_URL_S3"] == external.url
        assert settings["AWS_ACCESS_KEY_ID"] == external.access_key
        assert RESULTS in {b["Name"] for b in stack.s3().list_buckets()["Buckets"]}
        assert keys(stack.s3(), RESULTS) == []
        output = running.output()
    assert "S3 triggers need the endpoint to post its events to lambdock" in output
    assert "MINIO_NOTIFY_WEBHOOK_ENDPOINT_LAMBDOCK=http://127.0.0.1:" in output
