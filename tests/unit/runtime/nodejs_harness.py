"""Harness for the Node.js runtime client tests: a Runtime API test double and a process runner.

The double stands in for lambdock's Runtime API (the real one is exercised by the integration
tests): it hands queued invocations to `GET /2018-06-01/runtime/invocation/next` with the headers
AWS's Runtime API sends, and records every `/response`, `/error` and `/init/error` post.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
NODE_RUNTIME_DIR = REPO_ROOT / "runtime" / "nodejs"
NODE_FIXTURES = NODE_RUNTIME_DIR / "test" / "fixtures"
WAIT_SECONDS = 15.0
LONG_POLL_SECONDS = 60.0
API_PREFIX = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:node-fn"
TRACE_ID = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=1;Sampled=0"


@dataclass(frozen=True)
class Invocation:
    """One event queued for the runtime, with the Runtime API headers that come with it."""

    request_id: str
    event: Any
    deadline_ms: int
    extra_headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Post:
    """What the runtime posted: kind is `response`, `error` or `init_error`."""

    kind: str
    request_id: str | None
    body: Any
    error_type_header: str | None


class _DoubleServer(ThreadingHTTPServer):
    """The double's HTTP server; a runtime killed mid-request is expected, not an error."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class RuntimeApiDouble:
    """Test double of lambdock's Runtime API on 127.0.0.1, served from a thread."""

    def __init__(self) -> None:
        self.invocations: queue.Queue[Invocation] = queue.Queue()
        self.posts: queue.Queue[Post] = queue.Queue()
        self.stopping = threading.Event()
        self.server = _DoubleServer(("127.0.0.1", 0), _handler_class(self))
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def address(self) -> str:
        """The `host:port` given to the runtime as AWS_LAMBDA_RUNTIME_API."""
        return f"127.0.0.1:{self.server.server_port}"

    def start(self) -> None:
        """Serve in a background thread."""
        self.thread.start()

    def stop(self) -> None:
        """Release waiting long polls and stop serving."""
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=WAIT_SECONDS)

    def invoke(self, event: Any, request_id: str, **extra_headers: str) -> None:
        """Queue an event with a 30-second deadline."""
        deadline_ms = int(time.time() * 1000) + 30_000
        self.invocations.put(Invocation(request_id, event, deadline_ms, dict(extra_headers)))

    def next_post(self) -> Post:
        """The next thing the runtime posted, waiting a bounded time for it."""
        try:
            return self.posts.get(timeout=WAIT_SECONDS)
        except queue.Empty:
            raise AssertionError(f"the runtime posted nothing within {WAIT_SECONDS} s") from None

    def take_invocation(self) -> Invocation | None:
        """Block a long poll until an invocation is queued, the double stops, or time runs out."""
        deadline = time.monotonic() + LONG_POLL_SECONDS
        while not self.stopping.is_set() and time.monotonic() < deadline:
            try:
                return self.invocations.get(timeout=0.1)
            except queue.Empty:
                continue
        return None


def _handler_class(double: RuntimeApiDouble) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one double."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the runtime's agent expects
        disable_nagle_algorithm = True  # headers and body go out without a delayed-ACK stall

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output clean."""

        def do_GET(self) -> None:
            if self.path != f"{API_PREFIX}/invocation/next":
                self._reply(404, b'{"errorType":"NotFound"}')
                return
            invocation = double.take_invocation()
            if invocation is None:
                self._reply(503, b'{"errorType":"ServiceUnavailable"}')
                return
            headers = {
                "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
                "Lambda-Runtime-Trace-Id": TRACE_ID,
                **invocation.extra_headers,
            }
            self._reply(200, json.dumps(invocation.event).encode(), headers)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length).decode("utf-8"))
            error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
            parts = self.path.removeprefix(API_PREFIX).strip("/").split("/")
            if parts == ["init", "error"]:
                double.posts.put(Post("init_error", None, body, error_type))
            elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                double.posts.put(Post(parts[2], parts[1], body, error_type))
            else:
                self._reply(404, b'{"errorType":"NotFound"}')
                return
            self._reply(202, b'{"status":"OK"}')

        def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


def node_executable() -> str:
    """The `node` on PATH; the tests cannot run without it, so its absence fails them."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js (node, version 18 or newer) is not on PATH; it runs these tests")
    return node


def function_environment(api: RuntimeApiDouble, task_root: Path, handler: str) -> dict[str, str]:
    """The environment Lambda gives a runtime process (CONTRACT: process backend)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "_HANDLER": handler,
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(NODE_RUNTIME_DIR),
        "AWS_LAMBDA_FUNCTION_NAME": "node-fn",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/node-fn",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_nodejs20.x",
    }


class NodeRuntime:
    """One `node runtime/nodejs/index.mjs` process, stopped by its own handle."""

    def __init__(self, api: RuntimeApiDouble, task_root: Path, handler: str) -> None:
        env = function_environment(api, task_root, handler)
        self.process = subprocess.Popen(
            [node_executable(), str(NODE_RUNTIME_DIR / "index.mjs")],
            cwd=task_root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def wait_for_exit(self) -> int:
        """The exit code, waiting a bounded time for the process to end on its own."""
        return self.process.wait(timeout=WAIT_SECONDS)

    def stop(self) -> tuple[str, str]:
        """Stop the process (if still running) and return its stdout and stderr, bytes intact.

        Decoded by hand: text mode would turn the `\r` that stands for a newline inside a log
        line into a line break.
        """
        if self.process.poll() is None:
            self.process.kill()
        stdout, stderr = self.process.communicate(timeout=WAIT_SECONDS)
        return stdout.decode("utf-8"), stderr.decode("utf-8")
