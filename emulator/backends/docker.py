"""The Docker backend: each execution environment is a container, started through the SDK.

The only module that imports `docker`. Docker's exceptions become lambdock's in `_translated`;
the SDK's blocking calls run in threads (short ones through `asyncio.to_thread`, and one
dedicated thread per container that waits for its end). What an image is, and how containers
reach lambdock, is learnt once; the request path only creates and starts a container. The
runtime's output comes through a named pipe on the host where the engine runs here, else
through Docker's attach stream (see `output.py`). Every container carries lambdock's instance
label and is removed on stop, on close, and, if lambdock died without closing, at the next
start.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import re
import shutil
import socket
import sys
import tempfile
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
from emulator.backends.container_env import ContainerEnvironment
from emulator.backends.container_plan import (
    LABEL_INSTANCE,
    LABEL_OWNER,
    ContainerPlan,
    ImageFacts,
    NetworkPlan,
    Owner,
    can_redirect_output,
    image_for,
    network_plan,
    plan_container,
    uses_bundled_client,
)
from emulator.backends.container_state import (
    exit_code,
    is_stale,
    process_start,
)
from emulator.backends.entrypoint import check_bootstrap
from emulator.backends.images import ImageCatalog, ImageMissing, unavailable
from emulator.backends.output import Output, PipeOutput, StreamOutput
from emulator.dependencies import DependencyInstaller, Target
from emulator.errors import BackendError, EnvironmentFailed
from emulator.runtime_files import runtime_root
from emulator.settings import Settings
from emulator.template.models import FunctionConfig

_API_TIMEOUT = 60
_CONNECT_TIMEOUT = 5
# Each container held by a stream or a wait holds a connection, plus the short calls.
_POOL_SIZE = 64

Announce = Callable[[str], None]


class _Gone(BackendError):
    """The container is already gone (or on its way out)."""


class _NotStartable(BackendError):
    """The container's process could not be started (its entry point is missing, say)."""


@contextlib.contextmanager
def _translated(what: str) -> Iterator[None]:
    """The one place where Docker's exceptions become lambdock's."""
    try:
        yield
    except docker.errors.ImageNotFound as exc:
        raise ImageMissing(f"{what}: {exc.explanation or exc}") from None
    except docker.errors.NotFound as exc:
        raise _Gone(f"{what}: {exc.explanation or exc}") from None
    except docker.errors.APIError as exc:
        if exc.status_code == 409 and "in progress" in str(exc.explanation):
            raise _Gone(f"{what}: {exc.explanation}") from None
        if "unable to start container process" in str(exc.explanation):
            raise _NotStartable(str(exc.explanation)) from None
        if exc.status_code == 400 and "invalid reference format" in str(exc.explanation):
            # A name no image can have is, for the function, a missing image.
            raise ImageMissing(f"{what}: {exc.explanation}") from None
        raise BackendError(f"{what}: {exc.explanation or exc}") from None
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
        raise BackendError(f"{what}: the Docker engine did not answer ({exc})") from None


def _announce(message: str) -> None:
    print(f"lambdock: {message}", file=sys.stderr, flush=True)


def _pipes_dir(instance_id: str) -> Path:
    return Path(tempfile.gettempdir()) / f"lambdock-{instance_id}"


def connect(settings: Settings, *, required: bool) -> DockerBackend:
    """A Docker backend on the engine that DOCKER_HOST (or the local socket) names; removes
    what a dead lambdock left. Raises BackendError when no engine answers (with `--backend
    auto` the caller then falls back to processes, so the hint is only given when required)."""
    client, info = _open_client(required=required)
    local = sys.platform.startswith("linux") and "Desktop" not in str(info.get("OperatingSystem"))
    network = network_plan(
        linux_engine=local,
        docker_network=settings.docker_network,
        bridge_gateway=_bridge_gateway(client),
    )
    if network.mode == "bridge" and local and settings.host in ("127.0.0.1", "localhost"):
        _announce(
            f"warning: containers on the {network.network} network reach this host as "
            f"host.docker.internal, but lambdock serves on {settings.host}; "
            "serve on 0.0.0.0 (--host) for handlers to call lambdock's APIs"
        )
    pid = os.getpid()
    owner = Owner(uuid.uuid4().hex, socket.gethostname(), pid, process_start(pid) or 0)
    backend = DockerBackend(
        client,
        network=network,
        owner=owner,
        runtime_images=settings.runtime_images,
        # A named pipe works only where the engine shares this host's filesystem.
        pipes_dir=_pipes_dir(owner.instance_id) if local else None,
        pull_images=settings.pull_images,
        # Declared dependencies (requirements.txt, package.json) are installed on first use.
        dependencies=DependencyInstaller(
            settings.resolved_state_dir / "deps", python=settings.python_executable
        ),
    )
    backend.remove_stale()
    return backend


