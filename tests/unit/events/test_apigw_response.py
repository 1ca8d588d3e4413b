"""Lambda proxy results mapped to HTTP responses as API Gateway maps them."""

from __future__ import annotations

import json

import pytest

from emulator.events.apigw import HttpResponse
from emulator.events.apigw_response import (
    MalformedResultError,
    ResponseContext,
    map_v1_response,
    map_v2_response,
)

REST = ResponseContext("rest", "req-1", "ext-1=")
HTTP = ResponseContext("http", "abc=", "abc=")


def payload(value: object) -> bytes:
    return json.dumps(value).encode()


def test_v1_result_maps_status_headers_and_body() -> None:
    # "Output format of a Lambda function for proxy integration".
    result = {"statusCode": 201, "headers": {"Content-Type": "text/plain"}, "body": "made"}
    assert map_v1_response(payload(result), REST) == HttpResponse(
        201,
        (
            ("Content-Type", "text/plain"),
            ("x-amzn-RequestId", "req-1"),
            ("x-amz-apigw-id", "ext-1="),
        ),
        b"made",
    )


def test_v1_multi_value_headers_repeat_and_merge_with_headers() -> None:
    result = {
        "statusCode": 200,
        "headers": {"Set-Cookie": "a=1", "X-One": "1"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
    }
    response = map_v1_response(payload(result), REST)
    assert response.headers[:4] == (
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("X-One", "1"),
        ("Content-Type", "application/json"),
    )


def test_v1_rest_without_content_type_answers_application_json() -> None:
    response = map_v1_response(payload({"statusCode": 204}), REST)
    assert (response.status, response.header("content-type"), response.body) == (
        204,
        "application/json",
        b"",
    )


def test_v1_http_api_answers_every_gateway_header_of_an_http_api() -> None:
    response = map_v1_response(payload({"statusCode": 200, "body": "x"}), HTTP)
    assert response.headers == (
        ("Content-Type", "text/plain; charset=utf-8"),
        ("x-amzn-RequestId", "abc="),
        ("apigw-requestid", "abc="),
    )


@pytest.mark.parametrize(
    "result",
    [
        ["not", "an", "object"],
        {"body": "no status"},
        {"statusCode": "abc"},
        {"statusCode": 200, "extra": 1},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "headers": {"X": ["list"]}},
        {"statusCode": 200, "multiValueHeaders": {"X": "not a list"}},
        {"statusCode": 200, "isBase64Encoded": "yes"},
        {"statusCode": 99},
    ],
)
def test_v1_malformed_results_are_rejected(result: object) -> None:
    with pytest.raises(MalformedResultError):
        map_v1_response(payload(result), REST)


def test_v1_base64_body_that_does_not_decode_is_rejected_when_decoded() -> None:
    result = {"statusCode": 200, "isBase64Encoded": True, "body": "***"}
    with pytest.raises(MalformedResultError):
        map_v1_response(payload(result), HTTP)


def test_v1_rest_passes_base64_text_through_when_not_decoding() -> None:
    result = {"statusCode": 200, "isBase64Encoded": True, "body": "***"}
    assert map_v1_response(payload(result), REST).body == b"***"


def test_v1_result_that_is_not_json_is_rejected() -> None:
    with pytest.raises(MalformedResultError):
        map_v1_response(b"{nope", REST)


def test_v1_rest_decodes_base64_only_when_accept_matches_binary_media_types() -> None:
    # Content type conversions: the first Accept media type decides, not the Content-Type.
    result = {"statusCode": 200, "isBase64Encoded": True, "body": "AAEC"}
    binary = ResponseContext("rest", "r", "e", "image/png, */*", ("image/*",))
    text = ResponseContext("rest", "r", "e", "text/html, image/png", ("image/*",))
    assert map_v1_response(payload(result), binary).body == b"\x00\x01\x02"
    assert map_v1_response(payload(result), text).body == b"AAEC"


def test_v1_http_api_always_decodes_base64() -> None:
    result = {"statusCode": 200, "isBase64Encoded": True, "body": "AAEC"}
    assert map_v1_response(payload(result), HTTP).body == b"\x00\x01\x02"


def test_v2_result_without_status_code_is_inferred() -> None:
    # "Lambda function response for format 2.0": 200, application/json, the result as body.
    response = map_v2_response(payload({"message": "Hello from Lambda!"}), HTTP)
    assert response == HttpResponse(
        200,
        (
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", "abc="),
            ("apigw-requestid", "abc="),
        ),
        b'{"message": "Hello from Lambda!"}',
    )


def test_v2_string_result_is_its_text() -> None:
    assert map_v2_response(b'"Hello from Lambda!"', HTTP).body == b"Hello from Lambda!"


def test_v2_number_and_list_results_are_their_json() -> None:
    assert map_v2_response(b"[1, 2]", HTTP).body == b"[1, 2]"
    assert map_v2_response(b"42", HTTP).status == 200


def test_v2_cookies_become_set_cookie_headers() -> None:
    result = {"statusCode": 200, "cookies": ["a=1", "b=2; Path=/"], "headers": {"x-y": "z"}}
    assert map_v2_response(payload(result), HTTP).headers[:3] == (
        ("x-y", "z"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2; Path=/"),
    )


def test_v2_base64_body_is_decoded() -> None:
    result = {"statusCode": 200, "isBase64Encoded": True, "body": "aGk="}
    assert map_v2_response(payload(result), HTTP).body == b"hi"


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": "x"},
        {"statusCode": 200, "cookies": "a=1"},
        {"statusCode": 200, "body": 5},
        {"statusCode": 200, "headers": {"a": {"b": 1}}},
    ],
)
def test_v2_malformed_results_are_rejected(result: object) -> None:
    with pytest.raises(MalformedResultError):
        map_v2_response(payload(result), HTTP)


def test_v2_result_that_is_not_json_is_rejected() -> None:
    with pytest.raises(MalformedResultError):
        map_v2_response(b"plain text", HTTP)
