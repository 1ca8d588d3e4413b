"""Turn a resolved `AWS::Serverless::Function` into a FunctionConfig, checking each property."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from emulator.template.models import (
    KNOWN_UNSUPPORTED_RUNTIMES,
    SUPPORTED_RUNTIMES,
    EventSpec,
    FunctionConfig,
)

# Event types lambdock serves; any other is listed as a warning (SAM: "EventSource").
SERVED_EVENT_TYPES = frozenset({"Api", "HttpApi", "S3", "Schedule", "ScheduleV2"})
# Function properties with no local meaning, or not emulated yet: each is a warning.
IGNORED_PROPERTIES = frozenset(
    {
        "VpcConfig",
        "Tracing",
        "AutoPublishAlias",
        "DeploymentPreference",
        "SnapStart",
        "ProvisionedConcurrencyConfig",
        "FunctionUrlConfig",
        "KmsKeyArn",
        "Role",
        "RolePath",
        "PermissionsBoundary",
        "CodeSigningConfigArn",
        "RuntimeManagementConfig",
        "LoggingConfig",
        "AutoPublishCodeSha256",
        "VersionDescription",
        "AssumeRolePolicyDocument",
        "FileSystemConfigs",
        "Tags",
        "PropagateTags",
        "RecursiveLoop",
        "SourceKMSKeyArn",
    }
)


class PropertyError(Exception):
    """A property whose value lambdock cannot serve; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class Unsupported(Exception):
    """A function lambdock cannot run at all (skipped with a warning)."""


