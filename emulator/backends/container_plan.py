"""What container an execution environment of a function becomes (pure: no Docker, no I/O).

The Docker backend asks the engine about an image once (`ImageFacts`), decides once how its
environments reach lambdock (`NetworkPlan`), and then turns each `EnvironmentSpec` into a
`ContainerPlan` here. Limits follow Lambda's execution environment (AWS docs: "Lambda quotas",
"Configure Lambda function memory", "Lambda execution environment").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from emulator import wire
from emulator.backends.base import EnvironmentSpec
from emulator.lambda_env import Placement, lambda_environment
from emulator.template.models import FunctionConfig

TASK_ROOT = "/var/task"
# Where AWS's base images keep their runtime (LAMBDA_RUNTIME_DIR in their Dockerfiles).
AWS_RUNTIME_DIR = "/var/runtime"
AWS_ENTRYPOINT = "/lambda-entrypoint.sh"
# Where lambdock's bundled runtime client is mounted in an image that has only the language.
BUNDLED_RUNTIME_DIR = "/opt/lambdock/runtime"
# Where the named pipe that carries the runtime's output is mounted.
OUTPUT_PIPE = "/opt/lambdock/output"
# Where Lambda puts a layer's libraries, which its runtimes look in (AWS docs: "Packaging your
# layer content"): a function's installed dependencies are mounted there.
PYTHON_DEPENDENCIES = "/opt/python"
NODEJS_DEPENDENCIES = "/opt/nodejs/node_modules"
# Lambda runs function code as an unprivileged user (sbx_user1051, uid 993 gid 990); a numeric
# id works in any image, with or without an /etc/passwd entry for it.
SANDBOX_USER = "993:990"
# Lambda allots CPU in proportion to memory: one full vCPU at 1,769 MB (AWS docs: "Configure
# Lambda function memory"). Docker's default weight of 1024 stands for one such vCPU here.
MB_PER_VCPU = 1769
DOCKER_CPU_WEIGHT = 1024
# Lambda quotas: 1,024 processes/threads and 1,024 file descriptors per environment.
PIDS_LIMIT = 1024
NOFILE_LIMIT = 1024
HOST_ALIAS = "host.docker.internal"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

LABEL_INSTANCE = "lambdock.instance"
LABEL_OWNER = "lambdock.owner"
LABEL_FUNCTION = "lambdock.function"
LABEL_ENVIRONMENT = "lambdock.environment"

# The images Lambda's managed runtimes run on (gallery.ecr.aws/lambda); each carries its own
# runtime interface client behind /lambda-entrypoint.sh.
_ECR = "public.ecr.aws/lambda"
_PROVIDED_TAGS = {"provided": "alami", "provided.al2": "al2", "provided.al2023": "al2023"}


@dataclass(frozen=True)
class ImageFacts:
    """What lambdock needs to know about an image, learnt once per image."""

    name: str
    entrypoint: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    working_dir: str = ""

    @property
    def lambda_base(self) -> bool:
        """Whether the image is laid out like AWS's Lambda base images (its own client)."""
        return self.entrypoint == (AWS_ENTRYPOINT,)


@dataclass(frozen=True)
class NetworkPlan:
    """How containers join a network and reach lambdock's listeners."""

    mode: Literal["host", "bridge"]
    # The network a bridge-mode container joins: Docker's default `bridge` or a user network.
    network: str = "bridge"
    # The host name containers use for lambdock's listeners, and where those listeners bind.
    runtime_host: str = "127.0.0.1"
    bind_host: str = "127.0.0.1"

    @property
    def network_mode(self) -> str:
        """Docker's `network_mode` for the container."""
        return "host" if self.mode == "host" else self.network

    @property
    def extra_hosts(self) -> dict[str, str]:
        """host.docker.internal names the user's host in both modes, as Docker Desktop does:
        on the host network that is the container's own loopback."""
        return {HOST_ALIAS: "127.0.0.1" if self.mode == "host" else "host-gateway"}


