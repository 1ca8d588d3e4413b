"""Where lambdock reaches S3 (its MinIO or a configured endpoint), and a bounded client for it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from minio import Minio

# MinIO answers to any region when none is configured; the SDK then skips GetBucketLocation.
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class S3Endpoint:
    """An S3-compatible endpoint URL and the credentials lambdock uses there."""

    url: str
    access_key: str
    secret_key: str
    region: str = DEFAULT_REGION

    @property
    def netloc(self) -> str:
        """`host:port` of the endpoint, as the MinIO SDK takes it."""
        return urlsplit(self.url).netloc

    @property
    def secure(self) -> bool:
        """Whether the endpoint speaks HTTPS."""
        return urlsplit(self.url).scheme == "https"


@contextmanager
def minio_client(endpoint: S3Endpoint, *, timeout: float = 10.0) -> Iterator[Minio]:
    """A MinIO SDK client whose every call is bounded in time and retries; closed on exit."""
    pool = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=timeout, read=timeout),
        retries=urllib3.Retry(total=2, backoff_factor=0.1, status_forcelist=(502, 503, 504)),
    )
    try:
        yield Minio(
            endpoint.netloc,
            access_key=endpoint.access_key,
            secret_key=endpoint.secret_key,
            secure=endpoint.secure,
            region=endpoint.region,
            http_client=pool,
        )
    finally:
        pool.clear()
