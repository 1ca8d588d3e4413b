"""The API Gateway surface: every request the other routers did not take, answered as API
Gateway answers it for the template's REST and HTTP APIs.

It is registered last, at the root, for every method, so lambdock's own paths (the Invoke API
under /2015-03-31/, the admin API under /_lambdock/) win over a greedy user route. A copy of it
goes first, taking only the requests no other route could take, so that a request for a user
route is not tried against every one of lambdock's own routes. The raw request is read with
Starlette's Request: no FastAPI body parsing on this path.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send

from emulator.events.apigw import HttpRequest, HttpResponse
from emulator.gateway_service import BODY_LIMIT, Gateway
from emulator.routing import is_reserved_path

CATCH_ALL = "/{path:path}"
# Past the limit the rest of a body is read and dropped, up to this much, so that the client
# can finish sending and read the 413.
_DRAIN_LIMIT = 8 * BODY_LIMIT
# Framing is the server's: a function's own Content-Length or Transfer-Encoding is dropped.
_FRAMING = frozenset({"content-length", "transfer-encoding"})


async def serve(request: Request) -> Response:
    """Parse the raw request, let the gateway answer it, render the answer."""
    gateway: Gateway = request.app.state.gateway
    body = await _body(request)
    answer = await gateway.handle(_parse(request, body or b""), too_large=body is None)
    return _render(answer)


class _CatchAll:
    """`serve` as a plain ASGI app: Starlette then routes every method to it, not just GET."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await serve(Request(scope, receive))
        await response(scope, receive, send)


# The gateway's one route: every path and method. Append it to an app's routes last.
route = Route(CATCH_ALL, _CatchAll(), include_in_schema=False)


class _FirstRoute(Route):
    """The catch-all, tried before every other route, but matching only paths that no other
    route serves: not under lambdock's reserved prefixes and not one of `own_paths`. Every
    other request goes on to the routes after it, and to the catch-all at the end, as before."""

    def __init__(self, own_paths: frozenset[str]) -> None:
        super().__init__(CATCH_ALL, _CatchAll(), include_in_schema=False)
        self._own_paths = own_paths

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in self._own_paths or is_reserved_path(path):
            return Match.NONE, {}
        return super().matches(scope)


def first_route(other_paths: Iterable[str]) -> Route:
    """The gateway's route to put first, given the paths of the app's other routes. Those
    outside the reserved prefixes (e.g. `/` of CloudWatch Logs) must be fixed paths."""
    own = frozenset(path for path in other_paths if not is_reserved_path(path))
    templated = sorted(path for path in own if "{" in path)
    if templated:
        raise ValueError(f"routes outside lambdock's reserved prefixes must be fixed: {templated}")
    return _FirstRoute(own)


async def _body(request: Request) -> bytes | None:
    """The body, or None when it is over API Gateway's 10 MB limit."""
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size <= BODY_LIMIT:
                chunks.append(chunk)
            elif size > _DRAIN_LIMIT:
                break
    except ClientDisconnect:
        # A body cut off is never handed to a function; nobody reads the answer.
        return None
    return b"".join(chunks) if size <= BODY_LIMIT else None


def _parse(request: Request, body: bytes) -> HttpRequest:
    scope = request.scope
    headers = tuple((_header_name(k), v.decode("latin-1")) for k, v in scope["headers"])
    raw_path: bytes | None = scope.get("raw_path")
    client = scope.get("client")
    return HttpRequest(
        method=scope["method"],
        raw_path=raw_path.decode("utf-8", "replace") if raw_path else scope["path"],
        raw_query=scope["query_string"].decode("utf-8", "replace"),
        headers=headers,
        body=body,
        source_ip=client[0] if client else "127.0.0.1",
        host=next((v for k, v in headers if k == "Host"), ""),
        protocol=f"HTTP/{scope.get('http_version', '1.1')}",
    )


@functools.lru_cache(maxsize=512)
def _header_name(raw: bytes) -> str:
    # ASGI servers lower-case header names. REST events carry the client's spelling, which
    # for HTTP/1.1 clients is nearly always Title-Case; HTTP APIs lower-case them again.
    return "-".join(part.capitalize() for part in raw.decode("latin-1").split("-"))


def _render(answer: HttpResponse) -> Response:
    response = Response(answer.body, answer.status)
    raw = [(b"content-length", str(len(answer.body)).encode())]
    for name, value in answer.headers:
        if name.lower() not in _FRAMING:
            raw.append((name.encode("latin-1", "replace"), _header_value(value)))
    response.raw_headers = raw
    return response


def _header_value(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")
