"""Custom runtimes (`provided`, `provided.al2`, `provided.al2023`) run through the Invoke API of a
real lambdock serving a built copy of `tests/fixtures/projects/golang`: a Go handler built with
AWS's aws-lambda-go, a bash runtime speaking the Runtime API, and bootstraps Lambda cannot start.
A backend's test module subclasses `CustomRuntimes` and provides the `lam` fixture (a boto3 Lambda
client) and the `http` fixture (an HTTP client of the project's API).

Expected errors follow what aws-lambda-go posts (lambda/errors.go: the Go type name of the error
as errorType; a panic as errorType of the panic value with a stackTrace, after which the process
exits) and AWS's docs "Building Lambda functions with Go" and "Building a custom runtime".
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.suites.common import invoke, require_tool
from tests.support import FIXTURES

GO_PROJECT = FIXTURES / "projects" / "golang"
GO_BUILD_TIMEOUT_SECONDS = 600
# Go's standard logger: "2006/01/02 15:04:05 message" on stderr.
GO_LOG_LINE = r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d "
# How Lambda words a code folder without a bootstrap, and a bootstrap without its execute bit.
NO_BOOTSTRAP = "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"
NOT_EXECUTABLE = "fork/exec /var/task/bootstrap: permission denied"


def build_go_project(base: Path) -> Path:
    """Copy the Go project under `base` and build its handler into `src/bootstrap` as AWS's Go
    guide says (GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -o bootstrap), once per session:
    a copy already built is reused. Returns the copy's template."""
    project = base / "golang"
    bootstrap = project / "src" / "bootstrap"
    if bootstrap.is_file():
        return project / "template.yaml"
    go = require_tool("go", "The Go toolchain")
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(GO_PROJECT, project, ignore=shutil.ignore_patterns("bootstrap"))
    # The shell runtime and the deliberately broken one keep their own bootstrap files.
    for folder in ("shell", "not_executable"):
        shutil.copy2(GO_PROJECT / folder / "bootstrap", project / folder / "bootstrap")
    env = {
        **os.environ,
        "GOOS": "linux",
        "GOARCH": "amd64",
        "CGO_ENABLED": "0",
        "GOFLAGS": "-mod=readonly -buildvcs=false",
        "GOTOOLCHAIN": "local",
    }
    built = subprocess.run(
        [go, "build", "-o", "bootstrap", "."],
        cwd=project / "src",
        env=env,
        capture_output=True,
        text=True,
        timeout=GO_BUILD_TIMEOUT_SECONDS,
    )
    if built.returncode != 0:
        pytest.fail(f"go build of the Go handler failed:\n{built.stderr}")
    return project / "template.yaml"


