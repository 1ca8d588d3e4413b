"""The scale rows: a 200-function, 400-route template; route matching; an async queue drain;
S3 put to handler. Each returns a small dict of numbers and a verdict text for the table."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import systems
from measure import HOST, Call, RawClient
from systems import PROJECT, REPO, free_port, running

sys.path.insert(0, str(REPO))

DRAIN_LIMIT_SECONDS = 600.0
READY_LIMIT_SECONDS = 60.0
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
        with running(system, port, folder / "lambdock.log", time.monotonic) as started:
            ready_s = _wait_health(port, started)
    met = ready_s < 2.0
    result = (
        f"{len(loaded.functions)} functions, {routes} routes: loaded in {load_s * 1000:.0f} ms, "
        f"`lambdock up` ready in {ready_s:.2f} s"
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
    samples = []
    for _ in range(5):
        began = time.perf_counter()
        for _ in range(rounds // 5):
            table.match(method, path)
        samples.append((time.perf_counter() - began) / (rounds // 5) * 1e6)
    return statistics.median(samples)


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
        system = systems.lambdock(port, "process", None, "--env-vars", str(env_file))
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
        f"{backlog:,} of {events:,} still queued when the gate opened; drained in "
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


def s3_to_handler() -> ScaleRow:
    """S3 put to handler latency: needs the S3 storage and notifications on this checkout."""
    landed = (REPO / "emulator" / "storage" / "notifications.py").exists()
    if not landed:
        return ScaleRow(
            "S3 put → handler",
            "not measured: S3 storage and notifications are not on this checkout yet",
            "p50 ≤ 50 ms (warm)",
            None,
            {},
        )
    return ScaleRow(
        "S3 put → handler",
        "not measured: the S3 row is not written yet",
        "p50 ≤ 50 ms (warm)",
        None,
        {"host": HOST},
    )
