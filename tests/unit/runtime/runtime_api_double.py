"""A test double of lambdock's Lambda Runtime API, for testing runtime clients without the core.

It serves the 2018-06-01 endpoints on 127.0.0.1 the way the AWS Lambda developer guide ("Using
the Lambda runtime API") describes them: ``GET /invocation/next`` hands out queued events with
the standard headers and then holds the long poll until the double stops; ``POST
/invocation/{id}/response``, ``/invocation/{id}/error`` and ``/init/error`` answer 202 and are
recorded, each with a snapshot of the runtime's stdout file taken when the post arrived. It is
deliberately minimal: the real Runtime API is exercised by the integration tests.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

NEXT_PATH = "/2018-06-01/runtime/invocation/next"
POST_PREFIXES = ("/2018-06-01/runtime/invocation/", "/2018-06-01/runtime/init/error")


@dataclass(frozen=True)
class QueuedEvent:
    """An event to hand out, with the headers of its ``/invocation/next`` response."""

    request_id: str
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedPost:
    """What the runtime client posted, and what its stdout held at that moment."""

    path: str
    headers: dict[str, str]
    body: bytes
    stdout_then: str


class RuntimeApiDouble:
    """Hands out queued events and records what the client posts; use as a context manager."""

    def __init__(
        self,
        events: list[QueuedEvent],
        *,
        stdout_path: Path | None = None,
        drop_first_next: int = 0,
    ) -> None:
        self._events = list(events)
        self._stdout_path = stdout_path
        self._drops_left = drop_first_next
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        self.posts: list[RecordedPost] = []
        self.client_ports: list[int] = []
        self.next_calls = 0
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.double = self  # type: ignore[attr-defined]
        self.dropped_polls = 0
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def address(self) -> str:
        """The value for ``AWS_LAMBDA_RUNTIME_API``."""
        port = self._server.server_address[1]
        return f"127.0.0.1:{port}"

    def __enter__(self) -> RuntimeApiDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait_for_posts(self, count: int, timeout_s: float = 15.0) -> list[RecordedPost]:
        """Wait (bounded) until ``count`` posts have arrived; return them all."""
        with self._lock:
            arrived = self._lock.wait_for(lambda: len(self.posts) >= count, timeout=timeout_s)
            if not arrived:
                raise AssertionError(f"{len(self.posts)} posts arrived, expected {count}")
            return list(self.posts)

    def take_event(self, client_port: int) -> QueuedEvent | None:
        """Called by the handler for a ``next`` request: the next event, or None once stopping."""
        with self._lock:
            self.next_calls += 1
            self.client_ports.append(client_port)
            if self._events:
                return self._events.pop(0)
        self._stopping.wait(timeout=30)
        return None

    def should_drop(self) -> bool:
        """Whether to close this ``next`` request's connection without answering."""
        with self._lock:
            if self._drops_left > 0:
                self._drops_left -= 1
                self.dropped_polls += 1
                return True
            return False

    def record(self, path: str, headers: dict[str, str], body: bytes, client_port: int) -> None:
        """Record a post with the stdout written so far."""
        stdout_then = ""
        if self._stdout_path is not None:
            stdout_then = self._stdout_path.read_bytes().decode("utf-8", "replace")
        with self._lock:
            self.client_ports.append(client_port)
            self.posts.append(RecordedPost(path, headers, body, stdout_then))
            self._lock.notify_all()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet when a runtime process ends while its poll is held."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, Nagle's algorithm holds the body
    # back until the client's delayed ACK (about 40 ms per call).
    disable_nagle_algorithm = True

    @property
    def double(self) -> RuntimeApiDouble:
        return self.server.double  # type: ignore[attr-defined,no-any-return]

    def do_GET(self) -> None:
        if self.path != NEXT_PATH:
            self._answer(404, b'{"errorType":"NotFound"}')
            return
        if self.double.should_drop():
            self.close_connection = True
            return
        event = self.double.take_event(self.client_address[1])
        if event is None:
            self.close_connection = True
            return
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": event.request_id,
            **event.headers,
        }
        self._answer(200, event.body, headers)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if not self.path.startswith(POST_PREFIXES):
            self._answer(404, b'{"errorType":"NotFound"}')
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.double.record(self.path, headers, body, self.client_address[1])
        self._answer(202, b'{"status":"OK"}')

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {"Content-Type": "application/json"}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""
