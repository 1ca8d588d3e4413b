"""Custom runtimes through a real `lambdock up --backend process`: the Go handler built with
aws-lambda-go, the bash runtime, and bootstraps that cannot start (the suite is in
tests/suites/golang.py; the same one runs in containers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.conftest import lambda_client
from tests.suites.golang import CustomRuntimes, build_go_project
from tests.support import Lambdock, lambdock_up


@pytest.fixture(scope="module")
def custom_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lambdock]:
    """The built custom-runtime project served by the process backend."""
    template = build_go_project(tmp_path_factory.getbasetemp())
    log = tmp_path_factory.mktemp("lambdock-custom") / "lambdock.log"
    with lambdock_up(template, log, ["--backend", "process"]) as running:
        yield running


@pytest.fixture(scope="module")
def lam(custom_stack: Lambdock) -> Any:
    return lambda_client(custom_stack.base_url)


@pytest.fixture(scope="module")
def http(custom_stack: Lambdock) -> Iterator[httpx.Client]:
    """An HTTP client of the project's APIs, with bounded waits."""
    with httpx.Client(base_url=custom_stack.base_url, timeout=30) as client:
        yield client


class TestCustomRuntimesInProcesses(CustomRuntimes):
    """The custom-runtime suite with each environment a local bootstrap process."""