@dataclass(frozen=True)
class Owner:
    """Who started a container: lambdock's instance, on which host, as which process."""

    instance_id: str
    hostname: str
    pid: int
    # The process's start time (clock ticks since boot) tells a live owner from a reused pid.
    started: int

    def label(self) -> str:
        """The owner label's value."""
        return f"{self.hostname}/{self.pid}/{self.started}"


@dataclass(frozen=True)
class ContainerPlan:
    """Everything the engine is told when one environment's container is created."""

    image: str
    name: str
    entrypoint: tuple[str, ...] | None
    command: tuple[str, ...] | None
    environment: Mapping[str, str]
    working_dir: str | None
    user: str
    labels: Mapping[str, str]
    binds: Mapping[str, Mapping[str, str]]
    tmpfs: Mapping[str, str]
    mem_limit: int
    cpu_shares: int
    network_mode: str
    extra_hosts: Mapping[str, str] = field(default_factory=dict)
    pids_limit: int = PIDS_LIMIT
    nofile: int = NOFILE_LIMIT
    read_only: bool = True
    security_opt: tuple[str, ...] = ("no-new-privileges",)
    cap_drop: tuple[str, ...] = ("ALL",)


def default_image(runtime: str) -> str | None:
    """The AWS base image of a managed runtime (python3.12 -> public.ecr.aws/lambda/python:3.12)."""
    if runtime.startswith("python"):
        return f"{_ECR}/python:{runtime.removeprefix('python')}"
    if runtime.startswith("nodejs"):
        return f"{_ECR}/nodejs:{runtime.removeprefix('nodejs').removesuffix('.x')}"
    tag = _PROVIDED_TAGS.get(runtime)
    return f"{_ECR}/provided:{tag}" if tag else None


def image_for(function: FunctionConfig, runtime_images: Mapping[str, str]) -> str | None:
    """The image a function runs on: its ImageUri, else the image mapped to its runtime
    (by exact runtime, then by family: `python3.12=...` or `python=...`), else AWS's."""
    if function.runtime_family == "image":
        return function.image_uri
    runtime = function.runtime or ""
    mapped = runtime_images.get(runtime) or runtime_images.get(function.runtime_family)
    return mapped or default_image(runtime)


def cpu_shares(memory_size: int) -> int:
    """Docker's relative CPU weight for a memory size, as Lambda scales CPU with memory."""
    return max(2, round(DOCKER_CPU_WEIGHT * memory_size / MB_PER_VCPU))


