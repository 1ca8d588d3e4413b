"""The Docker backend: each execution environment is a container, started through the SDK.

The only module that imports `docker`. Docker's exceptions become lambdock's in `_translated`;
the SDK's blocking calls run in threads (short ones through `asyncio.to_thread`, and one
dedicated thread per container that follows its output and then reads how it ended). What an
image is, and how containers reach lambdock, is learnt once; the request path only creates and
starts a container. Every container carries lambdock's instance label and is removed on stop,
on close, and, if lambdock died without closing, at the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import docker
import docker.errors
import docker.types
import docker.utils
import requests

from emulator import wire
from emulator.backends.base import EnvironmentSpec, LineSink, Running
from emulator.backends.container_plan import (
    LABEL_INSTANCE,
    ContainerPlan,
    ImageFacts,
    NetworkPlan,
    Owner,
    cgroup_memory_files,
    exit_code,
    facts_from,
    image_for,
    is_stale,
    network_plan,
    plan_container,
    uses_bundled_client,
)
from emulator.backends.output import LineBuffer
from emulator.errors import BackendError, EnvironmentFailed
from emulator.runtime_files import runtime_root
from emulator.settings import Settings
from emulator.template.models import FunctionConfig

# Lambda's state reason for a function whose image it cannot use (API reference:
# StateReasonCode InvalidImage); here the image is neither local nor pullable.
IMAGE_UNAVAILABLE = "InvalidImage"
# The runtime flushes its output before it posts its answer; those bytes still travel through
# dockerd to the attach stream. Drain waits until the stream has been quiet this long (seconds),
# counted from the drain's start, and never longer than the limit.
DRAIN_QUIET = 0.003
DRAIN_LIMIT = 0.05
_API_TIMEOUT = 60
_CONNECT_TIMEOUT = 5
_ATTACH_TIMEOUT = 10
_EXIT_WAIT = 10
_PULL_TIMEOUT = 900
# A failed pull is not retried on every invocation: for this long the image is reported
# missing at once.
_PULL_RETRY_AFTER = 60.0
# Each live container holds one connection (its attach stream), plus the short calls.
_POOL_SIZE = 64
_MIB = 1024 * 1024

Announce = Callable[[str], None]


class _Gone(BackendError):
    """The container is already gone (or on its way out)."""


class _ImageMissing(BackendError):
    """The engine has no image of that name."""


@contextlib.contextmanager
def _translated(what: str) -> Iterator[None]:
    """The one place where Docker's exceptions become lambdock's."""
    try:
        yield
    except docker.errors.ImageNotFound as exc:
        raise _ImageMissing(f"{what}: {exc.explanation or exc}") from None
    except docker.errors.NotFound as exc:
        raise _Gone(f"{what}: {exc.explanation or exc}") from None
    except docker.errors.APIError as exc:
        if exc.status_code == 409 and "in progress" in str(exc.explanation):
            raise _Gone(f"{what}: {exc.explanation}") from None
        raise BackendError(f"{what}: {exc.explanation or exc}") from None
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
        raise BackendError(f"{what}: the Docker engine did not answer ({exc})") from None


def _announce(message: str) -> None:
    print(f"lambdock: {message}", file=sys.stderr, flush=True)


def _process_start(pid: int) -> int | None:
    """A process's start time in clock ticks since boot (/proc/<pid>/stat field 22)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return int(fields[19]) if len(fields) > 19 else None


def connect(settings: Settings, *, required: bool) -> DockerBackend:
    """A Docker backend on the engine that DOCKER_HOST (or the local socket) names.

    Raises BackendError when no engine answers; `required` only changes how that is worded
    (with `--backend auto` the caller falls back to processes)."""
    options = docker.utils.kwargs_from_env()
    where = options.get("base_url") or "unix:///var/run/docker.sock"
    try:
        with _translated(f"connecting to the Docker engine at {where}"):
            client = docker.APIClient(timeout=_CONNECT_TIMEOUT, max_pool_size=_POOL_SIZE, **options)
            info = client.info()
            gateway = _bridge_gateway(client)
    except BackendError as exc:
        hint = " Start dockerd (or Docker Desktop), or use --backend process." if required else ""
        raise BackendError(f"the docker backend needs a Docker engine: {exc}.{hint}") from None
    client.timeout = _API_TIMEOUT
    linux_engine = sys.platform.startswith("linux") and "Desktop" not in str(
        info.get("OperatingSystem", "")
    )
    network = network_plan(
        linux_engine=linux_engine, docker_network=settings.docker_network, bridge_gateway=gateway
    )
    if network.mode == "bridge" and linux_engine and settings.host in ("127.0.0.1", "localhost"):
        _announce(
            f"warning: containers on the {network.network} network reach this host as "
            f"host.docker.internal, but lambdock serves on {settings.host}; "
            "serve on 0.0.0.0 (--host) for handlers to call lambdock's APIs"
        )
    owner = Owner(
        uuid.uuid4().hex, socket.gethostname(), os.getpid(), _process_start(os.getpid()) or 0
    )
    backend = DockerBackend(
        client, network=network, owner=owner, runtime_images=settings.runtime_images
    )
    backend.remove_stale()
    return backend


