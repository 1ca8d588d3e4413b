"""A real `lambdock up --backend process` on a copy of the `faults` project, and clients."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import lambda_client
from tests.integration.reliability import procfs
from tests.support import FIXTURES, Lambdock, lambdock_up


@dataclass
class Served:
    """A running lambdock, the project copy it serves, and a boto3 Lambda client for it."""

    lambdock: Lambdock
    project: Path
    lam: Any

    @property
    def pid(self) -> int:
        return self.lambdock.process.pid


def copy_project(root: Path, name: str = "faults") -> Path:
    """A private copy of a fixture project (its `.lambdock/` state stays in the copy)."""
    project = root / name
    shutil.copytree(FIXTURES / "projects" / name, project)
    return project


def up_args(*extra: str) -> list[str]:
    return [
        "--backend",
        "process",
        "--parameter-overrides",
        f"TestPython={sys.executable}",
        *extra,
    ]


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The faults project, served for a whole module."""
    root = tmp_path_factory.mktemp("faults")
    project = copy_project(root)
    try:
        with lambdock_up(project / "template.yaml", root / "lambdock.log", up_args()) as running:
            yield Served(running, project, lambda_client(running.base_url))
    finally:
        procfs.kill_environment_processes(project)
