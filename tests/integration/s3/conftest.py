"""A real `lambdock up --backend process` serving tests/fixtures/projects/s3 with the MinIO that
lambdock starts itself (binary from LAMBDOCK_MINIO_BIN; without it the tests fail, never skip)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.storage.minio_server import BINARY_ENV, HOW_TO_GET_MINIO
from tests.integration.s3.support import STACK, S3Stack
from tests.support import FIXTURES, REPO, lambdock_up

# `python -m emulator` run directly imports this checkout, not an installed copy
# (tests.support.lambdock_up sets the same).
CHECKOUT_ENV = {"PYTHONPATH": str(REPO)}


@pytest.fixture(scope="session")
def minio_binary() -> Path:
    """The MinIO server binary named by LAMBDOCK_MINIO_BIN."""
    value = os.environ.get(BINARY_ENV)
    if not value:
        pytest.fail(
            f"{BINARY_ENV} is not set: the S3 integration tests need a MinIO server binary. "
            f"{HOW_TO_GET_MINIO}",
            pytrace=False,
        )
    path = Path(value)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{BINARY_ENV}={value} is not an executable MinIO binary", pytrace=False)
    return path


def copy_project(root: Path) -> Path:
    """The s3 fixture project, copied so that its `.lambdock/` state stays out of the repo."""
    project = root / "project"
    shutil.copytree(FIXTURES / "projects" / "s3", project)
    return project


@pytest.fixture(scope="module")
def stack(minio_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Stack]:
    """lambdock serving the s3 project for the module, with its own MinIO."""
    root = tmp_path_factory.mktemp("s3")
    project = copy_project(root)
    # Lambda's async retries (after 1 and 2 minutes) 100 times faster: a handler that met
    # MinIO down runs again within a second.
    args = ["--backend", "process", "--stack-name", STACK, "--retry-delay", "0.01"]
    with lambdock_up(project / "template.yaml", root / "lambdock.log", args) as running:
        yield S3Stack(running, project)
