"""Cold start and warm invocation latency through lambdock's Docker backend.

Usage (from the repository root, with the test images built by scripts/setup-test-env.sh):

    python bench/docker_cold_start.py [--cold 10] [--warm 300]

For each runtime image it measures, in the same run and interleaved:
- the floor: `docker run --rm --network host IMAGE <interpreter> -c pass` (wall time);
- a cold environment: an Invoke API call to a function with no environment, which creates and
  starts a container, waits for its runtime client, and answers (wall time at the client), and
  the Init Duration lambdock reports for it (container create to the runtime's first /next);
- warm invocations: 20 unmeasured, then sequential calls on one keep-alive connection.

lambdock runs as `lambdock up --backend docker` in a subprocess on a free loopback port. The
cold instance reaps idle environments after 50 ms, so each cold call finds none. Loopback only;
every wait is bounded.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
APP_PY = "def handler(event, context):\n    return {'ok': True}\n"
APP_JS = "export const handler = async () => ({ ok: true });\n"
TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Handler: app.handler, CodeUri: py/}
Resources:
  Bundled:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: bench-bundled, Runtime: python3.11}
  AwsBase:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: bench-awsbase, Runtime: python3.10}
  Node:
    Type: AWS::Serverless::Function
    Properties:
      {FunctionName: bench-node, Runtime: nodejs20.x, Handler: index.handler, CodeUri: js/}
"""
# (function, label, image, command the floor runs in the same image)
CASES = [
    ("bench-bundled", "python 3.11, bundled client", "lambdock-test/python:3.11",
     ["python3", "-c", "pass"]),
    ("bench-awsbase", "AWS-base-like, awslambdaric", "lambdock-test/aws-python:3.11",
     ["--entrypoint", "python3", "{image}", "-c", "pass"]),
    ("bench-node", "node 18, bundled client", "lambdock-test/nodejs:18",
     ["node", "-e", "0"]),
]  # fmt: skip
READY = re.compile(r"serving .* on (http://127\.0\.0\.1:\d+)")
INIT = re.compile(r"Init Duration: ([\d.]+) ms")
WAIT_S = 60.0


def project() -> Path:
    root = Path(tempfile.mkdtemp(prefix="lambdock-bench-"))
    (root / "py").mkdir()
    (root / "js").mkdir()
    (root / "py" / "app.py").write_text(APP_PY)
    (root / "js" / "index.mjs").write_text(APP_JS)
    (root / "template.yaml").write_text(TEMPLATE)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root / "template.yaml"


class Lambdock:
    """`lambdock up --backend docker` in a subprocess."""

    def __init__(self, template: Path, *extra: str) -> None:
        images = [
            "python3.11=lambdock-test/python:3.11",
            "python3.10=lambdock-test/aws-python:3.11",
            "nodejs20.x=lambdock-test/nodejs:18",
        ]
        args = [a for image in images for a in ("--runtime-image", image)]
        command = [sys.executable, "-m", "emulator", "up", "-t", str(template), "--port", "0"]
        self.process = subprocess.Popen(
            [*command, "--backend", "docker", *args, *extra],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.url = self._wait_ready()

    def _wait_ready(self) -> str:
        assert self.process.stdout is not None
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            match = READY.search(line)
            if match:
                # Keep reading (and dropping) its output: a full pipe would stall lambdock.
                threading.Thread(target=self._discard, daemon=True).start()
                return match[1]
        self.stop()
        raise SystemExit("lambdock did not get ready")

    def _discard(self) -> None:
        assert self.process.stdout is not None
        for _ in self.process.stdout:
            pass

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def invoke(client: httpx.Client, url: str, function: str) -> tuple[float, str]:
    started = time.perf_counter()
    response = client.post(
        f"{url}/2015-03-31/functions/{function}/invocations",
        content=b"{}",
        headers={"X-Amz-Log-Type": "Tail"},
    )
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200 or "X-Amz-Function-Error" in response.headers:
        raise SystemExit(f"{function} failed: {response.status_code} {response.text}")
    return elapsed, base64.b64decode(response.headers.get("X-Amz-Log-Result", "")).decode()


def containers(function: str) -> int:
    listed = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=lambdock.function={function}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return len(listed.stdout.split())


def floor_ms(image: str, command: list[str]) -> float:
    words = [w.replace("{image}", image) for w in command]
    argv = ["docker", "run", "--rm", "--network", "host"]
    argv += words if "{image}" in command else [image, *words]
    started = time.perf_counter()
    subprocess.run(argv, check=True, timeout=60, capture_output=True)
    return (time.perf_counter() - started) * 1000


def cold_case(url: str, function: str, image: str, command: list[str], rounds: int) -> dict:
    floors, colds, inits = [], [], []
    with httpx.Client(timeout=60) as client:
        for _ in range(rounds):
            deadline = time.monotonic() + WAIT_S
            while containers(function) and time.monotonic() < deadline:
                time.sleep(0.05)
            floors.append(floor_ms(image, command))
            elapsed, log = invoke(client, url, function)
            colds.append(elapsed)
            match = INIT.search(log)
            inits.append(float(match[1]) if match else float("nan"))
    return {"floor": floors, "cold": colds, "init": inits}


def warm_case(url: str, function: str, count: int) -> list[float]:
    with httpx.Client(timeout=60) as client:
        for _ in range(20):
            invoke(client, url, function)
        return [invoke(client, url, function)[0] for _ in range(count)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(template: Path, cold_rounds: int, warm_count: int) -> tuple[list[str], list[str]]:
    """The cold and warm table rows, each instance of lambdock stopped after its part."""
    cold_rows, warm_rows = [], []
    cold = Lambdock(template, "--idle-timeout", "0.05")
    try:
        for function, label, image, command in CASES:
            result = cold_case(cold.url, function, image, command, cold_rounds)
            floor, lam = statistics.median(result["floor"]), statistics.median(result["cold"])
            init = statistics.median(result["init"])
            cold_rows.append(
                f"| {label} | {floor:.0f} ms | {lam:.0f} ms | {lam / floor:.2f}x | {init:.0f} ms |"
            )
    finally:
        cold.stop()
    warm = Lambdock(template)
    try:
        for function, label, _, _ in CASES:
            times = warm_case(warm.url, function, warm_count)
            p50, p90, p99 = (percentile(times, q) for q in (0.5, 0.9, 0.99))
            warm_rows.append(
                f"| {label} | {p50:.2f} ms | {p90:.2f} ms | {p99:.2f} ms | {max(times):.2f} ms |"
            )
    finally:
        warm.stop()
    return cold_rows, warm_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", type=int, default=10, help="cold starts per image")
    parser.add_argument("--warm", type=int, default=300, help="measured warm invocations")
    args = parser.parse_args()
    template = project()
    try:
        cold_rows, warm_rows = measure(template, args.cold, args.warm)
    finally:
        shutil.rmtree(template.parent, ignore_errors=True)
    print(f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"command: python bench/docker_cold_start.py --cold {args.cold} --warm {args.warm}\n")
    print(f"Cold start, median of {args.cold} (interleaved with the floor)\n")
    print("| image | floor: docker run --rm | lambdock cold invoke | ratio | Init Duration |")
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(cold_rows))
    print(f"\nWarm invocation, Invoke API, {args.warm} sequential on one connection\n")
    print("| image | p50 | p90 | p99 | max |")
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(warm_rows))


if __name__ == "__main__":
    main()
