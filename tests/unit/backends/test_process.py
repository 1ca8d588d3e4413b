"""The process backend's choice of command per runtime family, and how a custom runtime's
bootstrap that cannot start is reported: Runtime.InvalidEntrypoint with Lambda's wording (AWS
docs "Building a custom runtime for AWS Lambda": Lambda runs the executable `bootstrap` of the
deployment package or of a layer; the messages are those Lambda returns)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from emulator.backends.process import ProcessBackend, start_failure
from emulator.errors import BackendError, EnvironmentFailed
from emulator.runtime_files import runtime_root
from emulator.template.models import FunctionConfig


def function(runtime: str, code_uri: Path) -> FunctionConfig:
    return FunctionConfig(
        logical_id="Fn", function_name="Fn", handler="bootstrap", runtime=runtime, code_uri=code_uri
    )


@pytest.fixture
def backend() -> ProcessBackend:
    return ProcessBackend(python="/usr/bin/python3", node="/usr/bin/node")


@pytest.mark.parametrize("runtime", ["provided", "provided.al2", "provided.al2023"])
def test_a_custom_runtime_runs_the_bootstrap_of_its_code_folder(
    backend: ProcessBackend, tmp_path: Path, runtime: str
) -> None:
    (tmp_path / "bootstrap").write_text("#!/bin/sh\n")
    (tmp_path / "bootstrap").chmod(0o755)
    assert backend.command(function(runtime, tmp_path)) == [str(tmp_path / "bootstrap")]


def test_nodejs_runs_the_bundled_client_with_the_configured_node(
    backend: ProcessBackend, tmp_path: Path
) -> None:
    assert backend.command(function("nodejs20.x", tmp_path)) == [
        "/usr/bin/node",
        str(runtime_root() / "nodejs" / "index.mjs"),
    ]


def test_a_missing_bootstrap_is_invalid_entrypoint(backend: ProcessBackend, tmp_path: Path) -> None:
    with pytest.raises(EnvironmentFailed) as failed:
        backend.command(function("provided.al2023", tmp_path))
    assert (failed.value.error_type, failed.value.message) == (
        "Runtime.InvalidEntrypoint",
        "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]",
    )


def test_a_bootstrap_folder_is_not_a_bootstrap(backend: ProcessBackend, tmp_path: Path) -> None:
    (tmp_path / "bootstrap").mkdir()
    with pytest.raises(EnvironmentFailed) as failed:
        backend.command(function("provided", tmp_path))
    assert failed.value.error_type == "Runtime.InvalidEntrypoint"


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            OSError(errno.EACCES, "Permission denied"),
            "fork/exec /var/task/bootstrap: permission denied",
        ),
        (
            OSError(errno.ENOEXEC, "Exec format error"),
            "fork/exec /var/task/bootstrap: exec format error",
        ),
        (
            # A script whose interpreter does not exist (a CRLF shebang, say).
            FileNotFoundError(errno.ENOENT, "No such file or directory"),
            "fork/exec /var/task/bootstrap: no such file or directory",
        ),
    ],
)
def test_a_bootstrap_that_cannot_be_executed_is_invalid_entrypoint_with_the_exec_error(
    tmp_path: Path, error: OSError, message: str
) -> None:
    failure = start_failure(function("provided.al2023", tmp_path), ["bootstrap"], error)
    assert isinstance(failure, EnvironmentFailed)
    assert (failure.error_type, failure.message) == ("Runtime.InvalidEntrypoint", message)


def test_a_missing_node_is_lambdocks_own_backend_error(tmp_path: Path) -> None:
    error = FileNotFoundError(errno.ENOENT, "No such file or directory")
    failure = start_failure(function("nodejs20.x", tmp_path), ["/opt/no/node"], error)
    assert isinstance(failure, BackendError)
    assert str(failure) == "cannot start /opt/no/node: No such file or directory"
