"""One running container as the pool sees it (`Running`): its output, its end, its memory.

Knows nothing of Docker's SDK: the backend hands it a blocking `wait_for_end` that returns how
the container ended, which runs in a thread of the container's own for as long as it lives.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from pathlib import Path

from emulator.backends.container_state import cgroup_memory_files
from emulator.backends.output import Output

_MIB = 1024 * 1024


class ContainerEnvironment:
    """A started container: its output, how it ended, and its memory peak."""

    def __init__(
        self,
        container_id: str,
        output: Output,
        *,
        wait_for_end: Callable[[], int | None],
        cgroup_root: Path,
    ) -> None:
        self.container_id = container_id
        self.output = output
        self._wait_for_end = wait_for_end
        self._cgroup_root = cgroup_root
        self._loop = asyncio.get_running_loop()
        self._exit: asyncio.Future[int | None] = self._loop.create_future()
        self._memory_file: Path | None = None
        self._memory_resolved = False
        self._peak_mb = 0

    def watch(self) -> None:
        """Follow the started container until it ends, in a thread of its own."""
        name = f"lambdock-wait-{self.container_id[:12]}"
        threading.Thread(target=self._follow_to_end, name=name, daemon=True).start()

    def _follow_to_end(self) -> None:
        code: int | None = None
        try:
            code = self._wait_for_end()
        finally:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
                asyncio.run_coroutine_threadsafe(self._ended(code), self._loop)

    async def _ended(self, code: int | None) -> None:
        # What the runtime wrote before it ended reaches the log before its end is known.
        await self.output.finish()
        if not self._exit.done():
            self._exit.set_result(code)

    async def wait(self) -> int | None:
        """Wait until the container ends; its exit code (-9 when killed, as out of memory)."""
        return await asyncio.shield(self._exit)

    async def drain_output(self) -> None:
        """Return once what the runtime wrote before now has reached `on_line`."""
        await self.output.drain()

    def removed(self) -> None:
        """The container is gone: release its output and answer whoever waits for its end."""
        self.output.close()
        if not self._exit.done():
            self._exit.set_result(None)

    def max_memory_mb(self) -> int:
        """The container's peak memory (its cgroup's high-water mark), in MB; the file's path
        is found once, and each call is one small read."""
        if not self._memory_resolved:
            self._memory_resolved = True
            files = cgroup_memory_files(self.container_id, self._cgroup_root)
            self._memory_file = next((f for f in files if f.exists()), None)
        if self._memory_file is not None:
            with contextlib.suppress(OSError, ValueError):
                used = int(self._memory_file.read_text())
                self._peak_mb = max(self._peak_mb, -(-used // _MIB))
        return self._peak_mb
