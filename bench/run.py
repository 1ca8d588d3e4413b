"""lambdock's benchmark, one command: `python bench/run.py` (see --help for choices).

For each system: start it and poll every 20 ms until the first correct 200 (cold start); 20
unmeasured requests; 300 sequential requests on one keep-alive connection (p50, p90, p99,
max); resident memory of its process tree at idle; then Debian's wrk with one thread and 8
connections for 10 s. Then the scale rows. Prints the tables and writes them into
bench/RESULTS.md between its markers. Loopback only; every wait is bounded; only processes
started here are stopped, by their pid.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import report
import scale
import systems
from measure import Call, RawClient, first_correct, process_tree, rss_mb, sequential, wrk

SYSTEMS = ("floor", "hop", "process", "docker")
SCALE_ROWS = ("template", "routes", "queue", "s3")
COLD_LIMIT_SECONDS = 120.0
DEFAULT_IMAGE = "lambdock-test/python:3.11"
PEERS = ("sam", "serverless", "sls")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated")
    parser.add_argument("--scale", default=",".join(SCALE_ROWS), help="comma-separated, or none")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests")
    parser.add_argument("--requests", type=int, default=300, help="measured sequential requests")
    parser.add_argument("--wrk-seconds", type=float, default=10.0)
    parser.add_argument("--wrk-connections", type=int, default=8)
    parser.add_argument("--settle", type=float, default=1.0, help="idle seconds before memory")
    parser.add_argument("--queue-events", type=int, default=10_000)
    parser.add_argument(
        "--image",
        default=os.environ.get("LAMBDOCK_TEST_IMAGE_PYTHON", DEFAULT_IMAGE),
        help="local Python image for the Docker backend",
    )
    parser.add_argument("--results", type=Path, default=systems.BENCH / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args(argv)


def build(key: str, port: int, image: str) -> systems.System | None:
    """The system for a key, or None (with a message) when it cannot run here."""
    match key:
        case "floor":
            return systems.floor(port)
        case "hop":
            return systems.hop(port)
        case "process":
            return systems.lambdock(port, "process")
        case "docker":
            if not systems.docker_landed():
                print("skip docker: the Docker backend is not on this checkout", file=sys.stderr)
                return None
            return systems.docker(port, image)
    raise SystemExit(f"unknown system {key!r}; choose from {', '.join(SYSTEMS)}")


def measure(
    system: systems.System, port: int, args: argparse.Namespace, folder: Path
) -> report.Row:
    """Every number of one system's row."""
    log = folder / f"{system.key}.log"
    with systems.running(system, port, log, time.monotonic) as started:
        cold_env = None
        try:
            if system.key.startswith("lambdock"):
                ready = _first_status(port, Call("GET", "/_lambdock/health"), started)
                began = time.monotonic()
                cold = ready + first_correct(
                    port, system.call, began, started.alive, COLD_LIMIT_SECONDS
                )
                cold_env = cold - ready
            else:
                cold = first_correct(
                    port, system.call, started.started_at, started.alive, COLD_LIMIT_SECONDS
                )
            latency = sequential(port, system.call, warmup=args.warmup, count=args.requests)
            time.sleep(args.settle)
            memory = rss_mb(process_tree(started.process.pid) + system.outside(started.process.pid))
            throughput = wrk(
                port, system.call, connections=args.wrk_connections, seconds=args.wrk_seconds
            )
        except Exception as exc:
            output = started.output()
            raise RuntimeError(f"{system.label}: {exc}\n--- its output:\n{output}") from exc
    return report.Row(system.key, system.label, latency, throughput, cold, cold_env, memory)


def _first_status(port: int, call: Call, started: systems.Started) -> float:
    """Seconds from the spawn to the first 200 of `call` (lambdock's health), polling 20 ms."""
    deadline = started.started_at + COLD_LIMIT_SECONDS
    while time.monotonic() < deadline:
        if not started.alive():
            raise RuntimeError("exited before it was ready")
        try:
            client = RawClient(port, call, timeout=5)
            try:
                status, _ = client.call()
            finally:
                client.close()
            if status == 200:
                return time.monotonic() - started.started_at
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError("not ready in time")


