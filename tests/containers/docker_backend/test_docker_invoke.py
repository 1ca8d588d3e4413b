"""The Invoke API's behaviours with `lambdock up --backend docker`, through boto3, with real
containers: results, function errors, timeouts, out of memory, exits, warm reuse, scale-out,
throttling, missing images, AWS-base-like images and image functions.

Error payloads and log lines follow the Lambda docs ("Invoke" API reference; "Troubleshoot
invocation issues": `Task timed out after 1.00 seconds`, `Runtime exited with error: signal:
killed` for out of memory, `exit status N`), and the throttle body the Invoke API reference's
TooManyRequestsException (Reason ReservedFunctionConcurrentInvocationLimitExceeded).
"""

from __future__ import annotations

import base64
import io
import json
import tarfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import botocore.exceptions
import docker
import pytest

from tests.containers.docker_backend.conftest import (
    MISSING_IMAGE,
    Lambdock,
    containers_of,
    wait_until,
    write_project,
)
from tests.containers.docker_backend.handlers import APP, NODE_APP, TEMPLATE

FUNCTION_IMAGES = {
    # Built on the AWS-base-like image: its own /lambda-entrypoint.sh and awslambdaric.
    "aws": "lambdock-test/function-image:docker-backend-tests",
    # A plain Python image with its own runtime client as ENTRYPOINT: not an AWS base image, so
    # lambdock follows its output through Docker's attach stream.
    "plain": "lambdock-test/function-image-plain:docker-backend-tests",
}
RUNTIME_CLIENT = Path(__file__).resolve().parents[3] / "runtime" / "python" / "lambdock_runtime"


def build(engine: docker.DockerClient, tag: str, dockerfile: str, files: dict[str, str]) -> None:
    """Build an image from a Dockerfile and files, offline (its base image is local)."""
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as archive:
        for name, text in {"Dockerfile": dockerfile, **files}.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
    context.seek(0)
    engine.images.build(fileobj=context, custom_context=True, tag=tag, rm=True)


@pytest.fixture(scope="module")
def function_images(
    engine: docker.DockerClient, images: dict[str, str]
) -> Iterator[dict[str, str]]:
    """PackageType Image functions' images, with the handler code baked in."""
    build(
        engine,
        FUNCTION_IMAGES["aws"],
        f'FROM {images["aws_python"]}\nCOPY app.py /var/task/app.py\nCMD ["app.hello"]\n',
        {"app.py": APP},
    )
    client = {
        f"lambdock_runtime/{path.name}": path.read_text() for path in RUNTIME_CLIENT.glob("*.py")
    }
    build(
        engine,
        FUNCTION_IMAGES["plain"],
        f"FROM {images['python']}\nCOPY app.py /var/task/app.py\n"
        "COPY lambdock_runtime /opt/client/lambdock_runtime\n"
        "ENV PYTHONPATH=/opt/client PYTHONUNBUFFERED=1\nWORKDIR /var/task\n"
        'ENTRYPOINT ["python3", "-m", "lambdock_runtime"]\nCMD ["app.hello"]\n',
        {"app.py": APP, **client},
    )
    yield FUNCTION_IMAGES
    for tag in FUNCTION_IMAGES.values():
        engine.images.remove(tag, force=True)


@pytest.fixture(scope="module")
def lambdock(
    tmp_path_factory: pytest.TempPathFactory,
    images: dict[str, str],
    function_images: dict[str, str],
) -> Iterator[Lambdock]:
    root = tmp_path_factory.mktemp("docker-project")
    template = write_project(
        root,
        TEMPLATE.replace("PLAIN_IMAGE_URI", function_images["plain"]).replace(
            "IMAGE_URI", function_images["aws"]
        ),
        {"src/app.py": APP, "node/index.mjs": NODE_APP},
    )
    runtime_images = {
        "python3.11": images["python"],
        "python3.10": images["aws_python"],
        "python3.12": MISSING_IMAGE,
        "nodejs20.x": images["nodejs"],
    }
    args = [
        arg
        for runtime, image in runtime_images.items()
        for arg in ("--runtime-image", f"{runtime}={image}")
    ]
    process = Lambdock(template, args)
    yield process
    process.stop()


def invoke(lambdock: Lambdock, name: str, event: Any = None, **options: Any) -> dict[str, Any]:
    client: Any = lambdock.client()
    response = client.invoke(
        FunctionName=name, Payload=json.dumps(event or {}).encode(), LogType="Tail", **options
    )
    return {
        "status": response["StatusCode"],
        "error": response.get("FunctionError"),
        "payload": json.loads(response["Payload"].read()),
        "log": base64.b64decode(response.get("LogResult", "")).decode(),
    }


def test_a_handler_answers_from_its_container_with_its_log(lambdock: Lambdock) -> None:
    result = invoke(lambdock, "dk-hello", {"n": 1})
    assert (result["status"], result["error"], result["payload"]["event"]) == (200, None, {"n": 1})
    assert "hello from the container" in result["log"]
    assert "Max Memory Used: 0 MB" not in result["log"]


def test_the_sandbox_is_unprivileged_read_only_and_limited(lambdock: Lambdock) -> None:
    assert invoke(lambdock, "dk-probe")["payload"] == {
        "uid": 993,
        "task_root_writable": False,
        "tmp_writable": True,
        "memory_limit": str(128 * 1024 * 1024),
        "runtime_api": "127.0.0.1",
        "task_root": "/var/task",
        "cwd": "/var/task",
        "host_alias": "127.0.0.1",
    }


