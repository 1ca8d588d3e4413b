"""Payload 1.0 and 2.0 events built from a request, checked against AWS's documented samples."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest

from emulator.events.apigw import (
    EventContext,
    HttpRequest,
    RouteInfo,
    build_v1_event,
    build_v2_event,
    media_type_matches,
    parse_query,
    request_time,
)
from tests.unit.events.apigw_fixtures import context_of, load, request_of, route_of

CTX = EventContext(
    request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    extended_request_id="EXAMPLEid=",
    time_epoch_ms=1700000000123,
    account_id="123456789012",
    api_id="abc123defg",
    stage="Prod",
    domain_name="localhost",
)
REST_ROUTE = RouteInfo("/items/{id}", "GET /items/{id}", {"id": "7"}, "a1b2c3", is_http_api=False)
HTTP_ROUTE = RouteInfo("/items/{id}", "GET /items/{id}", {"id": "7"}, None, is_http_api=True)


def request(
    method: str = "GET",
    path: str = "/items/7",
    query: str = "",
    headers: tuple[tuple[str, str], ...] = (("Host", "localhost"),),
    body: bytes = b"",
) -> HttpRequest:
    return HttpRequest(method, path, query, headers, body, "127.0.0.1", "localhost")


def test_rest_event_matches_the_rest_tutorial_sample() -> None:
    # "Tutorial: Build a Hello World REST API with Lambda proxy integration".
    sample = load("rest_proxy_v1_tutorial.json")
    event = build_v1_event(request_of(sample), route_of(sample), context_of(sample))
    assert event == sample["event"]


def test_http_api_v2_event_matches_the_payload_format_sample() -> None:
    # "Working with AWS Lambda proxy integrations for HTTP APIs", payload 2.0.
    sample = load("http_api_v2_payload.json")
    event = build_v2_event(request_of(sample), route_of(sample), context_of(sample))
    assert event == sample["event"]


def test_http_api_v1_event_matches_the_payload_format_sample() -> None:
    # "Working with AWS Lambda proxy integrations for HTTP APIs", payload 1.0.
    sample = load("http_api_v1_payload.json")
    event = build_v1_event(request_of(sample), route_of(sample), context_of(sample))
    assert event == sample["event"]


def test_rest_event_has_nulls_for_empty_query_body_and_stage_variables() -> None:
    event = build_v1_event(request(), REST_ROUTE, CTX)
    assert {k: event[k] for k in ("queryStringParameters", "multiValueQueryStringParameters")} == {
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
    }
    assert (event["body"], event["isBase64Encoded"], event["stageVariables"]) == (None, False, None)
    assert event["pathParameters"] == {"id": "7"}


def test_rest_request_context_path_carries_the_stage_and_the_resource_template() -> None:
    context = build_v1_event(request(), REST_ROUTE, CTX)["requestContext"]
    assert {k: context[k] for k in ("path", "resourcePath", "stage", "resourceId")} == {
        "path": "/Prod/items/7",
        "resourcePath": "/items/{id}",
        "stage": "Prod",
        "resourceId": "a1b2c3",
    }


def test_rest_repeated_headers_keep_every_value_and_the_last_in_headers() -> None:
    headers = (("Accept", "a/b"), ("X-Tag", "one"), ("x-tag", "two"))
    event = build_v1_event(request(headers=headers), REST_ROUTE, CTX)
    assert event["headers"] == {"Accept": "a/b", "X-Tag": "two"}
    assert event["multiValueHeaders"] == {"Accept": ["a/b"], "X-Tag": ["one", "two"]}


def test_rest_repeated_query_values_are_kept_and_decoded() -> None:
    event = build_v1_event(request(query="q=a%20b&q=c&flag"), REST_ROUTE, CTX)
    assert event["queryStringParameters"] == {"q": "c", "flag": ""}
    assert event["multiValueQueryStringParameters"] == {"q": ["a b", "c"], "flag": [""]}


def test_rest_body_is_base64_when_content_type_is_a_binary_media_type() -> None:
    ctx = replace(CTX, binary_media_types=("image/*",))
    png = b"\x89PNG\r\n\x1a\n"
    binary = request("POST", headers=(("Content-Type", "image/png"),), body=png)
    event = build_v1_event(binary, REST_ROUTE, ctx)
    assert (event["body"], event["isBase64Encoded"]) == (base64.b64encode(png).decode(), True)


def test_rest_body_is_text_when_content_type_is_not_a_binary_media_type() -> None:
    ctx = replace(CTX, binary_media_types=("image/png",))
    text = request("POST", headers=(("Content-Type", "application/octet-stream"),), body=b"hi")
    assert build_v1_event(text, REST_ROUTE, ctx)["body"] == "hi"


@pytest.mark.parametrize(
    ("content_type", "encoded"),
    [
        ("application/json; charset=utf-8", False),
        ("text/csv", False),
        ("application/xml", False),
        ("application/javascript", False),
        ("application/x-www-form-urlencoded", True),
        ("application/octet-stream", True),
        (None, True),
    ],
)
def test_http_api_base64_encodes_every_body_that_is_not_text(
    content_type: str | None, encoded: bool
) -> None:
    # Text only for text/*, JSON, XML and JavaScript, as observed on AWS (ministack PR 766).
    headers = (("content-type", content_type),) if content_type else ()
    event = build_v2_event(request("POST", headers=headers, body=b"a=1"), HTTP_ROUTE, CTX)
    assert event["isBase64Encoded"] is encoded
    assert event["body"] == ("YT0x" if encoded else "a=1")


def test_http_api_v2_event_leaves_out_empty_fields() -> None:
    ctx = replace(CTX, stage="$default")
    route = RouteInfo("/items", "GET /items", {}, None, is_http_api=True)
    event = build_v2_event(request(path="/items", headers=()), route, ctx)
    assert event == {
        "version": "2.0",
        "routeKey": "GET /items",
        "rawPath": "/items",
        "rawQueryString": "",
        "headers": {},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123defg",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {
                "method": "GET",
                "path": "/items",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "",
            },
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "routeKey": "GET /items",
            "stage": "$default",
            "time": "14/Nov/2023:22:13:20 +0000",
            "timeEpoch": 1700000000123,
        },
        "isBase64Encoded": False,
    }


def test_http_api_named_stage_prefixes_raw_path_as_the_execute_api_endpoint_does() -> None:
    event = build_v2_event(request(), HTTP_ROUTE, CTX)
    assert (event["rawPath"], event["requestContext"]["http"]["path"]) == (
        "/Prod/items/7",
        "/Prod/items/7",
    )


def test_authorizer_context_goes_into_request_context() -> None:
    ctx = replace(CTX, authorizer={"principalId": "me"})
    assert build_v1_event(request(), REST_ROUTE, ctx)["requestContext"]["authorizer"] == {
        "principalId": "me"
    }


def test_request_time_uses_english_month_names_in_utc() -> None:
    assert request_time(1583349317135) == "04/Mar/2020:19:15:17 +0000"


def test_query_keeps_raw_order_and_empty_values() -> None:
    assert parse_query("b=2&a=&c&&d=%2F") == [("b", "2"), ("a", ""), ("c", ""), ("d", "/")]


@pytest.mark.parametrize(
    ("value", "patterns", "matches"),
    [
        ("image/png", ("image/png",), True),
        ("IMAGE/PNG; q=1", ("image/png",), True),
        ("image/gif", ("image/*",), True),
        ("text/plain", ("*/*",), True),
        ("text/plain", ("image/*",), False),
        ("*/*", ("image/png",), False),
        ("", ("*/*",), False),
    ],
)
def test_media_type_matching_against_binary_media_types(
    value: str, patterns: tuple[str, ...], matches: bool
) -> None:
    assert media_type_matches(value, patterns) is matches