def container_name(function: FunctionConfig, environment_id: str) -> str:
    """A readable, unique container name: lambdock-<function>-<environment id prefix>."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "-", function.function_name)[:40]
    return f"lambdock-{safe}-{environment_id[:12]}"


def rewrite_loopback(value: str, host: str) -> str:
    """A URL whose host is a loopback address, pointed at `host` instead (other values kept)."""
    parts = urlsplit(value)
    if not parts.scheme or parts.hostname is None:
        return value
    hostname = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if hostname not in LOOPBACK_HOSTS:
        return value
    port = f":{parts.port}" if parts.port is not None else ""
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}{port}" if userinfo else f"{host}{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def container_endpoints(endpoints: Mapping[str, str], network: NetworkPlan) -> dict[str, str]:
    """The endpoint variables as a container sees them: loopback hosts become the host alias
    on a bridge, where 127.0.0.1 is the container itself."""
    if network.mode == "host":
        return dict(endpoints)
    return {
        name: rewrite_loopback(value, network.runtime_host) for name, value in endpoints.items()
    }


def _bundled_entrypoint(family: str) -> tuple[str, ...]:
    if family == "python":
        return ("python3", "-m", "lambdock_runtime")
    return ("node", f"{BUNDLED_RUNTIME_DIR}/index.mjs")


@dataclass(frozen=True)
class _Process:
    """How the runtime process starts; None keeps what the image says."""

    entrypoint: tuple[str, ...] | None
    command: tuple[str, ...] | None
    working_dir: str | None
    runtime_dir: str


def _process(function: FunctionConfig, facts: ImageFacts) -> _Process:
    family = function.runtime_family
    if family == "image":
        # PackageType Image: the image's own entrypoint, with ImageConfig's overrides.
        config = function.image_config
        entrypoint = _words(config.get("EntryPoint"))
        command = _words(config.get("Command"))
        if entrypoint and command is None:
            # Docker drops the image's CMD when the entrypoint is replaced; Lambda keeps it.
            command = facts.command or None
        working_dir = config.get("WorkingDirectory") or None
        return _Process(entrypoint, command, working_dir, AWS_RUNTIME_DIR)
    if family == "provided":
        # Custom runtimes: Lambda runs the function's own bootstrap from the task root.
        return _Process((f"{TASK_ROOT}/bootstrap",), None, TASK_ROOT, AWS_RUNTIME_DIR)
    if facts.lambda_base:
        # AWS base image: its /lambda-entrypoint.sh takes the handler as its only argument.
        return _Process(None, (function.handler or "",), TASK_ROOT, AWS_RUNTIME_DIR)
    return _Process(_bundled_entrypoint(family), (), TASK_ROOT, BUNDLED_RUNTIME_DIR)


def _words(value: object) -> tuple[str, ...] | None:
    # ImageConfig's EntryPoint and Command are lists of strings; a lone string is one word.
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and value:
        return tuple(str(word) for word in value)
    return None


def _argv(process: _Process, facts: ImageFacts) -> tuple[str, ...]:
    """The full command line Docker would run, resolving what the image supplies."""
    if process.entrypoint:
        return process.entrypoint + (process.command or ())
    return facts.entrypoint + (process.command or facts.command)


def _redirected(process: _Process, facts: ImageFacts) -> _Process:
    """The same process, started by /bin/sh with stdout and stderr sent into the output pipe;
    `exec` leaves the runtime as the container's first process."""
    script = f'exec "$@" >{OUTPUT_PIPE} 2>&1'
    entrypoint = ("/bin/sh", "-c", script, "lambdock-runtime", *_argv(process, facts))
    return _Process(entrypoint, (), process.working_dir, process.runtime_dir)


def uses_bundled_client(function: FunctionConfig, facts: ImageFacts) -> bool:
    """Whether lambdock's own runtime client is mounted and started in the container."""
    return function.runtime_family in ("python", "nodejs") and not facts.lambda_base


def can_redirect_output(function: FunctionConfig, facts: ImageFacts) -> bool:
    """Whether the image surely has /bin/sh to redirect the runtime's output with: a runtime
    image for a Zip function (a language image or an AWS base image, whose entry point is a
    shell script), or an image function built on an AWS base image."""
    return function.runtime_family != "image" or facts.lambda_base


def plan_container(
    spec: EnvironmentSpec,
    facts: ImageFacts,
    network: NetworkPlan,
    owner: Owner,
    *,
    runtime_source: Path | None,
    output_pipe: Path | None = None,
    dependencies: Path | None = None,
) -> ContainerPlan:
    """The container of one environment. `runtime_source` is the host folder of the bundled
    runtime client, mounted when the image has no client of its own; `output_pipe`, a named
    pipe on the host that receives the runtime's stdout and stderr (else Docker's stream);
    `dependencies`, the host folder of the function's installed dependencies."""
    function = spec.function
    process = _process(function, facts)
    environment = _environment(spec, network, process, facts)
    if dependencies is not None and function.runtime_family == "nodejs":
        # Lambda's Node.js runtimes have the layers' folder on NODE_PATH.
        environment["NODE_PATH"] = NODEJS_DEPENDENCIES
    if output_pipe is not None:
        process = _redirected(process, facts)
    return ContainerPlan(
        image=facts.name,
        name=container_name(function, spec.environment_id),
        entrypoint=process.entrypoint,
        command=process.command,
        environment=environment,
        working_dir=process.working_dir,
        user=SANDBOX_USER,
        labels=labels_for(spec, owner),
        binds=_binds(function, facts, runtime_source, output_pipe, dependencies),
        # Lambda's /tmp: writable, sized by EphemeralStorage (512 MB unless configured).
        tmpfs={"/tmp": f"rw,size={function.ephemeral_storage_mb}m,mode=1777"},
        mem_limit=function.memory_size * 1024 * 1024,
        cpu_shares=cpu_shares(function.memory_size),
        network_mode=network.network_mode,
        extra_hosts=network.extra_hosts,
    )


