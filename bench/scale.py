"""The scale rows: a 200-function, 400-route template; route matching; an async queue drain;
S3 put to handler. Each returns a small dict of numbers and a verdict text for the table."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import systems
from measure import Call, RawClient, first_correct, summarise
from systems import PROJECT, REPO, free_port, running

sys.path.insert(0, str(REPO))

DRAIN_LIMIT_SECONDS = 600.0
READY_LIMIT_SECONDS = 60.0
S3_WAIT_SECONDS = 30.0
# Event invokes sent back to back before their answers are read (HTTP/1.1 pipelining).
PIPELINE = 100
# No event handled for this long while some are missing: the queue lost them.
STALL_SECONDS = 15.0


class Stalled(Exception):
    """The queue stopped making progress before every event was handled."""


@dataclass(frozen=True)
class ScaleRow:
    """One line of the scale table: what was measured, the numbers, and the goal's verdict."""

    name: str
    result: str
    goal: str
    met: bool | None  # None: not measured
    details: dict[Any, Any]


def generated_template(folder: Path, functions: int, routes_each: int) -> Path:
    """A SAM template with `functions` functions of `routes_each` HttpApi routes each."""
    code = folder / "src"
    code.mkdir(parents=True, exist_ok=True)
    (code / "app.py").write_text((PROJECT / "src" / "app.py").read_text())
    lines = [
        'AWSTemplateFormatVersion: "2010-09-09"',
        "Transform: AWS::Serverless-2016-10-31",
        "Globals:",
        "  Function:",
        "    Runtime: python3.11",
        "    CodeUri: src",
        "    Handler: app.hello",
        "Resources:",
    ]
    for index in range(functions):
        lines += [f"  Fn{index}:", "    Type: AWS::Serverless::Function", "    Properties:"]
        lines.append("      Events:")
        for route in range(routes_each):
            route_path = f"/fn{index}/items" + ("" if route == 0 else f"/{{id{route}}}")
            method = "GET" if route % 2 == 0 else "POST"
            lines += [
                f"        Route{route}:",
                "          Type: HttpApi",
                "          Properties:",
                f"            Path: {route_path}",
                f"            Method: {method}",
            ]
    path = folder / "template.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def template_scale(functions: int = 200, routes_each: int = 2) -> ScaleRow:
    """Load time in-process, and `lambdock up` from spawn to its health endpoint's 200."""
    from emulator.template import load_template, template_path

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        template = generated_template(folder, functions, routes_each)
        began = time.perf_counter()
        loaded = load_template(
            template_path(template),
            region="us-east-1",
            account_id="123456789012",
            stack_name="bench",
            parameter_overrides={},
            env_overrides={},
        )
        load_s = time.perf_counter() - began
        routes = route_count(loaded)
        port = free_port()
        system = systems.lambdock(port, "process", template)
        last = Call("GET", f"/fn{functions - 1}/items")
        with running(system, port, folder / "lambdock.log", time.monotonic) as started:
            ready_s = _wait_health(port, started)
            # The last route's function starts cold: this includes its environment's start.
            answered_s = first_correct(port, last, started.started_at, started.alive, 60.0)
    met = ready_s < 2.0
    result = (
        f"{len(loaded.functions)} functions, {routes} routes: loaded in {load_s * 1000:.0f} ms, "
        f"`lambdock up` ready in {ready_s:.2f} s; first answer from the last route "
        f"(a cold start) {answered_s:.2f} s after the spawn"
    )
    details = {"load_ms": load_s * 1000, "ready_s": ready_s, "routes": routes}
    return ScaleRow("200 functions, 400 routes", result, "ready < 2 s", met, details)


def route_count(template: Any) -> int:
    """How many API routes the template declares (Api and HttpApi events)."""
    return sum(
        1 for f in template.functions.values() for e in f.events if e.type in ("Api", "HttpApi")
    )


def _wait_health(port: int, started: systems.Started) -> float:
    call = Call("GET", "/_lambdock/health")
    deadline = started.started_at + READY_LIMIT_SECONDS
    while time.monotonic() < deadline:
        if not started.alive():
            raise RuntimeError(f"lambdock exited:\n{started.output()}")
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
    raise RuntimeError(f"lambdock not ready in {READY_LIMIT_SECONDS:.0f} s:\n{started.output()}")


