"""The process backend: each environment is a local subprocess running a runtime client.

No isolation: the handler runs with lambdock's user on the host. It is for machines without
Docker and for the fastest edit-run loop. Each environment gets its own process group, so a
handler that forks is stopped whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

from emulator import wire
from emulator.backends.base import EnvironmentSpec, LineSink, Running
from emulator.backends.entrypoint import check_bootstrap
from emulator.dependencies import DependencyInstaller
from emulator.errors import BackendError, EnvironmentFailed
from emulator.lambda_env import Placement, lambda_environment
from emulator.runtime_files import runtime_root
from emulator.template.models import FunctionConfig

# A single log line longer than this is split, as CloudWatch splits events of over 256 KB.
_MAX_LINE = 256 * 1024
_STOP_GRACE_SECONDS = 5.0


class ProcessEnvironment:
    """A runtime client subprocess and the task that forwards its output."""

    def __init__(self, process: asyncio.subprocess.Process, on_line: LineSink) -> None:
        self.process = process
        self._reader = asyncio.create_task(_forward_lines(process, on_line))

    async def wait(self) -> int | None:
        """Wait for the process to end and its last output to be forwarded."""
        code = await self.process.wait()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._reader), _STOP_GRACE_SECONDS)
        return code

    async def drain_output(self) -> None:
        """Let the reader task take what the runtime wrote before it answered.

        The runtime flushes its output before it posts to the Runtime API, so those bytes are in
        the pipe already; a few turns of the event loop hand them to the reader."""
        for _ in range(4):
            await asyncio.sleep(0)

    def max_memory_mb(self) -> int:
        """Peak resident memory of the runtime process (VmHWM), in MB."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return 0
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return -(-int(line.split()[1]) // 1024)
        return 0


def start_failure(function: FunctionConfig, command: list[str], exc: OSError) -> Exception:
    """Why a runtime could not be started. A bootstrap that cannot be executed (no execute bit, a
    binary for another platform, a missing interpreter) is the function's Runtime.InvalidEntrypoint,
    with the error of Lambda's fork/exec ("fork/exec /var/task/bootstrap: permission denied");
    a missing python or node is lambdock's own BackendError."""
    reason = (exc.strerror or str(exc)).lower()
    if function.runtime_family == "provided":
        return EnvironmentFailed(
            wire.RUNTIME_INVALID_ENTRYPOINT, f"fork/exec /var/task/bootstrap: {reason}"
        )
    return BackendError(f"cannot start {command[0]}: {exc.strerror}")


async def _forward_lines(process: asyncio.subprocess.Process, on_line: LineSink) -> None:
    stream = process.stdout
    assert stream is not None
    while True:
        try:
            line = await stream.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                on_line(exc.partial.decode(errors="replace"))
            return
        except asyncio.LimitOverrunError as exc:
            line = await stream.readexactly(min(exc.consumed, _MAX_LINE) or 1)
        on_line(line.decode(errors="replace").rstrip("\n"))


class ProcessBackend:
    """Starts runtime clients as local subprocesses."""

    name = "process"
    runtime_api_bind_host = "127.0.0.1"

    def __init__(
        self,
        *,
        python: str,
        node: str = "node",
        dependencies: DependencyInstaller | None = None,
    ) -> None:
        self._python = python
        self._node = node
        self._dependencies = dependencies
        self._running: set[ProcessEnvironment] = set()

    def command(self, function: FunctionConfig) -> list[str]:
        """The command that starts this function's runtime client."""
        family = function.runtime_family
        if family == "python":
            return [self._python, "-m", "lambdock_runtime"]
        if family == "nodejs":
            return [self._node, str(runtime_root() / "nodejs" / "index.mjs")]
        if family == "provided":
            assert function.code_uri is not None
            return [str(check_bootstrap(function.code_uri))]
        raise BackendError(
            f"{function.logical_id}: PackageType Image needs the docker backend (--backend docker)"
        )

    def environment(
        self, spec: EnvironmentSpec, dependencies: dict[str, str] | None = None
    ) -> dict[str, str]:
        """The runtime process's variables: Lambda's, plus what a local process needs, with
        the folder of the function's installed dependencies (PYTHONPATH or NODE_PATH)."""
        function = spec.function
        runtime_dir = runtime_root() / function.runtime_family
        placement = Placement(
            runtime_api=f"127.0.0.1:{spec.runtime_api_port}",
            task_root=str(function.code_uri),
            runtime_dir=str(runtime_dir),
            log_stream_name=spec.log_stream_name,
            region=spec.region,
        )
        local = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/"),
        }
        found = dict(dependencies or {})
        if function.runtime_family == "python":
            # Installed dependencies before the runtime client, as a layer's /opt/python is.
            paths = [found.pop("PYTHONPATH", None), str(runtime_dir)]
            local["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
            # stdout is a pipe here, as in Lambda; unbuffered so lines arrive when printed.
            local["PYTHONUNBUFFERED"] = "1"
        variables = lambda_environment(
            function, placement, credentials=spec.credentials, extra=spec.endpoints
        )
        return {**local, **found, **variables}

    async def start(self, spec: EnvironmentSpec, on_line: LineSink) -> ProcessEnvironment:
        """Start the runtime client; a missing executable is a BackendError."""
        command = self.command(spec.function)
        dependencies = {}
        if self._dependencies is not None:
            dependencies = await self._dependencies.search_path(spec.function)
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                cwd=str(spec.function.code_uri),
                env=self.environment(spec, dependencies),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                limit=_MAX_LINE,
            )
        except OSError as exc:
            raise start_failure(spec.function, command, exc) from None
        running = ProcessEnvironment(process, on_line)
        self._running.add(running)
        return running

    async def stop(self, running: Running) -> None:
        """Kill the environment's whole process group and reap it."""
        assert isinstance(running, ProcessEnvironment)
        self._running.discard(running)
        process = running.process
        # The group, not just the runtime: a handler's children go with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(process.wait(), _STOP_GRACE_SECONDS)

    async def close(self) -> None:
        """Stop every environment this backend started."""
        await asyncio.gather(*(self.stop(running) for running in list(self._running)))
