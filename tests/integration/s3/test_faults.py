"""S3 faults: MinIO lost while lambdock runs, and S3 missing when `lambdock up` starts.

Issue 5: MinIO unreachable at start is a clear error naming the endpoint, exit 2; MinIO lost
while running pauses the S3 triggers, which resume, while invocations keep running, and
`/_lambdock/health` reports the storage state. Without buckets nothing of S3 is started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.s3.conftest import CHECKOUT_ENV, copy_project
from tests.integration.s3.support import S3Stack, results_for, wait_until
from tests.support import FIXTURES, free_port, lambdock_up


def up(project: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`lambdock up` expected to stop by itself (bounded)."""
    return subprocess.run(
        [sys.executable, "-m", "emulator", "up", "-t", str(project / "template.yaml"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=project,
    )


# Failed once in a dozen full runs (no trigger within 60 s after the restart, events left in
# MinIO's queue folder); under investigation, so a failure is retried before it fails the run.
@pytest.mark.flaky(reruns=2)
def test_minio_killed_while_running_is_started_again_and_triggers_resume(stack: S3Stack) -> None:
    s3, incoming = stack.s3(), stack.incoming()
    s3.put_object(Bucket=incoming, Key="in/restart/before.txt", Body=b"before")
    wait_until(lambda: results_for(s3, "in/restart/before.txt"), "the output before the crash")
    pid = stack.storage()["minio"]["pid"]
    # lambdock started this MinIO; killing it by its pid plays a crash.
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: stack.storage()["minio"]["restarts"] >= 1, "MinIO to be started again")
    wait_until(lambda: stack.storage()["state"] == "connected", "notifications to resume")
    assert stack.storage()["minio"]["pid"] != pid
    after = [f"in/restart/after-{number}.txt" for number in range(5)]
    for key in after:
        s3.put_object(Bucket=incoming, Key=key, Body=b"after")
    for key in after:
        wait_until(lambda key=key: results_for(s3, key), f"the output of {key}")
    # The same data folder: what was written before the crash is still there.
    assert s3.get_object(Bucket=incoming, Key="in/restart/before.txt")["Body"].read() == b"before"


def test_minio_frozen_pauses_triggers_while_invocations_run_and_health_says_so(
    stack: S3Stack,
) -> None:
    s3, incoming = stack.s3(), stack.incoming()
    pid = stack.storage()["minio"]["pid"]
    os.kill(pid, signal.SIGSTOP)
    try:
        wait_until(lambda: stack.storage()["state"] == "reconnecting", "health to report it")
        assert stack.storage()["notifications"]["last_error"] == "MinIO is not live"
        assert stack.invoke("Settings")["RESULTS_BUCKET"].endswith("-results")
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_until(lambda: stack.storage()["state"] == "connected", "notifications to resume")
    s3.put_object(Bucket=incoming, Key="in/thawed.txt", Body=b"thawed")
    wait_until(lambda: results_for(s3, "in/thawed.txt"), "the output after MinIO came back")


def test_an_unreachable_s3_endpoint_at_start_exits_2_naming_it(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    endpoint = f"http://127.0.0.1:{free_port()}"
    done = up(
        project,
        "--backend",
        "process",
        "--port",
        str(free_port()),
        "--s3-endpoint",
        endpoint,
        "--s3-access-key",
        "key",
        "--s3-secret-key",
        "secret",
        env={**os.environ, **CHECKOUT_ENV},
    )
    assert done.returncode == 2, done.stderr
    assert f"lambdock: S3 endpoint {endpoint}: unreachable" in done.stderr


def test_without_a_minio_binary_up_exits_2_saying_how_to_get_one(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "LAMBDOCK_MINIO_BIN"}
    env.update(CHECKOUT_ENV, PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin")
    done = up(project, "--backend", "process", "--port", str(free_port()), env=env)
    assert done.returncode == 2, done.stderr
    assert "the template needs S3 storage, but MinIO could not be started" in done.stderr
    assert "go install github.com/minio/minio@" in done.stderr
    assert "--s3-endpoint" in done.stderr and "--minio-bin" in done.stderr


def test_a_template_without_buckets_needs_no_minio_and_starts_nothing_for_s3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAMBDOCK_MINIO_BIN", raising=False)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:/usr/bin:/bin")
    template = FIXTURES / "projects" / "basic" / "template.yaml"
    args = ["--backend", "process", "--parameter-overrides", f"TestPython={sys.executable}"]
    with lambdock_up(template, tmp_path / "lambdock.log", args) as running:
        stack = S3Stack(running, template.parent)
        assert "storage" not in stack.health()
        assert stack.invoke("Hello", {"n": 1})["event"] == {"n": 1}
    assert not (template.parent / ".lambdock" / "minio").exists()
