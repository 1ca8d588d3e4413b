"""A real `lambdock up` (process backend) serving the gateway fixture project, and a client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support import FIXTURES, Lambdock, lambdock_up

TEMPLATE = FIXTURES / "projects" / "gateway" / "template.yaml"
# Short, so the integration timeout is reached in tests; long enough for a cold start.
GATEWAY_TIMEOUT_SECONDS = "2"


@pytest.fixture(scope="package")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lambdock]:
    """The gateway project, served until the package's tests are done."""
    log = tmp_path_factory.mktemp("gateway") / "lambdock.log"
    args = ["--backend", "process", "--gateway-timeout", GATEWAY_TIMEOUT_SECONDS]
    with lambdock_up(TEMPLATE, log, args) as running:
        yield running


@pytest.fixture
def client(gateway: Lambdock) -> Iterator[httpx.Client]:
    """An HTTP client of the served APIs, with bounded waits."""
    with httpx.Client(base_url=gateway.base_url, timeout=30) as http:
        yield http
