"""The loopback HTTP server that takes MinIO's webhook posts, driven by a real HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from emulator.storage.webhook import MAX_BODY_BYTES, WebhookRequest, WebhookServer


@pytest.fixture
async def served() -> AsyncIterator[tuple[WebhookServer, list[WebhookRequest]]]:
    received: list[WebhookRequest] = []

    async def handler(request: WebhookRequest) -> int:
        received.append(request)
        return 202 if request.method == "POST" else 405

    server = WebhookServer(handler)
    await server.start()
    yield server, received
    await server.stop()


async def test_posts_reach_the_handler_whole_and_get_its_status(
    served: tuple[WebhookServer, list[WebhookRequest]],
) -> None:
    server, received = served
    url = f"http://127.0.0.1:{server.port}/minio/events?x=1"
    async with httpx.AsyncClient(timeout=5.0) as http:
        first = await http.post(url, content=b'{"n": 1}', headers={"Authorization": "Bearer t"})
        second = await http.post(url, content=b'{"n": 2}')
        other = await http.get(url)
    assert [first.status_code, second.status_code, other.status_code] == [202, 202, 405]
    assert [(r.method, r.target, r.body) for r in received] == [
        ("POST", "/minio/events?x=1", b'{"n": 1}'),
        ("POST", "/minio/events?x=1", b'{"n": 2}'),
        ("GET", "/minio/events?x=1", b""),
    ]
    assert received[0].headers["authorization"] == "Bearer t"


async def test_a_body_over_the_limit_is_refused_with_413(
    served: tuple[WebhookServer, list[WebhookRequest]],
) -> None:
    server, received = served
    async with httpx.AsyncClient(timeout=5.0) as http:
        response = await http.post(
            f"http://127.0.0.1:{server.port}/minio/events", content=b"x" * (MAX_BODY_BYTES + 1)
        )
    assert response.status_code == 413
    assert received == []
