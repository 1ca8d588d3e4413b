"""Real HTTP requests through `lambdock up` to Python handlers: events, mappings, status codes.

Sources: "Lambda proxy integrations in API Gateway" (REST formats), "Working with AWS Lambda
proxy integrations for HTTP APIs" (payload 2.0, cookies, comma-joined values, base64 bodies),
"Content type conversions in API Gateway" (BinaryMediaTypes), "Handling Lambda errors with an
API Gateway API" (500 / 502 bodies) and "Amazon API Gateway quotas" (10 MB, 29 s / 30 s).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.support import Lambdock

PNG = bytes(range(256)) * 4


def summary(response: httpx.Response) -> dict[str, Any]:
    summary = {"status": response.status_code, "body": response.json()}
    if "x-amzn-ErrorType" in response.headers:
        summary["x-amzn-ErrorType"] = response.headers["x-amzn-ErrorType"]
    return summary


def test_up_prints_the_url_of_each_route(gateway: Lambdock) -> None:
    output = gateway.output()
    assert f"GET     {gateway.base_url}/rest/private -> Echo (REST API RestApi, payload 1.0)" in (
        output
    )
    assert (
        f"ANY     {gateway.base_url}/http/echo/{{id}} -> Echo (HTTP API HttpApi, payload 2.0)"
        in (output)
    )


def test_a_rest_request_arrives_as_payload_1_with_multi_value_headers_and_query(
    client: httpx.Client,
) -> None:
    response = client.get(
        "/rest/echo/5?a=1&a=2&b=x", headers=[("X-Multi", "one"), ("X-Multi", "two")]
    )
    assert response.status_code == 200
    event = response.json()
    assert (event["resource"], event["path"], event["httpMethod"]) == (
        "/rest/echo/{id}",
        "/rest/echo/5",
        "GET",
    )
    assert (event["headers"]["X-Multi"], event["multiValueHeaders"]["X-Multi"]) == (
        "two",
        ["one", "two"],
    )
    assert (event["queryStringParameters"], event["multiValueQueryStringParameters"]) == (
        {"a": "2", "b": "x"},
        {"a": ["1", "2"], "b": ["x"]},
    )
    assert event["pathParameters"] == {"id": "5"}
    context = event["requestContext"]
    assert (context["stage"], context["path"], context["resourcePath"]) == (
        "test",
        "/test/rest/echo/5",
        "/rest/echo/{id}",
    )
    assert response.headers["x-amzn-RequestId"] == context["requestId"]
    assert response.headers["x-amz-apigw-id"] == context["extendedRequestId"]


def test_an_http_api_request_arrives_as_payload_2_with_joined_values_and_cookies(
    client: httpx.Client,
) -> None:
    response = client.get(
        "/http/echo/5?a=1&a=2",
        headers=[("X-Multi", "one"), ("X-Multi", "two"), ("Cookie", "s=1; t=2")],
    )
    event = response.json()
    assert (event["version"], event["routeKey"], event["rawPath"], event["rawQueryString"]) == (
        "2.0",
        "ANY /http/echo/{id}",
        "/http/echo/5",
        "a=1&a=2",
    )
    assert (event["headers"]["x-multi"], event["cookies"]) == ("one,two", ["s=1", "t=2"])
    assert event["queryStringParameters"] == {"a": "1,2"}
    assert event["pathParameters"] == {"id": "5"}
    assert response.headers["apigw-requestid"] == event["requestContext"]["requestId"]
    assert response.headers["x-amzn-RequestId"] == event["requestContext"]["requestId"]


def test_an_http_api_route_with_payload_1_and_a_greedy_rest_route(client: httpx.Client) -> None:
    v1 = client.get("/http/v1?a=1&a=2").json()
    greedy = client.get("/rest/files/a/b/c.txt").json()
    assert (v1["version"], v1["multiValueQueryStringParameters"]) == ("1.0", {"a": ["1", "2"]})
    assert (greedy["resource"], greedy["pathParameters"]) == (
        "/rest/files/{proxy+}",
        {"proxy": "a/b/c.txt"},
    )


def test_a_payload_1_result_maps_status_and_multi_value_headers(client: httpx.Client) -> None:
    result = {
        "statusCode": 201,
        "headers": {"Content-Type": "text/plain"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "X-Multi": ["x", "y"]},
        "body": "made",
    }
    response = client.post("/rest/shaped", json=result)
    assert (response.status_code, response.text) == (201, "made")
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert response.headers.get_list("x-multi") == ["x", "y"]


def test_a_payload_2_result_maps_cookies_and_infers_a_result_without_status(
    client: httpx.Client,
) -> None:
    result = {"statusCode": 200, "cookies": ["a=1; HttpOnly", "b=2"], "body": "ok"}
    cookies = client.post("/http/shaped", json=result)
    inferred = client.post("/http/shaped", json={"plain": "object"})
    assert (cookies.text, cookies.headers.get_list("set-cookie")) == (
        "ok",
        ["a=1; HttpOnly", "b=2"],
    )
    assert (inferred.status_code, inferred.headers["content-type"], inferred.json()) == (
        200,
        "application/json",
        {"plain": "object"},
    )


def test_binary_bodies_in_and_out(client: httpx.Client) -> None:
    png = {"Content-Type": "image/png", "Accept": "image/png"}
    rest = client.post("/rest/picture", content=PNG, headers=png)
    octets = {"Content-Type": "application/octet-stream"}
    http = client.post("/http/picture", content=PNG, headers=octets)
    assert (rest.status_code, rest.headers["X-Received-Base64"], rest.content) == (
        200,
        "True",
        PNG[::-1],
    )
    assert (http.status_code, http.headers["X-Received-Base64"], http.content) == (
        200,
        "True",
        PNG[::-1],
    )


def test_function_errors_and_malformed_results(client: httpx.Client) -> None:
    internal = {
        "status": 502,
        "body": {"message": "Internal server error"},
        "x-amzn-ErrorType": "InternalServerErrorException",
    }
    assert summary(client.get("/rest/fail")) == internal
    assert summary(client.get("/rest/malformed")) == internal
    assert summary(client.get("/http/fail")) == {
        "status": 500,
        "body": {"message": "Internal Server Error"},
    }


def test_a_throttled_function_is_500(client: httpx.Client) -> None:
    assert summary(client.get("/rest/throttled")) == {
        "status": 500,
        "body": {"message": "Internal server error"},
        "x-amzn-ErrorType": "InternalServerErrorException",
    }


def test_the_integration_timeout_is_504_on_rest_and_503_on_http_apis(client: httpx.Client) -> None:
    assert summary(client.get("/rest/slow?seconds=4")) == {
        "status": 504,
        "body": {"message": "Endpoint request timed out"},
        "x-amzn-ErrorType": "InternalServerErrorException",
    }
    assert summary(client.get("/http/slow?seconds=4")) == {
        "status": 503,
        "body": {"message": "Service Unavailable"},
    }


def test_a_function_timeout_behind_the_gateway_is_502(client: httpx.Client) -> None:
    response = client.get("/rest/timeout?seconds=3")
    assert summary(response) == {
        "status": 502,
        "body": {"message": "Internal server error"},
        "x-amzn-ErrorType": "InternalServerErrorException",
    }


def test_unknown_routes_are_403_on_rest_and_404_on_http_apis(client: httpx.Client) -> None:
    assert summary(client.get("/nowhere")) == {
        "status": 403,
        "body": {"message": "Missing Authentication Token"},
        "x-amzn-ErrorType": "MissingAuthenticationTokenException",
    }
    # /http/private has only GET: the HTTP API owns the path and answers 404.
    wrong_method = client.post("/http/private")
    assert summary(wrong_method) == {"status": 404, "body": {"message": "Not Found"}}
    assert wrong_method.headers["apigw-requestid"]


def test_a_body_over_10_mb_is_413(client: httpx.Client) -> None:
    big = b"x" * (10 * 1024 * 1024 + 1)
    assert summary(client.post("/rest/shaped", content=big)) == {
        "status": 413,
        "body": {"message": "Request Too Long"},
    }
    assert summary(client.post("/http/shaped", content=big)) == {
        "status": 413,
        "body": {"message": "Request Entity Too Large"},
    }
    # The connection still serves: a small request right after works.
    assert client.post("/rest/shaped", content=json.dumps({"statusCode": 204})).status_code == 204
