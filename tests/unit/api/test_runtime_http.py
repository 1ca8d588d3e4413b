"""The Runtime API's HTTP/1.1 server side, fed bytes as a runtime client sends them.

Framing follows RFC 9112 (HTTP/1.1): request line and headers, Content-Length and chunked
bodies, persistent connections, and `Expect: 100-continue` (RFC 9110 10.1.1), which curl-based
runtime clients send for larger bodies.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from emulator.api.runtime_http import (
    BadRequest,
    BodyTooLarge,
    Connection,
    Request,
    parse_head,
    response_bytes,
)


class _Writer:
    """What the connection writes, kept for the test to read."""

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data

    async def drain(self) -> None:
        return None


def _connection(data: bytes) -> tuple[Connection, _Writer]:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    writer = _Writer()
    writer_any: Any = writer
    return Connection(reader, writer_any, max_head=1024), writer


async def _requests(data: bytes) -> list[tuple[Request, bytes]]:
    connection, _ = _connection(data)
    found = []
    for _ in range(10):
        request = await connection.next_request()
        if request is None:
            return found
        found.append((request, await connection.body(request, limit=100, discard_limit=100)))
    raise AssertionError("more requests than expected")


async def test_a_get_and_a_post_with_content_length_on_one_connection() -> None:
    found = await _requests(
        b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"
        b"POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\n"
        b"Content-Length: 2\r\nContent-Type: application/json\r\n\r\n42"
    )
    assert found == [
        (Request("GET", "/2018-06-01/runtime/invocation/next", {"host": "x"}, True), b""),
        (
            Request(
                "POST",
                "/2018-06-01/runtime/invocation/r1/response",
                {"content-length": "2", "content-type": "application/json"},
                True,
            ),
            b"42",
        ),
    ]


async def test_a_chunked_body_is_joined_and_its_trailers_skipped() -> None:
    found = await _requests(
        b"POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'2;ext=1\r\n{"\r\n3\r\na":\r\n2\r\n1}\r\n0\r\nX-Trailer: t\r\n\r\n'
    )
    assert [body for _, body in found] == [b'{"a":1}']


async def test_bare_line_feeds_and_leading_empty_lines_are_accepted() -> None:
    found = await _requests(b"\r\n\nGET /a HTTP/1.1\nHost: x\n\n")
    assert [(r.method, r.target, r.headers) for r, _ in found] == [("GET", "/a", {"host": "x"})]


async def test_connection_close_and_http_1_0_end_the_connection() -> None:
    found = await _requests(b"GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.0\r\n\r\n")
    assert [r.keep_alive for r, _ in found] == [False, False]


async def test_expect_100_continue_is_answered_before_the_body_is_read() -> None:
    connection, writer = _connection(
        b"POST /r HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n1"
    )
    request = await connection.next_request()
    assert request is not None
    assert await connection.body(request, limit=10, discard_limit=0) == b"1"
    assert writer.data == b"HTTP/1.1 100 Continue\r\n\r\n"


async def test_a_body_over_the_limit_is_read_and_dropped_within_the_discard_bound() -> None:
    connection, _ = _connection(
        b"POST /r HTTP/1.1\r\nContent-Length: 150\r\n\r\n" + b"x" * 150 + b"GET /n HTTP/1.1\r\n\r\n"
    )
    request = await connection.next_request()
    assert request is not None
    with pytest.raises(BodyTooLarge) as too_large:
        await connection.body(request, limit=100, discard_limit=100)
    following = await connection.next_request()
    assert (too_large.value.drained, following) == (True, Request("GET", "/n", {}, True))


async def test_a_body_beyond_the_discard_bound_is_not_read() -> None:
    connection, _ = _connection(b"POST /r HTTP/1.1\r\nContent-Length: 500\r\n\r\nxx")
    request = await connection.next_request()
    assert request is not None
    with pytest.raises(BodyTooLarge) as too_large:
        await connection.body(request, limit=100, discard_limit=100)
    assert too_large.value.drained is False


async def test_a_head_larger_than_allowed_is_431() -> None:
    connection, _ = _connection(b"GET /a HTTP/1.1\r\nX: " + b"y" * 2000 + b"\r\n\r\n")
    with pytest.raises(BadRequest) as bad:
        await connection.next_request()
    assert bad.value.status == 431


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"GET /a", 400),
        (b"GET /a HTTP/2.0", 505),
        (b"GET /a HTTP/1.1\r\nNo colon here", 400),
        (b"GET /a HTTP/1.1\r\nX: 1\r\n folded", 400),
        (b"GET /a HTTP/1.1\r\nBad Name: 1", 400),
    ],
)
def test_malformed_heads_are_refused_with_their_status(head: bytes, status: int) -> None:
    with pytest.raises(BadRequest) as bad:
        parse_head(head)
    assert bad.value.status == status


async def test_conflicting_content_lengths_and_unknown_codings_are_400() -> None:
    for head in (
        b"POST /r HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"POST /r HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
    ):
        connection, _ = _connection(head)
        request = await connection.next_request()
        assert request is not None
        with pytest.raises(BadRequest) as bad:
            await connection.body(request, limit=100, discard_limit=0)
        assert bad.value.status == 400


def test_both_framings_close_the_connection_after_the_answer() -> None:
    request = parse_head(b"POST /r HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked")
    assert request.keep_alive is False


def test_a_response_is_one_block_with_its_length_and_headers() -> None:
    data = response_bytes(202, b'{"status":"OK"}', [("X-A", "1\r\n2")], close=True)
    assert data == (
        b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n"
        b'X-A: 1  2\r\nConnection: close\r\n\r\n{"status":"OK"}'
    )


async def test_a_request_written_a_few_bytes_at_a_time_is_read_whole() -> None:
    # A bash runtime over /dev/tcp writes a request in many small pieces.
    data = (
        b"POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: 127.0.0.1:9001\r\n"
        b"Connection: close\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
        b'{"ok":true}'
    )
    reader = asyncio.StreamReader()
    writer: Any = _Writer()
    connection = Connection(reader, writer, max_head=1024)

    async def trickle() -> None:
        for start in range(0, len(data), 3):
            reader.feed_data(data[start : start + 3])
            await asyncio.sleep(0)
        reader.feed_eof()

    feeding = asyncio.create_task(trickle())
    request = await connection.next_request()
    assert request is not None
    body = await connection.body(request, limit=100, discard_limit=0)
    await feeding
    assert (request.target, request.keep_alive, body) == (
        "/2018-06-01/runtime/invocation/r1/response",
        False,
        b'{"ok":true}',
    )
