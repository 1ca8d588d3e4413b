"""Node.js handlers of every style through a real `lambdock up --backend docker`: each
environment is a container of the offline-built Node.js image, with host networking, the code
mounted at /var/task and lambdock's bundled runtime client (the suite is in
tests/suites/nodejs.py; the same one runs with local processes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.conftest import lambda_client
from tests.suites.nodejs import NodejsHandlers
from tests.support import FIXTURES, Lambdock, lambdock_up

NODEJS_TEMPLATE = FIXTURES / "projects" / "nodejs" / "template.yaml"
NODE_RUNTIMES = ("nodejs18.x", "nodejs20.x", "nodejs22.x")


@pytest.fixture(scope="module")
def nodejs_stack(tmp_path_factory: pytest.TempPathFactory, nodejs_image: str) -> Iterator[Lambdock]:
    """The Node.js fixture project served by the Docker backend, every Node.js runtime mapped
    to the local image."""
    log = tmp_path_factory.mktemp("lambdock-nodejs-docker") / "lambdock.log"
    images = [
        arg for runtime in NODE_RUNTIMES for arg in ("--runtime-image", f"{runtime}={nodejs_image}")
    ]
    with lambdock_up(
        NODEJS_TEMPLATE, log, ["--backend", "docker", "--no-pull", *images]
    ) as running:
        yield running


@pytest.fixture(scope="module")
def lam(nodejs_stack: Lambdock) -> Any:
    return lambda_client(nodejs_stack.base_url)


@pytest.fixture(scope="module")
def http(nodejs_stack: Lambdock) -> Iterator[httpx.Client]:
    """An HTTP client of the project's APIs, with bounded waits."""
    with httpx.Client(base_url=nodejs_stack.base_url, timeout=30) as client:
        yield client


class TestNodejsHandlersInContainers(NodejsHandlers):
    """The Node.js suite with each environment a container."""

    def task_root(self, code_folder: str) -> str:
        return "/var/task"
