"""Floor plus one hop: the floor app, but the JSON comes from a worker process over a pipe.

This is the least any emulator that runs handlers out of process must do: hand the request to
another process and wait for its answer. One worker answers one request at a time, as one
execution environment does; requests queue for it in order.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response

# The worker: read one line (the event), write one line (the result), forever.
WORKER = """
import json, sys
message = json.dumps({"message": "hello world"}).encode() + b"\\n"
for line in sys.stdin.buffer:
    sys.stdout.buffer.write(message)
    sys.stdout.buffer.flush()
"""


class Worker:
    """One worker process and the lock that keeps it to one request at a time."""

    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self.lock = asyncio.Lock()

    async def start(self) -> None:
        """Start the worker process."""
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WORKER,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )

    async def call(self, event: bytes) -> bytes:
        """Send one event line and read the worker's one answer line."""
        assert self.process is not None and self.process.stdin and self.process.stdout
        async with self.lock:
            self.process.stdin.write(event + b"\n")
            await self.process.stdin.drain()
            return (await self.process.stdout.readline()).rstrip(b"\n")

    async def stop(self) -> None:
        """Stop the worker (it is this app's child: stopped by its own handle)."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


worker = Worker()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the worker with the app and stop it with the app."""
    await worker.start()
    try:
        yield
    finally:
        await worker.stop()


app = FastAPI(lifespan=lifespan)


@app.get("/hello")
async def hello() -> Response:
    """Ask the worker for the document and return it as JSON."""
    body = await worker.call(b'{"rawPath": "/hello"}')
    return Response(body, media_type="application/json")
