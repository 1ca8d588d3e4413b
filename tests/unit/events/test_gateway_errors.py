"""API Gateway's own answers, with AWS's bodies and x-amzn-ErrorType, for REST and HTTP APIs."""

from __future__ import annotations

import pytest

from emulator.events.apigw import HttpResponse
from emulator.events.apigw_response import ResponseContext
from emulator.events.gateway_errors import (
    GatewayErrorCase,
    access_denied,
    gateway_error,
    integration_failure,
    missing_route,
)

REST = ResponseContext("rest", "req-1", "ext-1=")
HTTP = ResponseContext("http", "abc=", "abc=")


def test_rest_unknown_route_is_missing_authentication_token() -> None:
    # MISSING_AUTHENTICATION_TOKEN ("Gateway response types").
    assert missing_route(REST) == HttpResponse(
        403,
        (
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", "MissingAuthenticationTokenException"),
            ("x-amzn-RequestId", "req-1"),
            ("x-amz-apigw-id", "ext-1="),
        ),
        b'{"message":"Missing Authentication Token"}',
    )


def test_http_api_unknown_route_is_not_found() -> None:
    # "Routing API requests": {"message":"Not Found"}.
    assert missing_route(HTTP) == HttpResponse(
        404,
        (
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", "abc="),
            ("apigw-requestid", "abc="),
        ),
        b'{"message":"Not Found"}',
    )


def test_rest_function_error_is_502_internal_server_error() -> None:
    response = integration_failure(REST)
    assert (response.status, response.body, response.header("x-amzn-errortype")) == (
        502,
        b'{"message": "Internal server error"}',
        "InternalServerErrorException",
    )


def test_rest_explicit_deny_uses_a_capitalised_message_key() -> None:
    response = access_denied(REST, explicit=True)
    assert (response.status, response.body, response.header("x-amzn-ErrorType")) == (
        403,
        b'{"Message":"User is not authorized to access this resource with an explicit deny"}',
        "AccessDeniedException",
    )


@pytest.mark.parametrize(
    ("case", "rest", "http"),
    [
        ("integration_failure", 502, 500),
        ("invoke_rejected", 500, 500),
        ("integration_timeout", 504, 503),
        ("request_too_large", 413, 413),
        ("unauthorized", 401, 401),
        ("access_denied", 403, 403),
        ("authorizer_failure", 500, 500),
        ("throttled", 429, 429),
    ],
)
def test_status_of_each_gateway_error(case: GatewayErrorCase, rest: int, http: int) -> None:
    assert (gateway_error(case, REST).status, gateway_error(case, HTTP).status) == (rest, http)


@pytest.mark.parametrize(
    ("case", "body"),
    [
        ("integration_timeout", b'{"message":"Endpoint request timed out"}'),
        ("authorizer_failure", b'{"message": null}'),
        ("unauthorized", b'{"message":"Unauthorized"}'),
        ("access_denied", b'{"Message":"User is not authorized to access this resource"}'),
        ("request_too_large", b'{"message":"Request Too Long"}'),
    ],
)
def test_rest_bodies(case: GatewayErrorCase, body: bytes) -> None:
    assert gateway_error(case, REST).body == body


@pytest.mark.parametrize(
    ("case", "body"),
    [
        ("integration_failure", b'{"message":"Internal Server Error"}'),
        ("integration_timeout", b'{"message":"Service Unavailable"}'),
        ("access_denied", b'{"message":"Forbidden"}'),
        ("request_too_large", b'{"message":"Request Entity Too Large"}'),
    ],
)
def test_http_api_bodies_have_no_error_type(case: GatewayErrorCase, body: bytes) -> None:
    response = gateway_error(case, HTTP)
    assert (response.body, response.header("x-amzn-ErrorType")) == (body, None)
