"""Creating buckets on a real MinIO."""

from __future__ import annotations

import pytest

from emulator.storage.buckets import BucketError, create_buckets
from emulator.storage.endpoint import minio_client
from emulator.template.names import generated_bucket_name
from tests.integration.storage.support import RunningMinio


async def test_creating_buckets_twice_creates_them_once(
    minio: RunningMinio, bucket_name: str
) -> None:
    names = [bucket_name, f"{bucket_name}-out"]
    assert await create_buckets(minio.server.endpoint, names) == tuple(names)
    assert await create_buckets(minio.server.endpoint, names) == ()
    with minio_client(minio.server.endpoint) as client:
        assert all(client.bucket_exists(name) for name in names)


async def test_a_generated_name_is_accepted_by_minio(minio: RunningMinio) -> None:
    name = generated_bucket_name("SamApp", "UploadBucket")
    await create_buckets(minio.server.endpoint, [name])
    with minio_client(minio.server.endpoint) as client:
        assert client.bucket_exists(name)


async def test_an_invalid_bucket_name_is_reported_by_name(minio: RunningMinio) -> None:
    with pytest.raises(BucketError, match="cannot create bucket 'Not_A_Bucket'"):
        await create_buckets(minio.server.endpoint, ["Not_A_Bucket"])
