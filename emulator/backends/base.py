"""What a backend is: it starts an execution environment, stops it, and reports its output.

A backend knows nothing of invocations: both backends speak to the environment only through the
Runtime API, whose address is in the spec's variables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from emulator.template.models import FunctionConfig

LineSink = Callable[[str], None]


@dataclass(frozen=True)
class EnvironmentSpec:
    """Everything needed to start one environment of a function."""

    environment_id: str
    function: FunctionConfig
    runtime_api_port: int
    log_stream_name: str
    region: str
    credentials: Mapping[str, str]
    # Variables that point the SDKs at local endpoints (AWS_ENDPOINT_URL_S3, ...), with hosts
    # as lambdock sees them; a backend rewrites loopback hosts where its environments need to.
    endpoints: Mapping[str, str]


class Running(Protocol):
    """A started environment, as its backend tracks it."""

    async def wait(self) -> int | None:
        """Wait until the environment ends; its exit code (negative: killed by that signal)."""
        ...

    def max_memory_mb(self) -> int:
        """The most memory the environment has used so far, in MB."""
        ...

    async def drain_output(self) -> None:
        """Return once the output the environment wrote before now has reached `on_line`."""
        ...


class Backend(Protocol):
    """Starts and stops execution environments."""

    name: str
    # Where the per-environment Runtime API listeners bind so the environments can reach them.
    runtime_api_bind_host: str

    async def start(self, spec: EnvironmentSpec, on_line: LineSink) -> Running:
        """Start an environment; its stdout/stderr lines go to `on_line`. Raises BackendError."""
        ...

    async def stop(self, running: Running) -> None:
        """Stop an environment and release what it held; safe to call twice."""
        ...

    async def close(self) -> None:
        """Stop everything this backend started."""
        ...
