"""Helpers of the S3 integration tests: the running stack, its clients, bounded waits."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import boto3
import httpx
from botocore.config import Config

from emulator.storage.minio_server import MinioServerConfig
from tests.integration.conftest import lambda_client
from tests.support import Lambdock

STACK = "s3-wiring-test"
RESULTS = f"{STACK}-results"
ECHOES = f"{STACK}-echoes"
WAIT_SECONDS = 60.0
# The credentials of the MinIO lambdock runs (MinioServerConfig's root user).
MINIO = MinioServerConfig(data_dir=Path("unused"))

T = TypeVar("T")


def wait_until(check: Callable[[], T | None], what: str, seconds: float = WAIT_SECONDS) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds:.0f} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class S3Stack:
    """A running lambdock with S3, and what tests need to drive it."""

    lambdock: Lambdock
    project: Path

    def health(self) -> dict[str, Any]:
        """The whole `/_lambdock/health` body."""
        body: dict[str, Any] = httpx.get(
            f"{self.lambdock.base_url}/_lambdock/health", timeout=10
        ).json()
        return body

    def storage(self) -> dict[str, Any]:
        """The storage part of the health body."""
        storage: dict[str, Any] = self.health()["storage"]
        return storage

    def s3(self) -> Any:
        """A boto3 S3 client for lambdock's MinIO."""
        return boto3.client(
            "s3",
            endpoint_url=self.storage()["endpoint"],
            region_name="us-east-1",
            aws_access_key_id=MINIO.root_user,
            aws_secret_access_key=MINIO.root_password,
            config=Config(retries={"max_attempts": 10, "mode": "standard"}),
        )

    def invoke(self, function: str, event: Any = None) -> Any:
        """Invoke a function through the Lambda API and return its decoded result."""
        response = lambda_client(self.lambdock.base_url).invoke(
            FunctionName=function, Payload=json.dumps(event or {})
        )
        return json.loads(response["Payload"].read())

    def incoming(self) -> str:
        """The generated name of the Incoming bucket, from the Settings function's `!Ref`."""
        name: str = self.invoke("Settings")["INCOMING_BUCKET"]
        return name

    def counts(self) -> dict[str, int]:
        """The S3 trigger counters."""
        counts: dict[str, int] = self.storage()["triggers"]
        return counts


def keys(s3: Any, bucket: str, prefix: str = "") -> list[str]:
    """Every key under `prefix`, sorted."""
    found: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found.extend(item["Key"] for item in page.get("Contents", []))
    return sorted(found)


def results_for(s3: Any, key: str) -> list[dict[str, Any]]:
    """The Transform function's outputs for input `key`, one per invocation."""
    outputs = keys(s3, RESULTS, f"transformed/{key}/")
    return [json.loads(s3.get_object(Bucket=RESULTS, Key=k)["Body"].read()) for k in outputs]
