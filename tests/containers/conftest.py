"""Fixtures for container tests: the Docker engine and the runtime images the tests run.

The engine and the images are prepared by `scripts/setup-test-env.sh` (run by
`scripts/test.sh`). A missing component fails the test with a message naming it; it is never
skipped, so a CI run cannot pass without having exercised the containers.
"""

import os
from collections.abc import Iterator

import docker
import pytest
from docker.errors import DockerException, ImageNotFound

SETUP_HINT = (
    "run `bash scripts/test.sh` (it runs scripts/setup-test-env.sh and sources its env file)"
)
IMAGE_PYTHON_VARIABLE = "LAMBDOCK_TEST_IMAGE_PYTHON"
IMAGE_NODEJS_VARIABLE = "LAMBDOCK_TEST_IMAGE_NODEJS"
IMAGE_AWS_PYTHON_VARIABLE = "LAMBDOCK_TEST_IMAGE_AWS_PYTHON"


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """A client of the Docker engine named by DOCKER_HOST (default: the local socket)."""
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    problem = ""
    try:
        client = docker.from_env(timeout=60)
        client.ping()
    except DockerException as exc:
        problem = str(exc)
    if problem:
        # Failed outside the except block so the report shows this line, not Docker's chain.
        pytest.fail(
            f"Docker engine not answering at {where}: {problem}; {SETUP_HINT}", pytrace=False
        )
    yield client
    client.close()


def image_from_environment(client: docker.DockerClient, variable: str) -> str:
    """The image named by an environment variable, failing clearly when unset or not built."""
    name = os.environ.get(variable, "")
    if not name:
        pytest.fail(
            f"{variable} is not set (the runtime image to test); {SETUP_HINT}", pytrace=False
        )
    try:
        client.images.get(name)
    except ImageNotFound:
        pytest.fail(
            f"image {name} (from {variable}) is not in the Docker engine; {SETUP_HINT}",
            pytrace=False,
        )
    return name


@pytest.fixture(scope="session")
def python_image(docker_client: docker.DockerClient) -> str:
    """A Debian image with python3 3.11 (no Lambda runtime client in it)."""
    return image_from_environment(docker_client, IMAGE_PYTHON_VARIABLE)


@pytest.fixture(scope="session")
def nodejs_image(docker_client: docker.DockerClient) -> str:
    """A Debian image with Node.js 18."""
    return image_from_environment(docker_client, IMAGE_NODEJS_VARIABLE)


@pytest.fixture(scope="session")
def aws_python_image(docker_client: docker.DockerClient) -> str:
    """An image laid out like public.ecr.aws/lambda/python: awslambdaric, entrypoint, bootstrap."""
    return image_from_environment(docker_client, IMAGE_AWS_PYTHON_VARIABLE)
