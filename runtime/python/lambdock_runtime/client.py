"""HTTP calls to the Lambda Runtime API (2018-06-01) on one keep-alive connection.

The address comes from ``AWS_LAMBDA_RUNTIME_API`` (``host:port``). A dropped connection is
reopened and the call retried, a bounded number of times with a doubling pause; a status other
than the expected one is an error, as it is for awslambdaric, and ends the runtime.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Callable

from . import __version__
from .connection import Connection, Headers, ProtocolError

_BASE_PATH = "/2018-06-01/runtime"

# Header names of the Runtime API (AWS Lambda developer guide, "Using the Lambda runtime API").
REQUEST_ID_HEADER = "Lambda-Runtime-Aws-Request-Id"
DEADLINE_HEADER = "Lambda-Runtime-Deadline-Ms"
FUNCTION_ARN_HEADER = "Lambda-Runtime-Invoked-Function-Arn"
TRACE_ID_HEADER = "Lambda-Runtime-Trace-Id"
CLIENT_CONTEXT_HEADER = "Lambda-Runtime-Client-Context"
COGNITO_IDENTITY_HEADER = "Lambda-Runtime-Cognito-Identity"
TENANT_ID_HEADER = "Lambda-Runtime-Aws-Tenant-Id"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
XRAY_ERROR_CAUSE_HEADER = "Lambda-Runtime-Function-XRay-Error-Cause"

_ERROR_CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class Invocation:
    """One event handed out by ``/invocation/next``, with its standard headers."""

    request_id: str
    body: bytes
    content_type: str | None
    deadline_ms: int
    invoked_function_arn: str | None
    trace_id: str | None
    client_context: str | None
    cognito_identity: str | None
    tenant_id: str | None


class RuntimeApiError(Exception):
    """The Runtime API could not be reached, or answered with an unexpected status."""


class RuntimeApiClient:
    """A client of one environment's Runtime API endpoint."""

    def __init__(
        self,
        address: str,
        *,
        max_attempts: int = 5,
        first_pause_s: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._address = address
        self._max_attempts = max_attempts
        self._first_pause_s = first_pause_s
        self._sleep = sleep
        self._connection: Connection | None = None
        version = sys.version_info
        self._user_agent = (
            f"lambdock-runtime-python/{version.major}.{version.minor}.{version.micro}-{__version__}"
        )

    def next_invocation(self) -> Invocation:
        """Long-poll ``GET /invocation/next`` for the next event."""
        status, body, headers = self._call("GET", f"{_BASE_PATH}/invocation/next", None, {})
        _expect(status, 200, "invocation/next", body)
        request_id = headers.get(REQUEST_ID_HEADER)
        if not request_id:
            raise RuntimeApiError(f"invocation/next answered without {REQUEST_ID_HEADER}")
        return Invocation(
            request_id=request_id,
            body=body,
            content_type=headers.get("Content-Type"),
            deadline_ms=_to_int(headers.get(DEADLINE_HEADER)),
            invoked_function_arn=headers.get(FUNCTION_ARN_HEADER),
            trace_id=headers.get(TRACE_ID_HEADER) or None,
            client_context=headers.get(CLIENT_CONTEXT_HEADER) or None,
            cognito_identity=headers.get(COGNITO_IDENTITY_HEADER) or None,
            tenant_id=headers.get(TENANT_ID_HEADER) or None,
        )

    def post_response(self, request_id: str, body: bytes, content_type: str) -> None:
        """Post a handler's result to ``/invocation/{id}/response``."""
        path = f"{_BASE_PATH}/invocation/{request_id}/response"
        self._post(path, body, {"Content-Type": content_type})

    def post_error(
        self, request_id: str, body: bytes, error_type: str, xray_cause: str | None = None
    ) -> None:
        """Post an error payload to ``/invocation/{id}/error``."""
        headers = {"Content-Type": _ERROR_CONTENT_TYPE, ERROR_TYPE_HEADER: error_type}
        if xray_cause is not None:
            headers[XRAY_ERROR_CAUSE_HEADER] = xray_cause
        self._post(f"{_BASE_PATH}/invocation/{request_id}/error", body, headers)

    def post_init_error(self, body: bytes, error_type: str) -> None:
        """Post an initialisation error payload to ``/init/error``."""
        headers = {"Content-Type": _ERROR_CONTENT_TYPE, ERROR_TYPE_HEADER: error_type}
        self._post(f"{_BASE_PATH}/init/error", body, headers)

    def close(self) -> None:
        """Close the connection; the next call opens a new one."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _post(self, path: str, body: bytes, headers: dict[str, str]) -> None:
        status, answer, _ = self._call("POST", path, body, headers)
        _expect(status, 202, path, answer)

    def _call(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes, Headers]:
        headers = {"User-Agent": self._user_agent, **headers}
        pause = self._first_pause_s
        for attempt in range(1, self._max_attempts + 1):
            try:
                return self._send(method, path, body, headers)
            except (OSError, ProtocolError) as exc:
                self.close()
                if attempt == self._max_attempts:
                    raise RuntimeApiError(
                        f"{method} {path} failed after {attempt} attempts: {exc!r}"
                    ) from exc
            self._sleep(pause)
            pause *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes, Headers]:
        if self._connection is None:
            self._connection = Connection(self._address)
        return self._connection.request(method, path, body, headers)


def _expect(status: int, expected: int, what: str, body: bytes) -> None:
    if status != expected:
        text = body[:500].decode("utf-8", "replace")
        raise RuntimeApiError(f"{what} answered {status} (expected {expected}): {text}")


def _to_int(value: str | None) -> int:
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0
