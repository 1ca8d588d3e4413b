"""Node.js handlers of every style through a real `lambdock up --backend process` (the suite is
in tests/suites/nodejs.py; the same one runs in containers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.conftest import lambda_client
from tests.suites.common import require_tool
from tests.suites.nodejs import NodejsHandlers
from tests.support import FIXTURES, Lambdock, lambdock_up

NODEJS_TEMPLATE = FIXTURES / "projects" / "nodejs" / "template.yaml"


@pytest.fixture(scope="module")
def nodejs_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lambdock]:
    """The Node.js fixture project served by the process backend."""
    require_tool("node", "Node.js 18 or newer")
    log = tmp_path_factory.mktemp("lambdock-nodejs") / "lambdock.log"
    with lambdock_up(NODEJS_TEMPLATE, log, ["--backend", "process"]) as running:
        yield running


@pytest.fixture(scope="module")
def lam(nodejs_stack: Lambdock) -> Any:
    return lambda_client(nodejs_stack.base_url)


@pytest.fixture(scope="module")
def http(nodejs_stack: Lambdock) -> Iterator[httpx.Client]:
    """An HTTP client of the project's APIs, with bounded waits."""
    with httpx.Client(base_url=nodejs_stack.base_url, timeout=30) as client:
        yield client


class TestNodejsHandlersInProcesses(NodejsHandlers):
    """The Node.js suite with each environment a local `node` process."""

    def task_root(self, code_folder: str) -> str:
        return str(NODEJS_TEMPLATE.parent / code_folder)