def _open_client(*, required: bool) -> tuple[docker.APIClient, Mapping[str, Any]]:
    options = docker.utils.kwargs_from_env()
    where = options.get("base_url") or "unix:///var/run/docker.sock"
    hint = " Start dockerd (or Docker Desktop), or use --backend process." if required else ""
    if where.startswith("unix://") and not Path(where.removeprefix("unix://")).exists():
        raise BackendError(f"the docker backend needs a Docker engine: no socket at {where}.{hint}")
    client = None
    try:
        with _translated(f"connecting to the Docker engine at {where}"):
            client = docker.APIClient(timeout=_CONNECT_TIMEOUT, max_pool_size=_POOL_SIZE, **options)
            info: Mapping[str, Any] = client.info()
    except BackendError as exc:
        if client is not None:
            client.close()
        raise BackendError(f"the docker backend needs a Docker engine: {exc}.{hint}") from None
    client.timeout = _API_TIMEOUT
    return client, info


def _bridge_gateway(client: docker.APIClient) -> str | None:
    """The gateway address of Docker's default bridge (what host-gateway resolves to)."""
    try:
        with _translated("inspecting the bridge network"):
            configs = client.inspect_network("bridge").get("IPAM", {}).get("Config") or []
    except BackendError:
        return None
    gateways = [c.get("Gateway") for c in configs if c.get("Gateway")]
    return str(gateways[0]) if gateways else None