def merge_globals(globals_: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's Globals rules: maps merge, lists add up, a scalar on the resource wins
    (SAM developer guide: "Globals section of the template")."""
    merged: dict[str, Any] = dict(globals_)
    for key, value in properties.items():
        base = merged.get(key)
        if isinstance(base, dict) and isinstance(value, dict):
            merged[key] = merge_globals(base, value)
        elif isinstance(base, list) and isinstance(value, list):
            merged[key] = base + value
        else:
            merged[key] = value
    return merged


def build_function(
    logical_id: str,
    function_name: str,
    props: Mapping[str, Any],
    *,
    project_dir: Path,
    warn: Callable[[str], None],
) -> FunctionConfig:
    """Check and type a function's properties; raises PropertyError or Unsupported."""
    package_type = str(props.get("PackageType", "Zip"))
    runtime = _runtime(props, package_type, warn)
    handler = props.get("Handler")
    if package_type == "Zip" and not (isinstance(handler, str) and handler):
        raise PropertyError("Handler", "Handler is required for a Zip function")
    for name in sorted(IGNORED_PROPERTIES & set(props)):
        warn(f"{logical_id}: property {name} is not emulated and is ignored")
    return FunctionConfig(
        logical_id=logical_id,
        function_name=function_name,
        handler=str(handler) if handler is not None else None,
        runtime=runtime,
        code_uri=_code_uri(props, package_type, project_dir),
        timeout=_bounded_int(props, "Timeout", 3, 1, 900),
        memory_size=_bounded_int(props, "MemorySize", 128, 128, 10240),
        environment=_variables(props),
        reserved_concurrency=_optional_int(props, "ReservedConcurrentExecutions"),
        architectures=tuple(str(a) for a in props.get("Architectures") or ("x86_64",)),
        package_type=package_type,
        image_uri=str(props["ImageUri"]) if props.get("ImageUri") else None,
        image_config=dict(props.get("ImageConfig") or {}),
        events=_events(logical_id, props, warn),
        event_invoke_config=props.get("EventInvokeConfig"),
        policies=props.get("Policies"),
        layers=tuple(str(layer) for layer in props.get("Layers") or ()),
        ephemeral_storage_mb=_ephemeral_storage(props),
        dead_letter_queue=props.get("DeadLetterQueue"),
        description=str(props.get("Description", "")),
    )


def _runtime(
    props: Mapping[str, Any], package_type: str, warn: Callable[[str], None]
) -> str | None:
    if package_type == "Image":
        if not props.get("ImageUri"):
            raise PropertyError("ImageUri", "an Image function needs ImageUri")
        return None
    if package_type != "Zip":
        raise PropertyError("PackageType", f"PackageType must be Zip or Image, not {package_type}")
    runtime = props.get("Runtime")
    if not isinstance(runtime, str) or not runtime:
        raise PropertyError("Runtime", "Runtime is required for a Zip function")
    if runtime in KNOWN_UNSUPPORTED_RUNTIMES:
        raise Unsupported(f"runtime {runtime} is not supported by lambdock")
    if runtime not in SUPPORTED_RUNTIMES:
        known = ", ".join(sorted(SUPPORTED_RUNTIMES))
        raise PropertyError("Runtime", f"unknown runtime {runtime!r} (lambdock runs: {known})")
    return runtime


def _code_uri(props: Mapping[str, Any], package_type: str, project_dir: Path) -> Path | None:
    if package_type == "Image":
        return None
    if "InlineCode" in props:
        raise Unsupported("InlineCode is not supported; put the code in a folder and use CodeUri")
    code_uri = props.get("CodeUri", ".")
    if not isinstance(code_uri, str) or code_uri.startswith("s3://"):
        raise PropertyError("CodeUri", "CodeUri must be a local folder, not an S3 location")
    root = project_dir.resolve()
    path = (root / code_uri).resolve()
    if not path.is_relative_to(root):
        raise PropertyError("CodeUri", f"CodeUri {code_uri!r} points outside the project folder")
    if not path.exists():
        raise PropertyError("CodeUri", f"CodeUri {code_uri!r} does not exist ({path})")
    if not path.is_dir():
        raise PropertyError("CodeUri", f"CodeUri {code_uri!r} is not a folder")
    return path


def _bounded_int(props: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = props.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PropertyError(name, f"{name} must be a whole number, not {value!r}") from None
    if not low <= number <= high:
        raise PropertyError(name, f"{name} is {number}; Lambda allows {low} to {high}")
    return number


def _optional_int(props: Mapping[str, Any], name: str) -> int | None:
    if props.get(name) is None:
        return None
    return _bounded_int(props, name, 0, 0, 100_000)


def _ephemeral_storage(props: Mapping[str, Any]) -> int:
    storage = props.get("EphemeralStorage") or {}
    return _bounded_int(storage, "Size", 512, 512, 10240) if isinstance(storage, dict) else 512


def _variables(props: Mapping[str, Any]) -> dict[str, str]:
    environment = props.get("Environment") or {}
    variables = environment.get("Variables") if isinstance(environment, dict) else None
    if variables is None:
        return {}
    if not isinstance(variables, dict):
        raise PropertyError("Environment.Variables", "Environment.Variables must be a mapping")
    result: dict[str, str] = {}
    for key, value in variables.items():
        if isinstance(value, (dict, list)):
            raise PropertyError(f"Environment.Variables.{key}", "must be a string")
        # CloudFormation passes booleans as the strings "true" / "false".
        result[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return result


def _events(
    logical_id: str, props: Mapping[str, Any], warn: Callable[[str], None]
) -> tuple[EventSpec, ...]:
    events = props.get("Events") or {}
    if not isinstance(events, dict):
        raise PropertyError("Events", "Events must be a mapping of event name to event")
    specs = []
    for name, event in events.items():
        if not isinstance(event, dict) or not isinstance(event.get("Type"), str):
            raise PropertyError(f"Events.{name}.Type", "each event needs a Type")
        if event["Type"] not in SERVED_EVENT_TYPES:
            warn(f"{logical_id}: event {name} of type {event['Type']} is not emulated")
            continue
        specs.append(EventSpec(name, event["Type"], dict(event.get("Properties") or {})))
    return tuple(specs)
