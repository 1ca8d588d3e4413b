"""Containers that fail from outside, and what a container may do: `docker kill` of an idle
and of a busy environment (the invocation fails as Lambda reports a killed runtime, lambdock
keeps serving with a new container, and the killed one is removed), and a sandbox with no
capabilities, no way to gain privileges, a read-only code folder and a non-root user.

Sources: Lambda developer guide, "Troubleshoot invocation issues" (Runtime.ExitError, "Runtime
exited with error: signal: killed"); "Lambda quotas" (1,024 processes/threads); the Lambda
execution environment runs code as an unprivileged user (sbx_user1051).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from typing import Any

import docker
import pytest

from tests.containers.docker_backend.conftest import (
    Lambdock,
    containers_of,
    wait_until,
    write_project,
)

APP = """
import os
import time


def environment_id():
    return os.environ["AWS_LAMBDA_LOG_STREAM_NAME"].rpartition("]")[2]


def sleepy(event, context):
    time.sleep(event.get("sleep", 0))
    return {"environment": environment_id()}


def privileges(event, context):
    status = dict(
        line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line
    )
    def writable(path):
        try:
            with open(path, "w") as handle:
                handle.write("x")
            return True
        except OSError:
            return False
    return {
        "uid": os.getuid(),
        "gid": os.getgid(),
        "effective_capabilities": status["CapEff"].strip(),
        "bounding_capabilities": status["CapBnd"].strip(),
        "no_new_privileges": status["NoNewPrivs"].strip(),
        "code_writable": writable("/var/task/new.py"),
        "root_writable": writable("/etc/lambdock-probe"),
        "tmp_writable": writable("/tmp/probe"),
    }
"""

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    CodeUri: src/
    Timeout: 30
Resources:
  Idle:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: fk-idle, Handler: app.sleepy}
  Busy:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: fk-busy, Handler: app.sleepy}
  Privileges:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: fk-privileges, Handler: app.privileges}
"""


@pytest.fixture(scope="module")
def lambdock(
    tmp_path_factory: pytest.TempPathFactory, images: dict[str, str]
) -> Iterator[Lambdock]:
    template = write_project(tmp_path_factory.mktemp("faults"), TEMPLATE, {"src/app.py": APP})
    process = Lambdock(template, ["--runtime-image", f"python={images['python']}"])
    yield process
    process.stop()


def invoke(lambdock: Lambdock, name: str, event: Any = None) -> dict[str, Any]:
    client: Any = lambdock.client()
    response = client.invoke(
        FunctionName=name, Payload=json.dumps(event or {}).encode(), LogType="Tail"
    )
    return {
        "error": response.get("FunctionError"),
        "payload": json.loads(response["Payload"].read()),
        "log": base64.b64decode(response.get("LogResult", "")).decode(),
    }


def container_of(engine: docker.DockerClient, function: str, environment: str) -> str:
    [found] = containers_of(engine, function=function, environment=environment)
    return found


def test_an_idle_container_killed_from_outside_is_replaced(
    lambdock: Lambdock, engine: docker.DockerClient
) -> None:
    first = invoke(lambdock, "fk-idle")["payload"]["environment"]
    lambdock.wait_idle("fk-idle", first)
    engine.containers.get(container_of(engine, "fk-idle", first)).kill()
    wait_until(lambda: first not in lambdock.environments("fk-idle"), "the killed one forgotten")
    result = invoke(lambdock, "fk-idle")
    assert result["error"] is None
    assert result["payload"]["environment"] != first
    wait_until(
        lambda: not containers_of(engine, function="fk-idle", environment=first),
        "the killed container removed",
    )


def test_a_busy_container_killed_from_outside_fails_its_invocation_as_lambda_does(
    lambdock: Lambdock, engine: docker.DockerClient
) -> None:
    results: list[dict[str, Any]] = []
    caller = threading.Thread(
        target=lambda: results.append(invoke(lambdock, "fk-busy", {"sleep": 20}))
    )
    caller.start()
    try:
        wait_until(
            lambda: "busy" in lambdock.environments("fk-busy").values(), "an environment busy"
        )
        [busy] = [e for e, state in lambdock.environments("fk-busy").items() if state == "busy"]
        engine.containers.get(container_of(engine, "fk-busy", busy)).kill()
    finally:
        caller.join(60)
    [result] = results
    assert result["error"] == "Unhandled"
    assert result["payload"]["errorType"] == "Runtime.ExitError"
    assert result["payload"]["errorMessage"].endswith(
        "Error: Runtime exited with error: signal: killed"
    )
    again = invoke(lambdock, "fk-busy")
    assert again["error"] is None and again["payload"]["environment"] != busy
    wait_until(
        lambda: not containers_of(engine, function="fk-busy", environment=busy),
        "the killed container removed",
    )


def test_the_sandbox_has_no_capabilities_and_cannot_gain_privileges(
    lambdock: Lambdock, engine: docker.DockerClient
) -> None:
    result = invoke(lambdock, "fk-privileges")
    assert result["payload"] == {
        "uid": 993,
        "gid": 990,
        "effective_capabilities": "0000000000000000",
        "bounding_capabilities": "0000000000000000",
        "no_new_privileges": "1",
        "code_writable": False,
        "root_writable": False,
        "tmp_writable": True,
    }
    [environment] = lambdock.environments("fk-privileges")
    attrs = engine.containers.get(container_of(engine, "fk-privileges", environment)).attrs
    host = attrs["HostConfig"]
    assert (host["Privileged"], host["ReadonlyRootfs"], host["CapDrop"]) == (False, True, ["ALL"])
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["PidsLimit"] == 1024
    assert attrs["Config"]["User"] == "993:990"
    code_mounts = [m for m in attrs["Mounts"] if m["Destination"] == "/var/task"]
    assert [m["RW"] for m in code_mounts] == [False]
    assert not any(m["Source"].endswith("docker.sock") for m in attrs["Mounts"])
