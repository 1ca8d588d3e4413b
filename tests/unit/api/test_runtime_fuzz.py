"""A runtime that sends the Runtime API anything at all: every answer is well-formed HTTP or a
closed connection, the endpoint keeps its connections bounded, and a proper runtime then still
receives and answers its invocation (AWS Lambda developer guide, "Using the Lambda runtime
API")."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import h11
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator import wire
from emulator.api.runtime import RuntimeEndpoint
from emulator.environment import Environment, Invocation
from emulator.template.models import FunctionConfig

FUNCTION = FunctionConfig("Fn", "Fn", "app.handler", "python3.12", None)


class Endpoint:
    """An environment's Runtime API on its own loop, driven synchronously."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.environment = self.loop.run_until_complete(self._environment())
        self.server = RuntimeEndpoint(self.environment)
        self.port = self.loop.run_until_complete(self.server.start())

    @staticmethod
    async def _environment() -> Environment:
        return Environment("env-1", FUNCTION, "stream")

    def send(self, data: bytes) -> bytes:
        return self.loop.run_until_complete(self._send(data))

    async def _send(self, data: bytes) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        received = b""
        try:
            writer.write(data)
            await writer.drain()
            writer.write_eof()
            while len(received) < 1_000_000:
                chunk = await asyncio.wait_for(reader.read(65536), 0.3)
                if not chunk:
                    break
                received += chunk
        except (TimeoutError, ConnectionError):
            pass  # a long poll that waits, or a connection the endpoint dropped
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        return received

    def close(self) -> None:
        self.loop.run_until_complete(self.server.close())
        # Connections accepted just before close() may not have registered with the endpoint.
        pending = asyncio.all_tasks(self.loop)
        for task in pending:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Endpoint]:
    served = Endpoint()
    yield served
    served.close()


def assert_well_formed(raw: bytes) -> None:
    if not raw:
        return
    client = h11.Connection(h11.CLIENT)
    client.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    client.receive_data(raw)
    event = client.next_event()
    assert isinstance(event, h11.Response), raw[:200]
    assert event.status_code in (202, 400, 404, 405, 413), raw[:200]


paths = st.one_of(
    st.sampled_from(
        [
            b"/2018-06-01/runtime/invocation/req-1/response",
            b"/2018-06-01/runtime/invocation/req-1/error",
            b"/2018-06-01/runtime/invocation/../../next/response",
            b"/2018-06-01/runtime/invocation/%00/error",
            b"/2018-06-01/runtime",
            b"/",
        ]
    ),
    st.binary(min_size=1, max_size=30).map(lambda raw: b"/" + raw.replace(b" ", b"")),
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    method=st.sampled_from([b"GET", b"POST", b"PUT", b"DELETE", b"XYZ", b""]),
    path=paths,
    headers=st.lists(st.binary(max_size=50).map(lambda raw: raw.replace(b"\r", b"")), max_size=4),
    body=st.binary(max_size=200),
    tail=st.binary(max_size=50),
)
def test_anything_sent_gets_well_formed_http_or_a_closed_connection(
    endpoint: Endpoint, method: bytes, path: bytes, headers: list[bytes], body: bytes, tail: bytes
) -> None:
    if path.startswith((wire.RUNTIME_NEXT.encode(), wire.RUNTIME_INIT_ERROR.encode())):
        # A long poll would take the next invocation and an init error would fail the
        # environment: both are a runtime's right, not misbehaviour.
        path = b"/not-next"
    data = method + b" " + path + b" HTTP/1.1\r\nHost: x\r\n"
    data += b"".join(header.replace(b"\n", b"") + b"\r\n" for header in headers)
    data += b"Content-Length: %d\r\n\r\n" % len(body) + body + tail
    assert_well_formed(endpoint.send(data))


def test_after_the_fuzz_a_proper_runtime_serves_its_invocation(endpoint: Endpoint) -> None:
    async def serve() -> tuple[bytes, object]:
        base = f"http://127.0.0.1:{endpoint.port}"
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            poll = asyncio.create_task(client.get(wire.RUNTIME_NEXT))
            await asyncio.wait_for(endpoint.environment.wait_ready(), 5)
            invocation = Invocation("req-9", b'{"n": 9}', 0, "arn", "Root=1-0-0")
            answer = asyncio.create_task(endpoint.environment.invoke(invocation))
            event = await poll
            stranger = await client.post(
                "/2018-06-01/runtime/invocation/req-1/response", content=b"{}"
            )
            posted = await client.post(
                "/2018-06-01/runtime/invocation/req-9/response", content=b'{"ok": true}'
            )
            assert (stranger.status_code, posted.status_code) == (400, 202)
            return event.content, await answer

    content, reply = endpoint.loop.run_until_complete(serve())
    assert content == b'{"n": 9}'
    assert reply.payload == b'{"ok": true}'  # type: ignore[attr-defined]
    # Every fuzzing connection has ended; only the proper client's may still be open.
    assert len(endpoint.server._tasks) <= 1
