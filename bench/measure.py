"""The measurements of one row: cold start, sequential latency, wrk throughput, idle memory.

The latency client is a raw socket that sends the same prebuilt request bytes and reads exactly
one response, so that what is measured is the server and not the client. Every loop here is
bounded in count and time; every address is loopback.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
POLL_INTERVAL = 0.020
EXPECTED = {"message": "hello world"}


@dataclass(frozen=True)
class Call:
    """One HTTP request to send: method, path, body, extra headers."""

    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    def wire(self, port: int) -> bytes:
        """The request as bytes on a keep-alive connection."""
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {HOST}:{port}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body or self.method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


class ServerGone(Exception):
    """The connection closed before a whole response arrived."""


class RawClient:
    """One keep-alive connection that sends a fixed request and reads one response per call."""

    def __init__(self, port: int, call: Call, *, timeout: float = 30.0) -> None:
        self._request = call.wire(port)
        self._sock = socket.create_connection((HOST, port), timeout=timeout)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = b""

    def close(self) -> None:
        """Close the connection."""
        self._sock.close()

    def call(self) -> tuple[int, bytes]:
        """Send the request; return the status and the body."""
        self._sock.sendall(self._request)
        return self._read_response()

    def _read_response(self) -> tuple[int, bytes]:
        head = self._read_until(b"\r\n\r\n")
        status_line, _, header_text = head.partition(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        headers = _header_map(header_text)
        if headers.get("transfer-encoding", "").lower() == "chunked":
            return status, self._read_chunked()
        return status, self._read_exactly(int(headers.get("content-length", "0")))

    def pipelined(self, count: int) -> list[tuple[int, bytes]]:
        """Send the request `count` times back to back, then read the `count` answers."""
        self._sock.sendall(self._request * count)
        return [self._read_response() for _ in range(count)]

    def _fill(self) -> None:
        data = self._sock.recv(65536)
        if not data:
            raise ServerGone("connection closed mid-response")
        self._buffer += data

    def _read_until(self, marker: bytes) -> bytes:
        for _ in range(10_000):
            index = self._buffer.find(marker)
            if index >= 0:
                found, self._buffer = self._buffer[:index], self._buffer[index + len(marker) :]
                return found
            self._fill()
        raise ServerGone("no end of headers")

    def _read_exactly(self, size: int) -> bytes:
        for _ in range(100_000):
            if len(self._buffer) >= size:
                break
            self._fill()
        found, self._buffer = self._buffer[:size], self._buffer[size:]
        return found

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        for _ in range(100_000):
            size = int(self._read_until(b"\r\n").split(b";")[0], 16)
            chunk = self._read_exactly(size + 2)[:size]
            if size == 0:
                return b"".join(chunks)
            chunks.append(chunk)
        raise ServerGone("too many chunks")


def _header_map(text: bytes) -> dict[str, str]:
    found = {}
    for line in text.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        found[name.strip().lower()] = value.strip()
    return found


def correct(status: int, body: bytes) -> bool:
    """The bench's notion of a correct answer: 200 with the hello document."""
    if status != 200:
        return False
    try:
        return bool(json.loads(body) == EXPECTED)
    except ValueError:
        return False


def first_correct(
    port: int, call: Call, started: float, alive: Callable[[], bool], limit: float
) -> float:
    """Poll every 20 ms until the first correct 200; seconds since `started`."""
    deadline = started + limit
    last = "no answer"
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the system exited before its first 200 ({last})")
        try:
            client = RawClient(port, call, timeout=max(0.1, deadline - time.monotonic()))
            try:
                status, body = client.call()
            finally:
                client.close()
            if correct(status, body):
                return time.monotonic() - started
            last = f"{status} {body[:200]!r}"
        except (OSError, ServerGone) as exc:
            last = repr(exc)
        time.sleep(POLL_INTERVAL)
    raise RuntimeError(f"no correct 200 within {limit:.0f} s (last: {last})")


@dataclass(frozen=True)
class Latency:
    """Sequential latencies on one keep-alive connection, in milliseconds."""

    p50: float
    p90: float
    p99: float
    max: float
    over_100ms: int
    count: int
    errors: int


def sequential(port: int, call: Call, *, warmup: int, count: int) -> Latency:
    """`warmup` unmeasured requests, then `count` measured ones, one at a time."""
    client = RawClient(port, call)
    samples: list[float] = []
    errors = 0
    try:
        for _ in range(warmup):
            client.call()
        for _ in range(count):
            begun = time.perf_counter()
            status, body = client.call()
            samples.append((time.perf_counter() - begun) * 1000)
            errors += not correct(status, body)
    finally:
        client.close()
    return summarise(samples, errors)


def summarise(samples: list[float], errors: int) -> Latency:
    """Percentiles (nearest rank) of latency samples in ms."""
    ordered = sorted(samples)

    def rank(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]

    return Latency(
        p50=statistics.median(ordered),
        p90=rank(0.90),
        p99=rank(0.99),
        max=ordered[-1],
        over_100ms=sum(1 for s in ordered if s > 100),
        count=len(ordered),
        errors=errors,
    )


@dataclass(frozen=True)
class Throughput:
    """What wrk reports: requests per second and the errors it saw."""

    requests_per_second: float
    requests: int
    errors: int
    non_2xx: int


_WRK_SCRIPT = """
wrk.method = {method}
wrk.body = {body}
{headers}
"""


def wrk(port: int, call: Call, *, connections: int, seconds: float) -> Throughput:
    """Run Debian's wrk: one thread, `connections` connections, for `seconds`."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "call.lua"
        headers = "\n".join(
            f"wrk.headers[{json.dumps(n)}] = {json.dumps(v)}" for n, v in call.headers
        )
        script.write_text(
            _WRK_SCRIPT.format(
                method=json.dumps(call.method), body=json.dumps(call.body.decode()), headers=headers
            )
        )
        command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "-s", str(script)]
        command.append(f"http://{HOST}:{port}{call.path}")
        output = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 60, check=True
        ).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> Throughput:
    """Requests/sec, total requests, socket errors and non-2xx answers from wrk's report."""
    rate = re.search(r"Requests/sec:\s*([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if rate is None or total is None:
        raise RuntimeError(f"cannot read wrk's report:\n{output}")
    return Throughput(
        requests_per_second=float(rate[1]),
        requests=int(total[1]),
        errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
    )


def _children() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            found.setdefault(parent, []).append(int(entry))
    return found


def process_tree(root: int) -> list[int]:
    """`root` and every process descended from it."""
    children = _children()
    tree, stack = [], [root]
    for _ in range(100_000):
        if not stack:
            break
        pid = stack.pop()
        tree.append(pid)
        stack.extend(children.get(pid, []))
    return tree


def rss_mb(pids: list[int]) -> float:
    """Summed resident memory (VmRSS) of `pids`, in MB."""
    total_kb = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024
