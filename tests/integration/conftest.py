"""Integration fixtures: a real `lambdock up` with the process backend, and boto3 clients."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.support import FIXTURES, Lambdock, lambdock_up


@pytest.fixture(scope="module")
def basic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lambdock]:
    """The `basic` fixture project served by the process backend."""
    log = tmp_path_factory.mktemp("lambdock") / "lambdock.log"
    template = FIXTURES / "projects" / "basic" / "template.yaml"
    args = ["--backend", "process", "--parameter-overrides", f"TestPython={sys.executable}"]
    with lambdock_up(template, log, args) as running:
        yield running


def lambda_client(base_url: str) -> Any:
    """A boto3 Lambda client for lambdock: dummy credentials, no retries, long reads."""
    return boto3.client(
        "lambda",
        endpoint_url=base_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}, read_timeout=120),
    )


@pytest.fixture(scope="module")
def lam(basic: Lambdock) -> Any:
    return lambda_client(basic.base_url)


@pytest.fixture
def project_path() -> Path:
    return FIXTURES / "projects" / "basic"
