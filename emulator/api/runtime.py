"""The Lambda Runtime API (2018-06-01), one listener per execution environment.

Each environment gets its own loopback port, so its calls can never be confused with another
environment's: the official clients accept only `host:port` in `AWS_LAMBDA_RUNTIME_API`, which
leaves no room for a path or token. The protocol is small and on the hot path of every
invocation, so it is served straight from asyncio streams (`runtime_http`) rather than through
FastAPI.
Status codes and error bodies follow the Runtime API's OpenAPI description (AWS docs: "Using the
Lambda runtime API").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re

from emulator import wire
from emulator.api.runtime_http import BadRequest, BodyTooLarge, Connection, Request
from emulator.environment import AlreadyAnswered, Environment, UnknownRequest, error_document

_INVOCATION_PATH = re.compile(
    r"^/2018-06-01/runtime/invocation/(?P<id>[^/]+)/(?P<kind>response|error)$"
)
# A request line and headers larger than this are not from a runtime client.
_MAX_HEADER_BYTES = 64 * 1024
# Room for a 6 MB response plus framing; anything above is refused without being read whole.
_MAX_BODY_BYTES = wire.RESPONSE_PAYLOAD_LIMIT + 64 * 1024
# An oversized body up to this size is read and dropped before the 413; beyond it, we hang up.
_MAX_DISCARD_BYTES = 64 * 1024 * 1024


class _Answer:
    """A response to write: status, JSON body, extra headers."""

    def __init__(self, status: int, body: bytes, headers: list[tuple[str, str]] | None = None):
        self.status = status
        self.body = body
        self.headers = headers or []


def _error(status: int, error_type: str, message: str) -> _Answer:
    body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
    return _Answer(status, body)


_ACCEPTED = _Answer(202, b'{"status":"OK"}')


class RuntimeEndpoint:
    """The Runtime API as one environment sees it, on its own port."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str = "127.0.0.1") -> int:
        """Listen on a free port of `host` and return the port."""
        self._server = await asyncio.start_server(self._serve, host, 0, backlog=8)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def close(self) -> None:
        """Stop listening and drop every open connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        connection = Connection(reader, writer, max_head=_MAX_HEADER_BYTES)
        try:
            while await self._one_request(connection):
                pass
        except BadRequest as exc:
            with contextlib.suppress(ConnectionError):
                await connection.respond(*_bad_request(exc), close=True)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            # Only close() cancels these tasks, and it waits for them: end quietly.
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _one_request(self, connection: Connection) -> bool:
        """Serve one request; whether the connection stays open for another."""
        request = await connection.next_request()
        if request is None:
            return False
        try:
            body = await connection.body(
                request, limit=_MAX_BODY_BYTES, discard_limit=_MAX_DISCARD_BYTES
            )
        except BodyTooLarge as exc:
            # The rest was read (up to a bound) so the client gets its 413 instead of a reset.
            answer = self._too_large(request.target)
            keep = exc.drained and request.keep_alive
            await connection.respond(answer.status, answer.body, answer.headers, close=not keep)
            return keep
        answer = await self._route(request, body)
        close = not request.keep_alive
        await connection.respond(answer.status, answer.body, answer.headers, close=close)
        return not close

    def _too_large(self, target: str) -> _Answer:
        match = _INVOCATION_PATH.match(target)
        if match:
            message = (
                "Response payload size exceeded maximum allowed payload size "
                f"({wire.RESPONSE_PAYLOAD_LIMIT} bytes)."
            )
            with contextlib.suppress(UnknownRequest, AlreadyAnswered):
                self.environment.post_error(
                    match["id"],
                    error_document(wire.RESPONSE_TOO_LARGE, message),
                    wire.RESPONSE_TOO_LARGE,
                )
        return _error(413, "RequestEntityTooLarge", "Payload too large")

    async def _route(self, request: Request, body: bytes) -> _Answer:
        method, headers = request.method, request.headers
        path = request.target.split("?", 1)[0]
        if path == wire.RUNTIME_NEXT:
            if method != "GET":
                return _error(405, "MethodNotAllowed", f"{method} is not allowed on {path}")
            return await self._next()
        if method != "POST":
            return _error(405, "MethodNotAllowed", f"{method} is not allowed on {path}")
        if path == wire.RUNTIME_INIT_ERROR:
            error_type = headers.get(wire.HEADER_FUNCTION_ERROR_TYPE.lower())
            self.environment.post_init_error(body, error_type or _error_type_of(body))
            return _ACCEPTED
        match = _INVOCATION_PATH.match(path)
        if match is None:
            return _error(404, "InvalidPath", f"no such Runtime API path: {path}")
        return self._answer(match["id"], match["kind"], headers, body)

    async def _next(self) -> _Answer:
        invocation = await self.environment.next_invocation()
        headers = [
            (wire.HEADER_REQUEST_ID, invocation.request_id),
            (wire.HEADER_DEADLINE_MS, str(invocation.deadline_ms)),
            (wire.HEADER_FUNCTION_ARN, invocation.function_arn),
            (wire.HEADER_TRACE_ID, invocation.trace_id),
        ]
        if invocation.client_context:
            headers.append((wire.HEADER_CLIENT_CONTEXT, invocation.client_context))
        if invocation.cognito_identity:
            headers.append((wire.HEADER_COGNITO_IDENTITY, invocation.cognito_identity))
        return _Answer(200, invocation.payload, headers)

    def _answer(self, request_id: str, kind: str, headers: dict[str, str], body: bytes) -> _Answer:
        try:
            if kind == "response":
                self.environment.post_response(request_id, body)
            else:
                error_type = headers.get(wire.HEADER_FUNCTION_ERROR_TYPE.lower())
                self.environment.post_error(request_id, body, error_type or _error_type_of(body))
        except UnknownRequest:
            return _error(400, "InvalidRequestID", f"Invalid request ID: {request_id}")
        except AlreadyAnswered:
            return _error(
                400, "InvalidStateTransition", f"Invocation {request_id} was already answered"
            )
        return _ACCEPTED


def _error_type_of(body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    value = document.get("errorType") if isinstance(document, dict) else None
    return value if isinstance(value, str) else None


def _bad_request(exc: BadRequest) -> tuple[int, bytes]:
    error_type = "RequestHeaderFieldsTooLarge" if exc.status == 431 else "InvalidRequest"
    return exc.status, _error(exc.status, error_type, str(exc)).body
