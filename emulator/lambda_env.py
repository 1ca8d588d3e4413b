"""The environment variables Lambda sets in an execution environment (pure).

AWS docs: "Defined runtime environment variables" in the Lambda developer guide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from emulator import wire
from emulator.template.models import FunctionConfig


@dataclass(frozen=True)
class Placement:
    """Where an environment lives, as its runtime sees it."""

    runtime_api: str
    task_root: str
    runtime_dir: str
    log_stream_name: str
    region: str


def log_group_name(function: FunctionConfig) -> str:
    """The CloudWatch log group Lambda writes a function's logs to."""
    return f"/aws/lambda/{function.function_name}"


def execution_env(function: FunctionConfig) -> str | None:
    """`AWS_EXECUTION_ENV`, which Lambda sets for managed runtimes only."""
    if function.runtime and function.runtime_family in ("python", "nodejs"):
        return f"AWS_Lambda_{function.runtime}"
    return None


def lambda_environment(
    function: FunctionConfig,
    placement: Placement,
    *,
    credentials: Mapping[str, str],
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Every variable the runtime process gets: Lambda's reserved ones, credentials, endpoint
    settings in `extra`, then the function's own Environment.Variables."""
    reserved = {
        wire.ENV_RUNTIME_API: placement.runtime_api,
        wire.ENV_HANDLER: function.handler or "",
        wire.ENV_TASK_ROOT: placement.task_root,
        wire.ENV_RUNTIME_DIR: placement.runtime_dir,
        "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": wire.LATEST,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_LOG_GROUP_NAME": log_group_name(function),
        "AWS_LAMBDA_LOG_STREAM_NAME": placement.log_stream_name,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": placement.region,
        "AWS_DEFAULT_REGION": placement.region,
        **dict(credentials),
    }
    env = execution_env(function)
    if env:
        reserved["AWS_EXECUTION_ENV"] = env
    # A function may not override the names Lambda reserves; it may set TZ, LANG and endpoints.
    defaults = {"TZ": ":UTC", "LANG": "en_US.UTF-8", **dict(extra or {})}
    return {**defaults, **dict(function.environment), **reserved}
