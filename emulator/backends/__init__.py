"""Execution-environment backends: process and docker, chosen with one match."""

from __future__ import annotations

import importlib
import importlib.util

from emulator.backends.base import Backend
from emulator.backends.process import ProcessBackend
from emulator.dependencies import DependencyInstaller
from emulator.errors import BackendError
from emulator.settings import Settings


def select_backend(settings: Settings) -> Backend:
    """The backend the settings ask for; `auto` is docker where an engine answers."""
    match settings.backend:
        case "process":
            return _process(settings)
        case "docker":
            return _docker(settings, required=True)
        case "auto":
            try:
                return _docker(settings, required=False)
            except BackendError:
                return _process(settings)
    raise BackendError(f"unknown backend {settings.backend!r}")


def _process(settings: Settings) -> ProcessBackend:
    # Declared dependencies (requirements.txt, package.json) are installed on first use.
    installer = DependencyInstaller(
        settings.resolved_state_dir / "deps", python=settings.python_executable
    )
    backend = ProcessBackend(
        python=settings.python_executable,
        node=settings.node_executable,
        dependencies=installer,
        state_dir=settings.resolved_state_dir,
    )
    # What a lambdock killed with SIGKILL left running goes before this one starts anything.
    backend.reap_orphans()
    return backend


def _docker(settings: Settings, *, required: bool) -> Backend:
    if importlib.util.find_spec("emulator.backends.docker") is None:
        raise BackendError("the docker backend is not part of this lambdock build")
    docker_backend = importlib.import_module("emulator.backends.docker")
    backend: Backend = docker_backend.connect(settings, required=required)
    return backend
