"""The benchmark's tables (absolute and as ratios to the floor), the goals' verdicts, and
bench/RESULTS.md, whose generated part sits between two markers so notes around it survive."""

from __future__ import annotations

import datetime
import os
import platform
from dataclasses import dataclass
from pathlib import Path

from measure import Latency, Throughput
from scale import ScaleRow

BEGIN = "<!-- bench:begin (written by bench/run.py; edit outside the markers) -->"
END = "<!-- bench:end -->"


@dataclass(frozen=True)
class Row:
    """Everything measured for one system."""

    key: str
    label: str
    latency: Latency
    throughput: Throughput
    cold_s: float
    cold_env_s: float | None
    memory_mb: float


def absolute_table(rows: list[Row]) -> str:
    """The measured numbers, one line per system."""
    lines = [
        "| system | warm p50 | p90 | p99 | max | >100 ms | req/s at 8 conn | errors "
        "| cold start to first 200 | cold environment | idle memory |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lat, thr = row.latency, row.throughput
        errors = thr.errors + thr.non_2xx + lat.errors
        env = f"{row.cold_env_s:.3f} s" if row.cold_env_s is not None else "—"
        lines.append(
            f"| {row.label} | {lat.p50:.2f} ms | {lat.p90:.2f} ms | {lat.p99:.2f} ms "
            f"| {lat.max:.2f} ms | {lat.over_100ms} | {thr.requests_per_second:,.0f} | {errors} "
            f"| {row.cold_s:.3f} s | {env} | {row.memory_mb:.0f} MB |"
        )
    return "\n".join(lines)


def ratio_table(rows: list[Row]) -> str:
    """The issue's table: the floor in absolute numbers, every other system as a ratio."""
    floor = next((r for r in rows if r.key == "floor"), None)
    if floor is None:
        return "(no floor row: ratios need the floor measured in the same run)"
    lines = [
        "| system | warm p50 | p99 | req/s at 8 connections | cold start to first 200 "
        "| idle memory |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| {floor.label} | {floor.latency.p50:.2f} ms | {floor.latency.p99:.2f} ms "
        f"| {floor.throughput.requests_per_second:,.0f} | {floor.cold_s:.2f} s "
        f"| {floor.memory_mb:.0f} MB |",
    ]
    for row in rows:
        if row is floor:
            continue
        lines.append(
            f"| {row.label} | {_x(row.latency.p50 / floor.latency.p50)} "
            f"| {_x(row.latency.p99 / floor.latency.p99)} "
            f"| {_x(row.throughput.requests_per_second / floor.throughput.requests_per_second)} "
            f"| {_x(row.cold_s / floor.cold_s)} | {_x(row.memory_mb / floor.memory_mb)} |"
        )
    return "\n".join(lines)


def _x(ratio: float) -> str:
    return f"{ratio:.2f}x" if ratio < 10 else f"{ratio:,.0f}x"


def goals(rows: list[Row], docker_run_s: float | None) -> list[tuple[str, str, bool]]:
    """Each goal of the issue that this run measured: what, the measured value, met or not."""
    by_key = {row.key: row for row in rows}
    floor = by_key.get("floor")
    if floor is None:
        return []
    found: list[tuple[str, str, bool]] = []
    process = by_key.get("lambdock-process")
    if process is not None:
        found += _ratio_goals("process", process, floor, p50=2.0, rps=1.0)
        found.append(_goal("process: p99 ≤ 3x", process.latency.p99 / floor.latency.p99, 3.0))
        over = process.latency.over_100ms
        found.append(("process: no request over 100 ms in 300", f"{over} over", over == 0))
        found.append(_goal("process: cold start ≤ 2x", process.cold_s / floor.cold_s, 2.0))
        found.append(_goal("process: idle memory ≤ 2x", process.memory_mb / floor.memory_mb, 2.0))
    docker = by_key.get("lambdock-docker")
    if docker is not None:
        found += _ratio_goals("docker", docker, floor, p50=2.5, rps=0.8)
        if docker_run_s and docker.cold_env_s is not None:
            ratio = docker.cold_env_s / docker_run_s
            found.append(_goal("docker: cold environment ≤ 1.5x `docker run`", ratio, 1.5))
    return found


Verdict = tuple[str, str, bool]


def _ratio_goals(name: str, row: Row, floor: Row, *, p50: float, rps: float) -> list[Verdict]:
    throughput = row.throughput.requests_per_second / floor.throughput.requests_per_second
    return [
        _goal(f"{name}: warm p50 ≤ {p50:g}x", row.latency.p50 / floor.latency.p50, p50),
        (f"{name}: req/s ≥ {rps:g}x", f"{throughput:.2f}x", throughput >= rps),
    ]


def _goal(what: str, ratio: float, limit: float) -> tuple[str, str, bool]:
    return what, f"{ratio:.2f}x", ratio <= limit


def goals_table(verdicts: list[tuple[str, str, bool]], scale: list[ScaleRow]) -> str:
    """Every goal with its measured value and whether it is met."""
    lines = ["| goal | measured | met |", "| --- | --- | --- |"]
    lines += [f"| {what} | {value} | {'yes' if ok else 'NO'} |" for what, value, ok in verdicts]
    for row in scale:
        met = "not measured" if row.met is None else ("yes" if row.met else "NO")
        lines.append(f"| scale: {row.name}: {row.goal} | {row.result} | {met} |")
    return "\n".join(lines)


def machine() -> str:
    """nproc, memory and CPU model of this machine."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kb = int(line.split()[1])
    return (
        f"nproc {len(os.sched_getaffinity(0))} ({model}), "
        f"{memory_kb / 1024 / 1024:.1f} GiB memory, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def section(command: str, body: str) -> str:
    """The generated part of RESULTS.md: when, where, how, and the tables."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            BEGIN,
            f"Run {now} on {machine()}.",
            "Load average at the end (1/5/15 min): {:.2f} {:.2f} {:.2f}; other work on the "
            "machine shares its cores.".format(*os.getloadavg()),
            "",
            f"Command: `{command}`",
            "",
            body,
            END,
        ]
    )


def write_results(path: Path, generated: str) -> None:
    """Replace the generated part of RESULTS.md (or create the file with it)."""
    text = path.read_text() if path.exists() else "# Benchmark results\n\n" + BEGIN + END + "\n"
    head, found, rest = text.partition(BEGIN)
    if not found:
        path.write_text(text.rstrip("\n") + "\n\n" + generated + "\n")
        return
    _, _, tail = rest.partition(END)
    path.write_text(head + generated + tail)