def _binds(
    function: FunctionConfig,
    facts: ImageFacts,
    runtime_source: Path | None,
    output_pipe: Path | None,
    dependencies: Path | None = None,
) -> dict[str, dict[str, str]]:
    """Host folders and files mounted in: the code (read-only at the task root), the bundled
    runtime client and the installed dependencies (read-only), the output pipe."""
    binds: dict[str, dict[str, str]] = {}
    if function.code_uri is not None and function.runtime_family != "image":
        binds[str(function.code_uri)] = {"bind": TASK_ROOT, "mode": "ro"}
    if uses_bundled_client(function, facts) and runtime_source is not None:
        binds[str(runtime_source)] = {"bind": BUNDLED_RUNTIME_DIR, "mode": "ro"}
    if dependencies is not None and function.runtime_family in ("python", "nodejs"):
        where = PYTHON_DEPENDENCIES if function.runtime_family == "python" else NODEJS_DEPENDENCIES
        binds[str(dependencies)] = {"bind": where, "mode": "ro"}
    if output_pipe is not None:
        binds[str(output_pipe)] = {"bind": OUTPUT_PIPE, "mode": "rw"}
    return binds


def _environment(
    spec: EnvironmentSpec, network: NetworkPlan, process: _Process, facts: ImageFacts
) -> dict[str, str]:
    function = spec.function
    placement = Placement(
        runtime_api=f"{network.runtime_host}:{spec.runtime_api_port}",
        task_root=TASK_ROOT,
        runtime_dir=process.runtime_dir,
        log_stream_name=spec.log_stream_name,
        region=spec.region,
    )
    endpoints = container_endpoints(spec.endpoints, network)
    environment = lambda_environment(
        function, placement, credentials=spec.credentials, extra=endpoints
    )
    if function.runtime_family == "image":
        # The handler of an image function is the first word of its command (the image's CMD).
        command = process.command or facts.command
        environment[wire.ENV_HANDLER] = command[0] if command else ""
    if function.runtime_family == "python" and uses_bundled_client(function, facts):
        environment["PYTHONPATH"] = BUNDLED_RUNTIME_DIR
        # stdout is a pipe, as in Lambda; unbuffered so lines leave when printed.
        environment["PYTHONUNBUFFERED"] = "1"
    return environment


def labels_for(spec: EnvironmentSpec, owner: Owner) -> dict[str, str]:
    """The labels that tie a container to its lambdock instance, function and environment."""
    return {
        LABEL_INSTANCE: owner.instance_id,
        LABEL_OWNER: owner.label(),
        LABEL_FUNCTION: spec.function.function_name,
        LABEL_ENVIRONMENT: spec.environment_id,
    }


def facts_from(name: str, attrs: Mapping[str, Any]) -> ImageFacts:
    """ImageFacts from the engine's description of an image (`docker image inspect`)."""
    config = attrs.get("Config") or {}
    return ImageFacts(
        name=name,
        entrypoint=tuple(config.get("Entrypoint") or ()),
        command=tuple(config.get("Cmd") or ()),
        working_dir=config.get("WorkingDir") or "",
    )


def network_plan(
    *, linux_engine: bool, docker_network: str | None, bridge_gateway: str | None
) -> NetworkPlan:
    """Host networking where the engine runs on this Linux host and no network is asked for;
    else a bridge (the default one, or the user's), reaching lambdock as host.docker.internal.

    On a Linux bridge the listeners bind to the bridge's gateway address, which is what
    `host-gateway` resolves to; Docker Desktop forwards host.docker.internal to the host's
    loopback, so there they stay on 127.0.0.1."""
    if linux_engine and docker_network is None:
        return NetworkPlan(mode="host")
    bind_host = (bridge_gateway or "0.0.0.0") if linux_engine else "127.0.0.1"
    return NetworkPlan(
        mode="bridge",
        network=docker_network or "bridge",
        runtime_host=HOST_ALIAS,
        bind_host=bind_host,
    )