class CustomRuntimes:
    """What every backend must do with the custom-runtime fixture project."""

    def test_a_go_handler_answers_with_its_lambda_context(self, lam: Any) -> None:
        result = invoke(lam, "GoHandler", {"name": "gopher"})
        assert (result.response["StatusCode"], result.function_error) == (200, None)
        body = result.body
        assert 0 < body.pop("remainingMs") <= 3000
        assert re.fullmatch(r"[0-9a-f]{16}", body.pop("environmentId"))
        assert body == {
            "greeting": "hello, gopher",
            "requestId": result.request_id,
            "invokedFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:GoHandler",
            "functionName": "GoHandler",
            "memoryLimitInMB": 256,
            "handler": "bootstrap",
        }

    @pytest.mark.parametrize("name", ["GoOnProvided", "GoOnAl2", "GoHandler"])
    def test_every_custom_runtime_name_runs_the_bootstrap(self, lam: Any, name: str) -> None:
        result = invoke(lam, name, {"name": name})
        assert result.function_error is None
        assert (result.body["functionName"], result.body["greeting"]) == (name, f"hello, {name}")

    def test_a_go_handler_behind_an_http_api_answers_200_with_its_json(
        self, http: httpx.Client
    ) -> None:
        # Payload 2.0: a result that is not a proxy response is the body of a 200 (AWS doc
        # "Working with AWS Lambda proxy integrations for HTTP APIs").
        response = http.get("/go/hello")
        assert (response.status_code, response.headers["content-type"]) == (
            200,
            "application/json",
        )
        assert (response.json()["functionName"], response.json()["greeting"]) == (
            "GoHandler",
            "hello, ",
        )

    def test_go_output_is_in_the_tail_log_between_start_and_end(self, lam: Any) -> None:
        result = invoke(lam, "GoHandler")
        lines = result.log.rstrip("\n").split("\n")
        assert lines[0] == f"START RequestId: {result.request_id} Version: $LATEST"
        assert lines[1] == "hello from GoHandler"
        assert re.fullmatch(GO_LOG_LINE + f"handling request {result.request_id}", lines[2])
        assert lines[3] == f"END RequestId: {result.request_id}"
        assert lines[4].startswith(f"REPORT RequestId: {result.request_id}\tDuration: ")

    @pytest.mark.parametrize(
        ("action", "error_body"),
        [
            # A handler-defined *ValidationError reports its type's name.
            ("invalid", b'{"errorMessage":"name is required","errorType":"ValidationError"}'),
            # errors.New gives an *errors.errorString.
            ("fail", b'{"errorMessage":"plain failure","errorType":"errorString"}'),
        ],
    )
    def test_a_returned_go_error_is_unhandled_with_gos_type_name(
        self, lam: Any, action: str, error_body: bytes
    ) -> None:
        result = invoke(lam, "GoHandler", {"action": action})
        assert (result.response["StatusCode"], result.function_error) == (200, "Unhandled")
        assert result.raw == error_body
        # aws-lambda-go logs the error document it posts.
        assert re.search(GO_LOG_LINE + re.escape(error_body.decode()), result.log)

    def test_a_panic_is_reported_with_its_stack_and_the_next_call_gets_a_fresh_environment(
        self, lam: Any
    ) -> None:
        before = invoke(lam, "GoHandler").body["environmentId"]
        result = invoke(lam, "GoHandler", {"action": "panic"})
        assert result.function_error == "Unhandled"
        body = result.body
        assert list(body) == ["errorMessage", "errorType", "stackTrace"]
        assert (body["errorMessage"], body["errorType"]) == ("something went very wrong", "string")
        assert {"path", "line", "label"} == set(body["stackTrace"][0])
        assert "handle" in [frame["label"] for frame in body["stackTrace"]]
        # aws-lambda-go ends the process after a panic.
        after = invoke(lam, "GoHandler")
        assert after.function_error is None
        assert after.body["environmentId"] != before

    def test_the_context_deadline_is_the_functions_timeout(self, lam: Any) -> None:
        # The handler stops 0.5 s before its context's deadline, well within the 1 s timeout.
        result = invoke(lam, "GoShortTimeout", {"action": "deadline"})
        assert result.function_error == "Unhandled"
        assert result.raw == (
            b'{"errorMessage":"context deadline exceeded","errorType":"deadlineExceededError"}'
        )

    def test_a_go_handler_past_its_timeout_is_sandbox_timedout(self, lam: Any) -> None:
        before = invoke(lam, "GoShortTimeout").body["environmentId"]
        result = invoke(lam, "GoShortTimeout", {"action": "sleep", "sleepMs": 5000})
        assert result.function_error == "Unhandled"
        assert result.body["errorType"] == "Sandbox.Timedout"
        assert re.fullmatch(
            rf"RequestId: {result.request_id} Error: Task timed out after 1\.\d\d seconds",
            result.body["errorMessage"],
        )
        after = invoke(lam, "GoShortTimeout")
        assert after.body["environmentId"] != before

    def test_a_bash_runtime_speaking_the_runtime_api_answers(self, lam: Any) -> None:
        result = invoke(lam, "BashRuntime", {"n": 1})
        assert result.function_error is None
        assert result.body == {"runtime": "bash", "event": {"n": 1}, "functionName": "BashRuntime"}
        assert 'bash handler got {"n": 1}' in result.log.split("\n")

    def test_a_bash_runtime_reports_its_handlers_failure(self, lam: Any) -> None:
        result = invoke(lam, "BashRuntime", {"fail": True})
        assert result.function_error == "Unhandled"
        assert result.body == {
            "errorType": "HandlerFailed",
            "errorMessage": "handler exited with status 3",
        }
        assert "failing on request" in result.log.split("\n")

    @pytest.mark.parametrize(
        ("name", "reason"),
        [("MissingBootstrap", NO_BOOTSTRAP), ("NotExecutableBootstrap", NOT_EXECUTABLE)],
    )
    def test_a_bootstrap_lambda_cannot_start_is_invalid_entrypoint(
        self, lam: Any, name: str, reason: str
    ) -> None:
        result = invoke(lam, name)
        assert result.function_error == "Unhandled"
        assert result.body == {
            "errorType": "Runtime.InvalidEntrypoint",
            "errorMessage": f"RequestId: {result.request_id} Error: {reason}",
        }
        assert "Runtime.InvalidEntrypoint" in result.log.split("\n")
