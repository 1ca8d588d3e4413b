"""One keep-alive HTTP/1.1 connection to the Runtime API, over a plain socket.

A runtime makes two calls per invocation (its answer, then the next ``/next``), so this is on
the hot path of every invocation. ``http.client`` parses each response's headers with the email
package, which costs more than the rest of the call; the Runtime API's responses are small
JSON documents, so a request is written in one piece and its response read with a few byte
searches instead. Framing follows RFC 9112: Content-Length, chunked, or until the server closes.
"""

from __future__ import annotations

import socket
from typing import Callable

Connect = Callable[[tuple[str, int]], socket.socket]

_READ_SIZE = 64 * 1024
# Bounds on what a Runtime API response may be: its head, and how many reads it may take.
_MAX_HEAD = 64 * 1024
_MAX_READS = 1 << 20


class ProtocolError(Exception):
    """The server's bytes are not an HTTP/1.1 response, or the connection ended mid-response."""


class Headers(dict[str, str]):
    """Response headers by lower-cased name (the first of repeated ones)."""

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        """The value of header `name`, whatever its case."""
        return super().get(name.lower(), default)


class Connection:
    """A connection to ``host:port`` (IPv6 in brackets), opened by the first request."""

    def __init__(self, address: str, *, connect: Connect = socket.create_connection) -> None:
        self._connect = connect
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            host, port = address, "80"
        self._host_header = address
        self._target = (host.strip("[]"), int(port))
        self._sock: socket.socket | None = None
        self._buffer = b""

    def close(self) -> None:
        """Close the socket; the next request opens a new one."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._buffer = b""

    def request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes, Headers]:
        """Send one request and read its response: status, body, headers."""
        if self._sock is None:
            # No timeout: /invocation/next is a long poll that may wait for minutes.
            self._sock = self._connect(self._target)
            if self._sock.family in (socket.AF_INET, socket.AF_INET6):
                # Requests go out whole; never hold one back for an ACK (Nagle).
                self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self._host_header}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        for _ in range(100):  # skip interim 1xx responses (RFC 9110 15.2)
            status, answer, found, keep = self._response()
            if status >= 200:
                if not keep:
                    self.close()
                return status, answer, found
        raise ProtocolError("too many interim responses")

    def _response(self) -> tuple[int, bytes, Headers, bool]:
        head = self._until(b"\r\n\r\n", _MAX_HEAD).decode("latin-1")
        status_line, *header_lines = head.split("\r\n")
        version, _, rest = status_line.partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/1.") or not code.isdigit():
            raise ProtocolError(f"not an HTTP/1.1 status line: {status_line[:100]!r}")
        status = int(code)
        headers = Headers()
        for line in header_lines:
            name, colon, value = line.partition(":")
            if colon:
                headers.setdefault(name.strip().lower(), value.strip())
        options = {t.strip().lower() for t in (headers.get("connection") or "").split(",")}
        keep = "close" not in options and (version == "HTTP/1.1" or "keep-alive" in options)
        if status < 200 or status in (204, 304):
            return status, b"", headers, keep
        if (headers.get("transfer-encoding") or "").lower().endswith("chunked"):
            return status, self._chunked(), headers, keep
        length = headers.get("content-length")
        if length is not None and length.isdigit():
            return status, self._exactly(int(length)), headers, keep
        return status, self._to_end(), headers, False

    def _fill(self) -> None:
        assert self._sock is not None
        data = self._sock.recv(_READ_SIZE)
        if not data:
            raise ProtocolError("the connection closed mid-response")
        self._buffer += data

    def _until(self, marker: bytes, limit: int) -> bytes:
        for _ in range(_MAX_READS):
            index = self._buffer.find(marker)
            if index >= 0:
                found, self._buffer = self._buffer[:index], self._buffer[index + len(marker) :]
                return found
            if len(self._buffer) > limit:
                raise ProtocolError("response head too large")
            self._fill()
        raise ProtocolError("response head too large")

    def _exactly(self, size: int) -> bytes:
        for _ in range(_MAX_READS):
            if len(self._buffer) >= size:
                break
            self._fill()
        found, self._buffer = self._buffer[:size], self._buffer[size:]
        return found

    def _chunked(self) -> bytes:
        chunks: list[bytes] = []
        for _ in range(_MAX_READS):
            size_text = self._until(b"\r\n", _MAX_HEAD).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ProtocolError(f"invalid chunk size {size_text[:20]!r}") from None
            if size == 0:
                for _ in range(_MAX_READS):  # trailers, up to the empty line
                    if not self._until(b"\r\n", _MAX_HEAD):
                        return b"".join(chunks)
            chunks.append(self._exactly(size))
            self._until(b"\r\n", 2)
        raise ProtocolError("too many chunks")

    def _to_end(self) -> bytes:
        assert self._sock is not None
        for _ in range(_MAX_READS):
            data = self._sock.recv(_READ_SIZE)
            if not data:
                found, self._buffer = self._buffer, b""
                return found
            self._buffer += data
        raise ProtocolError("response too long")
