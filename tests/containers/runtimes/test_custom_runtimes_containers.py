"""Custom runtimes through a real `lambdock up --backend docker`: the Go handler built with
aws-lambda-go (a static linux/amd64 binary, which a plain Debian image runs), the bash runtime,
and bootstraps that cannot start (the suite is in tests/suites/golang.py; the same one runs
with local processes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.conftest import lambda_client
from tests.suites.golang import NO_BOOTSTRAP, NOT_EXECUTABLE, CustomRuntimes, build_go_project
from tests.support import Lambdock, lambdock_up

CUSTOM_RUNTIMES = ("provided", "provided.al2", "provided.al2023")


@pytest.fixture(scope="module")
def custom_stack(tmp_path_factory: pytest.TempPathFactory, python_image: str) -> Iterator[Lambdock]:
    """The built custom-runtime project served by the Docker backend in a Debian image."""
    template = build_go_project(tmp_path_factory.getbasetemp())
    log = tmp_path_factory.mktemp("lambdock-custom-docker") / "lambdock.log"
    images = [
        arg
        for runtime in CUSTOM_RUNTIMES
        for arg in ("--runtime-image", f"{runtime}={python_image}")
    ]
    with lambdock_up(template, log, ["--backend", "docker", "--no-pull", *images]) as running:
        yield running


@pytest.fixture(scope="module")
def lam(custom_stack: Lambdock) -> Any:
    return lambda_client(custom_stack.base_url)


@pytest.fixture(scope="module")
def http(custom_stack: Lambdock) -> Iterator[httpx.Client]:
    """An HTTP client of the project's API, with bounded waits."""
    with httpx.Client(base_url=custom_stack.base_url, timeout=30) as client:
        yield client


class TestCustomRuntimesInContainers(CustomRuntimes):
    """The custom-runtime suite with each environment a container."""

    @pytest.mark.parametrize(
        ("name", "reason"),
        [
            ("MissingBootstrap", NO_BOOTSTRAP),
            ("NotExecutableBootstrap", NOT_EXECUTABLE),
        ],
    )
    def test_a_bootstrap_lambda_cannot_start_is_invalid_entrypoint(
        self, lam: Any, name: str, reason: str
    ) -> None:
        super().test_a_bootstrap_lambda_cannot_start_is_invalid_entrypoint(lam, name, reason)
