"""Helpers shared by the storage integration tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from emulator.storage.minio_server import MinioServer, MinioServerConfig
from emulator.storage.notifications import (
    ObjectNotification,
    WebhookTarget,
    minio_webhook_env,
    new_webhook_target,
)

CONNECT_SECONDS = 15.0


@dataclass(frozen=True)
class RunningMinio:
    """A started MinIO and the webhook target it posts its events to."""

    server: MinioServer
    target: WebhookTarget


class Collector:
    """A notification sink that keeps one bucket's notifications and lets a test wait for them.

    It keeps the copies of the queued target, whose guarantees these tests check (`immediate`
    selects the immediate target's copies instead).
    """

    def __init__(self, bucket: str, *, immediate: bool = False) -> None:
        self.bucket = bucket
        self.immediate = immediate
        self.items: list[ObjectNotification] = []
        self._arrived = asyncio.Event()

    async def __call__(self, notification: ObjectNotification) -> None:
        if notification.bucket == self.bucket and notification.immediate == self.immediate:
            self.items.append(notification)
            self._arrived.set()

    async def wait_for(self, count: int, seconds: float = 20.0) -> list[ObjectNotification]:
        """Wait until at least `count` notifications arrived; TimeoutError after `seconds`."""
        async with asyncio.timeout(seconds):
            while len(self.items) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.items


def minio_with_webhook(root: Path, binary: Path) -> RunningMinio:
    """A MinIO (not started) whose events go to a lambdock webhook target under `root`."""
    target = new_webhook_target(root / "minio-events")
    config = MinioServerConfig(
        data_dir=root / "minio", binary=binary, extra_env=minio_webhook_env(target)
    )
    return RunningMinio(MinioServer(config), target)
