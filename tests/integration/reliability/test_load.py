"""A sustained, bounded run of concurrent requests through the Invoke API and the gateway (an
HTTP API and a REST API route) of a real `lambdock up --backend process`: every answer is
right, none fails, and lambdock's memory is about where it was before (a generous sanity bound;
the measured numbers are in bench/RESULTS-load.md, from bench/load.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.reliability import procfs
from tests.integration.reliability.conftest import copy_project, up_args
from tests.integration.reliability.load import run_load
from tests.support import Lambdock, lambdock_up

WORKERS = 8
PER_WORKER = 300
GROWTH_BOUND_MB = 64


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[Lambdock]:
    project = copy_project(tmp_path, "load")
    try:
        with lambdock_up(project / "template.yaml", tmp_path / "lambdock.log", up_args()) as up:
            yield up
    finally:
        procfs.kill_environment_processes(project)


def test_concurrent_requests_are_all_answered_right_and_memory_stays_flat(
    loaded: Lambdock,
) -> None:
    warm = run_load(loaded.base_url, workers=WORKERS, per_worker=30, max_seconds=120)
    assert warm.errors == 0, warm.first_errors
    before = procfs.rss_mb(loaded.process.pid)
    result = run_load(loaded.base_url, workers=WORKERS, per_worker=PER_WORKER, max_seconds=300)
    after = procfs.rss_mb(loaded.process.pid)
    print(
        f"served {result.served} in {result.seconds:.1f} s, errors {result.errors}, "
        f"RSS {before:.1f} -> {after:.1f} MB"
    )
    assert result.errors == 0, result.first_errors
    assert result.total == WORKERS * PER_WORKER
    assert after - before < GROWTH_BOUND_MB, (before, after)
