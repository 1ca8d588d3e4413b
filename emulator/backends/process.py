"""The process backend: each environment is a local subprocess running a runtime client.

No isolation: the handler runs with lambdock's user on the host. It is for machines without
Docker and for the fastest edit-run loop. Each environment gets its own session and process
group, so a handler that forks is stopped whole. Without a cgroup, Lambda's limits are enforced
from outside: memory over MemorySize and more tasks than Lambda's quota get the environment
killed (SIGKILL, as Lambda's out-of-memory killer does), a per-process data limit backs that up,
and the runtime dies with lambdock (PR_SET_PDEATHSIG); what a SIGKILLed lambdock leaves behind
is killed at its next start (`orphans`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import resource
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from emulator import wire
from emulator.backends import process_tree
from emulator.backends.base import EnvironmentSpec, LineSink, Running
from emulator.backends.entrypoint import check_bootstrap
from emulator.backends.orphans import EnvironmentRecords
from emulator.backends.output import LineBuffer
from emulator.dependencies import DependencyInstaller
from emulator.errors import BackendError, EnvironmentFailed
from emulator.lambda_env import Placement, lambda_environment
from emulator.runtime_files import runtime_root
from emulator.template.models import FunctionConfig

# A single log line longer than this is split, as CloudWatch splits events of over 256 KB.
_MAX_LINE = 256 * 1024
_STOP_GRACE_SECONDS = 5.0
# Lambda's quota "Execution processes/threads: 1,024" (AWS docs: "Lambda quotas").
MAX_TASKS = 1024
# How often an environment's memory and tasks are measured against its limits.
GUARD_INTERVAL_SECONDS = 0.1
# Each process may map this much beyond MemorySize before an allocation fails outright: a
# backstop for allocations faster than the guard, with room for thread stacks (RLIMIT_DATA
# counts them, where Lambda's cgroup counts only pages in use).
DATA_HEADROOM_MB = 1024
_PR_SET_PDEATHSIG = 1
_READ_BYTES = 64 * 1024
# Bounds one read of the pipe (4 MB); the loop calls again while it stays readable.
_MAX_READS_AT_ONCE = 64
# /proc/<pid>/status is about 1.5 KB; VmHWM is in its first third.
_STATUS_READ_BYTES = 4096


class ProcessEnvironment:
    """A runtime client subprocess, and the pipe its stdout and stderr come through.

    The pipe is read on the event loop whenever it is readable, and a drain reads what it
    holds there and then: the runtime flushes its output before it posts its answer, so those
    bytes are in the pipe before the invocation ends, and no turn of the loop is needed."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        output_fd: int,
        on_line: LineSink,
        *,
        memory_size: int,
    ) -> None:
        self.process = process
        self.peak_mb = 0
        # Who the runtime process is, so a pid reused after it is reaped is never walked.
        self._stamp = process_tree.stamp(process.pid)
        self._on_line = on_line
        self._output_fd: int | None = output_fd
        self._lines = LineBuffer(_MAX_LINE)
        self._loop = asyncio.get_running_loop()
        self._output_ended: asyncio.Future[None] = self._loop.create_future()
        self._loop.add_reader(output_fd, self._read_output)
        # /proc/<pid>/status, kept open: every REPORT line reads it again (see max_memory_mb).
        self._status_fd: int | None = None
        self._guard = asyncio.create_task(self._enforce_limits(memory_size, on_line))

    async def wait(self) -> int | None:
        """Wait for the process to end and its last output to be forwarded."""
        code = await self.process.wait()
        self._close_status()
        self._read_output()
        # The end of the output comes when every writer has closed the pipe: a child the
        # handler started may still hold it.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._output_ended), _STOP_GRACE_SECONDS)
        return code

    async def drain_output(self) -> None:
        """Forward what the runtime wrote before it answered: it is in the pipe already."""
        self._read_output()

    def _read_output(self) -> None:
        for _ in range(_MAX_READS_AT_ONCE):
            if self._output_fd is None:
                return
            try:
                data = os.read(self._output_fd, _READ_BYTES)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:
                self._end_output()
                return
            for line in self._lines.feed(data):
                self._on_line(line)

    def _end_output(self) -> None:
        if self._output_fd is None:
            return
        self._loop.remove_reader(self._output_fd)
        os.close(self._output_fd)
        self._output_fd = None
        for line in self._lines.flush():
            self._on_line(line)
        self._output_ended.set_result(None)

    def max_memory_mb(self) -> int:
        """Peak memory: the runtime's VmHWM, or the environment's measured peak if higher.

        Read with pread on a descriptor opened once: procfs renders the file afresh at offset
        0, and the descriptor stays bound to this process even if its pid is reused."""
        try:
            if self._status_fd is None:
                self._status_fd = os.open(f"/proc/{self.process.pid}/status", os.O_RDONLY)
            status = os.pread(self._status_fd, _STATUS_READ_BYTES, 0)
        except OSError:
            return self.peak_mb
        start = status.find(b"VmHWM:")
        if start < 0:
            return self.peak_mb
        kilobytes = status[start + 6 : status.find(b"\n", start)].split()[0]
        return max(self.peak_mb, -(-int(kilobytes) // 1024))

    def _close_status(self) -> None:
        if self._status_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._status_fd)
            self._status_fd = None

    async def _enforce_limits(self, memory_size: int, on_line: LineSink) -> None:
        """Kill the environment when it outgrows MemorySize or Lambda's task quota."""
        while self.process.returncode is None and sys.platform == "linux":
            await asyncio.sleep(GUARD_INTERVAL_SECONDS)
            found = self.tree()
            if found.tasks > MAX_TASKS:
                reason = f"more than {MAX_TASKS} processes and threads (Lambda's quota)"
            else:
                used = process_tree.memory_mb(found.pids)
                self.peak_mb = max(self.peak_mb, used)
                if used <= memory_size:
                    continue
                reason = f"{used} MB of memory, over its MemorySize of {memory_size} MB"
            on_line(f"lambdock: the environment used {reason}; killing it as Lambda would")
            _kill(self.process.pid, found.pids)
            return

    def tree(self) -> process_tree.Tree:
        """The runtime process and its descendants, while it is the process that was started."""
        if self._stamp is None or process_tree.stamp(self.process.pid) != self._stamp:
            return process_tree.Tree((), 0)
        return process_tree.tree(self.process.pid, max_tasks=MAX_TASKS)

    def stop_guard(self) -> None:
        """Stop measuring (the environment is being stopped)."""
        self._guard.cancel()


def _kill(leader: int, pids: tuple[int, ...]) -> None:
    # The session's group, then every descendant found, in case one left the group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(leader, signal.SIGKILL)
    process_tree.kill_all(pids)


def _child_setup(
    memory_size: int, parent: int, prctl: Callable[..., int] | None
) -> Callable[[], None]:
    """What the runtime process does between fork and exec: its limits, and die with lambdock."""
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = (memory_size + DATA_HEADROOM_MB) * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)

    def setup() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent:
                os._exit(1)  # lambdock died before the death signal was armed

    return setup