def test_a_function_error_is_reported_as_unhandled(lambdock: Lambdock) -> None:
    result = invoke(lambdock, "dk-fail")
    assert (result["status"], result["error"]) == (200, "Unhandled")
    assert (result["payload"]["errorType"], result["payload"]["errorMessage"]) == (
        "ValueError",
        "boom",
    )


def test_a_warm_container_serves_the_next_invocation(
    lambdock: Lambdock, engine: docker.DockerClient
) -> None:
    first = invoke(lambdock, "dk-sleepy")["payload"]["environment"]
    lambdock.wait_idle("dk-sleepy", first)
    second = invoke(lambdock, "dk-sleepy")["payload"]["environment"]
    assert first == second
    assert len(containers_of(engine, environment=first)) == 1


def test_a_timeout_kills_the_container_and_the_next_invocation_gets_a_new_one(
    lambdock: Lambdock, engine: docker.DockerClient
) -> None:
    before = invoke(lambdock, "dk-sleepy")["payload"]["environment"]
    lambdock.wait_idle("dk-sleepy", before)
    result = invoke(lambdock, "dk-sleepy", {"sleep": 5})
    assert (result["error"], result["payload"]["errorType"]) == ("Unhandled", "Sandbox.Timedout")
    assert "Task timed out after 1.0" in result["payload"]["errorMessage"]
    wait_until(lambda: not containers_of(engine, environment=before), "timed-out container removed")
    after = invoke(lambdock, "dk-sleepy")["payload"]["environment"]
    assert after != before


def test_running_out_of_memory_ends_the_invocation_and_replaces_the_container(
    lambdock: Lambdock, engine: docker.DockerClient
) -> None:
    before = invoke(lambdock, "dk-hog", {"mb": 1})["payload"]["environment"]
    lambdock.wait_idle("dk-hog", before)
    result = invoke(lambdock, "dk-hog", {"mb": 300})
    assert (result["error"], result["payload"]["errorType"]) == ("Unhandled", "Runtime.ExitError")
    assert result["payload"]["errorMessage"].endswith(
        "Error: Runtime exited with error: signal: killed"
    )
    wait_until(lambda: not containers_of(engine, environment=before), "killed container removed")
    assert invoke(lambdock, "dk-hog", {"mb": 1})["payload"]["environment"] != before


def test_a_handler_that_exits_the_process_is_an_exit_error(lambdock: Lambdock) -> None:
    result = invoke(lambdock, "dk-leave")
    assert (result["error"], result["payload"]["errorType"]) == ("Unhandled", "Runtime.ExitError")
    assert result["payload"]["errorMessage"].endswith(
        "Error: Runtime exited with error: exit status 3"
    )


def test_parallel_invocations_scale_out_to_several_containers(
    lambdock: Lambdock, engine: docker.DockerClient
) -> None:
    with ThreadPoolExecutor(3) as pool:
        results = list(
            pool.map(lambda _: invoke(lambdock, "dk-parallel", {"sleep": 1.5}), range(3))
        )
    environments = {result["payload"]["environment"] for result in results}
    assert len(environments) == 3
    assert len(containers_of(engine, function="dk-parallel")) == 3


def test_past_reserved_concurrency_an_invocation_is_throttled(
    lambdock: Lambdock, engine: docker.DockerClient
) -> None:
    with ThreadPoolExecutor(1) as pool:
        busy = pool.submit(invoke, lambdock, "dk-single", {"sleep": 3})
        wait_until(lambda: containers_of(engine, function="dk-single"), "first environment started")
        with pytest.raises(botocore.exceptions.ClientError) as throttled:
            invoke(lambdock, "dk-single")
        assert busy.result()["error"] is None
    error = throttled.value.response
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_a_missing_image_fails_at_once_naming_the_image_and_the_fix(lambdock: Lambdock) -> None:
    for _ in range(2):
        result = invoke(lambdock, "dk-missing")
        assert (result["error"], result["payload"]["errorType"]) == ("Unhandled", "InvalidImage")
        message = result["payload"]["errorMessage"]
        assert f"image {MISSING_IMAGE} is not present in the Docker engine" in message
        assert "--runtime-image python3.12=IMAGE" in message


def test_an_aws_base_like_image_runs_the_handler_with_its_own_runtime_client(
    lambdock: Lambdock,
) -> None:
    result = invoke(lambdock, "dk-awsbase", {"via": "awslambdaric"})
    assert (result["error"], result["payload"]["event"]) == (None, {"via": "awslambdaric"})
    assert "hello from the container" in result["log"]


def test_an_image_function_runs_the_images_entrypoint_and_command(lambdock: Lambdock) -> None:
    result = invoke(lambdock, "dk-image", {"via": "image"})
    assert (result["error"], result["payload"]["event"]) == (None, {"via": "image"})
    assert "hello from the container" in result["log"]


def test_an_image_with_its_own_client_is_followed_through_dockers_stream(
    lambdock: Lambdock,
) -> None:
    for _ in range(3):
        result = invoke(lambdock, "dk-plain-image", {"via": "attach"})
        assert (result["error"], result["payload"]["event"]) == (None, {"via": "attach"})
        assert "hello from the container" in result["log"]


def test_nodejs_runs_on_a_plain_node_image_with_the_bundled_client(lambdock: Lambdock) -> None:
    result = invoke(lambdock, "dk-node", {"lang": "js"})
    assert (result["error"], result["payload"]["event"]) == (None, {"lang": "js"})
    assert result["payload"]["node"].startswith("v")
    assert "hello from node" in result["log"]
