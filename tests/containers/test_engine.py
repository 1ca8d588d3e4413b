"""Smoke tests of the Docker engine and the runtime images that lambdock's container tests use.

Every container runs with `network_mode="host"`, as lambdock's Docker backend does, so that a
runtime client inside reaches the Runtime API on the host's 127.0.0.1.
"""

import json
import queue
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import docker
import pytest

CONTAINER_TIMEOUT_S = 60
RUNTIME_API = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:echo"


def run_to_completion(
    client: docker.DockerClient, image: str, command: list[str], **options: Any
) -> tuple[int, str]:
    """Run a container on the host network and return its exit code and output (bounded)."""
    container = client.containers.run(image, command, network_mode="host", detach=True, **options)
    try:
        status = container.wait(timeout=CONTAINER_TIMEOUT_S)
        return status["StatusCode"], container.logs().decode()
    finally:
        container.remove(force=True)


def test_python_image_runs_python_3_11(
    docker_client: docker.DockerClient, python_image: str
) -> None:
    command = ["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]

    assert run_to_completion(docker_client, python_image, command) == (0, "3.11\n")


def test_nodejs_image_runs_node_18(docker_client: docker.DockerClient, nodejs_image: str) -> None:
    command = ["node", "-p", "process.versions.node.split('.')[0]"]

    assert run_to_completion(docker_client, nodejs_image, command) == (0, "18\n")


def test_host_network_container_reaches_a_listener_on_host_loopback(
    docker_client: docker.DockerClient, python_image: str
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(CONTAINER_TIMEOUT_S)
        port = listener.getsockname()[1]
        script = (
            f"import socket; s = socket.create_connection(('127.0.0.1', {port}), timeout=30); "
            "s.sendall(b'hello from the container'); s.close()"
        )
        container = docker_client.containers.run(
            python_image, ["python3", "-c", script], network_mode="host", detach=True
        )
        try:
            connection, _ = listener.accept()
            with connection:
                connection.settimeout(CONTAINER_TIMEOUT_S)
                received = connection.recv(100)
            status = container.wait(timeout=CONTAINER_TIMEOUT_S)
        finally:
            container.remove(force=True)

    assert (received, status["StatusCode"]) == (b"hello from the container", 0)


def test_aws_python_image_has_the_configuration_of_aws_base_images(
    docker_client: docker.DockerClient, aws_python_image: str
) -> None:
    # The Dockerfiles of public.ecr.aws/lambda/python set these (aws/aws-lambda-base-images).
    config = docker_client.images.get(aws_python_image).attrs["Config"]
    environment = dict(item.split("=", 1) for item in config["Env"])

    assert config["Entrypoint"] == ["/lambda-entrypoint.sh"]
    assert config["WorkingDir"] == "/var/task"
    assert (environment["LAMBDA_TASK_ROOT"], environment["LAMBDA_RUNTIME_DIR"]) == (
        "/var/task",
        "/var/runtime",
    )


def test_aws_python_image_has_awslambdaric_and_executable_entry_scripts(
    docker_client: docker.DockerClient, aws_python_image: str
) -> None:
    script = (
        "import os, awslambdaric; "
        "print(os.access('/lambda-entrypoint.sh', os.X_OK), "
        "os.access('/var/runtime/bootstrap', os.X_OK), "
        "awslambdaric.__file__)"
    )
    result = run_to_completion(
        docker_client,
        aws_python_image,
        ["-c", script],
        entrypoint=["python3"],
        environment={"PYTHONPATH": "/var/runtime"},
    )

    assert result == (0, "True True /var/runtime/awslambdaric/__init__.py\n")


def test_aws_python_image_entrypoint_requires_the_handler_argument(
    docker_client: docker.DockerClient, aws_python_image: str
) -> None:
    # AWS's /lambda-entrypoint.sh exits 142 when the handler (the image CMD) is missing.
    exit_code, _ = run_to_completion(docker_client, aws_python_image, [])

    assert exit_code == 142


class FakeRuntimeApi(ThreadingHTTPServer):
    """Serves one invocation as the Lambda Runtime API 2018-06-01 does, then holds the next poll."""

    daemon_threads = True

    def __init__(self, event: bytes) -> None:
        super().__init__(("127.0.0.1", 0), RuntimeApiHandler)
        self.event = event
        self.handed_out = threading.Event()
        self.release = threading.Event()
        self.posted: queue.Queue[tuple[str, bytes]] = queue.Queue()

    @property
    def address(self) -> str:
        """The value of AWS_LAMBDA_RUNTIME_API: host:port, no scheme or path."""
        return f"127.0.0.1:{self.server_address[1]}"


class RuntimeApiHandler(BaseHTTPRequestHandler):
    """Request handler of FakeRuntimeApi: `next` long poll, then `response` and `error` posts."""

    server: FakeRuntimeApi

    def do_GET(self) -> None:
        if self.path != f"{RUNTIME_API}/invocation/next" or self.server.handed_out.is_set():
            # A later long poll waits, as the real API does while no event is queued.
            self.server.release.wait(CONTAINER_TIMEOUT_S)
            self.send_error(410)
            return
        self.server.handed_out.set()
        event = self.server.event
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "req-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", "32503680000000")
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", FUNCTION_ARN)
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(event)))
        self.end_headers()
        self.wfile.write(event)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.posted.put((self.path, body))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean."""


@pytest.fixture
def runtime_api() -> Iterator[FakeRuntimeApi]:
    server = FakeRuntimeApi(b'{"hello": "world"}')
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_aws_python_image_runs_a_handler_through_awslambdaric(
    docker_client: docker.DockerClient,
    aws_python_image: str,
    runtime_api: FakeRuntimeApi,
    tmp_path: Path,
) -> None:
    (tmp_path / "app.py").write_text(
        "def handler(event, context):\n"
        "    return {'echo': event, 'request_id': context.aws_request_id}\n"
    )
    container = docker_client.containers.run(
        aws_python_image,
        ["app.handler"],
        network_mode="host",
        detach=True,
        environment={"AWS_LAMBDA_RUNTIME_API": runtime_api.address},
        volumes={str(tmp_path): {"bind": "/var/task", "mode": "ro"}},
    )
    try:
        path, body = runtime_api.posted.get(timeout=CONTAINER_TIMEOUT_S)
    except queue.Empty:
        pytest.fail(f"no response posted; container log:\n{container.logs().decode()}")
    finally:
        container.remove(force=True)

    assert path == f"{RUNTIME_API}/invocation/req-1/response"
    assert json.loads(body) == {"echo": {"hello": "world"}, "request_id": "req-1"}