def _load_prctl() -> Callable[..., int] | None:
    if sys.platform != "linux":
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


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
        state_dir: Path | None = None,
    ) -> None:
        self._python = python
        self._node = node
        self._dependencies = dependencies
        self._running: dict[ProcessEnvironment, str] = {}
        self._prctl = _load_prctl()
        self._records = EnvironmentRecords(state_dir) if state_dir is not None else None

    def reap_orphans(self) -> int:
        """Kill what environments of a lambdock killed with SIGKILL left running."""
        return self._records.reap() if self._records is not None else 0

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
        # One pipe for stdout and stderr, as Lambda's log stream has both, in write order.
        read_fd, write_fd = os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                cwd=str(spec.function.code_uri),
                env=self.environment(spec, dependencies),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=write_fd,
                stderr=write_fd,
                start_new_session=True,
                preexec_fn=_child_setup(spec.function.memory_size, os.getpid(), self._prctl),
            )
        except OSError as exc:
            os.close(read_fd)
            raise start_failure(spec.function, command, exc) from None
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)  # only the runtime writes; its exit then ends the output
        os.set_blocking(read_fd, False)
        memory_size = spec.function.memory_size
        running = ProcessEnvironment(process, read_fd, on_line, memory_size=memory_size)
        self._running[running] = spec.environment_id
        if self._records is not None:
            self._records.add(spec.environment_id, process.pid)
        return running

    async def stop(self, running: Running) -> None:
        """Kill the environment's whole process group and reap it."""
        assert isinstance(running, ProcessEnvironment)
        environment_id = self._running.pop(running, None)
        running.stop_guard()
        process = running.process
        # The group, not just the runtime: a handler's children go with it.
        _kill(process.pid, running.tree().pids)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(process.wait(), _STOP_GRACE_SECONDS)
        if self._records is not None and environment_id is not None:
            self._records.remove(environment_id)

    async def close(self) -> None:
        """Stop every environment this backend started."""
        await asyncio.gather(*(self.stop(running) for running in list(self._running)))
