"""A handler that writes gigabytes to stdout: lambdock keeps serving while it reads them, and
keeps only a bounded tail of them in memory (CloudWatch would store them all; lambdock's logs
are for looking at recent invocations)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx

from tests.integration.reliability import procfs
from tests.integration.reliability.conftest import copy_project, up_args
from tests.support import lambdock_up

GIGABYTES = 2
# A generous sanity bound on lambdock's peak memory growth: it keeps 256 KB of an invocation's
# output, and 256 KB of what waits between invocations (2,000 and 500 lines of up to 256 KB,
# 512 MB and 128 MB, were kept before these bounds).
GROWTH_BOUND_MB = 64


def test_gigabytes_on_stdout_leave_lambdock_responsive_and_its_memory_bounded(
    tmp_path: Path,
) -> None:
    project = copy_project(tmp_path)
    # The console echo goes nowhere: the point is lambdock's memory, not a 2 GB log file.
    with lambdock_up(project / "template.yaml", Path("/dev/null"), up_args()) as running:
        invoke = f"{running.base_url}/2015-03-31/functions/Chatty/invocations"
        with httpx.Client(timeout=300) as client:
            assert client.post(invoke, json={"megabytes": 1}).json() == {"written_mb": 1}
            pid = running.process.pid
            peak_before = procfs.rss_mb(pid, "VmHWM")
            result: dict[str, Any] = {}

            def chatty() -> None:
                megabytes = GIGABYTES * 1024
                result["response"] = client.post(invoke, json={"megabytes": megabytes})

            writer = threading.Thread(target=chatty)
            writer.start()
            healthy_meanwhile = 0
            while writer.is_alive() and healthy_meanwhile < 10_000:
                health = httpx.get(f"{running.base_url}/_lambdock/health", timeout=30)
                assert health.status_code == 200
                healthy_meanwhile += int(writer.is_alive())
            writer.join(300)
            peak_after = procfs.rss_mb(pid, "VmHWM")
        response = result["response"]
        assert response.status_code == 200
        assert response.json() == {"written_mb": GIGABYTES * 1024}
        assert healthy_meanwhile > 0
        assert peak_after - peak_before < GROWTH_BOUND_MB, (peak_before, peak_after)
    procfs.kill_environment_processes(project)


def test_gigabytes_written_between_invocations_are_bounded_too(tmp_path: Path) -> None:
    # Output outside an invocation waits for the next one's log; only its newest part is kept.
    project = copy_project(tmp_path)
    done = tmp_path / "written"
    with lambdock_up(project / "template.yaml", Path("/dev/null"), up_args()) as running:
        invoke = f"{running.base_url}/2015-03-31/functions/Chatty/invocations"
        with httpx.Client(timeout=300) as client:
            assert client.post(invoke, json={"megabytes": 1}).json() == {"written_mb": 1}
            pid = running.process.pid
            peak_before = procfs.rss_mb(pid, "VmHWM")
            event = {"megabytes": 1024, "line_kb": 256, "background": True, "done": str(done)}
            assert client.post(invoke, json=event).json() == {"background": True}
            procfs.wait_until(done.exists, "the background writer to finish", timeout=120)
            response = client.post(
                invoke, json={"megabytes": 0}, headers={"X-Amz-Log-Type": "Tail"}
            )
            assert response.json() == {"written_mb": 0}
            peak_after = procfs.rss_mb(pid, "VmHWM")
        assert peak_after - peak_before < GROWTH_BOUND_MB, (peak_before, peak_after)
    procfs.kill_environment_processes(project)
