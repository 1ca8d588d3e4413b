"""The S3 destination's ObjectWriter on lambdock's S3 (its MinIO, or a configured endpoint).

It uses the storage package's bounded MinIO client and runs the SDK's blocking call in a
thread; the SDK's and urllib3's exceptions become StorageError here, at the one boundary, so
the queue records a readable last error and tries the record again later.
"""

from __future__ import annotations

import asyncio
import io

import urllib3.exceptions
from minio.error import MinioException

from emulator.errors import StorageError
from emulator.storage.endpoint import S3Endpoint, minio_client

RECORD_CONTENT_TYPE = "application/json"


class S3ObjectWriter:
    """Writes invocation records as objects to buckets of one S3 endpoint."""

    def __init__(self, endpoint: S3Endpoint, *, timeout: float = 10.0) -> None:
        self._endpoint = endpoint
        self._timeout = timeout

    async def put_object(self, bucket: str, key: str, body: bytes) -> None:
        """Store `body` under `key` in `bucket`; raises StorageError when it cannot."""
        await asyncio.to_thread(self._put, bucket, key, body)

    def _put(self, bucket: str, key: str, body: bytes) -> None:
        try:
            with minio_client(self._endpoint, timeout=self._timeout) as client:
                client.put_object(
                    bucket, key, io.BytesIO(body), len(body), content_type=RECORD_CONTENT_TYPE
                )
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageError(f"cannot write s3://{bucket}/{key}: {exc}") from None
