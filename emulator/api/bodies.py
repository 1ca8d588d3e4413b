"""Request bodies read with a bound, so an oversized one is refused without being held whole."""

from __future__ import annotations

from fastapi import Request
from starlette.requests import ClientDisconnect

from emulator.errors import InvalidRequestContent, RequestTooLarge

# Past the limit the rest of a body is read and dropped, up to this much, so that the client
# can finish sending and read the 413 rather than have its connection reset; a client that
# announces more than this gets its 413 at once.
DRAIN_LIMIT = 64 * 1024 * 1024


async def read_body(request: Request, limit: int, message: str) -> bytes:
    """The body, or RequestTooLarge(message) once it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > DRAIN_LIMIT:
        raise RequestTooLarge(message)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size <= limit:
                chunks.append(chunk)
            elif size > DRAIN_LIMIT:
                break
    except ClientDisconnect:
        # Nobody will read the answer; it only keeps a traceback out of lambdock's output.
        raise InvalidRequestContent("The client closed the connection mid-body") from None
    if size > limit:
        raise RequestTooLarge(message)
    body = b"".join(chunks)
    # Kept where Request.body() looks, so later readers (the route after a signature check)
    # see the same bytes.
    request._body = body
    return body
