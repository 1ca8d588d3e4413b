"""CORS as API Gateway answers it for a SAM `Cors` (REST) or `CorsConfiguration` (HTTP API).

REST: SAM adds to every path an OPTIONS method with a MOCK integration that returns the
configured headers; the function's own responses are left alone (SAM's swagger editor,
`add_cors`, and "Enabling CORS for a REST API resource"). HTTP API: API Gateway answers
preflight requests itself and puts the configured headers on every response, dropping the
integration's own CORS headers ("Configuring CORS for an HTTP API").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from emulator.errors import CorsConfigError as CorsConfigError
from emulator.events.apigw import Headers, HttpRequest, HttpResponse
from emulator.events.apigw_response import ResponseContext, gateway_headers

# What SAM writes for Access-Control-Allow-Methods when a path has ANY (samtranslator
# BaseEditor._ALL_HTTP_METHODS), sorted as SAM sorts it.
_ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
# The MOCK integration's response template SAM generates for the OPTIONS method.
_REST_PREFLIGHT_BODY = b"{}\n"

_REST_KEYS = frozenset(
    {"AllowMethods", "AllowHeaders", "AllowOrigin", "MaxAge", "AllowCredentials"}
)
_HTTP_KEYS = frozenset(
    {"AllowMethods", "AllowHeaders", "AllowOrigins", "MaxAge", "ExposeHeaders", "AllowCredentials"}
)


@dataclass(frozen=True)
class RestCors:
    """A REST API's Cors: header values with SAM's quotes removed."""

    allow_origin: str
    allow_headers: str | None = None
    allow_methods: str | None = None
    max_age: str | None = None
    allow_credentials: bool = False


@dataclass(frozen=True)
class HttpCors:
    """An HTTP API's CorsConfiguration."""

    allow_origins: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False


def _unquote(key: str, value: Any) -> str:
    # REST Cors values are API Gateway mapping expressions: a literal is wrapped in quotes.
    if isinstance(value, int) and not isinstance(value, bool) and key == "MaxAge":
        return str(value)
    if not (isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == "'"):
        raise CorsConfigError(f"Cors {key} must be a quoted string such as \"'*'\", not {value!r}")
    return value[1:-1]


def rest_cors_from_sam(value: Any) -> RestCors | None:
    """The REST Cors of a SAM Api (a string origin, or a map), or None when there is none."""
    if value is None or value is False:
        return None
    if isinstance(value, str):
        return RestCors(allow_origin=_unquote("AllowOrigin", value))
    if not isinstance(value, dict):
        raise CorsConfigError(f"Cors must be a string or a map, not {type(value).__name__}")
    unknown = sorted(set(value) - _REST_KEYS)
    if unknown:
        raise CorsConfigError(f"Cors has keys SAM does not know: {unknown}")
    origin = _unquote("AllowOrigin", value.get("AllowOrigin", "'*'"))
    credentials = value.get("AllowCredentials") is True
    if credentials and origin == "*":
        raise CorsConfigError("Cors AllowCredentials cannot be true when AllowOrigin is '*'")
    optional = {
        k: _unquote(k, value[k]) for k in ("AllowHeaders", "AllowMethods", "MaxAge") if k in value
    }
    return RestCors(
        allow_origin=origin,
        allow_headers=optional.get("AllowHeaders"),
        allow_methods=optional.get("AllowMethods"),
        max_age=optional.get("MaxAge"),
        allow_credentials=credentials,
    )


