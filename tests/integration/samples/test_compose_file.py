"""docker-compose.yml is a valid Compose file that serves the sample project as documented."""

from __future__ import annotations

import subprocess
from typing import Any

import yaml

from tests.integration.samples.walkthrough import COMPOSE_TIMEOUT_SECONDS, compose_command
from tests.support import REPO


def resolved_config(env: dict[str, str]) -> dict[str, Any]:
    """The Compose file as the tool reads it, variables substituted."""
    result = subprocess.run(
        [*compose_command(), "--file", str(REPO / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=COMPOSE_TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    return config


def test_the_compose_file_serves_the_sample_tasks_with_the_docker_backend() -> None:
    service = resolved_config({"PWD": "/home/ada/lambdock", "PATH": "/usr/bin:/bin"})["services"][
        "lambdock"
    ]
    assert service["network_mode"] == "host"
    assert service["command"].split() == [
        "up",
        "--template",
        "/home/ada/lambdock/sample_tasks/template.yaml",
        "--host",
        "127.0.0.1",
        "--port",
        "3000",
        "--backend",
        "docker",
    ]
    assert service["working_dir"] == "/home/ada/lambdock/sample_tasks"
    # Mounted at the same path as on the host, the engine resolves lambdock's bind mounts.
    volumes = {str(volume).rsplit(":", 1)[0] for volume in service["volumes"]}
    assert volumes == {
        f"{REPO}/sample_tasks:/home/ada/lambdock/sample_tasks",
        "/var/run/docker.sock:/var/run/docker.sock",
    }
    assert service["build"]["args"] == {
        "BASE": "python:3.12-slim-bookworm",
        "MINIO_IMAGE": "minio-from-source",
    }


def test_variables_choose_the_backend_port_and_images() -> None:
    env = {
        "PWD": "/srv/demo",
        "PATH": "/usr/bin:/bin",
        "LAMBDOCK_BACKEND": "process",
        "LAMBDOCK_PORT": "8080",
        "LAMBDOCK_UP_ARGS": "--retry-delay 0.01",
        "MINIO_IMAGE": "example/minio:2025",
        "LAMBDOCK_IMAGE": "example/lambdock:dev",
    }
    service = resolved_config(env)["services"]["lambdock"]
    assert service["command"].split()[-6:] == [
        "--port",
        "8080",
        "--backend",
        "process",
        "--retry-delay",
        "0.01",
    ]
    assert service["image"] == "example/lambdock:dev"
    assert service["build"]["args"]["MINIO_IMAGE"] == "example/minio:2025"
