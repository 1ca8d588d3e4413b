"""lambdock running inside another Python process (a test session), on its own thread."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import uvicorn

from emulator.app import create_app
from emulator.backends import select_backend
from emulator.errors import LambdockError
from emulator.services import Services
from emulator.settings import Settings
from emulator.stack import load_stack_template
from emulator.storage.service import install_storage

START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0


class EmbeddedLambdock:
    """Start lambdock on a free loopback port in a background thread; stop it on demand."""

    def __init__(self, settings: Settings) -> None:
        # IPPROTO_TCP named, so that asyncio turns Nagle off on the accepted connections.
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._listener.bind((settings.host, settings.port))
        port = self._listener.getsockname()[1]
        self.settings = replace(settings, port=port)
        self.base_url = f"http://{settings.host}:{port}"
        self.services: Services | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> EmbeddedLambdock:
        """Load the template, start serving, and wait until ready (raises LambdockError, e.g.
        StorageError, on failure)."""
        template = load_stack_template(self.settings)
        backend = select_backend(self.settings)

        def keep(services: Services) -> None:
            self.services = services
            install_storage(services)

        app = create_app(self.settings, template, backend, configure=keep)
        assert self.services is not None
        # MinIO and buckets are made ready here, so that a failure is raised with its message.
        asyncio.run(self.services.prepare())
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        self._server = uvicorn.Server(config)
        failure: list[BaseException] = []

        def serve() -> None:
            try:
                asyncio.run(self._serve())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)

        self._thread = threading.Thread(target=serve, name="lambdock", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if failure or not self._thread.is_alive():
                raise LambdockError(f"lambdock failed to start: {failure[0] if failure else '?'}")
            if time.monotonic() > deadline:
                self.stop()
                raise LambdockError("lambdock did not start in time")
            time.sleep(0.02)
        return self

    async def _serve(self) -> None:
        assert self._server is not None
        self._loop = asyncio.get_running_loop()
        await self._server.serve(sockets=[self._listener])

    def call(self, make: Callable[[], Any], timeout: float = 60.0) -> Any:
        """Run a coroutine on lambdock's own event loop and return its result."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(make(), self._loop).result(timeout)

    def stop(self) -> None:
        """Shut down gracefully (every environment stopped), bounded in time."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_SECONDS)
        self._listener.close()
