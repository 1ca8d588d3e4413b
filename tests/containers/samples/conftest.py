"""Images the sample's container tests run, built offline: no registry is reachable in CI.

- the base lambdock's Dockerfile is built FROM: scripts/images/lambdock-base.sh (debootstrap);
- a MinIO image holding the server binary the test setup built ($LAMBDOCK_MINIO_BIN);
- lambdock's image from the repository's Dockerfile, installed from a wheelhouse made here.
A missing part fails the test with a message naming it; nothing is skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO

BASE_IMAGE = "lambdock-test/lambdock-base:bookworm"
MINIO_IMAGE = "lambdock-test/minio:samples"
LAMBDOCK_IMAGE = "lambdock-test/lambdock:samples"
PYTHON_BOTO3_IMAGE = "lambdock-test/python-boto3:samples"
# Debian's python3 looks here for locally installed packages.
DEBIAN_SITE = "/usr/local/lib/python3.11/dist-packages"
BUILD_TIMEOUT_SECONDS = 900
SETUP_HINT = "run `bash scripts/test.sh` (it prepares the engine and the MinIO binary)"


def run(command: list[str], *, cwd: Path | None = None, what: str) -> str:
    """Run a build step; fail the test with its output when it fails."""
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS
    )
    if result.returncode != 0:
        pytest.fail(f"{what} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of lambdock's dependencies, hatchling, boto3 and the sample's requirements."""
    folder = tmp_path_factory.mktemp("wheelhouse")
    requirements = REPO / "sample_tasks" / "src" / "tasks" / "requirements.txt"
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(folder)]
    packages = [str(REPO), "hatchling", "boto3", "-r", str(requirements)]
    run([*command, *packages], what="pip wheel")
    for built in folder.glob("lambdock-*.whl"):
        built.unlink()
    return folder


@pytest.fixture(scope="session")
def minio_image(docker_client: object, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An image with the test setup's MinIO binary at /usr/bin/minio (the MINIO_IMAGE route)."""
    binary = os.environ.get("LAMBDOCK_MINIO_BIN", "")
    if not binary or not Path(binary).is_file():
        pytest.fail(f"LAMBDOCK_MINIO_BIN is not a MinIO binary ({binary!r}); {SETUP_HINT}")
    context = tmp_path_factory.mktemp("minio-image")
    shutil.copy2(binary, context / "minio")
    (context / "Dockerfile").write_text(
        f'FROM {BASE_IMAGE}\nCOPY minio /usr/bin/minio\nENTRYPOINT ["/usr/bin/minio"]\n'
    )
    run(["bash", str(REPO / "scripts/images/lambdock-base.sh"), BASE_IMAGE], what="base image")
    run(["docker", "build", "-q", "-t", MINIO_IMAGE, str(context)], what="MinIO image")
    return MINIO_IMAGE


@pytest.fixture(scope="session")
def lambdock_image(
    minio_image: str, wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """lambdock's image from the repository's Dockerfile, built offline."""
    context = tmp_path_factory.mktemp("lambdock-image")
    for name in ("pyproject.toml", "README.md", "Dockerfile", ".dockerignore"):
        shutil.copy2(REPO / name, context / name)
    ignore = shutil.ignore_patterns("__pycache__", "node_modules")
    for name in ("emulator", "runtime"):
        shutil.copytree(REPO / name, context / name, ignore=ignore)
    shutil.copytree(wheelhouse, context / ".wheelhouse")
    arguments = {
        "BASE": BASE_IMAGE,
        # The Go stage runs nothing when MINIO_IMAGE is given, but its image must exist.
        "GO_IMAGE": BASE_IMAGE,
        "MINIO_IMAGE": minio_image,
        "PIP_OPTIONS": "--no-index --find-links /opt/lambdock-src/.wheelhouse",
    }
    build_args = [part for k, v in arguments.items() for part in ("--build-arg", f"{k}={v}")]
    command = ["docker", "build", "-q", "--network", "host", "-t", LAMBDOCK_IMAGE, *build_args]
    run([*command, str(context)], what="lambdock image (Dockerfile)")
    return LAMBDOCK_IMAGE


@pytest.fixture(scope="session")
def python_boto3_image(python_image: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test Python runtime image with boto3, which Lambda's Python runtimes provide to every
    handler (AWS's base images have it; the plain Debian test image does not)."""
    context = tmp_path_factory.mktemp("python-boto3-image")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(context / "site")]
    run([*pip, "boto3"], what="pip install boto3")
    (context / "Dockerfile").write_text(f"FROM {python_image}\nCOPY site {DEBIAN_SITE}/\n")
    run(["docker", "build", "-q", "-t", PYTHON_BOTO3_IMAGE, str(context)], what="boto3 image")
    return PYTHON_BOTO3_IMAGE
