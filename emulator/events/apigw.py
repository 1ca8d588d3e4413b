"""API Gateway Lambda proxy events (payload 1.0 and 2.0) built from a plain HTTP request.

Shapes follow the AWS docs "Lambda proxy integrations in API Gateway" (REST input format) and
"Working with AWS Lambda proxy integrations for HTTP APIs" (payload format versions). Pure: the
request id, the time and the API's identity come in as arguments.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

Headers = tuple[tuple[str, str], ...]

# Month names for $context.requestTime, spelled out so the locale cannot change them.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# HTTP APIs pass a body as text only for these media types; everything else (a missing
# Content-Type and application/x-www-form-urlencoded included) arrives base64-encoded.
# Observed on AWS (HTTP API, payload 2.0), see ministackorg/ministack pull request 766.
_HTTP_API_TEXT_TYPES = frozenset({"application/json", "application/xml", "application/javascript"})


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request as the gateway received it: raw path and query, repeated headers kept."""

    method: str
    raw_path: str
    raw_query: str
    headers: Headers
    body: bytes
    source_ip: str
    host: str
    protocol: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        """The last value of header `name` (case-insensitive), or None."""
        wanted = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == wanted:
                found = value
        return found


@dataclass(frozen=True)
class HttpResponse:
    """An HTTP response the gateway sends: status, headers in order (repeats kept), body bytes."""

    status: int
    headers: Headers
    body: bytes

    def header(self, name: str) -> str | None:
        """The last value of header `name` (case-insensitive), or None."""
        wanted = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == wanted:
                found = value
        return found


@dataclass(frozen=True)
class EventContext:
    """What API Gateway knows about an invocation besides the request itself."""

    request_id: str
    extended_request_id: str
    time_epoch_ms: int
    account_id: str
    api_id: str
    stage: str
    domain_name: str
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    authorizer: Mapping[str, Any] | None = None
    binary_media_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouteInfo:
    """The matched route as an event needs it: its template, key and path parameters."""

    resource_path: str
    route_key: str
    path_parameters: Mapping[str, str]
    resource_id: str | None
    is_http_api: bool


def request_time(epoch_ms: int) -> str:
    """$context.requestTime in API Gateway's CLF format, e.g. 04/Mar/2020:19:15:17 +0000."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return f"{moment.day:02d}/{_MONTHS[moment.month - 1]}/{moment:%Y:%H:%M:%S} +0000"


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type or Accept entry, lower-case, parameters dropped."""
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def media_type_matches(value: str, patterns: tuple[str, ...]) -> bool:
    """Whether a media type matches one of binaryMediaTypes (exact, `type/*` or `*/*`)."""
    kind = media_type(value)
    if not kind:
        return False
    major = kind.split("/", 1)[0]
    for pattern in patterns:
        wanted = media_type(pattern)
        if wanted in ("*/*", kind) or wanted == f"{major}/*":
            return True
    return False


def parse_query(raw_query: str) -> list[tuple[str, str]]:
    """Query pairs in order, percent-decoded; a key without `=` has the empty value."""
    pairs = []
    for part in raw_query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((unquote(key), unquote(value)))
    return pairs


def _grouped(pairs: list[tuple[str, str]], *, fold_case: bool) -> dict[str, list[str]]:
    """Values per name in arrival order; with fold_case the first spelling names the group."""
    groups: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower() if fold_case else name
        shown = spelling.setdefault(key, name)
        groups.setdefault(shown, []).append(value)
    return groups


def _body_v1(request: HttpRequest, binary_media_types: tuple[str, ...]) -> tuple[str | None, bool]:
    # REST: base64 when the Content-Type matches binaryMediaTypes ("Content type conversions
    # in API Gateway"), otherwise the UTF-8 text.
    if not request.body:
        return None, False
    if media_type_matches(request.header("content-type") or "", binary_media_types):
        return base64.b64encode(request.body).decode("ascii"), True
    return request.body.decode("utf-8", errors="replace"), False


def _body_http_api(request: HttpRequest) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    kind = media_type(request.header("content-type"))
    if kind.startswith("text/") or kind in _HTTP_API_TEXT_TYPES:
        return request.body.decode("utf-8", errors="replace"), False
    return base64.b64encode(request.body).decode("ascii"), True


def decoded_path(raw_path: str) -> str:
    """The request path with percent-escapes decoded, as `path` carries it."""
    return unquote(raw_path)


def _stage_prefixed(ctx: EventContext, path: str) -> str:
    # On the execute-api endpoint every path is under its stage; $default has no prefix.
    return path if ctx.stage == "$default" else f"/{ctx.stage}{path}"


