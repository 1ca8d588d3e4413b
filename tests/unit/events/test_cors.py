"""CORS from SAM's Cors (REST) and CorsConfiguration (HTTP API), answered as API Gateway does."""

from __future__ import annotations

import pytest

from emulator.events.apigw import HttpRequest, HttpResponse
from emulator.events.apigw_response import ResponseContext
from emulator.events.cors import (
    CorsConfigError,
    HttpCors,
    RestCors,
    apply_http_cors,
    http_cors_from_sam,
    http_preflight,
    is_preflight,
    rest_allow_methods,
    rest_cors_from_sam,
    rest_preflight,
)

REST = ResponseContext("rest", "req-1", "ext-1=")
HTTP = ResponseContext("http", "abc=", "abc=")


def options(*headers: tuple[str, str]) -> HttpRequest:
    return HttpRequest("OPTIONS", "/items", "", headers, b"", "127.0.0.1", "localhost")


def test_rest_cors_string_is_the_allowed_origin_without_sam_quotes() -> None:
    assert rest_cors_from_sam("'*'") == RestCors(allow_origin="*")


def test_rest_cors_map_takes_every_sam_key() -> None:
    # AWS::Serverless::Api Cors: values are quoted API Gateway mapping expressions.
    cors = rest_cors_from_sam(
        {
            "AllowOrigin": "'https://example.com'",
            "AllowHeaders": "'Content-Type,X-Api-Key'",
            "AllowMethods": "'GET,POST'",
            "MaxAge": "'600'",
            "AllowCredentials": True,
        }
    )
    assert cors == RestCors(
        "https://example.com", "Content-Type,X-Api-Key", "GET,POST", "600", True
    )


def test_rest_cors_map_defaults_origin_to_any() -> None:
    assert rest_cors_from_sam({"AllowHeaders": "'X-A'"}) == RestCors("*", allow_headers="X-A")


@pytest.mark.parametrize(
    "value",
    [
        "*",
        {"AllowOrigin": "https://example.com"},
        {"AllowCredentials": True},
        {"AllowOrigins": "'*'"},
        ["'*'"],
    ],
)
def test_rest_cors_values_sam_or_api_gateway_refuse(value: object) -> None:
    with pytest.raises(CorsConfigError):
        rest_cors_from_sam(value)


def test_rest_allow_methods_lists_the_path_methods_and_options_sorted() -> None:
    # samtranslator SwaggerEditor._make_cors_allowed_methods_for_path_item.
    assert rest_allow_methods(["post", "GET"]) == "GET,OPTIONS,POST"
    assert rest_allow_methods(["ANY"]) == "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"


def test_rest_preflight_is_the_mock_options_method_sam_adds() -> None:
    cors = RestCors("https://example.com", "Content-Type", None, "600", True)
    assert rest_preflight(cors, ["GET"], REST) == HttpResponse(
        200,
        (
            ("Content-Type", "application/json"),
            ("Access-Control-Allow-Origin", "https://example.com"),
            ("Access-Control-Allow-Headers", "Content-Type"),
            ("Access-Control-Allow-Methods", "GET,OPTIONS"),
            ("Access-Control-Max-Age", "600"),
            ("Access-Control-Allow-Credentials", "true"),
            ("x-amzn-RequestId", "req-1"),
            ("x-amz-apigw-id", "ext-1="),
        ),
        b"{}\n",
    )


def test_http_cors_true_allows_every_origin() -> None:
    assert http_cors_from_sam(True) == HttpCors(allow_origins=("*",))
    assert http_cors_from_sam(False) is None


def test_http_cors_map_takes_every_sam_key() -> None:
    cors = http_cors_from_sam(
        {
            "AllowOrigins": ["https://a.example"],
            "AllowHeaders": ["authorization"],
            "AllowMethods": ["GET", "POST"],
            "ExposeHeaders": ["x-id"],
            "MaxAge": 300,
            "AllowCredentials": True,
        }
    )
    assert cors == HttpCors(
        ("https://a.example",), ("authorization",), ("GET", "POST"), ("x-id",), 300, True
    )


@pytest.mark.parametrize(
    "value",
    [
        {"AllowOrigins": "*"},
        {"AllowOrigins": ["*"], "AllowCredentials": True},
        {"AllowOrigin": ["*"]},
        "'*'",
    ],
)
def test_http_cors_values_sam_refuses(value: object) -> None:
    with pytest.raises(CorsConfigError):
        http_cors_from_sam(value)


def test_preflight_needs_options_origin_and_requested_method() -> None:
    origin = ("Origin", "https://a.example")
    method = ("Access-Control-Request-Method", "POST")
    assert is_preflight(options(origin, method)) is True
    assert is_preflight(options(origin)) is False
    assert is_preflight(options(method)) is False


def test_http_preflight_answers_204_with_the_configured_values() -> None:
    cors = HttpCors(("https://a.example",), ("authorization",), ("GET", "POST"), (), 300, True)
    request = options(("Origin", "https://a.example"), ("Access-Control-Request-Method", "POST"))
    assert http_preflight(cors, request, HTTP) == HttpResponse(
        204,
        (
            ("access-control-allow-origin", "https://a.example"),
            ("access-control-allow-credentials", "true"),
            ("access-control-allow-methods", "GET,POST"),
            ("access-control-allow-headers", "authorization"),
            ("access-control-max-age", "300"),
            ("x-amzn-RequestId", "abc="),
            ("apigw-requestid", "abc="),
        ),
        b"",
    )


def test_http_preflight_from_an_origin_not_allowed_has_no_cors_headers() -> None:
    cors = HttpCors(allow_origins=("https://a.example",), allow_methods=("GET",))
    request = options(("Origin", "https://b.example"), ("Access-Control-Request-Method", "GET"))
    assert http_preflight(cors, request, HTTP).headers == (
        ("x-amzn-RequestId", "abc="),
        ("apigw-requestid", "abc="),
    )


def test_http_api_replaces_the_integrations_cors_headers_with_the_configured_ones() -> None:
    # "If you configure CORS for an API, API Gateway ignores CORS headers returned from your
    # backend integration" (Configuring CORS for an HTTP API).
    cors = HttpCors(allow_origins=("*",), expose_headers=("x-id", "date"))
    response = HttpResponse(
        200, (("content-type", "text/plain"), ("Access-Control-Allow-Origin", "https://x")), b"ok"
    )
    assert apply_http_cors(response, cors, "https://a.example") == HttpResponse(
        200,
        (
            ("content-type", "text/plain"),
            ("access-control-allow-origin", "*"),
            ("access-control-expose-headers", "x-id,date"),
        ),
        b"ok",
    )


def test_http_api_adds_no_cors_headers_to_a_request_without_origin() -> None:
    cors = HttpCors(allow_origins=("*",))
    response = HttpResponse(200, (("content-type", "text/plain"),), b"ok")
    assert apply_http_cors(response, cors, None) == response