def route_matching(sizes: tuple[int, ...] = (4, 40, 400, 4000), rounds: int = 20_000) -> ScaleRow:
    """Time per match against route tables of growing size: the last route and a miss."""
    from emulator.routing import routes_from_events

    per_size: dict[int, dict[str, float]] = {}
    for size in sizes:
        functions = [
            (
                f"Fn{i}",
                [
                    ("Get", "HttpApi", {"Path": f"/fn{i}/items", "Method": "GET"}),
                    ("Post", "HttpApi", {"Path": f"/fn{i}/items/{{id}}", "Method": "POST"}),
                ],
            )
            for i in range(size // 2)
        ]
        table = routes_from_events(functions, {}).table
        last = size // 2 - 1
        per_size[size] = {
            "static_us": _time_match(table, "GET", f"/fn{last}/items", rounds),
            "param_us": _time_match(table, "POST", f"/fn{last}/items/42", rounds),
            "miss_us": _time_match(table, "GET", "/nowhere/at/all", rounds),
        }
    smallest, largest = per_size[sizes[0]], per_size[sizes[-1]]
    growth = max(largest[k] / smallest[k] for k in smallest)
    met = growth < 1.5
    cells = ", ".join(
        f"{size}: {v['static_us']:.1f}/{v['param_us']:.1f}/{v['miss_us']:.1f}"
        for size, v in per_size.items()
    )
    result = f"µs per match (static/param/miss) by routes — {cells}; largest/smallest {growth:.2f}x"
    return ScaleRow("route matching", result, "flat (largest/smallest < 1.5x)", met, per_size)


def _time_match(table: Any, method: str, path: str, rounds: int) -> float:
    # The best of seven batches: other work on the machine only ever adds time.
    samples = []
    for _ in range(7):
        began = time.perf_counter()
        for _ in range(rounds // 7):
            table.match(method, path)
        samples.append((time.perf_counter() - began) / (rounds // 7) * 1e6)
    return min(samples)


def queue_drain(events: int = 10_000, batch: int = 1_000) -> ScaleRow:
    """Fill the async queue with `events` Event invokes while the handler holds its first ones
    behind a gate, then open the gate and time each 1,000 events of the drain."""
    name, goal = f"{events:,} queued async events", "no per-event growth"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        counter, gate = folder / "count.txt", folder / "gate"
        counter.touch()
        port = free_port()
        env_file = systems.env_vars_file(folder, counter, gate)
        template = systems.fresh_project(folder) / "template.yaml"
        system = systems.lambdock(port, "process", template, "--env-vars", str(env_file))
        with running(system, port, folder / "lambdock.log", time.monotonic) as started:
            _wait_health(port, started)
            submits = _submit(port, events, batch)
            backlog = events - counter.stat().st_size // 2
            gate.touch()
            began = time.monotonic()
            try:
                marks = _drain_marks(counter, events, batch, began, started)
            except Stalled as exc:
                return ScaleRow(name, str(exc), goal, False, {})
    submit_us = [seconds / batch * 1e6 for seconds in submits]
    drain_ms = [(b - a) * 1000 for a, b in zip([0.0, *marks], marks, strict=False)]
    growth = _growth(drain_ms[1:] or drain_ms)
    submit_growth = _growth(submit_us)
    result = (
        f"{backlog:,} of {events:,} not yet handled when the gate opened; drained in "
        f"{marks[-1]:.1f} s; drain ms per 1,000: {_join(drain_ms, '.0f')}; submit µs/event "
        f"per 1,000: {_join(submit_us, '.0f')}; last/first: drain {growth:.2f}x, "
        f"submit {submit_growth:.2f}x"
    )
    details = {"submit_us": submit_us, "drain_ms": drain_ms, "total_s": marks[-1]}
    details["backlog"] = backlog
    return ScaleRow(name, result, goal, growth < 1.5 and submit_growth < 1.5, details)


def _growth(values: list[float]) -> float:
    """Mean of the last three over mean of the first three."""
    return statistics.mean(values[-3:]) / max(1e-9, statistics.mean(values[:3]))


def _join(values: list[float], spec: str) -> str:
    return " ".join(format(v, spec) for v in values)


def _submit(port: int, events: int, batch: int) -> list[float]:
    """Send Event invokes, pipelined 100 at a time on one connection, so that a backlog forms;
    returns the seconds each `batch` took to be accepted (202)."""
    call = Call(
        "POST",
        "/2015-03-31/functions/Count/invocations",
        b"{}",
        (("X-Amz-Invocation-Type", "Event"), ("Content-Type", "application/json")),
    )
    client = RawClient(port, call)
    durations = []
    try:
        for _ in range(events // batch):
            began = time.perf_counter()
            for _ in range(batch // PIPELINE):
                for status, body in client.pipelined(PIPELINE):
                    if status != 202:
                        raise RuntimeError(f"an Event invoke answered {status}: {body[:200]!r}")
            durations.append(time.perf_counter() - began)
    finally:
        client.close()
    return durations


def _drain_marks(
    counter: Path, events: int, batch: int, began: float, started: systems.Started
) -> list[float]:
    marks: list[float] = []
    deadline = time.monotonic() + DRAIN_LIMIT_SECONDS
    done, progress_at = 0, time.monotonic()
    while time.monotonic() < deadline and len(marks) < events // batch:
        if not started.alive():
            raise RuntimeError(f"lambdock exited:\n{started.output()}")
        now = time.monotonic()
        count = counter.stat().st_size // 2  # one "1\n" per event
        if count > done:
            done, progress_at = count, now
        elif now - progress_at > STALL_SECONDS:
            raise Stalled(f"stalled at {done} of {events} handled events")
        while len(marks) < events // batch and done >= (len(marks) + 1) * batch:
            marks.append(now - began)
        time.sleep(0.02)
    if len(marks) < events // batch:
        raise Stalled(f"not drained within {DRAIN_LIMIT_SECONDS:.0f} s ({done} of {events})")
    return marks


def s3_to_handler(puts: int = 50) -> ScaleRow:
    """Sequential S3 puts to a bucket on lambdock's MinIO: time from the put's start to the
    moment its handler ran (same clock), after a few unmeasured puts warm the environment."""
    name, goal = "S3 put → handler", "p50 ≤ 50 ms (warm)"
    if not (REPO / "emulator" / "storage" / "notifications.py").exists():
        return ScaleRow(name, "not measured: S3 storage is not on this checkout", goal, None, {})
    from emulator.storage.minio_server import BINARY_ENV

    if not os.environ.get(BINARY_ENV) and shutil.which("minio") is None:
        return ScaleRow(name, f"not measured: no MinIO binary ({BINARY_ENV})", goal, None, {})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        project = systems.fresh_project(folder)
        stamps = folder / "stamps.txt"
        stamps.touch()
        env_file = folder / "env.json"
        env_file.write_text(json.dumps({"Arrived": {"STAMP_FILE": str(stamps)}}))
        port = free_port()
        template = project / "s3-template.yaml"
        system = systems.lambdock(port, "process", template, "--env-vars", str(env_file))
        with running(system, port, folder / "lambdock.log", time.monotonic) as started:
            _wait_health(port, started)
            s3 = _s3_client(port)
            for index in range(3):
                _put_and_wait(s3, stamps, f"warm-{index}")
            latencies = [_put_and_wait(s3, stamps, f"key-{index}") for index in range(puts)]
    lat = summarise(latencies, 0)
    result = (
        f"{puts} sequential puts, warm: p50 {lat.p50:.1f} ms, p90 {lat.p90:.1f} ms, "
        f"max {lat.max:.1f} ms"
    )
    return ScaleRow(name, result, goal, lat.p50 <= 50, {"p50_ms": lat.p50, "max_ms": lat.max})


def _s3_client(port: int) -> Any:
    import boto3

    from emulator.storage.minio_server import MinioServerConfig

    health = json.loads(_get(port, "/_lambdock/health"))
    config = MinioServerConfig(data_dir=Path("unused"))
    return boto3.client(
        "s3",
        endpoint_url=health["storage"]["endpoint"],
        region_name="us-east-1",
        aws_access_key_id=config.root_user,
        aws_secret_access_key=config.root_password,
    )


def _get(port: int, path: str) -> bytes:
    client = RawClient(port, Call("GET", path), timeout=10)
    try:
        status, body = client.call()
    finally:
        client.close()
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    return body


def _put_and_wait(s3: Any, stamps: Path, key: str) -> float:
    """Milliseconds from the start of the put to the handler's stamp for `key`."""
    began = time.time()
    s3.put_object(Bucket="bench-uploads", Key=key, Body=b"x")
    deadline = time.monotonic() + S3_WAIT_SECONDS
    while time.monotonic() < deadline:
        for line in stamps.read_text().splitlines():
            stamped_key, _, stamp = line.partition(" ")
            if stamped_key == key:
                return (float(stamp) - began) * 1000
        time.sleep(0.001)
    raise RuntimeError(f"the handler never saw {key} within {S3_WAIT_SECONDS:.0f} s")
