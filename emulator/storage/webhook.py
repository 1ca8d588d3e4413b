"""A small HTTP/1.1 server on loopback that takes MinIO's webhook POSTs (h11 on asyncio streams).

MinIO's webhook target posts one JSON document per event and counts any 2xx answer as delivered
(`internal/event/target/webhook.go`); it keeps connections alive between posts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import h11

LOOPBACK = "127.0.0.1"
MAX_BODY_BYTES = 4 * 1024 * 1024
REQUEST_TIMEOUT_SECONDS = 30.0
MAX_REQUESTS_PER_CONNECTION = 100_000
STOP_TIMEOUT_SECONDS = 5.0
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class WebhookRequest:
    """One received request: method, target, lower-cased headers and the whole body."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes


Handler = Callable[[WebhookRequest], Awaitable[int]]


class _BodyTooLarge(Exception):
    """The request body is over MAX_BODY_BYTES."""


class WebhookServer:
    """Serves `handler` on a loopback port; the handler's return value is the status code."""

    def __init__(self, handler: Handler, *, host: str = LOOPBACK, port: int = 0) -> None:
        self._handler = handler
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()

    @property
    def port(self) -> int:
        """The bound port (the requested one, or the one the OS chose for port 0)."""
        return self._port

    async def start(self) -> None:
        """Listen; raises OSError when the port is taken."""
        self._server = await asyncio.start_server(self._on_connection, self._host, self._port)
        self._port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for writer in list(self._connections):
            writer.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(STOP_TIMEOUT_SECONDS):
                await server.wait_closed()

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Serve requests on one connection until the peer closes it or it goes idle."""
        self._connections.add(writer)
        connection = h11.Connection(h11.SERVER)
        try:
            for _ in range(MAX_REQUESTS_PER_CONNECTION):
                if not await self._serve_one(connection, reader, writer):
                    break
                connection.start_next_cycle()
        except (ConnectionError, TimeoutError, h11.ProtocolError):
            pass
        finally:
            self._connections.discard(writer)
            writer.close()

    async def _serve_one(
        self, connection: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; True when the connection can carry another."""
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
                request = await _read_request(connection, reader)
        except _BodyTooLarge:
            await _respond(connection, writer, 413)
            return False
        if request is None:
            return False
        await _respond(connection, writer, await self._handler(request))
        return connection.our_state is h11.DONE and connection.their_state is h11.DONE


async def _read_request(
    connection: h11.Connection, reader: asyncio.StreamReader
) -> WebhookRequest | None:
    """Read one whole request, or None when the peer closed the connection first."""
    head: h11.Request | None = None
    body = bytearray()
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(await reader.read(_READ_CHUNK))
        elif isinstance(event, h11.Request):
            head = event
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > MAX_BODY_BYTES:
                raise _BodyTooLarge
        elif isinstance(event, h11.EndOfMessage) and head is not None:
            return _request(head, bytes(body))
        elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
            return None


def _request(head: h11.Request, body: bytes) -> WebhookRequest:
    """Our request value from h11's request head and the body."""
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in head.headers
    }
    return WebhookRequest(
        method=head.method.decode("ascii"),
        target=head.target.decode("latin-1"),
        headers=headers,
        body=body,
    )


async def _respond(connection: h11.Connection, writer: asyncio.StreamWriter, status: int) -> None:
    """Send an empty response with `status`."""
    writer.write(
        connection.send(h11.Response(status_code=status, headers=[("content-length", "0")]))
    )
    writer.write(connection.send(h11.EndOfMessage()))
    await writer.drain()
