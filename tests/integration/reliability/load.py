"""A bounded load run against a running lambdock: workers on keep-alive connections send the
Invoke API, an HTTP API route and a REST API route requests in turn, and check every answer."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import httpx

KINDS = ("invoke", "http", "rest")
MAX_ERRORS_KEPT = 20


@dataclass
class LoadResult:
    """What a run served, what went wrong, and how long answers took."""

    served: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    errors: int = 0
    first_errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.served.values())


def one_request(client: httpx.Client, kind: str, ident: str) -> str | None:
    """Send one request of a kind; None if the answer is exactly right, else what was wrong."""
    if kind == "invoke":
        response = client.post("/2015-03-31/functions/Echo/invocations", json={"id": ident})
        expected = {"id": ident}
    elif kind == "http":
        response = client.get(f"/echo/{ident}")
        expected = {"id": ident}
    else:
        response = client.post(f"/rest/{ident}", json={"kind": "rest"})
        expected = {"id": ident, "kind": "rest"}
    if response.status_code != 200 or "X-Amz-Function-Error" in response.headers:
        return f"{kind} {ident}: {response.status_code} {response.text[:200]}"
    if json.loads(response.content) != expected:
        return f"{kind} {ident}: wrong body {response.text[:200]}"
    return None


def run_load(base_url: str, *, workers: int, per_worker: int, max_seconds: float) -> LoadResult:
    """`workers` threads each send up to `per_worker` requests, all stopping at `max_seconds`."""
    result = LoadResult()
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds

    def work(worker: int) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            for index in range(per_worker):
                if time.monotonic() > deadline:
                    return
                kind = KINDS[(worker + index) % len(KINDS)]
                started = time.perf_counter()
                try:
                    problem = one_request(client, kind, f"w{worker}-{index}")
                except httpx.HTTPError as exc:
                    problem = f"{kind}: {type(exc).__name__}: {exc}"
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    result.latencies_ms.append(elapsed)
                    if problem is None:
                        result.served[kind] += 1
                    else:
                        result.errors += 1
                        if len(result.first_errors) < MAX_ERRORS_KEPT:
                            result.first_errors.append(problem)

    began = time.monotonic()
    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max_seconds + 60)
    result.seconds = time.monotonic() - began
    return result
