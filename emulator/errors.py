"""lambdock's one error tree: each class carries its HTTP status and its AWS error type.

LambdockError
├── ApiError                       rendered by a router with AWS's body and x-amzn-ErrorType
│   ├── ResourceNotFound           404 ResourceNotFoundException
│   ├── InvalidRequestContent      400 InvalidRequestContentException
│   ├── InvalidParameterValue      400 InvalidParameterValueException
│   ├── RequestTooLarge            413 RequestTooLargeException
│   ├── TooManyRequests            429 TooManyRequestsException
│   ├── ValidationError            400 ValidationException
│   └── ServiceError               500 ServiceException
├── TemplateError                  a template that cannot be served: file, line, resource, field
│   ├── RouteTemplateError         a route API Gateway would not accept (routing.py)
│   │   └── RouteConflictError     two routes no request could tell apart, naming both
│   └── ApiConfigError             an Api / HttpApi setting SAM or API Gateway would refuse
│       ├── CorsConfigError        its Cors / CorsConfiguration
│       └── AuthorizerConfigError  its Auth
├── EnvironmentFailed              an execution environment died or failed to start
├── BackendError                   a backend cannot start or stop an environment
└── StorageError                   the S3 endpoint is missing or unreachable
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Self

from emulator import wire


class LambdockError(Exception):
    """Base of every error lambdock raises on purpose."""


class ApiError(LambdockError):
    """An error answered on an AWS wire surface with its status and error type."""

    status: int = 500
    error_type: str = wire.SERVICE_EXCEPTION

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, str]:
        """The JSON body Lambda's API answers with ({"Type": "User", "Message": ...})."""
        kind = "Service" if self.status >= 500 else "User"
        return {"Type": kind, "Message": self.message, "message": self.message}


class ResourceNotFound(ApiError):
    """The named function (or qualifier) does not exist."""

    status = 404
    error_type = wire.RESOURCE_NOT_FOUND


class InvalidRequestContent(ApiError):
    """The request body is not what the API accepts (e.g. not JSON)."""

    status = 400
    error_type = wire.INVALID_REQUEST_CONTENT


class InvalidParameterValue(ApiError):
    """A header or query parameter has a value the API does not accept."""

    status = 400
    error_type = wire.INVALID_PARAMETER_VALUE


class RequestTooLarge(ApiError):
    """The request payload exceeds Lambda's quota for its invocation type."""

    status = 413
    error_type = wire.REQUEST_TOO_LARGE


class TooManyRequests(ApiError):
    """The function is at its concurrency limit (Lambda's throttle)."""

    status = 429
    error_type = wire.TOO_MANY_REQUESTS

    def __init__(self, message: str = "Rate Exceeded.", *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason

    def body(self) -> dict[str, str]:
        body = super().body()
        if self.reason:
            body["Reason"] = self.reason
        return body


class ValidationError(ApiError):
    """A parameter breaks the API's own constraints (pattern, length)."""

    status = 400
    error_type = "ValidationException"


class ServiceError(ApiError):
    """lambdock itself failed; the caller may retry."""

    status = 500
    error_type = wire.SERVICE_EXCEPTION


@dataclass(frozen=True)
class Location:
    """Where in a template a problem is: file, line, resource and property path."""

    file: Path
    line: int | None = None
    resource: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        parts = [where]
        if self.resource:
            parts.append(f"resource {self.resource}")
        if self.field:
            parts.append(f"property {self.field}")
        return ", ".join(parts)


class TemplateError(LambdockError):
    """A template that cannot be served, with where the problem is.

    The pure translators (routing, events) raise it without a location; whoever knows the
    file places it with `at` before it reaches the user.
    """

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message

    def at(self, location: Location) -> Self:
        """This error placed at `location`, unless it already knows where it is."""
        if self.location is None:
            self.location = location
        return self


class RouteTemplateError(TemplateError):
    """A route in the template that API Gateway would not accept."""


class ApiConfigError(TemplateError):
    """An API setting that SAM or API Gateway would refuse."""


class CorsConfigError(ApiConfigError):
    """A Cors or CorsConfiguration value that SAM or API Gateway would refuse."""


class AuthorizerConfigError(ApiConfigError):
    """An Auth setting that SAM or API Gateway would refuse."""


class EnvironmentFailed(LambdockError):
    """An execution environment stopped serving: exit, init error, or timeout.

    `payload` is the error document the invocation answers with, as Lambda words it.
    """

    def __init__(self, error_type: str, message: str, *, payload: bytes | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.payload = payload
        # What the environment wrote before it failed (an init traceback, say), for its log.
        self.output: list[str] = []
        # Peak memory of the environment when it failed, for the REPORT line.
        self.max_memory_mb = 0


class BackendError(LambdockError):
    """A backend could not start or stop an environment (missing image, binary, engine)."""


class StorageError(LambdockError):
    """The S3 endpoint is missing, misconfigured or unreachable."""
