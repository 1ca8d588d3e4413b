"""lambdock killed with SIGKILL: its runtimes die with it (PR_SET_PDEATHSIG), and what they
started is killed when lambdock starts again on the project, never what a live lambdock runs."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx

from tests.integration.reliability import procfs
from tests.integration.reliability.conftest import copy_project, up_args
from tests.support import Lambdock, start_lambdock


def invoke(running: Lambdock, function: str) -> dict[str, int]:
    response = httpx.post(
        f"{running.base_url}/2015-03-31/functions/{function}/invocations", json={}, timeout=60
    )
    assert response.status_code == 200 and "X-Amz-Function-Error" not in response.headers
    body: dict[str, int] = response.json()
    return body


def test_a_sigkilled_lambdocks_environments_are_gone_after_the_next_start(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    template = project / "template.yaml"
    first = start_lambdock(template, tmp_path / "first.log", up_args())
    second = None
    try:
        spawned = invoke(first, "Spawner")
        runtime, child = spawned["runtime_pid"], spawned["child_pid"]
        assert procfs.alive(runtime) and procfs.alive(child)
        records = list((project / ".lambdock" / "environments").glob("*.json"))
        assert [json.loads(path.read_text())["leader_pid"] for path in records] == [runtime]

        first.stop(signal.SIGKILL)
        procfs.wait_until(lambda: not procfs.alive(runtime), "the runtime to die with lambdock")
        # The handler's own child is in the environment's session, not a child of lambdock:
        # only the next start can find it.
        assert procfs.alive(child)

        second = start_lambdock(template, tmp_path / "second.log", up_args())
        procfs.wait_until(lambda: not procfs.alive(child), "the next start to kill the child")
        assert not procfs.environment_processes(project)
        assert not list((project / ".lambdock" / "environments").glob("*.json"))
        assert invoke(second, "Hello")["hello"] == "world"
    finally:
        for running in (first, second):
            if running is not None:
                running.stop()
        procfs.kill_environment_processes(project)


def test_starting_a_second_lambdock_leaves_a_running_ones_environments_alone(
    tmp_path: Path,
) -> None:
    project = copy_project(tmp_path)
    template = project / "template.yaml"
    first = start_lambdock(template, tmp_path / "first.log", up_args())
    second = None
    try:
        warm = invoke(first, "Hello")["pid"]
        second = start_lambdock(template, tmp_path / "second.log", up_args())
        assert invoke(second, "Hello")["pid"] != warm
        assert procfs.alive(warm)
        assert invoke(first, "Hello")["pid"] == warm
    finally:
        for running in (first, second):
            if running is not None:
                running.stop()
        procfs.kill_environment_processes(project)
