"""Helpers for tests that run a real `lambdock up` process: free ports, start, wait, stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Lambdock:
    """A running `lambdock up` and where to reach it."""

    process: subprocess.Popen[str]
    base_url: str
    log_path: Path

    def output(self) -> str:
        """What the process printed so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Stop it (Ctrl-C by default) and wait, bounded; kills it if it does not stop."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT_SECONDS)
        return self.process.returncode


def start_lambdock(
    template: Path, log_path: Path, args: Sequence[str] = (), env: dict[str, str] | None = None
) -> Lambdock:
    """Start `lambdock up` on a free port and wait until its health endpoint answers 200."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "emulator",
        "up",
        "--template",
        str(template),
        "--port",
        str(port),
        *args,
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            # The checkout under test, not whichever copy is installed, serves the template.
            env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
            cwd=template.parent,
        )
    running = Lambdock(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"lambdock exited with {process.returncode}:\n{running.output()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{running.base_url}/_lambdock/health", timeout=2).status_code == 200:
                return running
        time.sleep(0.1)
    running.stop(signal.SIGKILL)
    raise RuntimeError(f"lambdock did not become healthy in time:\n{running.output()}")


@contextlib.contextmanager
def lambdock_up(
    template: Path, log_path: Path, args: Sequence[str] = (), env: dict[str, str] | None = None
) -> Iterator[Lambdock]:
    """`lambdock up` for the duration of a with-block."""
    running = start_lambdock(template, log_path, args, env)
    try:
        yield running
    finally:
        running.stop()
