"""A Lambda proxy result (payload 1.0 or 2.0) mapped to the HTTP response API Gateway sends.

Follows "Output format of a Lambda function for proxy integration" (REST) and "Lambda function
response format" (HTTP APIs). A result API Gateway would reject raises MalformedResultError;
the caller answers it with `gateway_errors.integration_failure`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from emulator.events.apigw import Headers, HttpResponse, media_type_matches

ApiKind = Literal["rest", "http"]

_V1_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})

# When the result names no Content-Type, REST APIs answer application/json and HTTP APIs
# text/plain (AWS's own emulator, aws-lambda-dotnet Amazon.Lambda.TestTool, does the same).
_DEFAULT_CONTENT_TYPE = {"rest": "application/json", "http": "text/plain; charset=utf-8"}


class MalformedResultError(ValueError):
    """The function's result is not a proxy response API Gateway accepts."""


@dataclass(frozen=True)
class ResponseContext:
    """What the mapping needs besides the result: the API's kind, ids and binary settings."""

    api_kind: ApiKind
    request_id: str
    extended_request_id: str
    accept: str | None = None
    binary_media_types: tuple[str, ...] = ()


def gateway_headers(ctx: ResponseContext) -> Headers:
    """Headers API Gateway adds to every response it sends for this API."""
    # REST answers with x-amzn-RequestId and x-amz-apigw-id (the extended request id); an
    # HTTP API's request id is the apigw-requestid header.
    if ctx.api_kind == "rest":
        return (("x-amzn-RequestId", ctx.request_id), ("x-amz-apigw-id", ctx.extended_request_id))
    return (("x-amzn-RequestId", ctx.request_id), ("apigw-requestid", ctx.request_id))


def _load(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedResultError(f"result is not JSON: {exc}") from exc


def _header_value(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise MalformedResultError(f"header {name!r} has a {type(value).__name__} value")


def _status(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise MalformedResultError(f"statusCode {value!r} is not an integer")
    try:
        status = int(value)
    except ValueError as exc:
        raise MalformedResultError(f"statusCode {value!r} is not an integer") from exc
    if not 100 <= status <= 599:
        raise MalformedResultError(f"statusCode {status} is not an HTTP status")
    return status


def _mapping(result: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = result.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedResultError(f"{key} is not an object")
    return value


def _merged_headers(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    # multiValueHeaders first; a headers value already among them is not repeated ("If the
    # same key-value pair is specified in both, only the values from multiValueHeaders").
    merged: list[tuple[str, str]] = []
    for name, values in _mapping(result, "multiValueHeaders").items():
        if not isinstance(values, list):
            raise MalformedResultError(f"multiValueHeaders {name!r} is not a list")
        merged.extend((name, _header_value(name, v)) for v in values)
    present = {(n.lower(), v) for n, v in merged}
    for name, value in _mapping(result, "headers").items():
        text = _header_value(name, value)
        if (name.lower(), text) not in present:
            merged.append((name, text))
    return merged


def _body(result: Mapping[str, Any], *, decode: bool) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedResultError(f"body is a {type(body).__name__}, not a string")
    if not decode:
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedResultError("isBase64Encoded is true but body is not base64") from exc


def _is_base64(result: Mapping[str, Any]) -> bool:
    flag = result.get("isBase64Encoded", False)
    if flag is None:
        return False
    if not isinstance(flag, bool):
        raise MalformedResultError("isBase64Encoded is not a boolean")
    return flag


def _decode_v1(ctx: ResponseContext) -> bool:
    # REST turns a base64 body into bytes only when the request's first Accept media type
    # matches binaryMediaTypes; the response's Content-Type plays no part (API Gateway
    # "Content type conversions"; confirmed on AWS in localstack pull request 12199).
    if ctx.api_kind == "http":
        return True
    first_accept = (ctx.accept or "").split(",", 1)[0]
    return media_type_matches(first_accept, ctx.binary_media_types)


def _finish(
    status: int, headers: list[tuple[str, str]], body: bytes, ctx: ResponseContext
) -> HttpResponse:
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", _DEFAULT_CONTENT_TYPE[ctx.api_kind]))
    return HttpResponse(status, (*headers, *gateway_headers(ctx)), body)


def map_v1_response(payload: bytes, ctx: ResponseContext) -> HttpResponse:
    """The HTTP response for a payload 1.0 result; raises MalformedResultError (502)."""
    result = _load(payload)
    if not isinstance(result, dict):
        raise MalformedResultError("result is not a JSON object")
    unknown = sorted(set(result) - _V1_KEYS)
    if unknown:
        raise MalformedResultError(f"result has keys API Gateway does not accept: {unknown}")
    if "statusCode" not in result:
        raise MalformedResultError("result has no statusCode")
    status = _status(result["statusCode"])
    headers = _merged_headers(result)
    encoded = _is_base64(result)
    body = _body(result, decode=encoded and _decode_v1(ctx))
    return _finish(status, headers, body, ctx)


def _inferred_v2(result: Any, payload: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    # Payload 2.0 without a statusCode: 200, application/json, the result as the body; a
    # JSON string result is its text (HTTP API docs, "Lambda function response for 2.0").
    body = result.encode("utf-8") if isinstance(result, str) else payload
    return 200, [("Content-Type", "application/json")], body


def map_v2_response(payload: bytes, ctx: ResponseContext) -> HttpResponse:
    """The HTTP response for a payload 2.0 result, inferring one when there is no statusCode."""
    result = _load(payload)
    if not isinstance(result, dict) or "statusCode" not in result:
        status, headers, body = _inferred_v2(result, payload)
        return _finish(status, headers, body, ctx)
    status = _status(result["statusCode"])
    headers = [(n, _header_value(n, v)) for n, v in _mapping(result, "headers").items()]
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise MalformedResultError("cookies is not a list of strings")
    # Each cookie becomes its own set-cookie header (payload format differences).
    headers.extend(("set-cookie", cookie) for cookie in cookies)
    body = _body(result, decode=_is_base64(result))
    return _finish(status, headers, body, ctx)
