"""The server side of HTTP/1.1 (RFC 9112) as the Runtime API needs it: read one request at a
time from a keep-alive connection, write one JSON response.

Every invocation crosses the Runtime API twice (the answer, and the next `/next`), so this sits
on the hot path; a general HTTP library spends most of its time on features that runtime
clients never use. This reads a request head in one search, a body by Content-Length or
chunked, honours `Expect: 100-continue` (curl sends it for larger bodies) and
`Connection: close`, and answers what it cannot parse with 400 and a closed connection.
"""

from __future__ import annotations

import asyncio
import http
import re
from collections.abc import Iterable
from dataclasses import dataclass

# The end of a request head: an empty line (a bare LF is accepted as a line end, RFC 9112 2.2).
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_READ_SIZE = 64 * 1024
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
# Response header values must not break the head; anything else is sent as it is.
_LINE_BREAKS = str.maketrans({"\r": " ", "\n": " "})
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class BadRequest(Exception):
    """The bytes are not an HTTP/1.1 request we can answer; the connection must close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class BodyTooLarge(Exception):
    """The body is larger than the caller allows; `drained` tells if it was read to its end."""

    def __init__(self, drained: bool) -> None:
        super().__init__("body too large")
        self.drained = drained


@dataclass(frozen=True)
class Request:
    """A request head: method, target, lower-cased headers, and whether to keep the connection."""

    method: str
    target: str
    headers: dict[str, str]
    keep_alive: bool


class Connection:
    """One client connection: requests read in turn, responses written whole."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, max_head: int
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._max_head = max_head
        self._buffer = bytearray()

    async def next_request(self) -> Request | None:
        """The next request's head, or None when the client closed between requests."""
        head = await self._head()
        return None if head is None else parse_head(head)

    async def body(self, request: Request, *, limit: int, discard_limit: int) -> bytes:
        """The request's body; BodyTooLarge past `limit` (after reading and dropping up to
        `discard_limit` more bytes, so the client can finish sending and read the answer)."""
        if request.headers.get("expect", "").lower() == "100-continue":
            self._writer.write(_CONTINUE)
        coding = request.headers.get("transfer-encoding")
        if coding is not None:
            # Only chunked tells where a request body ends (RFC 9112 6.3).
            if coding.rsplit(",", 1)[-1].strip().lower() != "chunked":
                raise BadRequest(400, "unsupported Transfer-Encoding")
            return await self._chunked(limit, discard_limit)
        length = content_length(request.headers)
        if length > limit:
            drained = length <= limit + discard_limit
            if drained:
                await self._skip(length)
            raise BodyTooLarge(drained)
        return await self._exactly(length)

    async def respond(
        self,
        status: int,
        body: bytes,
        headers: Iterable[tuple[str, str]] = (),
        *,
        close: bool = False,
    ) -> None:
        """Write a JSON response in one piece."""
        self._writer.write(response_bytes(status, body, headers, close=close))
        await self._writer.drain()

    async def _head(self) -> bytes | None:
        buffer = self._buffer
        # Every read brings at least one byte (or the end): this many reads fill a head.
        for _ in range(self._max_head + 2):
            # Empty lines before a request line are ignored (RFC 9112 2.2).
            del buffer[: len(buffer) - len(buffer.lstrip(b"\r\n"))]
            found = _HEAD_END.search(buffer)
            if found is not None and found.start() <= self._max_head:
                head = bytes(buffer[: found.start()])
                del buffer[: found.end()]
                return head
            if len(buffer) > self._max_head:
                raise BadRequest(431, "request head too large")
            if not await self._fill():
                if buffer.strip():
                    raise ConnectionError("connection closed mid-request")
                return None
        raise BadRequest(431, "request head too large")

    async def _fill(self) -> bool:
        data = await self._reader.read(_READ_SIZE)
        self._buffer += data
        return bool(data)

    async def _exactly(self, size: int) -> bytes:
        buffer = self._buffer
        if len(buffer) < size:
            missing = size - len(buffer)
            buffer += await self._reader.readexactly(missing)
        data = bytes(buffer[:size])
        del buffer[:size]
        return data

    async def _skip(self, size: int) -> None:
        taken = min(size, len(self._buffer))
        del self._buffer[:taken]
        remaining = size - taken
        for _ in range(remaining + 1):
            if remaining <= 0:
                return
            data = await self._reader.read(min(_READ_SIZE, remaining))
            if not data:
                raise ConnectionError("connection closed mid-request")
            remaining -= len(data)

    async def _line(self) -> bytes:
        for _ in range(self._max_head + 2):
            end = self._buffer.find(b"\n")
            if end >= 0:
                line = bytes(self._buffer[:end]).rstrip(b"\r")
                del self._buffer[: end + 1]
                return line
            if len(self._buffer) > self._max_head:
                raise BadRequest(400, "chunk header too long")
            if not await self._fill():
                raise ConnectionError("connection closed mid-request")
        raise BadRequest(400, "chunk header too long")

    async def _chunked(self, limit: int, discard_limit: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for _ in range(limit + discard_limit + 2):
            chunk_size = _chunk_size(await self._line())
            if chunk_size == 0:
                await self._trailers()
                if size > limit:
                    raise BodyTooLarge(drained=True)
                return b"".join(chunks)
            size += chunk_size
            if size > limit + discard_limit:
                raise BodyTooLarge(drained=False)
            if size > limit:
                await self._skip(chunk_size)
            else:
                chunks.append(await self._exactly(chunk_size))
            if await self._line():
                raise BadRequest(400, "chunk data not followed by a line end")
        raise BadRequest(400, "too many chunks")

    async def _trailers(self) -> None:
        for _ in range(self._max_head):
            if not await self._line():
                return
        raise BadRequest(400, "too many trailer lines")


def parse_head(head: bytes) -> Request:
    """The request line and headers; BadRequest for anything RFC 9112 does not allow."""
    lines = head.decode("latin-1").split("\n")
    parts = lines[0].rstrip("\r").split(" ")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise BadRequest(400, "malformed request line")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise BadRequest(505 if version.startswith("HTTP/") else 400, "unsupported version")
    headers: dict[str, str] = {}
    for raw in lines[1:]:
        line = raw.rstrip("\r")
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN.match(name):
            # This also refuses obsolete line folding (a line starting with a space).
            raise BadRequest(400, "malformed header line")
        key, value = name.lower(), value.strip(" \t")
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return Request(method, target, headers, _keep_alive(version, headers))


def _keep_alive(version: str, headers: dict[str, str]) -> bool:
    options = {token.strip().lower() for token in headers.get("connection", "").split(",")}
    # Both framings at once may be a smuggling attempt: answer, then close (RFC 9112 6.1).
    both = "transfer-encoding" in headers and "content-length" in headers
    # HTTP/1.0 connections are closed after one response, as h11 and most servers do.
    return version == "HTTP/1.1" and "close" not in options and not both


def content_length(headers: dict[str, str]) -> int:
    """The declared body length (0 without one); BadRequest when it is not one number."""
    value = headers.get("content-length")
    if value is None:
        return 0
    values = {part.strip() for part in value.split(",")}
    if len(values) != 1 or not next(iter(values)).isdigit():
        raise BadRequest(400, "invalid Content-Length")
    return int(values.pop())


def _chunk_size(line: bytes) -> int:
    digits = line.split(b";", 1)[0].strip()
    try:
        return int(digits, 16) if digits else _bad_chunk()
    except ValueError:
        return _bad_chunk()


def _bad_chunk() -> int:
    raise BadRequest(400, "invalid chunk size")


def response_bytes(
    status: int, body: bytes, headers: Iterable[tuple[str, str]] = (), *, close: bool = False
) -> bytes:
    """A whole response: status line, JSON content type, length, the given headers, body."""
    lines = [
        f"HTTP/1.1 {status} {_reason(status)}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    lines += [f"{name}: {value.translate(_LINE_BREAKS)}" for name, value in headers]
    if close:
        lines.append("Connection: close")
    head = "\r\n".join(lines) + "\r\n\r\n"
    # Values are ASCII but for JSON passed through (client context): UTF-8, never a failure.
    return head.encode("utf-8") + body


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""
