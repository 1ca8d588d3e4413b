"""The context object handed to a handler, with the attributes of the Lambda Python context.

Attributes follow the AWS Lambda developer guide ("Using the Lambda context object to retrieve
Python function information") and awslambdaric's LambdaContext: values read from the
environment are strings (``memory_limit_in_mb`` too), ``identity`` is always present with
``None`` fields when no Cognito identity came with the event, and ``client_context`` is ``None``
unless the event carried one.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

from .client import Invocation
from .errors import CONTEXT_UNMARSHAL_ERROR, FaultError


@dataclass(frozen=True)
class FunctionInfo:
    """What the environment variables say about the function, read once at start."""

    function_name: str | None
    function_version: str | None
    memory_limit_in_mb: str | None
    log_group_name: str | None
    log_stream_name: str | None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> FunctionInfo:
        """Read the reserved variables Lambda sets for every function."""
        return cls(
            function_name=environ.get("AWS_LAMBDA_FUNCTION_NAME"),
            function_version=environ.get("AWS_LAMBDA_FUNCTION_VERSION"),
            memory_limit_in_mb=environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
            log_group_name=environ.get("AWS_LAMBDA_LOG_GROUP_NAME"),
            log_stream_name=environ.get("AWS_LAMBDA_LOG_STREAM_NAME"),
        )


class CognitoIdentity:
    """The Amazon Cognito identity that authorised the request."""

    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.cognito_identity_id = fields.get("cognitoIdentityId")
        self.cognito_identity_pool_id = fields.get("cognitoIdentityPoolId")

    def __repr__(self) -> str:
        return _describe(self)


class Client:
    """The client application that invoked the function through the AWS Mobile SDK."""

    __slots__ = (
        "app_package_name",
        "app_title",
        "app_version_code",
        "app_version_name",
        "installation_id",
    )

    def __init__(self, fields: Mapping[str, Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, fields.get(name))

    def __repr__(self) -> str:
        return _describe(self)


class ClientContext:
    """Client context sent by the invoker: ``client``, ``custom`` and ``env``."""

    __slots__ = ("client", "custom", "env")

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.custom = fields.get("custom")
        self.env = fields.get("env")
        client = fields.get("client")
        self.client = Client(client) if isinstance(client, Mapping) else client

    def __repr__(self) -> str:
        return _describe(self)


class LambdaContext:
    """Methods and properties about the invocation, the function and the environment."""

    def __init__(
        self,
        invocation: Invocation,
        function: FunctionInfo,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        client_context = _parse_header(invocation.client_context, "Client Context")
        cognito_identity = _parse_header(invocation.cognito_identity, "Cognito Identity")
        self.aws_request_id = invocation.request_id
        self.log_group_name = function.log_group_name
        self.log_stream_name = function.log_stream_name
        self.function_name = function.function_name
        self.memory_limit_in_mb = function.memory_limit_in_mb
        self.function_version = function.function_version
        self.invoked_function_arn = invocation.invoked_function_arn
        self.tenant_id = invocation.tenant_id
        self.client_context = ClientContext(client_context) if client_context is not None else None
        self.identity = CognitoIdentity(cognito_identity or {})
        self._deadline_ms = invocation.deadline_ms
        self._clock = clock

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invocation times out (never negative)."""
        remaining = self._deadline_ms - int(self._clock() * 1000)
        return remaining if remaining > 0 else 0

    def log(self, message: Any) -> None:
        """Write a message to the function's log, without a newline of its own."""
        sys.stdout.write(str(message))

    def __repr__(self) -> str:
        fields = (
            "aws_request_id",
            "log_group_name",
            "log_stream_name",
            "function_name",
            "memory_limit_in_mb",
            "function_version",
            "invoked_function_arn",
            "client_context",
            "identity",
            "tenant_id",
        )
        inner = ",".join(f"{name}={getattr(self, name)}" for name in fields)
        return f"{type(self).__name__}([{inner}])"


def _parse_header(text: str | None, name: str) -> Mapping[str, Any] | None:
    """Decode a JSON context header; awslambdaric fails the invocation when it is not JSON."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except Exception as exc:
        raise FaultError(CONTEXT_UNMARSHAL_ERROR, f"Unable to parse {name} JSON: {exc}") from None
    if not isinstance(value, Mapping):
        message = f"Unable to parse {name} JSON: expected an object"
        raise FaultError(CONTEXT_UNMARSHAL_ERROR, message)
    return value


def _describe(obj: object) -> str:
    inner = ",".join(f"{name}={getattr(obj, name)}" for name in type(obj).__slots__)  # type: ignore[attr-defined]
    return f"{type(obj).__name__}([{inner}])"
