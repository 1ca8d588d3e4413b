"""No container outlives lambdock: a normal stop (Ctrl-C, SIGTERM) removes every container it
started, and after a SIGKILL the next `lambdock up` removes what the dead one left."""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path

import docker
import pytest

from tests.containers.docker_backend.conftest import Lambdock, containers_of, write_project

APP = "def handler(event, context):\n    return event\n"


def project(root: Path, function_name: str) -> Path:
    template = f"""
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Warm:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: {function_name}
      Runtime: python3.11
      Handler: app.handler
      CodeUri: src/
"""
    return write_project(root, template, {"src/app.py": APP})


def start(template: Path, images: dict[str, str]) -> Lambdock:
    # --warm eager: one container per function is running before lambdock says it is ready.
    return Lambdock(template, ["--warm", "eager", "--runtime-image", f"python={images['python']}"])


def instance_of(engine: docker.DockerClient, container_id: str) -> str:
    return str(engine.containers.get(container_id).labels["lambdock.instance"])


def pipes_dir(instance: str) -> Path:
    return Path(tempfile.gettempdir()) / f"lambdock-{instance}"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_normal_stop_removes_every_container_it_started(
    tmp_path: Path, engine: docker.DockerClient, images: dict[str, str], sig: int
) -> None:
    name = f"dk-clean-{sig}"
    lambdock = start(project(tmp_path, name), images)
    started = containers_of(engine, function=name)
    assert len(started) == 1
    instance = instance_of(engine, started[0])
    assert pipes_dir(instance).is_dir()
    lambdock.stop(sig)
    assert containers_of(engine, function=name) == []
    assert not pipes_dir(instance).exists()


def test_after_a_sigkill_the_next_start_removes_what_was_left(
    tmp_path: Path, engine: docker.DockerClient, images: dict[str, str]
) -> None:
    template = project(tmp_path, "dk-clean-killed")
    first = start(template, images)
    left = containers_of(engine, function="dk-clean-killed")
    instance = instance_of(engine, left[0])
    first.kill()
    assert containers_of(engine, function="dk-clean-killed") == left
    second = start(template, images)
    try:
        now = containers_of(engine, function="dk-clean-killed")
        assert len(now) == 1
        assert now[0] not in left
        assert not pipes_dir(instance).exists()
        assert any("removed 1 container(s) left by a lambdock" in line for line in second.lines)
    finally:
        second.stop()
    assert containers_of(engine, function="dk-clean-killed") == []
