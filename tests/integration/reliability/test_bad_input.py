"""Bytes no client should send, straight onto a real `lambdock up` socket: every answer is a
well-formed HTTP error (AWS's JSON shape once the request parses; the HTTP layer's plain 400
when it does not, as AWS's front door answers), lambdock never logs a traceback, keeps serving,
and its memory stays flat."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import h11
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.reliability import procfs
from tests.integration.reliability.conftest import Served

INVOKE = b"/2015-03-31/functions/Hello/invocations"
# A generous sanity bound: lambdock holds no request body beyond 6 MB (10 MB for the gateway).
GROWTH_BOUND_MB = 150


class Exchange:
    """One request's bytes sent on a fresh connection, and the response parsed as a client."""

    def __init__(self, port: int, data: bytes, *, timeout: float = 30) -> None:
        self.port = port
        self.data = data
        self.timeout = timeout

    def run(self) -> tuple[int, dict[str, str], bytes]:
        with socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout) as sock:
            sender = threading.Thread(target=self._send, args=(sock,), daemon=True)
            sender.start()
            answer = _read_response(sock)
            sender.join(self.timeout)
        return answer

    def _send(self, sock: socket.socket) -> None:
        # The server may answer and hang up before taking everything: fine.
        with contextlib.suppress(OSError):
            sock.sendall(self.data)


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    client = h11.Connection(h11.CLIENT)
    # The client state machine needs a request to expect a response to.
    client.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    status, headers, body = 0, {}, b""
    while True:
        event = client.next_event()
        if event is h11.NEED_DATA:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                # The server hung up on bytes it did not read; what it sent before counts.
                chunk = b""
            client.receive_data(chunk)
            if not chunk and status:
                return status, headers, body
            continue
        if isinstance(event, h11.Response):
            status = event.status_code
            headers = {k.decode().lower(): v.decode("latin-1") for k, v in event.headers}
        elif isinstance(event, h11.Data):
            body += bytes(event.data)
        elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
            return status, headers, body


def exchange(served: Served, data: bytes) -> tuple[int, dict[str, str], bytes]:
    port = int(served.lambdock.base_url.rsplit(":", 1)[1])
    return Exchange(port, data).run()


def request(method: bytes, target: bytes, *headers: bytes, body: bytes = b"") -> bytes:
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", *headers]
    if body and not any(h.lower().startswith((b"content-length", b"transfer")) for h in headers):
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@pytest.fixture(scope="module")
def baseline(faults: Served) -> Iterator[float]:
    """lambdock's RSS once warm; after the module, lambdock serves and has logged no traceback."""
    faults.lam.invoke(FunctionName="Hello", Payload=b"{}")
    before = procfs.rss_mb(faults.pid)
    yield before
    response = faults.lam.invoke(FunctionName="Hello", Payload=b'{"name": "still here"}')
    assert response["Payload"].read().startswith(b'{"hello": "still here"')
    assert "Traceback" not in faults.lambdock.output()
    assert procfs.rss_mb(faults.pid) - before < GROWTH_BOUND_MB


UNPARSEABLE = {
    "invalid UTF-8 in the path": request(b"POST", b"/2015-03-31/functions/\xff\xfe/invocations"),
    "invalid UTF-8 in the query": request(b"GET", b"/2015-03-31/functions/Hello?Qualifier=\xff"),
    "a 300 KB header": request(b"GET", b"/_lambdock/health", b"X-Big: " + b"a" * 300_000),
    "20,000 headers": request(b"GET", b"/", *(b"X-%d: 1" % i for i in range(20_000))),
    "an HTTP/0.9 request line": b"GET /\r\n\r\n",
    "binary garbage": b"\x00\x01\x02\xff\xfe\r\n\r\n",
    "a negative Content-Length": request(b"POST", INVOKE, b"Content-Length: -1"),
    "two Content-Lengths": request(
        b"POST", INVOKE, b"Content-Length: 2", b"Content-Length: 3", body=b"{}"
    ),
    "a chunk size that is not hex": request(
        b"POST", INVOKE, b"Transfer-Encoding: chunked", body=b"zz\r\n{}\r\n0\r\n\r\n"
    ),
}


@pytest.mark.parametrize("data", UNPARSEABLE.values(), ids=UNPARSEABLE.keys())
def test_a_request_that_does_not_parse_gets_a_plain_400(
    faults: Served, baseline: float, data: bytes
) -> None:
    status, _, body = exchange(faults, data)
    assert (status, body) == (400, b"Invalid HTTP request received.")