def _bridge_gateway(client: docker.APIClient) -> str | None:
    """The gateway address of Docker's default bridge (what host-gateway resolves to)."""
    try:
        with _translated("inspecting the bridge network"):
            configs = client.inspect_network("bridge").get("IPAM", {}).get("Config") or []
    except BackendError:
        return None
    gateways = [c.get("Gateway") for c in configs if c.get("Gateway")]
    return str(gateways[0]) if gateways else None


def _check_bootstrap(function: FunctionConfig) -> None:
    # A custom runtime's entry point is the function's own executable `bootstrap`.
    assert function.code_uri is not None
    bootstrap = function.code_uri / "bootstrap"
    if not (bootstrap.is_file() and os.access(bootstrap, os.X_OK)):
        raise EnvironmentFailed(
            wire.RUNTIME_INVALID_ENTRYPOINT,
            "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]",
        )


def _unavailable(image: str, function: FunctionConfig, reason: str) -> EnvironmentFailed:
    if function.runtime_family == "image":
        how = f"build or pull it (docker build -t {image} . / docker pull {image})"
    else:
        how = (
            f"pull it (docker pull {image}), or map runtime {function.runtime} to a local image "
            f"that has the language installed: --runtime-image {function.runtime}=IMAGE"
        )
    message = (
        f"image {image} is not present in the Docker engine and cannot be pulled ({reason}); {how}"
    )
    return EnvironmentFailed(IMAGE_UNAVAILABLE, message)


