"""Helpers the runtime suites share: invoking through boto3, reading Tail logs, a local
catalogue service for the recipe task, and failing loudly when a needed tool is missing."""

from __future__ import annotations

import base64
import json
import re
import shutil
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# A line the Node.js runtime writes for console.* (AWS doc "Log and monitor Node.js Lambda
# functions": timestamp, request id, level, message, tab-separated).
NODE_LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    r"\t(?P<request_id>[^\t]+)\t(?P<level>[A-Z]+)\t(?P<message>.*)$"
)


@dataclass(frozen=True)
class Result:
    """One synchronous invocation as boto3 returns it."""

    response: Mapping[str, Any]
    raw: bytes
    log: str

    @property
    def body(self) -> Any:
        """The payload parsed as JSON."""
        return json.loads(self.raw) if self.raw else None

    @property
    def function_error(self) -> str | None:
        """The X-Amz-Function-Error header, as boto3 exposes it."""
        value = self.response.get("FunctionError")
        return str(value) if value is not None else None

    @property
    def request_id(self) -> str:
        """The invocation's request id."""
        return str(self.response["ResponseMetadata"]["RequestId"])

    def log_lines(self, level: str | None = None) -> list[tuple[str, str, str]]:
        """The runtime's formatted log lines as (request id, level, message)."""
        found = []
        # Split on newlines only: a Node.js log event keeps its inner line breaks as "\r".
        for line in self.log.split("\n"):
            match = NODE_LOG_LINE.match(line)
            if match and (level is None or match["level"] == level):
                found.append((match["request_id"], match["level"], match["message"]))
        return found


def invoke(lam: Any, name: str, event: Any = None, **kwargs: Any) -> Result:
    """Invoke a function synchronously with the Tail log."""
    response = lam.invoke(
        FunctionName=name,
        Payload=json.dumps({} if event is None else event),
        LogType="Tail",
        **kwargs,
    )
    raw = response["Payload"].read()
    log = base64.b64decode(response.get("LogResult", "")).decode(errors="replace")
    return Result(response, raw, log)


def require_tool(name: str, what: str) -> str:
    """The tool's path on PATH; its absence fails the test run with a message naming it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{what} ({name}) is not on PATH; these tests need it")
    return path


# The catalogue the recipe task prices orders from; amounts are in cents.
CATALOGUE = {
    "tea": {"name": "Green tea", "priceCents": 450},
    "cup": {"name": "Cup", "priceCents": 1200},
}


class _CatalogueServer(ThreadingHTTPServer):
    """The catalogue's HTTP server, remembering each path it served."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CatalogueHandler)
        self.requests: list[str] = []


class _CatalogueHandler(BaseHTTPRequestHandler):
    """`GET /items/<sku>`: the item as JSON, or 404."""

    server: _CatalogueServer

    def do_GET(self) -> None:
        sku = self.path.removeprefix("/items/")
        item = CATALOGUE.get(sku) if self.path.startswith("/items/") else None
        body = json.dumps(item if item else {"message": "not found"}).encode()
        self.send_response(200 if item else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.requests.append(self.path)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


@contextmanager
def catalogue_service() -> Iterator[tuple[str, list[str]]]:
    """A catalogue database on 127.0.0.1 for the recipe task: its URL and the paths it served."""
    server = _CatalogueServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
