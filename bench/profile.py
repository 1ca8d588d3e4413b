"""Where a warm invocation's time goes, stage by stage, on both sides of the Runtime API.

    python bench/profile.py [--requests 3000] [--interval 0.0001] [--out DIR]

lambdock runs in this process (the pytest plugin's embedded server, process backend) so that
pyinstrument can sample its event loop thread; the runtime runs as the process backend starts
it, under a small wrapper (bench/runtime_profiled.py) that samples its invocations with
pyinstrument too. First an unprofiled pass measures CPU per invocation (from /proc: lambdock's
loop thread, and the runtime process) and latency; then a profiled pass splits the time into
stages. Needs `pyinstrument` (PyPI). Loopback only; every loop bounded.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import stat
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import systems
from measure import RawClient, correct, process_tree, summarise

sys.path.insert(0, str(systems.REPO))

from emulator.embedded import EmbeddedLambdock
from emulator.settings import Settings

Stages = tuple[tuple[str, tuple[str, ...]], ...]

# A sample belongs to the first stage, scanning its frames from the leaf up, that names one of
# its markers: our own modules first, so that library code they call (h11 under the Runtime
# API, json under event building) counts for the stage that called it.
LAMBDOCK_STAGES: Stages = (
    ("log lines (START/END/REPORT, console echo)", ("emulator/logs.py", "emulator/services.py")),
    ("Runtime API server (h11 parse, answers, hand off)", ("emulator/api/runtime.py",)),
    ("environment state machine", ("emulator/environment.py",)),
    ("pool lease", ("emulator/pool.py",)),
    ("route match", ("emulator/routing.py",)),
    ("build event", ("emulator/events/apigw.py",)),
    ("response mapping", ("emulator/events/apigw_response.py",)),
    ("CORS, errors, authorizers", ("emulator/events/", "emulator/gateway_auth.py")),
    ("invoker (invocation, deadline, REPORT, peak memory)", ("emulator/invoker.py",)),
    ("process backend (output reader, drain)", ("emulator/backends/",)),
    ("gateway: parse request, render response", ("emulator/api/gateway.py",)),
    ("gateway service (other)", ("emulator/gateway_service.py",)),
    ("other lambdock code", ("emulator/",)),
    ("Starlette / FastAPI (routing, middleware, response)", ("starlette/", "fastapi/")),
    ("uvicorn HTTP server (h11 parse and write)", ("uvicorn/", "h11/", "httptools")),
    ("asyncio event loop (callbacks, transports, tasks)", ("asyncio/", "uvloop", "selectors")),
)
RUNTIME_STAGES: Stages = (
    ("handler", ("project/src/app.py",)),
    ("Runtime API client (lambdock_runtime/client.py)", ("lambdock_runtime/client.py",)),
    ("http.client and its header parsing (email)", ("http/client.py", "email/")),
    ("marshal event and result (json)", ("lambdock_runtime/marshaller.py",)),
    ("context, logs, flush", ("lambdock_runtime/context.py", "lambdock_runtime/logs.py")),
    ("bootstrap loop", ("lambdock_runtime/bootstrap.py",)),
)
# Frames where the thread waits for the kernel to say a socket is ready: idle, not CPU.
# A socket write on loopback also runs the receiver's side of TCP and wakes it; on a machine
# with fewer cores than busy processes, the writer may be descheduled in favour of the reader.
SEND_MARKERS = ("socket.send", "socket.sendall")
SEND_STAGE = "socket writes (send system call)"
IDLE_MARKERS = ("epoll.poll", "[await]", "[sleep]")
RUNTIME_WAIT_MARKERS = ("socket.recv_into",)


def classify(stack: list[str], stages: Stages) -> str:
    """The stage of one sampled stack (frames root first): a socket write if the leaf is one;
    else the innermost frame of lambdock's or the runtime's own code; else of a library."""
    if any(marker in stack[-1] for marker in SEND_MARKERS):
        return SEND_STAGE
    for own in (True, False):
        for frame in reversed(stack):
            for stage, markers in stages:
                if _is_own(markers) == own and any(marker in frame for marker in markers):
                    return stage
    return "other (interpreter, C calls)"


def _is_own(markers: tuple[str, ...]) -> bool:
    return any(m.startswith(("emulator/", "lambdock_runtime/", "project/")) for m in markers)


def stage_times(root: Any, stages: Stages, idle: tuple[str, ...]) -> Counter[str]:
    """Self time per stage over a pyinstrument frame tree; waiting is its own stage."""
    times: Counter[str] = Counter()
    pending: list[tuple[Any, list[str]]] = [(root, [])]
    for _ in range(10_000_000):
        if not pending:
            break
        frame, parents = pending.pop()
        name = f"{frame.function} {frame.file_path or ''}"
        # pyinstrument keeps a frame's own time in a synthetic "[self]" child: name it after
        # the frame, so that the stack's leaf is the function that spent it.
        stack = parents if frame.function == "[self]" else [*parents, name]
        own = frame.time - sum(child.time for child in frame.children)
        if own > 0 and stack:
            waiting = any(marker in stack[-1] for marker in idle)
            times["(waiting for I/O)" if waiting else classify(stack, stages)] += own
        pending.extend((child, stack) for child in frame.children)
    return times


def table(title: str, times: Counter[str], invocations: int, cpu_us: float) -> str:
    """Profiled µs per invocation by stage, and that share of the unprofiled CPU."""
    busy = {k: v for k, v in times.items() if k != "(waiting for I/O)"}
    total = sum(busy.values())
    lines = [
        f"| {title} | profiled µs / invocation | share | ≈ µs of unprofiled CPU |",
        "| --- | --- | --- | --- |",
    ]
    for stage, seconds in sorted(busy.items(), key=lambda item: -item[1]):
        share = seconds / total
        micros = seconds / invocations * 1e6
        lines.append(f"| {stage} | {micros:.0f} | {share:.0%} | {share * cpu_us:.0f} |")
    lines.append(f"| **total** | **{total / invocations * 1e6:.0f}** | 100% | **{cpu_us:.0f}** |")
    return "\n".join(lines)


def thread_cpu(pid: int, tid: int | None = None) -> float:
    """User plus system CPU seconds of a process, or of one of its threads."""
    path = f"/proc/{pid}/task/{tid}/stat" if tid else f"/proc/{pid}/stat"
    fields = Path(path).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Pass:
    """One pass of sequential requests: latencies and CPU seconds of each side."""

    latencies: list[float]
    lambdock_cpu: float
    runtime_cpu: float


def wrapper_script(folder: Path, session_out: Path, warm: int, count: int) -> Path:
    """An executable standing in for Python that runs the runtime under pyinstrument."""
    script = folder / "python-profiled"
    runner = systems.BENCH / "runtime_profiled.py"
    script.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" "{runner}" "{session_out}" {warm} {count}\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@contextlib.contextmanager
def embedded(python: str) -> Iterator[EmbeddedLambdock]:
    """lambdock serving the bench project in this process (its console echo discarded)."""
    settings = Settings(template=systems.PROJECT / "template.yaml", port=0, backend="process")
    settings = replace(settings, python_executable=python)
    with contextlib.redirect_stdout(io.StringIO()):
        lam = EmbeddedLambdock(settings).start()
        try:
            yield lam
        finally:
            lam.stop()


def run_pass(lam: EmbeddedLambdock, requests: int, warmup: int) -> Pass:
    """`warmup` then `requests` sequential requests; CPU of the loop thread and the runtime."""
    port = int(lam.base_url.rsplit(":", 1)[1])
    client = RawClient(port, systems.HELLO_GET)
    try:
        for _ in range(warmup):
            status, body = client.call()
            if not correct(status, body):
                raise RuntimeError(f"warm-up answered {status}: {body[:200]!r}")
        tid = lam.call(_native_id)
        runtime = next(p for p in process_tree(os.getpid()) if p != os.getpid())
        before = thread_cpu(os.getpid(), tid), thread_cpu(runtime)
        latencies = []
        for _ in range(requests):
            began = time.perf_counter()
            client.call()
            latencies.append((time.perf_counter() - began) * 1000)
        after = thread_cpu(os.getpid(), tid), thread_cpu(runtime)
    finally:
        client.close()
    return Pass(latencies, after[0] - before[0], after[1] - before[1])


async def _native_id() -> int:
    return threading.get_native_id()


def main(argv: list[str]) -> int:
    """An unprofiled pass, then a profiled one; print the stage tables."""
    from pyinstrument import Profiler
    from pyinstrument.session import Session

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--interval", type=float, default=0.0001, help="sampling, seconds")
    parser.add_argument("--out", type=Path, default=None, help="keep the sessions here")
    parser.add_argument("--plain", action="store_true", help="the unprofiled pass only")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="lambdock-profile-"))
    out.mkdir(parents=True, exist_ok=True)
    with embedded(sys.executable) as lam:
        plain = run_pass(lam, args.requests, 200)
    if args.plain:
        report(plain, None, None, None, args.requests)
        return 0
    runtime_session = out / "runtime.pyisession"
    warm = 200
    python = wrapper_script(out, runtime_session, warm, args.requests)
    profiler = Profiler(interval=args.interval, async_mode="disabled")
    with embedded(str(python)) as lam:
        port = int(lam.base_url.rsplit(":", 1)[1])
        client = RawClient(port, systems.HELLO_GET)
        for _ in range(warm):
            client.call()
        client.close()
        lam.call(_async(profiler.start))
        profiled = run_pass(lam, args.requests, 0)
        lam.call(_async(profiler.stop))
        run_times = _runtime_times(runtime_session, Session)
    assert profiler.last_session is not None
    profiler.last_session.save(str(out / "lambdock.pyisession"))
    lam_times = stage_times(profiler.last_session.root_frame(), LAMBDOCK_STAGES, IDLE_MARKERS)
    report(plain, profiled, lam_times, run_times, args.requests)
    print(f"\nsessions (pyinstrument --load FILE): {out}", file=sys.stderr)
    return 0


def _async(function: Any) -> Any:
    async def run() -> None:
        function()

    return run


def _runtime_times(path: Path, session_type: Any) -> Counter[str]:
    for _ in range(3000):  # the runtime writes its session after its last profiled invocation
        if path.exists():
            break
        time.sleep(0.01)
    session = session_type.load(str(path))
    idle = (*IDLE_MARKERS, *RUNTIME_WAIT_MARKERS)
    return stage_times(session.root_frame(), RUNTIME_STAGES, idle)


def report(
    plain: Pass,
    profiled: Pass | None,
    lam: Counter[str] | None,
    run: Counter[str] | None,
    requests: int,
) -> None:
    """Print the latency and CPU lines and both stage tables."""
    lat = summarise(plain.latencies, 0)
    lam_cpu, run_cpu = plain.lambdock_cpu / requests * 1e6, plain.runtime_cpu / requests * 1e6
    print(
        f"{requests} sequential GET /hello, unprofiled: p50 {lat.p50 * 1000:.0f} µs, "
        f"p90 {lat.p90 * 1000:.0f} µs; CPU per invocation: lambdock's loop thread "
        f"{lam_cpu:.0f} µs, runtime process {run_cpu:.0f} µs."
    )
    if profiled is None or lam is None or run is None:
        return
    print(f"Profiled: p50 {summarise(profiled.latencies, 0).p50 * 1000:.0f} µs.\n")
    print(table("lambdock (event loop thread)", lam, requests, lam_cpu))
    print()
    print(table("runtime process", run, requests, run_cpu))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