def _strings(key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CorsConfigError(f"CorsConfiguration {key} must be a list of strings")
    return tuple(value)


def http_cors_from_sam(value: Any) -> HttpCors | None:
    """The CorsConfiguration of a SAM HttpApi (`true` allows every origin), or None."""
    if value is None or value is False:
        return None
    if value is True:
        return HttpCors(allow_origins=("*",))
    if not isinstance(value, dict):
        raise CorsConfigError(f"CorsConfiguration must be a boolean or a map, not {value!r}")
    unknown = sorted(set(value) - _HTTP_KEYS)
    if unknown:
        raise CorsConfigError(f"CorsConfiguration has keys SAM does not know: {unknown}")
    cors = HttpCors(
        allow_origins=_strings("AllowOrigins", value.get("AllowOrigins")),
        allow_headers=_strings("AllowHeaders", value.get("AllowHeaders")),
        allow_methods=_strings("AllowMethods", value.get("AllowMethods")),
        expose_headers=_strings("ExposeHeaders", value.get("ExposeHeaders")),
        max_age=value.get("MaxAge"),
        allow_credentials=value.get("AllowCredentials") is True,
    )
    if cors.allow_credentials and cors.allow_origins == ("*",):
        raise CorsConfigError("CorsConfiguration AllowCredentials cannot be true with origin '*'")
    return cors


def rest_allow_methods(methods: Iterable[str]) -> str:
    """SAM's Access-Control-Allow-Methods for a path: its methods and OPTIONS, sorted."""
    upper = {m.upper() for m in methods}
    if "ANY" in upper:
        return ",".join(_ALL_METHODS)
    return ",".join(sorted(upper | {"OPTIONS"}))


def rest_preflight(cors: RestCors, methods: Iterable[str], ctx: ResponseContext) -> HttpResponse:
    """The answer of SAM's MOCK OPTIONS method on a path whose methods are `methods`."""
    headers: list[tuple[str, str]] = [
        ("Content-Type", "application/json"),
        ("Access-Control-Allow-Origin", cors.allow_origin),
    ]
    if cors.allow_headers:
        headers.append(("Access-Control-Allow-Headers", cors.allow_headers))
    headers.append(
        ("Access-Control-Allow-Methods", cors.allow_methods or rest_allow_methods(methods))
    )
    if cors.max_age is not None:
        headers.append(("Access-Control-Max-Age", cors.max_age))
    if cors.allow_credentials:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    return HttpResponse(200, (*headers, *gateway_headers(ctx)), _REST_PREFLIGHT_BODY)


def is_preflight(request: HttpRequest) -> bool:
    """A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method (Fetch standard)."""
    return (
        request.method == "OPTIONS"
        and request.header("origin") is not None
        and request.header("access-control-request-method") is not None
    )


def _allowed_origin(cors: HttpCors, origin: str | None) -> str | None:
    if origin is None:
        return None
    if "*" in cors.allow_origins:
        return "*"
    wanted = origin.lower()
    return origin if any(o.lower() == wanted for o in cors.allow_origins) else None


def http_preflight(cors: HttpCors, request: HttpRequest, ctx: ResponseContext) -> HttpResponse:
    """API Gateway's own answer to a preflight on an HTTP API: 204 with the allowed values."""
    origin = _allowed_origin(cors, request.header("origin"))
    headers: list[tuple[str, str]] = []
    if origin is not None:
        headers.append(("access-control-allow-origin", origin))
        if cors.allow_credentials:
            headers.append(("access-control-allow-credentials", "true"))
        if cors.allow_methods:
            headers.append(("access-control-allow-methods", ",".join(cors.allow_methods)))
        if cors.allow_headers:
            headers.append(("access-control-allow-headers", ",".join(cors.allow_headers)))
        if cors.max_age is not None:
            headers.append(("access-control-max-age", str(cors.max_age)))
    return HttpResponse(204, (*headers, *gateway_headers(ctx)), b"")


def http_cors_headers(cors: HttpCors, origin: str | None) -> Headers:
    """The CORS headers an HTTP API adds to a response for a request from `origin`."""
    allowed = _allowed_origin(cors, origin)
    if allowed is None:
        return ()
    headers = [("access-control-allow-origin", allowed)]
    if cors.allow_credentials:
        headers.append(("access-control-allow-credentials", "true"))
    if cors.expose_headers:
        headers.append(("access-control-expose-headers", ",".join(cors.expose_headers)))
    return tuple(headers)


def apply_http_cors(response: HttpResponse, cors: HttpCors, origin: str | None) -> HttpResponse:
    """The response with the integration's CORS headers replaced by the configured ones."""
    kept = tuple(h for h in response.headers if not h[0].lower().startswith("access-control-"))
    return HttpResponse(response.status, kept + http_cors_headers(cors, origin), response.body)
