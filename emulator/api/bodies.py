"""Request bodies read with a bound, so an oversized one is refused without being held whole."""

from __future__ import annotations

from fastapi import Request

from emulator.errors import RequestTooLarge


async def read_body(request: Request, limit: int, message: str) -> bytes:
    """The body, or RequestTooLarge(message) as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge(message)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge(message)
        chunks.append(chunk)
    body = b"".join(chunks)
    # Kept where Request.body() looks, so later readers (the route after a signature check)
    # see the same bytes.
    request._body = body
    return body
