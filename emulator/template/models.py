"""The template as lambdock serves it: frozen, resolved, and typed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator import wire

PYTHON_RUNTIMES = frozenset(
    {"python3.8", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13"}
)
NODE_RUNTIMES = frozenset({"nodejs16.x", "nodejs18.x", "nodejs20.x", "nodejs22.x"})
CUSTOM_RUNTIMES = frozenset({"provided", "provided.al2", "provided.al2023"})
SUPPORTED_RUNTIMES = PYTHON_RUNTIMES | NODE_RUNTIMES | CUSTOM_RUNTIMES
# Real Lambda runtimes that lambdock does not run (yet): a warning, not an error.
KNOWN_UNSUPPORTED_RUNTIMES = frozenset(
    {
        "java8",
        "java8.al2",
        "java11",
        "java17",
        "java21",
        "dotnet6",
        "dotnet8",
        "ruby3.2",
        "ruby3.3",
        "python3.7",
        "nodejs14.x",
        "go1.x",
    }
)


@dataclass(frozen=True)
class EventSpec:
    """One entry of a function's `Events`: its name, SAM type and resolved properties."""

    name: str
    type: str
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class FunctionConfig:
    """An `AWS::Serverless::Function` with Globals applied and intrinsics resolved."""

    logical_id: str
    function_name: str
    handler: str | None
    runtime: str | None
    code_uri: Path | None
    timeout: int = 3
    memory_size: int = 128
    environment: Mapping[str, str] = field(default_factory=dict)
    reserved_concurrency: int | None = None
    architectures: tuple[str, ...] = ("x86_64",)
    package_type: str = "Zip"
    image_uri: str | None = None
    image_config: Mapping[str, Any] = field(default_factory=dict)
    events: tuple[EventSpec, ...] = ()
    event_invoke_config: Mapping[str, Any] | None = None
    policies: Any = None
    layers: tuple[str, ...] = ()
    ephemeral_storage_mb: int = 512
    dead_letter_queue: Mapping[str, Any] | None = None
    description: str = ""

    def arn(self, region: str, account_id: str) -> str:
        """The function's unqualified ARN."""
        return f"arn:aws:lambda:{region}:{account_id}:function:{self.function_name}"

    def qualified_arn(self, region: str, account_id: str) -> str:
        """The ARN of `$LATEST`, which is what lambdock runs."""
        return f"{self.arn(region, account_id)}:{wire.LATEST}"

    @property
    def runtime_family(self) -> str:
        """python, nodejs, provided or image: which runtime client an environment runs."""
        if self.package_type == "Image":
            return "image"
        runtime = self.runtime or ""
        if runtime in PYTHON_RUNTIMES:
            return "python"
        if runtime in NODE_RUNTIMES:
            return "nodejs"
        return "provided"

    def events_of(self, *types: str) -> tuple[EventSpec, ...]:
        """This function's events of the given SAM types."""
        return tuple(event for event in self.events if event.type in types)


@dataclass(frozen=True)
class BucketConfig:
    """An `AWS::S3::Bucket` resource and the bucket name it stands for."""

    logical_id: str
    bucket_name: str
    properties: Mapping[str, Any] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        """The bucket's ARN."""
        return f"arn:aws:s3:::{self.bucket_name}"


@dataclass(frozen=True)
class Resource:
    """Any resource of the template, with its properties resolved."""

    logical_id: str
    type: str
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class Template:
    """A loaded template: what lambdock serves, and what it warned about."""

    path: Path
    stack_name: str
    region: str
    account_id: str
    functions: Mapping[str, FunctionConfig]
    buckets: Mapping[str, BucketConfig]
    resources: Mapping[str, Resource]
    warnings: tuple[str, ...] = ()

    def function(self, name_or_arn: str) -> FunctionConfig | None:
        """Find a function by name, logical id, or (partial) ARN, as Lambda's API accepts."""
        name = _function_name_of(name_or_arn)
        found = self.functions.get(name)
        if found is not None:
            return found
        for config in self.functions.values():
            if config.logical_id == name:
                return config
        return None

    def resources_of(self, *types: str) -> tuple[Resource, ...]:
        """The resources of the given types, in template order."""
        return tuple(r for r in self.resources.values() if r.type in types)


def _function_name_of(name_or_arn: str) -> str:
    # Lambda accepts a name, `name:qualifier`, a partial ARN `account:function:name`, or a full
    # ARN (AWS API reference: Invoke, FunctionName).
    parts = name_or_arn.split(":")
    if "function" in parts:
        index = parts.index("function")
        return parts[index + 1] if index + 1 < len(parts) else ""
    return parts[0]


def split_qualifier(name_or_arn: str) -> tuple[str, str | None]:
    """Split `name:qualifier` / an ARN with a qualifier into name and qualifier."""
    parts = name_or_arn.split(":")
    if "function" in parts:
        index = parts.index("function")
        rest = parts[index + 1 :]
        return ":".join(parts[: index + 2]), rest[1] if len(rest) > 1 else None
    if len(parts) == 2:
        return parts[0], parts[1]
    return name_or_arn, None
