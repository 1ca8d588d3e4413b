"""The systems the benchmark starts, and how each is started, reached and stopped.

A system is a command run as our child on a free loopback port. It is stopped by its own pid
(SIGINT, then SIGKILL past a bound), never by name.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from measure import HOST, Call

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PROJECT = BENCH / "project"
STOP_TIMEOUT = 15.0
OWNER_FORMAT = '{{.ID}} {{.Label "lambdock.owner"}}'

HELLO_GET = Call("GET", "/hello")
HELLO_INVOKE = Call(
    "POST",
    "/2015-03-31/functions/Hello/invocations",
    b"{}",
    (("Content-Type", "application/json"),),
)


def free_port() -> int:
    """A loopback port that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def gateway_landed() -> bool:
    """Whether this checkout has the API Gateway router (else the Invoke API path is used)."""
    return (REPO / "emulator" / "api" / "gateway.py").exists()


def docker_landed() -> bool:
    """Whether this checkout has the Docker backend."""
    return (REPO / "emulator" / "backends" / "docker.py").exists()


@dataclass(frozen=True)
class System:
    """How to start one system and what to ask it."""

    key: str
    label: str
    command: list[str]
    call: Call
    cwd: Path = REPO
    env: dict[str, str] = field(default_factory=dict)
    note: str = ""
    # Processes outside our tree that belong to the system (a Docker backend's containers),
    # given the pid of the system's own process.
    outside: Callable[[int], list[int]] = lambda pid: []


def _python_env() -> dict[str, str]:
    # Put this checkout first, so its lambdock is the one measured whatever is installed.
    path = os.environ.get("PYTHONPATH", "")
    return {"PYTHONPATH": f"{REPO}{os.pathsep}{path}" if path else str(REPO)}


def floor(port: int) -> System:
    """uvicorn + FastAPI, one worker, GET /hello."""
    command = [sys.executable, "-m", "uvicorn", "floor_app:app", "--app-dir", str(BENCH)]
    command += ["--host", HOST, "--port", str(port), "--log-level", "warning", "--no-access-log"]
    return System("floor", "floor (uvicorn + FastAPI, one worker)", command, HELLO_GET)


def hop(port: int) -> System:
    """The floor with one hop to a worker process over a pipe."""
    command = [sys.executable, "-m", "uvicorn", "hop_app:app", "--app-dir", str(BENCH)]
    command += ["--host", HOST, "--port", str(port), "--log-level", "warning", "--no-access-log"]
    return System("hop", "floor + one hop to a worker process over a pipe", command, HELLO_GET)


def lambdock(port: int, backend: str, template: Path | None = None, *extra: str) -> System:
    """`lambdock up` of the bench project with the given backend."""
    template = template or PROJECT / "template.yaml"
    command = [sys.executable, "-m", "emulator", "up", "--template", str(template)]
    command += ["--host", HOST, "--port", str(port), "--backend", backend, *extra]
    via_gateway = gateway_landed()
    call = HELLO_GET if via_gateway else HELLO_INVOKE
    path = "GET /hello" if via_gateway else "Invoke API path; the gateway has not landed"
    return System(
        f"lambdock-{backend}",
        f"lambdock, {backend} backend ({path})",
        command,
        call,
        cwd=template.parent,
        env=_python_env(),
        note=path,
    )


def docker(port: int, image: str) -> System:
    """`lambdock up` with the Docker backend (host networking) and a local Python image."""
    image_flag = f"python3.11={image}"
    system = lambdock(port, "docker", None, "--runtime-image", image_flag, "--no-pull")
    return System(
        system.key,
        system.label,
        system.command,
        system.call,
        cwd=system.cwd,
        env=system.env,
        note=system.note,
        outside=container_pids,
    )


def container_pids(owner_pid: int) -> list[int]:
    """Host pids of the processes in the containers that the lambdock `owner_pid` started.

    lambdock labels its containers `lambdock.owner=<host>/<pid>/<start time>`; their processes
    are what the engine reports for each (`docker top`)."""
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        return []
    listed = subprocess.run(
        [docker_cli, "ps", "--filter", "label=lambdock.owner", "--format", OWNER_FORMAT],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stdout.splitlines()
    pids: list[int] = []
    for line in listed[:1000]:
        container, _, owner = line.partition(" ")
        if owner.split("/")[1:2] != [str(owner_pid)]:
            continue
        top = subprocess.run(
            [docker_cli, "top", container, "-eo", "pid"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout.split()[1:]
        pids += [int(pid) for pid in top if pid.isdigit()]
    return pids


@dataclass
class Started:
    """A started system: its process, port, log file."""

    system: System
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    started_at: float

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process.poll() is None

    def output(self) -> str:
        """What it printed (for error messages)."""
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        """SIGINT, wait (bounded), SIGKILL: the process we started, by its pid."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)


def start(system: System, port: int, log: Path, clock: Callable[[], float]) -> Started:
    """Start the system's command; `clock()` at the moment of the spawn is its start time."""
    with log.open("wb") as out:
        began = clock()
        process = subprocess.Popen(
            system.command,
            cwd=system.cwd,
            env={**os.environ, **system.env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return Started(system, port, process, log, began)


def env_vars_file(folder: Path, count_file: Path, gate_file: Path) -> Path:
    """A `sam local --env-vars` file giving the Count function its counter and gate files."""
    path = folder / "env.json"
    variables = {"COUNT_FILE": str(count_file), "GATE_FILE": str(gate_file)}
    path.write_text(json.dumps({"Count": variables}))
    return path


@contextlib.contextmanager
def running(system: System, port: int, log: Path, clock: Callable[[], float]) -> Iterator[Started]:
    """The system started for a with-block, stopped after it."""
    started = start(system, port, log, clock)
    try:
        yield started
    finally:
        started.stop()