def _identity_v1(request: HttpRequest) -> dict[str, Any]:
    # requestContext.identity of a request without IAM or Cognito auth: nulls but for the
    # caller's address and user agent (REST input format example).
    return {
        "cognitoIdentityPoolId": None,
        "accountId": None,
        "cognitoIdentityId": None,
        "caller": None,
        "sourceIp": request.source_ip,
        "principalOrgId": None,
        "accessKey": None,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": None,
        "userAgent": request.header("user-agent"),
        "user": None,
    }


def _request_context_v1(
    request: HttpRequest, route: RouteInfo, ctx: EventContext
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "resourceId": route.resource_id,
        "resourcePath": route.resource_path,
        "httpMethod": request.method,
        "extendedRequestId": ctx.extended_request_id,
        "requestTime": request_time(ctx.time_epoch_ms),
        "path": _stage_prefixed(ctx, decoded_path(request.raw_path)),
        "accountId": ctx.account_id,
        "protocol": request.protocol,
        "stage": ctx.stage,
        "domainPrefix": ctx.domain_name.split(".", 1)[0],
        "requestTimeEpoch": ctx.time_epoch_ms,
        "requestId": ctx.request_id,
        "identity": _identity_v1(request),
        "domainName": ctx.domain_name,
        "apiId": ctx.api_id,
    }
    if ctx.authorizer is not None:
        context["authorizer"] = dict(ctx.authorizer)
    return context


def build_v1_event(request: HttpRequest, route: RouteInfo, ctx: EventContext) -> dict[str, Any]:
    """The payload 1.0 event (REST API, or HTTP API with PayloadFormatVersion 1.0)."""
    # HTTP APIs send header names in lower case; REST keeps the client's spelling.
    header_pairs = [
        (name.lower() if route.is_http_api else name, value) for name, value in request.headers
    ]
    headers = _grouped(header_pairs, fold_case=True)
    query = _grouped(parse_query(request.raw_query), fold_case=False)
    if route.is_http_api:
        body, encoded = _body_http_api(request)
    else:
        body, encoded = _body_v1(request, ctx.binary_media_types)
    event: dict[str, Any] = {"version": "1.0"} if route.is_http_api else {}
    event.update(
        {
            "resource": route.resource_path,
            "path": decoded_path(request.raw_path),
            "httpMethod": request.method,
            # The single-value maps carry the last value (REST input format example).
            "headers": {k: v[-1] for k, v in headers.items()} or None,
            "multiValueHeaders": headers or None,
            "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "pathParameters": dict(route.path_parameters) or None,
            "stageVariables": dict(ctx.stage_variables) or None,
            "requestContext": _request_context_v1(request, route, ctx),
            "body": body,
            "isBase64Encoded": encoded,
        }
    )
    return event


def _cookies(request: HttpRequest) -> list[str]:
    cookies: list[str] = []
    for name, value in request.headers:
        if name.lower() == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
    return cookies


def _request_context_v2(
    request: HttpRequest, route: RouteInfo, ctx: EventContext
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "accountId": ctx.account_id,
        "apiId": ctx.api_id,
        "domainName": ctx.domain_name,
        "domainPrefix": ctx.domain_name.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": _stage_prefixed(ctx, decoded_path(request.raw_path)),
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": request.header("user-agent") or "",
        },
        "requestId": ctx.request_id,
        "routeKey": route.route_key,
        "stage": ctx.stage,
        "time": request_time(ctx.time_epoch_ms),
        "timeEpoch": ctx.time_epoch_ms,
    }
    if ctx.authorizer is not None:
        context["authorizer"] = dict(ctx.authorizer)
    return context


def build_v2_event(request: HttpRequest, route: RouteInfo, ctx: EventContext) -> dict[str, Any]:
    """The payload 2.0 event of an HTTP API; empty fields are left out, as AWS sends them."""
    # Cookies leave the headers for their own field; repeated headers and query values are
    # joined with commas (payload format differences, HTTP API docs).
    pairs = [(n.lower(), v) for n, v in request.headers if n.lower() != "cookie"]
    headers = {name: ",".join(values) for name, values in _grouped(pairs, fold_case=True).items()}
    query = _grouped(parse_query(request.raw_query), fold_case=False)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": _stage_prefixed(ctx, request.raw_path),
        "rawQueryString": request.raw_query,
    }
    cookies = _cookies(request)
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in query.items()}
    if route.path_parameters:
        event["pathParameters"] = dict(route.path_parameters)
    if ctx.stage_variables:
        event["stageVariables"] = dict(ctx.stage_variables)
    event["requestContext"] = _request_context_v2(request, route, ctx)
    body, encoded = _body_http_api(request)
    if body is not None:
        event["body"] = body
    event["isBase64Encoded"] = encoded
    return event
