"""Which images exist and what they are, learnt once per image; missing ones pulled once.

The engine is reached through two callables (inspect, pull) that the Docker backend supplies,
so this module knows nothing of Docker's SDK. A missing image that cannot be pulled fails the
invocation at once with a message naming the image and how to provide it; the failed pull is
not retried for a minute, so a burst of invocations does not queue behind the registry.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from emulator.backends.container_plan import ImageFacts, facts_from
from emulator.errors import BackendError, EnvironmentFailed
from emulator.template.models import FunctionConfig

# Lambda's state reason for a function whose image it cannot use (API reference:
# StateReasonCode InvalidImage); here the image is neither local nor pullable.
IMAGE_UNAVAILABLE = "InvalidImage"
PULL_TIMEOUT = 900.0
PULL_RETRY_AFTER = 60.0

Inspect = Callable[[str], Awaitable[Mapping[str, Any]]]
Pull = Callable[[str], Awaitable[None]]


class ImageMissing(BackendError):
    """The engine has no image of that name."""


def unavailable(image: str, function: FunctionConfig, reason: str) -> EnvironmentFailed:
    """The invocation's failure when its image is neither local nor pullable."""
    if function.runtime_family == "image":
        how = f"build or pull it (docker build -t {image} . / docker pull {image})"
    else:
        how = (
            f"pull it (docker pull {image}), or map runtime {function.runtime} to a local image "
            f"that has the language installed: --runtime-image {function.runtime}=IMAGE"
        )
    return EnvironmentFailed(
        IMAGE_UNAVAILABLE,
        f"image {image} is not present in the Docker engine and cannot be pulled ({reason}); {how}",
    )


class ImageCatalog:
    """ImageFacts per image name, asked of the engine once."""

    def __init__(
        self,
        inspect: Inspect,
        pull: Pull,
        announce: Callable[[str], None],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inspect = inspect
        self._pull_image = pull
        self._announce = announce
        self._clock = clock
        self._facts: dict[str, ImageFacts] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._failed_pulls: dict[str, tuple[float, str]] = {}

    async def facts(self, image: str, function: FunctionConfig) -> ImageFacts:
        """What `image` is; pulls it first if the engine does not have it."""
        known = self._facts.get(image)
        if known is not None:
            return known
        async with self._locks.setdefault(image, asyncio.Lock()):
            if image not in self._facts:
                try:
                    attrs = await self._inspect(image)
                except ImageMissing:
                    attrs = await self._pull(image, function)
                self._facts[image] = facts_from(image, attrs)
        return self._facts[image]

    def forget(self, image: str) -> None:
        """The image went away (removed after it was inspected): ask again next time."""
        self._facts.pop(image, None)

    async def _pull(self, image: str, function: FunctionConfig) -> Mapping[str, Any]:
        failed = self._failed_pulls.get(image)
        if failed is not None and self._clock() - failed[0] < PULL_RETRY_AFTER:
            raise unavailable(image, function, failed[1])
        self._announce(f"pulling image {image} (not present locally) ...")
        started = self._clock()
        try:
            await asyncio.wait_for(self._pull_image(image), PULL_TIMEOUT)
            attrs = await self._inspect(image)
        except (BackendError, TimeoutError) as exc:
            reason = str(exc) or f"no answer within {PULL_TIMEOUT:.0f} s"
            self._failed_pulls[image] = (self._clock(), reason)
            self._announce(f"cannot pull image {image}: {reason}")
            raise unavailable(image, function, reason) from None
        self._announce(f"pulled image {image} in {self._clock() - started:.1f} s")
        return attrs