def docker_run_seconds(image: str, runs: int = 3) -> float | None:
    """Median wall time of `docker run --rm --network host IMAGE python3 -c pass`."""
    docker = shutil.which("docker")
    if docker is None:
        return None
    samples = []
    for _ in range(runs):
        began = time.monotonic()
        done = subprocess.run(
            [docker, "run", "--rm", "--network", "host", image, "python3", "-c", "pass"],
            capture_output=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            print(f"docker run failed: {done.stderr.decode()[:300]}", file=sys.stderr)
            return None
        samples.append(time.monotonic() - began)
    return statistics.median(samples)


def peers_note() -> str:
    """Which peer emulators are installed (none is driven yet; they are optional)."""
    found = [name for name in PEERS if shutil.which(name)]
    if not found:
        return f"No peer emulator installed (looked for {', '.join(PEERS)} on PATH)."
    return f"Peers installed but not driven by this harness: {', '.join(found)}."


def run_scale(names: list[str], args: argparse.Namespace) -> list[scale.ScaleRow]:
    """The chosen scale rows, in order."""
    rows = []
    for name in names:
        print(f"scale: {name} ...", file=sys.stderr, flush=True)
        match name:
            case "template":
                rows.append(scale.template_scale())
            case "routes":
                rows.append(scale.route_matching())
            case "queue":
                rows.append(scale.queue_drain(args.queue_events))
            case "s3":
                rows.append(scale.s3_to_handler())
            case _:
                raise SystemExit(f"unknown scale row {name!r}; choose from {SCALE_ROWS}")
    return rows


def main(argv: list[str]) -> int:
    """Measure, print, record."""
    args = parse_args(argv)
    keys = [k for k in args.systems.split(",") if k]
    scale_names = [] if args.scale == "none" else [k for k in args.scale.split(",") if k]
    rows: list[report.Row] = []
    with tempfile.TemporaryDirectory(prefix="lambdock-bench-") as tmp:
        for key in keys:
            port = systems.free_port()
            system = build(key, port, args.image)
            if system is None:
                continue
            print(f"measuring {system.label} ...", file=sys.stderr, flush=True)
            rows.append(measure(system, port, args, Path(tmp)))
    ran_docker = any(row.key == "lambdock-docker" for row in rows)
    docker_run = docker_run_seconds(args.image) if ran_docker else None
    scale_rows = run_scale(scale_names, args)
    body = render(rows, scale_rows, docker_run, args)
    print(body)
    if not args.no_write:
        command = "python bench/run.py " + shlex.join(argv) if argv else "python bench/run.py"
        report.write_results(args.results, report.section(command.strip(), body))
        print(f"\nwritten to {args.results}", file=sys.stderr)
    return 0


def render(
    rows: list[report.Row],
    scale_rows: list[scale.ScaleRow],
    docker_run: float | None,
    args: argparse.Namespace,
) -> str:
    """The tables and notes as Markdown."""
    parts = [
        f"Method: cold start polled every 20 ms; {args.warmup} unmeasured requests; "
        f"{args.requests} sequential requests on one keep-alive connection; "
        f"wrk -t1 -c{args.wrk_connections} -d{args.wrk_seconds:g}s; memory = summed RSS of "
        f"the process tree (and of the containers) after {args.settle:g} s idle.",
        "",
        "### Ratios to the floor (the issue's table)",
        "",
        report.ratio_table(rows),
        "",
        "### Measured",
        "",
        report.absolute_table(rows),
        "",
    ]
    if docker_run is not None:
        parts += [f"`docker run --rm --network host IMAGE python3 -c pass`: {docker_run:.3f} s", ""]
    parts += [peers_note(), "", "### Goals", ""]
    parts.append(report.goals_table(report.goals(rows, docker_run), scale_rows))
    return "\n".join(parts)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
