"""Sustained load through a real `lambdock up --backend process`: the Invoke API, an HTTP API
route and a REST API route of one echo function, from concurrent keep-alive clients on
loopback, every answer checked. Prints requests served, errors, latency and lambdock's memory
(RSS) before, right after, and after a pause.

Run from the repository root: `python bench/load.py --workers 8 --per-worker 2500`.
The run is bounded by --max-seconds; the memory figures are lambdock's own process (VmRSS).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.integration.reliability import procfs  # noqa: E402
from tests.integration.reliability.load import run_load  # noqa: E402
from tests.support import FIXTURES, lambdock_up  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--per-worker", type=int, default=2500)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--pause", type=float, default=5.0, help="seconds idle before the last RSS")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="lambdock-load-"))
    try:
        project = root / "load"
        shutil.copytree(FIXTURES / "projects" / "load", project)
        template = project / "template.yaml"
        with lambdock_up(template, root / "lambdock.log", ["--backend", "process"]) as running:
            return report(running.base_url, running.process.pid, args)
    finally:
        procfs.kill_environment_processes(root)
        shutil.rmtree(root, ignore_errors=True)


def report(base_url: str, pid: int, args: argparse.Namespace) -> int:
    warm = run_load(base_url, workers=args.workers, per_worker=30, max_seconds=60)
    start_rss = procfs.rss_mb(pid)
    result = run_load(
        base_url, workers=args.workers, per_worker=args.per_worker, max_seconds=args.max_seconds
    )
    end_rss = procfs.rss_mb(pid)
    time.sleep(args.pause)
    rested_rss = procfs.rss_mb(pid)
    latencies = sorted(result.latencies_ms)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    print(f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    print(f"- machine: {machine}, Python {platform.python_version()}")
    print(f"- load average before: {os.getloadavg()}")
    print(f"- workers: {args.workers} keep-alive clients, {args.per_worker} requests each")
    print(f"- warm-up: {warm.total} requests, {warm.errors} errors")
    print(
        f"- served: {result.total} ({result.served}) in {result.seconds:.1f} s "
        f"= {result.total / result.seconds:.0f} requests/s"
    )
    print(f"- errors: {result.errors} {result.first_errors}")
    print(
        f"- latency ms: p50 {pct(0.5):.2f}, p90 {pct(0.9):.2f}, p99 {pct(0.99):.2f}, "
        f"max {latencies[-1]:.2f}, mean {statistics.fmean(latencies):.2f}"
    )
    print(
        f"- lambdock RSS MB: before {start_rss:.1f}, right after {end_rss:.1f}, "
        f"after {args.pause:.0f} s idle {rested_rss:.1f}; "
        f"peak (VmHWM) {procfs.rss_mb(pid, 'VmHWM'):.1f}"
    )
    return 0 if result.errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
