"""The runtime client's HTTP/1.1 connection, against bytes written by hand into socket pairs.

Response framing follows RFC 9112 6.3 (Content-Length, chunked, or until the server closes),
persistence RFC 9112 9.3, and interim 1xx responses RFC 9110 15.2.
"""

from __future__ import annotations

import socket

import pytest
from lambdock_runtime.connection import Connection, ProtocolError


class _Server:
    """Hands the connection one end of a new socket pair per connect, with the next answer
    already written into it (and, if asked, the server's side shut for writing after it)."""

    def __init__(self, answers: list[bytes], *, hang_up: bool = False) -> None:
        self._answers = answers
        self._hang_up = hang_up
        self.ends: list[socket.socket] = []
        self.targets: list[tuple[str, int]] = []

    def connect(self, target: tuple[str, int]) -> socket.socket:
        ours, theirs = socket.socketpair()
        theirs.sendall(self._answers[len(self.ends)])
        if self._hang_up:
            theirs.shutdown(socket.SHUT_WR)
        self.ends.append(theirs)
        self.targets.append(target)
        return ours

    def received(self) -> bytes:
        self.ends[0].settimeout(1)
        return self.ends[0].recv(65536)

    def close(self) -> None:
        for end in self.ends:
            end.close()


def test_requests_are_one_write_each_and_bodies_are_read_by_content_length() -> None:
    server = _Server(
        [
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Lambda-Runtime-Aws-Request-Id: r1\r\nContent-Length: 8\r\n\r\n"
            b'{"a": 1}HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}'
        ]
    )
    connection = Connection("127.0.0.1:9001", connect=server.connect)
    status, body, headers = connection.request("GET", "/next", None, {"User-Agent": "t"})
    second = connection.request("POST", "/r1/response", b"42", {"Content-Type": "text/plain"})
    connection.close()
    assert (status, body, headers.get("lambda-runtime-aws-request-id")) == (200, b'{"a": 1}', "r1")
    assert headers.get("Content-Type") == "application/json"
    assert second[:2] == (202, b"{}")
    assert server.targets == [("127.0.0.1", 9001)]
    assert server.received() == (
        b"GET /next HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUser-Agent: t\r\n\r\n"
        b"POST /r1/response HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nContent-Type: text/plain\r\n"
        b"Content-Length: 2\r\n\r\n42"
    )
    server.close()


def test_a_chunked_body_is_joined_and_interim_responses_are_skipped() -> None:
    server = _Server(
        [
            b"HTTP/1.1 100 Continue\r\n\r\n"
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b'3;x=1\r\n{"a\r\n5\r\n": 1}\r\n0\r\nTrailer: t\r\n\r\n'
        ]
    )
    connection = Connection("127.0.0.1:9001", connect=server.connect)
    assert connection.request("GET", "/next", None, {})[:2] == (200, b'{"a": 1}')
    connection.close()
    server.close()


def test_a_body_without_length_is_read_to_the_close_and_the_next_call_reconnects() -> None:
    server = _Server(
        [
            b"HTTP/1.1 200 OK\r\n\r\n{}",
            b"HTTP/1.0 202 Accepted\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n",
        ],
        hang_up=True,
    )
    connection = Connection("[::1]:9001", connect=server.connect)
    answers = [
        connection.request("GET", "/next", None, {})[:2],
        connection.request("POST", "/a", b"", {})[:2],
        connection.request("POST", "/b", b"", {})[:2],
        connection.request("POST", "/c", b"", {})[:2],
    ]
    connection.close()
    assert answers == [(200, b"{}"), (202, b""), (202, b""), (202, b"")]
    # Read-to-close, HTTP/1.0 without keep-alive, and Connection: close each end a connection.
    assert server.targets == [("::1", 9001)] * 4
    server.close()


@pytest.mark.parametrize(
    "answer",
    [b"SSH-2.0-OpenSSH\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"],
)
def test_what_is_not_a_whole_response_is_a_protocol_error(answer: bytes) -> None:
    server = _Server([answer], hang_up=True)
    connection = Connection("127.0.0.1:9001", connect=server.connect)
    with pytest.raises(ProtocolError):
        connection.request("GET", "/next", None, {})
    connection.close()
    server.close()