def _translated_chunks(stream: Iterator[bytes]) -> Iterator[bytes]:
    with _translated("following a container's output"):
        yield from stream


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
        pipes_dir: Path | None = None,
        announce: Announce = _announce,
        cgroup_root: Path = Path("/sys/fs/cgroup"),
        pull_images: bool = True,
        dependencies: DependencyInstaller | None = None,
    ) -> None:
        self.client = client
        self.network = network
        self.owner = owner
        self.runtime_api_bind_host = network.bind_host
        self._runtime_images = dict(runtime_images)
        # Where output pipes are made; None where the engine cannot see this host's files.
        self._pipes_dir = pipes_dir
        self._announce = announce
        self._cgroup_root = cgroup_root
        self._pull_images = pull_images
        self._images = ImageCatalog(self._inspect_image, self._pull, announce)
        self._running: dict[str, ContainerEnvironment] = {}
        self._dependencies = dependencies
        self._targets: dict[str, Target] = {}

    async def _call(self, what: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A blocking SDK call, in a thread, with Docker's exceptions translated."""
        with _translated(what):
            return await asyncio.to_thread(call, *args, **kwargs)

    def remove_stale(self) -> int:
        """Remove containers (and output pipes) of a lambdock on this host that is gone."""
        with _translated("listing lambdock's containers"):
            found = self.client.containers(all=True, filters={"label": LABEL_INSTANCE})
        stale = [c for c in found if is_stale(c.get("Labels") or {}, self.owner, process_start)]
        for container in stale:
            with contextlib.suppress(BackendError), _translated("removing a stale container"):
                self.client.remove_container(container["Id"], force=True, v=True)
            instance = container["Labels"][LABEL_INSTANCE]
            if re.fullmatch(r"[0-9a-f]{32}", instance):
                shutil.rmtree(_pipes_dir(instance), ignore_errors=True)
        if stale:
            self._announce(f"removed {len(stale)} container(s) left by a lambdock that is gone")
        return len(stale)

    async def start(self, spec: EnvironmentSpec, on_line: LineSink) -> ContainerEnvironment:
        """Create and start the environment's container, following its output."""
        function = spec.function
        facts = await self._image_facts(function)
        pipe = self._pipe_path(spec, facts)
        plan = plan_container(
            spec,
            facts,
            self.network,
            self.owner,
            runtime_source=self._runtime_source(function, facts),
            output_pipe=pipe,
            dependencies=await self._installed(function, facts),
        )
        output = self._pipe_output(pipe, on_line)
        try:
            container_id = await self._call("creating a container", self._create, plan)
        except BaseException as exc:
            if output is not None:
                output.close()
            if isinstance(exc, ImageMissing):
                self._images.forget(facts.name)
                raise unavailable(facts.name, function, str(exc)) from None
            raise
        return await self._run(container_id, output or self._attach_stream(container_id, on_line))

    async def _run(self, container_id: str, output: Output) -> ContainerEnvironment:
        """Start a created container with its output followed; removes it if it cannot start."""
        environment = ContainerEnvironment(
            container_id,
            output,
            wait_for_end=functools.partial(self._wait_for_end, container_id),
            cgroup_root=self._cgroup_root,
        )
        self._running[container_id] = environment
        try:
            if isinstance(output, StreamOutput):
                await output.open()
            await self._call("starting a container", self.client.start, container_id)
            environment.watch()
        except BaseException as exc:
            await self.stop(environment)
            if isinstance(exc, _NotStartable):
                # Lambda's error for an entry point it cannot run.
                raise EnvironmentFailed(wire.RUNTIME_INVALID_ENTRYPOINT, str(exc)) from None
            raise
        return environment

    def _wait_for_end(self, container_id: str) -> int | None:
        """Block until the container ends; how it ended (None if it is gone)."""
        try:
            with _translated("waiting for a container"):
                self.client.wait(container_id, timeout=None)
                return exit_code(self.client.inspect_container(container_id)["State"])
        except BackendError:
            return None

    def _pipe_path(self, spec: EnvironmentSpec, facts: ImageFacts) -> Path | None:
        if self._pipes_dir is None or not can_redirect_output(spec.function, facts):
            return None
        return self._pipes_dir / spec.environment_id

    def _pipe_output(self, pipe: Path | None, on_line: LineSink) -> Output | None:
        if pipe is None:
            return None
        try:
            pipe.parent.mkdir(mode=0o700, exist_ok=True)
            return PipeOutput(pipe, on_line)
        except OSError as exc:
            raise BackendError(f"cannot make the output pipe {pipe}: {exc.strerror}") from None

    def _runtime_source(self, function: FunctionConfig, facts: ImageFacts) -> Path | None:
        if not uses_bundled_client(function, facts):
            return None
        try:
            return runtime_root() / function.runtime_family
        except FileNotFoundError as exc:
            raise BackendError(str(exc)) from None

    async def _installed(self, function: FunctionConfig, facts: ImageFacts) -> Path | None:
        """The host folder of the function's installed dependencies, installed for the
        image's Python (wheels for its version and machine) on first use."""
        if self._dependencies is None or function.runtime_family not in ("python", "nodejs"):
            return None
        target = None
        if function.runtime_family == "python":
            target = self._targets.get(facts.name)
            if target is None:
                target = await self._python_target(facts.name, function)
                self._targets[facts.name] = target
        found = await self._dependencies.search_path(function, target)
        return Path(next(iter(found.values()))) if found else None

    async def _python_target(self, image: str, function: FunctionConfig) -> Target:
        """The version and machine of the image's python3, asked once per image; the
        runtime's version (python3.12: 3.12) if the image cannot say."""
        try:
            said = await self._call(f"asking {image} its Python", self._ask_python, image)
            version, machine = said.split()
            return Target(version, machine)
        except (BackendError, ValueError):
            return Target((function.runtime or "").removeprefix("python") or "3.12")

    def _ask_python(self, image: str) -> str:
        code = "import platform,sys; print('%d.%d' % sys.version_info[:2], platform.machine())"
        created = self.client.create_container(
            image=image,
            entrypoint=["python3", "-c", code],
            command=[],
            labels={LABEL_INSTANCE: self.owner.instance_id, LABEL_OWNER: self.owner.label()},
            host_config=self.client.create_host_config(network_mode="none"),
        )
        try:
            self.client.start(created["Id"])
            self.client.wait(created["Id"], timeout=_API_TIMEOUT)
            return str(self.client.logs(created["Id"], stderr=False).decode().strip())
        finally:
            self.client.remove_container(created["Id"], force=True, v=True)

    def _attach_stream(self, container_id: str, on_line: LineSink) -> StreamOutput:
        def open_stream() -> Iterator[bytes]:
            with _translated("attaching to a container's output"):
                stream = self.client.attach(container_id, stream=True, logs=False)
            return _translated_chunks(stream)

        return StreamOutput(open_stream, on_line, f"lambdock-output-{container_id[:12]}")

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

    async def _image_facts(self, function: FunctionConfig) -> ImageFacts:
        image = image_for(function, self._runtime_images)
        if image is None:
            raise BackendError(
                f"{function.logical_id}: no image for runtime {function.runtime!r}; "
                f"map one with --runtime-image {function.runtime}=IMAGE"
            )
        if function.runtime_family == "provided":
            assert function.code_uri is not None
            check_bootstrap(function.code_uri)
        return await self._images.facts(image, function)

    async def _inspect_image(self, image: str) -> Mapping[str, Any]:
        attrs: Mapping[str, Any] = await self._call(
            f"inspecting image {image}", self.client.inspect_image, image
        )
        return attrs

    async def _pull(self, image: str) -> None:
        if not self._pull_images:
            raise BackendError("pulling images is turned off (--no-pull / LAMBDOCK_NO_PULL=1)")
        await self._call(f"pulling {image}", self._pull_blocking, image)

    def _pull_blocking(self, image: str) -> None:
        repository, tag = docker.utils.parse_repository_tag(image)
        for event in self.client.pull(repository, tag=tag or "latest", stream=True, decode=True):
            if isinstance(event, dict) and event.get("error"):
                raise BackendError(str(event["error"]))

    async def stop(self, running: Running) -> None:
        """Kill and remove the container; safe to call twice."""
        assert isinstance(running, ContainerEnvironment)
        self._running.pop(running.container_id, None)
        try:
            await self._remove(running.container_id)
        finally:
            running.removed()

    async def _remove(self, container_id: str) -> None:
        with contextlib.suppress(_Gone):
            await self._call(
                "removing a container",
                self.client.remove_container,
                container_id,
                force=True,
                v=True,
            )

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
                    await self._remove(container["Id"])
        if self._pipes_dir is not None:
            shutil.rmtree(self._pipes_dir, ignore_errors=True)
        self.client.close()
