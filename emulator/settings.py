"""Typed settings, built once from the command line (or a test) and passed to create_app."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from emulator import wire

BackendName = Literal["auto", "process", "docker"]


@dataclass(frozen=True)
class Settings:
    """Everything lambdock needs to know about how it should run."""

    template: Path = Path("template.yaml")
    host: str = "127.0.0.1"
    port: int = 3000
    backend: BackendName = "auto"
    region: str = "us-east-1"
    account_id: str = wire.DEFAULT_ACCOUNT_ID
    stack_name: str | None = None
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    env_vars_file: Path | None = None
    # Local stand-in for the account's unreserved concurrency: the most environments a
    # function without ReservedConcurrentExecutions may run at once.
    default_concurrency: int = 10
    idle_timeout: float = 300.0
    # Lambda gives a function's init phase 10 seconds (AWS docs: "Lambda execution environment").
    init_timeout: float = 10.0
    retry_delay_scale: float = 1.0
    warm: Literal["lazy", "eager"] = "lazy"
    python_executable: str = sys.executable
    node_executable: str = "node"
    runtime_images: Mapping[str, str] = field(default_factory=dict)
    docker_network: str | None = None
    # Whether the Docker backend may pull a missing image from its registry.
    pull_images: bool = True
    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    minio_bin: str | None = None
    watch: bool = False
    # Where lambdock keeps its state (queue, MinIO data, logs); defaults beside the template.
    state_dir: Path | None = None
    echo_logs: bool = True
    # API Gateway's integration timeout for every route, in seconds; None keeps AWS's (a
    # route's TimeoutInMillis, else 29 s for REST and 30 s for HTTP APIs).
    gateway_timeout: float | None = None
    # Invoke API calls must carry a valid SigV4 signature for lambdock's credentials.
    require_sigv4: bool = False
    # Give every function lambdock's own S3 credentials instead of a user of its own whose
    # policy follows its SAM Policies (emulator.storage.iam).
    no_iam: bool = False

    @property
    def project_dir(self) -> Path:
        """The folder the template lives in; CodeUri paths are relative to it."""
        return self.template.resolve().parent

    @property
    def resolved_state_dir(self) -> Path:
        """The `.lambdock/` folder of the project unless another was given."""
        return self.state_dir or self.project_dir / ".lambdock"

    @property
    def resolved_stack_name(self) -> str:
        """The stack name lambdock pretends to deploy: given, else the project folder's name."""
        return self.stack_name or _stack_name_from(self.project_dir.name)


def _stack_name_from(folder: str) -> str:
    # CloudFormation stack names: letters, digits and hyphens, starting with a letter.
    cleaned = "".join(c if c.isalnum() else "-" for c in folder).strip("-")
    return cleaned if cleaned[:1].isalpha() else f"lambdock-{cleaned or 'stack'}"