class DockerEnvironment:
    """One container: its output follower, how it ended, and its memory peak."""

    def __init__(
        self, client: docker.APIClient, container_id: str, on_line: LineSink, cgroup_root: Path
    ) -> None:
        self.container_id = container_id
        self._client = client
        self._on_line = on_line
        self._cgroup_root = cgroup_root
        self._loop = asyncio.get_running_loop()
        self._attached: asyncio.Future[None] = self._loop.create_future()
        self._exit: asyncio.Future[int | None] = self._loop.create_future()
        self._last_arrival = self._loop.time()
        self._memory_file: Path | None = None
        self._memory_resolved = False
        self._peak_mb = 0

    async def attach(self) -> None:
        """Follow the container's stdout/stderr from now on (before it starts: nothing lost)."""
        name = f"lambdock-output-{self.container_id[:12]}"
        threading.Thread(target=self._follow, name=name, daemon=True).start()
        await asyncio.wait_for(asyncio.shield(self._attached), _ATTACH_TIMEOUT)

    def _follow(self) -> None:
        """The container's thread: forward its output line by line, then read how it ended."""
        code: int | None = None
        try:
            with _translated("attaching to the container's output"):
                stream = self._client.attach(self.container_id, stream=True, logs=False)
            self._post(_settle, self._attached, None)
            lines = LineBuffer()
            with contextlib.suppress(BackendError), _translated("reading the container's output"):
                for chunk in stream:
                    self._post(self._deliver, lines.feed(chunk))
            self._post(self._deliver, lines.flush())
            code = self._ending()
        except BackendError as exc:
            self._post(_settle, self._attached, exc)
        finally:
            # Whatever happened, whoever waits for the container's end is answered.
            self._post(_settle, self._exit, code)

    def _ending(self) -> int | None:
        try:
            with _translated("reading the container's exit state"):
                self._client.wait(self.container_id, timeout=_EXIT_WAIT)
                state = self._client.inspect_container(self.container_id)["State"]
        except BackendError:
            return None
        return exit_code(state)

    def _post(self, callback: Callable[..., None], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening
            self._loop.call_soon_threadsafe(callback, *args)

    def _deliver(self, lines: list[str]) -> None:
        self._last_arrival = self._loop.time()
        for line in lines:
            self._on_line(line)

    async def wait(self) -> int | None:
        """Wait until the container ends; its exit code (-9 when killed, as out of memory)."""
        return await asyncio.shield(self._exit)

    async def drain_output(self) -> None:
        """Wait, briefly and boundedly, for output still on its way through dockerd."""
        started = self._loop.time()
        deadline = started + DRAIN_LIMIT
        while not self._exit.done():
            now = self._loop.time()
            quiet_until = max(self._last_arrival, started) + DRAIN_QUIET
            if now >= quiet_until or now >= deadline:
                return
            await asyncio.sleep(min(quiet_until, deadline) - now)

    def ended(self) -> None:
        """The container was removed: whoever waits for its end stops waiting."""
        _settle(self._exit, None)

    def max_memory_mb(self) -> int:
        """The container's peak memory (its cgroup's high-water mark), in MB."""
        if not self._memory_resolved:
            self._memory_resolved = True
            files = cgroup_memory_files(self.container_id, self._cgroup_root)
            self._memory_file = next((f for f in files if f.exists()), None)
        if self._memory_file is not None:
            with contextlib.suppress(OSError, ValueError):
                used = int(self._memory_file.read_text())
                self._peak_mb = max(self._peak_mb, -(-used // _MIB))
        return self._peak_mb


def _settle(future: asyncio.Future[Any], outcome: Any) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


class DockerBackend:
    """Starts execution environments as labelled, limited containers."""

    name = "docker"

    def __init__(
        self,
        client: docker.APIClient,
        *,
        network: NetworkPlan,
        owner: Owner,
        runtime_images: Mapping[str, str],
        announce: Announce = _announce,
        cgroup_root: Path = Path("/sys/fs/cgroup"),
    ) -> None:
        self.client = client
        self.network = network
        self.owner = owner
        self.runtime_api_bind_host = network.bind_host
        self._runtime_images = dict(runtime_images)
        self._announce = announce
        self._cgroup_root = cgroup_root
        self._facts: dict[str, ImageFacts] = {}
        self._image_locks: dict[str, asyncio.Lock] = {}
        self._pull_failed: dict[str, tuple[float, str]] = {}
        self._running: dict[str, DockerEnvironment] = {}

    async def _call(self, what: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A blocking SDK call, in a thread, with Docker's exceptions translated."""
        with _translated(what):
            return await asyncio.to_thread(call, *args, **kwargs)

    def remove_stale(self) -> int:
        """Remove containers left by a lambdock on this host that is no longer running."""
        with _translated("listing lambdock's containers"):
            found = self.client.containers(all=True, filters={"label": LABEL_INSTANCE})
        stale = [
            c["Id"] for c in found if is_stale(c.get("Labels") or {}, self.owner, _process_start)
        ]
        for container_id in stale:
            with contextlib.suppress(BackendError), _translated("removing a stale container"):
                self.client.remove_container(container_id, force=True, v=True)
        if stale:
            self._announce(f"removed {len(stale)} container(s) left by a lambdock that is gone")
        return len(stale)

    async def start(self, spec: EnvironmentSpec, on_line: LineSink) -> DockerEnvironment:
        """Create and start the environment's container, following its output."""
        function = spec.function
        image = image_for(function, self._runtime_images)
        if image is None:
            raise BackendError(
                f"{function.logical_id}: no image for runtime {function.runtime!r}; "
                f"map one with --runtime-image {function.runtime}=IMAGE"
            )
        if function.runtime_family == "provided":
            _check_bootstrap(function)
        facts = await self._image_facts(image, function)
        source = None
        if uses_bundled_client(function, facts):
            try:
                source = runtime_root() / function.runtime_family
            except FileNotFoundError as exc:
                raise BackendError(str(exc)) from None
        plan = plan_container(spec, facts, self.network, self.owner, runtime_source=source)
        try:
            container_id = await self._call("creating a container", self._create, plan)
        except _ImageMissing as exc:
            self._facts.pop(image, None)
            raise _unavailable(image, function, str(exc)) from None
        environment = DockerEnvironment(self.client, container_id, on_line, self._cgroup_root)
        self._running[container_id] = environment
        try:
            await environment.attach()
            await self._call("starting a container", self.client.start, container_id)
        except BaseException:
            await self.stop(environment)
            raise
        return environment

    def _create(self, plan: ContainerPlan) -> str:
        host_config = self.client.create_host_config(
            binds={source: dict(bind) for source, bind in plan.binds.items()},
            tmpfs=dict(plan.tmpfs),
            mem_limit=plan.mem_limit,
            # Swap as large as the limit means no swap: Lambda has none.
            memswap_limit=plan.mem_limit,
            cpu_shares=plan.cpu_shares,
            pids_limit=plan.pids_limit,
            ulimits=[docker.types.Ulimit(name="nofile", soft=plan.nofile, hard=plan.nofile)],
            network_mode=plan.network_mode,
            extra_hosts=dict(plan.extra_hosts) or None,
            read_only=plan.read_only,
            security_opt=list(plan.security_opt),
            cap_drop=list(plan.cap_drop),
        )
        created = self.client.create_container(
            image=plan.image,
            name=plan.name,
            entrypoint=list(plan.entrypoint) if plan.entrypoint is not None else None,
            command=list(plan.command) if plan.command is not None else None,
            environment=dict(plan.environment),
            working_dir=plan.working_dir,
            user=plan.user,
            labels=dict(plan.labels),
            host_config=host_config,
            use_config_proxy=False,
        )
        return str(created["Id"])

    async def _image_facts(self, image: str, function: FunctionConfig) -> ImageFacts:
        """What the image is, asked of the engine once (pulled first if it is not local)."""
        facts = self._facts.get(image)
        if facts is not None:
            return facts
        async with self._image_locks.setdefault(image, asyncio.Lock()):
            if image not in self._facts:
                try:
                    attrs = await self._call(
                        f"inspecting image {image}", self.client.inspect_image, image
                    )
                except _ImageMissing:
                    attrs = await self._pull(image, function)
                self._facts[image] = facts_from(image, attrs)
        return self._facts[image]

    async def _pull(self, image: str, function: FunctionConfig) -> Any:
        failed = self._pull_failed.get(image)
        if failed is not None and time.monotonic() - failed[0] < _PULL_RETRY_AFTER:
            raise _unavailable(image, function, failed[1])
        self._announce(f"pulling image {image} (not present locally) ...")
        started = time.monotonic()
        try:
            await asyncio.wait_for(
                self._call(f"pulling {image}", self._pull_blocking, image), _PULL_TIMEOUT
            )
            attrs = await self._call(f"inspecting image {image}", self.client.inspect_image, image)
        except (BackendError, TimeoutError) as exc:
            reason = str(exc) or f"no answer within {_PULL_TIMEOUT} s"
            self._pull_failed[image] = (time.monotonic(), reason)
            self._announce(f"cannot pull image {image}: {reason}")
            raise _unavailable(image, function, reason) from None
        self._announce(f"pulled image {image} in {time.monotonic() - started:.1f} s")
        return attrs

    def _pull_blocking(self, image: str) -> None:
        repository, tag = docker.utils.parse_repository_tag(image)
        for event in self.client.pull(repository, tag=tag or "latest", stream=True, decode=True):
            if isinstance(event, dict) and event.get("error"):
                raise BackendError(str(event["error"]))

    async def stop(self, running: Running) -> None:
        """Kill and remove the container; safe to call twice."""
        assert isinstance(running, DockerEnvironment)
        self._running.pop(running.container_id, None)
        try:
            await self._call(
                "removing a container",
                self.client.remove_container,
                running.container_id,
                force=True,
                v=True,
            )
        except _Gone:
            pass
        finally:
            running.ended()

    async def close(self) -> None:
        """Remove every container this instance started, then let go of the engine."""
        await asyncio.gather(
            *(self.stop(running) for running in list(self._running.values())),
            return_exceptions=True,
        )
        with contextlib.suppress(BackendError):
            # A start cut short (cancelled mid-create) leaves a container nobody tracks.
            label = f"{LABEL_INSTANCE}={self.owner.instance_id}"
            left = await self._call(
                "listing containers", self.client.containers, all=True, filters={"label": label}
            )
            for container in left:
                with contextlib.suppress(BackendError):
                    await self._call(
                        "removing a container",
                        self.client.remove_container,
                        container["Id"],
                        force=True,
                        v=True,
                    )
        self.client.close()