AWS_ERRORS = {
    "a wrong method": (request(b"BREW", INVOKE), 403, "MissingAuthenticationTokenException"),
    "a NUL in the function name": (
        request(b"POST", b"/2015-03-31/functions/Hello%00/invocations", body=b"{}"),
        400,
        "ValidationException",
    ),
    "a function name that is not UTF-8": (
        request(b"POST", b"/2015-03-31/functions/%ff%fe/invocations", body=b"{}"),
        400,
        "ValidationException",
    ),
    "a traversal in the function name": (
        request(b"POST", b"/2015-03-31/functions/..%2f..%2fetc%2fpasswd/invocations"),
        403,
        "MissingAuthenticationTokenException",
    ),
    "a client context that is not UTF-8": (
        request(b"POST", INVOKE, b"X-Amz-Client-Context: \xff\xfe", body=b"{}"),
        400,
        "InvalidRequestContentException",
    ),
    "a payload that is not JSON": (
        request(b"POST", INVOKE, body=b'{"a": '),
        400,
        "InvalidRequestContentException",
    ),
    "a payload that is not UTF-8": (
        request(b"POST", INVOKE, body=b'{"a": "\xc3\x28"}'),
        400,
        "InvalidRequestContentException",
    ),
    "1 GB announced": (
        request(b"POST", INVOKE, b"Content-Length: 1000000000", body=b"{"),
        413,
        "RequestTooLargeException",
    ),
    "20 MB sent": (
        request(b"POST", INVOKE, body=b"x" * 20_000_000),
        413,
        "RequestTooLargeException",
    ),
    "an unknown invocation type": (
        request(b"POST", INVOKE, b"X-Amz-Invocation-Type: Sometimes", body=b"{}"),
        400,
        "InvalidParameterValueException",
    ),
    "an admin parameter that is not a number": (
        request(b"GET", b"/_lambdock/async-events?limit=many"),
        400,
        "InvalidParameterValueException",
    ),
}


@pytest.mark.parametrize(
    ("data", "status", "error_type"), AWS_ERRORS.values(), ids=AWS_ERRORS.keys()
)
def test_a_bad_request_that_parses_gets_aws_error(
    faults: Served, baseline: float, data: bytes, status: int, error_type: str
) -> None:
    answer = exchange(faults, data)
    assert (answer[0], answer[1].get("x-amzn-errortype")) == (status, error_type), answer
    assert answer[1]["content-type"] == "application/json"
    assert b'"message":' in answer[2].lower()


def test_a_gateway_body_over_10_mb_is_request_too_long(faults: Served, baseline: float) -> None:
    # No API in this template: the gateway still refuses the body before anything else.
    status, _, body = exchange(faults, request(b"POST", b"/anything", body=b"x" * 11_000_000))
    assert (status, body) == (413, b'{"message":"Request Too Long"}')


def test_half_requests_and_silent_connections_do_not_block_others(
    faults: Served, baseline: float
) -> None:
    port = int(faults.lambdock.base_url.rsplit(":", 1)[1])
    held = []
    try:
        for index in range(50):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            if index % 2:
                sock.sendall(b"POST " + INVOKE + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 99\r\n")
            held.append(sock)
        response = faults.lam.invoke(FunctionName="Hello", Payload=b'{"name": "past them"}')
        assert response["Payload"].read().startswith(b'{"hello": "past them"')
    finally:
        for sock in held:
            sock.close()


request_lines = st.tuples(
    st.sampled_from([b"GET", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"X", b""]),
    st.one_of(
        st.sampled_from([INVOKE, b"/2015-03-31/functions/", b"/_lambdock/health", b"/", b"*"]),
        st.binary(min_size=1, max_size=40).map(lambda raw: b"/" + raw.replace(b" ", b"")),
    ),
    st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2", b"HTTP/1.1 extra", b""]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    line=request_lines,
    headers=st.lists(st.binary(max_size=60).map(lambda raw: raw.replace(b"\r", b"")), max_size=5),
    body=st.binary(max_size=100),
)
def test_random_bytes_get_a_well_formed_answer(
    faults: Served,
    baseline: float,
    line: tuple[bytes, bytes, bytes],
    headers: list[bytes],
    body: bytes,
) -> None:
    data = b" ".join(line) + b"\r\nHost: x\r\nConnection: close\r\n"
    data += b"".join(header.replace(b"\n", b"") + b"\r\n" for header in headers)
    data += b"Content-Length: %d\r\n\r\n" % len(body) + body
    status, response_headers, answer = exchange(faults, data)
    assert 200 <= status < 500, (status, answer[:300])
    assert b"Traceback" not in answer
    if status >= 400 and answer != b"Invalid HTTP request received.":
        assert response_headers.get("content-type") == "application/json", answer[:300]
