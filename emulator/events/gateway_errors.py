"""The responses API Gateway itself answers with: unknown routes, failed integrations, auth.

REST bodies and x-amzn-ErrorType values follow API Gateway's default gateway responses
("Gateway response types") as AWS sends them; HTTP APIs answer plain `{"message": ...}` bodies
without an error type. Sources are named per entry.
"""

from __future__ import annotations

from typing import Literal

from emulator.events.apigw import HttpResponse
from emulator.events.apigw_response import ResponseContext, gateway_headers

GatewayErrorCase = Literal[
    "missing_route",
    "integration_failure",
    "invoke_rejected",
    "integration_timeout",
    "request_too_large",
    "unauthorized",
    "access_denied_explicit",
    "access_denied",
    "authorizer_failure",
    "throttled",
]

# (status, body, x-amzn-ErrorType or None)
_Entry = tuple[int, bytes, str | None]

_REST: dict[GatewayErrorCase, _Entry] = {
    # MISSING_AUTHENTICATION_TOKEN: also the answer for a resource or method that does not exist.
    "missing_route": (
        403,
        b'{"message":"Missing Authentication Token"}',
        "MissingAuthenticationTokenException",
    ),
    # A function error or a malformed proxy result ("Output format ... proxy integration").
    "integration_failure": (
        502,
        b'{"message": "Internal server error"}',
        "InternalServerErrorException",
    ),
    # Lambda refused the invoke (throttled): the integration answers 500.
    "invoke_rejected": (
        500,
        b'{"message": "Internal server error"}',
        "InternalServerErrorException",
    ),
    # INTEGRATION_TIMEOUT; its error type as validated on AWS by localstack's gateway responses.
    "integration_timeout": (
        504,
        b'{"message":"Endpoint request timed out"}',
        "InternalServerErrorException",
    ),
    # REQUEST_TOO_LARGE (not customisable on AWS, "Amazon API Gateway important notes").
    "request_too_large": (413, b'{"message":"Request Too Long"}', None),
    "unauthorized": (401, b'{"message":"Unauthorized"}', "UnauthorizedException"),
    # ACCESS_DENIED uses a capitalised "Message" key, unlike every other gateway response.
    "access_denied_explicit": (
        403,
        b'{"Message":"User is not authorized to access this resource with an explicit deny"}',
        "AccessDeniedException",
    ),
    "access_denied": (
        403,
        b'{"Message":"User is not authorized to access this resource"}',
        "AccessDeniedException",
    ),
    # AUTHORIZER_CONFIGURATION_ERROR: the authorizer failed or answered something invalid.
    "authorizer_failure": (500, b'{"message": null}', "AuthorizerConfigurationException"),
    "throttled": (429, b'{"message":"Too Many Requests"}', "TooManyRequestsException"),
}

_HTTP_SERVER_ERROR = b'{"message":"Internal Server Error"}'

_HTTP: dict[GatewayErrorCase, _Entry] = {
    # "Routing API requests": no matching route answers {"message":"Not Found"}.
    "missing_route": (404, b'{"message":"Not Found"}', None),
    "integration_failure": (500, _HTTP_SERVER_ERROR, None),
    "invoke_rejected": (500, _HTTP_SERVER_ERROR, None),
    # An HTTP API past its integration timeout answers 503.
    "integration_timeout": (503, b'{"message":"Service Unavailable"}', None),
    "request_too_large": (413, b'{"message":"Request Entity Too Large"}', None),
    # Missing identity sources answer 401 ("Working with AWS Lambda authorizers for HTTP APIs").
    "unauthorized": (401, b'{"message":"Unauthorized"}', None),
    "access_denied_explicit": (403, b'{"message":"Forbidden"}', None),
    "access_denied": (403, b'{"message":"Forbidden"}', None),
    # An authorizer that fails or answers in an invalid format: 500 (same page).
    "authorizer_failure": (500, _HTTP_SERVER_ERROR, None),
    "throttled": (429, b'{"message":"Too Many Requests"}', None),
}


def gateway_error(case: GatewayErrorCase, ctx: ResponseContext) -> HttpResponse:
    """The response API Gateway answers for `case` on an API of `ctx.api_kind`."""
    status, body, error_type = (_REST if ctx.api_kind == "rest" else _HTTP)[case]
    headers: list[tuple[str, str]] = [("Content-Type", "application/json")]
    if error_type is not None:
        headers.append(("x-amzn-ErrorType", error_type))
    return HttpResponse(status, (*headers, *gateway_headers(ctx)), body)


def missing_route(ctx: ResponseContext) -> HttpResponse:
    """No route matches: REST 403 Missing Authentication Token, HTTP API 404 Not Found."""
    return gateway_error("missing_route", ctx)


def integration_failure(ctx: ResponseContext) -> HttpResponse:
    """The function failed or its result is malformed: REST 502, HTTP API 500."""
    return gateway_error("integration_failure", ctx)


def invoke_rejected(ctx: ResponseContext) -> HttpResponse:
    """Lambda rejected the invoke (throttled): 500."""
    return gateway_error("invoke_rejected", ctx)


def integration_timeout(ctx: ResponseContext) -> HttpResponse:
    """The integration timed out: REST 504, HTTP API 503."""
    return gateway_error("integration_timeout", ctx)


def request_too_large(ctx: ResponseContext) -> HttpResponse:
    """The request body is over API Gateway's payload limit: 413."""
    return gateway_error("request_too_large", ctx)


def unauthorized(ctx: ResponseContext) -> HttpResponse:
    """Identity sources missing, or the authorizer said Unauthorized: 401."""
    return gateway_error("unauthorized", ctx)


def access_denied(ctx: ResponseContext, *, explicit: bool) -> HttpResponse:
    """The authorizer's policy denies the method (explicitly, or by allowing nothing): 403."""
    return gateway_error("access_denied_explicit" if explicit else "access_denied", ctx)


def authorizer_failure(ctx: ResponseContext) -> HttpResponse:
    """The authorizer failed or answered in an invalid format: 500."""
    return gateway_error("authorizer_failure", ctx)


def throttled(ctx: ResponseContext) -> HttpResponse:
    """A stage or method throttle was exceeded: 429."""
    return gateway_error("throttled", ctx)
