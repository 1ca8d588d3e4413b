"""A real MinIO for the storage tests, started with lambdock's own minio_server module.

The binary comes from LAMBDOCK_MINIO_BIN; without it the tests fail (never skip) and say so.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from emulator.storage.buckets import create_buckets
from emulator.storage.minio_server import BINARY_ENV, HOW_TO_GET_MINIO
from emulator.storage.notifications import NotificationListener
from tests.integration.storage.support import (
    CONNECT_SECONDS,
    Collector,
    RunningMinio,
    minio_with_webhook,
)


@pytest.fixture(scope="session")
def minio_binary() -> Path:
    """The MinIO server binary named by LAMBDOCK_MINIO_BIN."""
    value = os.environ.get(BINARY_ENV)
    if not value:
        pytest.fail(
            f"{BINARY_ENV} is not set: the storage integration tests need a MinIO server "
            f"binary. {HOW_TO_GET_MINIO}",
            pytrace=False,
        )
    path = Path(value)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{BINARY_ENV}={value} is not an executable MinIO binary", pytrace=False)
    return path


@pytest.fixture(scope="session")
def minio(minio_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMinio]:
    """One MinIO for the session (each test uses buckets of its own)."""
    running = minio_with_webhook(tmp_path_factory.mktemp("lambdock"), minio_binary)
    asyncio.run(running.server.start())
    yield running
    asyncio.run(running.server.stop())


@pytest.fixture
def bucket_name() -> str:
    """A bucket name no other test uses."""
    return f"test-{uuid.uuid4().hex[:16]}"


@pytest.fixture
async def collector(minio: RunningMinio, bucket_name: str) -> AsyncIterator[Collector]:
    """The test's bucket, created, with a connected listener feeding a Collector."""
    await create_buckets(minio.server.endpoint, [bucket_name])
    sink = Collector(bucket_name)
    listener = NotificationListener(
        minio.server.endpoint, minio.target, [bucket_name], sink, probe_interval=0.5
    )
    async with listener:
        await listener.wait_connected(CONNECT_SECONDS)
        yield sink
