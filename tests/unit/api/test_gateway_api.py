"""The API Gateway surface in-process with the fake backend: events, mapping, status codes.

Sources: "Lambda proxy integrations in API Gateway" (REST input and output formats), "Working
with AWS Lambda proxy integrations for HTTP APIs" (payload 2.0), "Handling Lambda errors with
an API Gateway API" (500 when the invoke is rejected, 502 for a function error or a malformed
result), "Amazon API Gateway quotas" (10 MB payloads, 29 s / 30 s integration timeouts) and
the default gateway responses (403 Missing Authentication Token, 413, 504).
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import pytest

from emulator.template import load_template
from tests.fakes import FakeContext
from tests.unit.api.gateway_app import api_event, function, serve

BODY_LIMIT = 10 * 1024 * 1024
REST_API_ID = "rljrr5bu2s"  # generated_api_id("gw", "ServerlessRestApi")
HTTP_API_ID = "xaaqpd7a1r"  # generated_api_id("gw", "ServerlessHttpApi")
INTERNAL_ERROR_REST = {
    "status": 502,
    "body": {"message": "Internal server error"},
    "x-amzn-ErrorType": "InternalServerErrorException",
}


API_RESOURCE = """\
Resources:
  Api:
    Type: AWS::Serverless::{type}
    Properties:
      StageName: v1
      {props}
"""


def echo(event: Any, context: FakeContext) -> Any:
    return {"statusCode": 200, "body": json.dumps(event)}


def fail(event: Any, context: FakeContext) -> Any:
    raise ValueError("failed on purpose")


def malformed(event: Any, context: FakeContext) -> Any:
    return {"statusCode": 200, "body": {"not": "a string"}}


async def slow(event: Any, context: FakeContext) -> Any:
    await asyncio.sleep(2)
    return {"statusCode": 200, "body": "late"}


def size(event: Any, context: FakeContext) -> Any:
    return {"statusCode": 200, "body": str(len(event["body"]))}


def shaped(event: Any, context: FakeContext) -> Any:
    # The function answers whatever result the request's body describes.
    return json.loads(event["body"])


HANDLERS = {
    "app.echo": echo,
    "app.fail": fail,
    "app.malformed": malformed,
    "app.slow": slow,
    "app.shaped": shaped,
    "app.size": size,
}


def rest(name: str, handler: str, path: str, method: str = "get", **props: object) -> str:
    return function(name, handler, api_event("Get", "Api", path, method), **props)


def http(name: str, handler: str, path: str, method: str = "get", **props: object) -> str:
    return function(name, handler, api_event("Get", "HttpApi", path, method), **props)


def summary(response: Any) -> dict[str, Any]:
    summary = {"status": response.status_code, "body": response.json()}
    if "x-amzn-ErrorType" in response.headers:
        summary["x-amzn-ErrorType"] = response.headers["x-amzn-ErrorType"]
    return summary


# --- Events ------------------------------------------------------------------------------------


async def test_a_rest_request_reaches_the_function_as_a_payload_1_event(tmp_path: Path) -> None:
    template = "Resources:\n" + rest("Items", "app.echo", "/items/{id}")
    async with serve(tmp_path, template, HANDLERS) as served:
        response = await served.client.get(
            "/items/a%20b?x=1&x=2&y=", headers={"Cookie": "a=1; b=2"}
        )
    assert response.status_code == 200
    assert response.headers["x-amzn-RequestId"] == "00000000-0000-4000-8000-000000000001"
    assert response.headers["x-amz-apigw-id"] == "Mp7E9EPp3XUxn3c="
    headers = {
        "Host": "lambdock",
        "Connection": "keep-alive",
        "Accept": "*/*",
        "Accept-Encoding": "gzip",
        "User-Agent": "test-agent/1.0",
        "X-Amzn-Trace-Id": "Root=1-65536700-0123456789abcdef01234567",
        "Cookie": "a=1; b=2",
        "X-Forwarded-For": "127.0.0.1",
        "X-Forwarded-Port": "3000",
        "X-Forwarded-Proto": "http",
    }
    assert response.json() == {
        "resource": "/items/{id}",
        "path": "/items/a b",
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {"x": "2", "y": ""},
        "multiValueQueryStringParameters": {"x": ["1", "2"], "y": [""]},
        "pathParameters": {"id": "a b"},
        "stageVariables": None,
        "requestContext": {
            "resourceId": "rnh11e",
            "resourcePath": "/items/{id}",
            "httpMethod": "GET",
            "extendedRequestId": "Mp7E9EPp3XUxn3c=",
            "requestTime": "14/Nov/2023:22:13:20 +0000",
            "path": "/Prod/items/a b",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": "Prod",
            "domainPrefix": "lambdock",
            "requestTimeEpoch": 1700000000000,
            "requestId": "00000000-0000-4000-8000-000000000001",
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": "127.0.0.1",
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": "test-agent/1.0",
                "user": None,
            },
            "domainName": "lambdock",
            "apiId": REST_API_ID,
        },
        "body": None,
        "isBase64Encoded": False,
    }


async def test_an_http_api_request_reaches_the_function_as_a_payload_2_event(
    tmp_path: Path,
) -> None:
    template = "Resources:\n" + http("Things", "app.echo", "/things/{id}", "post")
    async with serve(tmp_path, template, HANDLERS) as served:
        response = await served.client.post(
            "/things/7?x=1&x=2",
            content=b'{"k": 1}',
            headers={"Content-Type": "application/json", "Cookie": "a=1; b=2"},
        )
    assert response.status_code == 200
    assert response.headers["x-amzn-RequestId"] == "Mp7E9EPp3XUxn3c="
    assert response.headers["apigw-requestid"] == "Mp7E9EPp3XUxn3c="
    assert response.json() == {
        "version": "2.0",
        "routeKey": "POST /things/{id}",
        "rawPath": "/things/7",
        "rawQueryString": "x=1&x=2",
        "cookies": ["a=1", "b=2"],
        "headers": {
            "host": "lambdock",
            "connection": "keep-alive",
            "accept": "*/*",
            "accept-encoding": "gzip",
            "user-agent": "test-agent/1.0",
            "x-amzn-trace-id": "Root=1-65536700-0123456789abcdef01234567",
            "content-type": "application/json",
            "content-length": "8",
            "x-forwarded-for": "127.0.0.1",
            "x-forwarded-port": "3000",
            "x-forwarded-proto": "http",
        },
        "queryStringParameters": {"x": "1,2"},
        "pathParameters": {"id": "7"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": HTTP_API_ID,
            "domainName": "lambdock",
            "domainPrefix": "lambdock",
            "http": {
                "method": "POST",
                "path": "/things/7",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "test-agent/1.0",
            },
            "requestId": "Mp7E9EPp3XUxn3c=",
            "routeKey": "POST /things/{id}",
            "stage": "$default",
            "time": "14/Nov/2023:22:13:20 +0000",
            "timeEpoch": 1700000000000,
        },
        "body": '{"k": 1}',
        "isBase64Encoded": False,
    }


async def test_an_http_api_route_may_ask_for_payload_1(tmp_path: Path) -> None:
    event = api_event("V1", "HttpApi", "/v1", "get", PayloadFormatVersion='"1.0"')
    template = "Resources:\n" + function("V1", "app.echo", event)
    async with serve(tmp_path, template, HANDLERS) as served:
        response = await served.client.get("/v1?a=1&a=2")
    event = response.json()
    assert (event["version"], event["resource"], event["requestContext"]["resourceId"]) == (
        "1.0",
        "/v1",
        None,
    )
    assert (event["queryStringParameters"], event["multiValueQueryStringParameters"]) == (
        {"a": "2"},
        {"a": ["1", "2"]},
    )
    assert event["headers"]["user-agent"] == "test-agent/1.0"


async def test_greedy_and_encoded_path_parameters(tmp_path: Path) -> None:
    template = (
        "Resources:\n"
        + rest("Files", "app.echo", "/files/{proxy+}", "any")
        + rest("One", "app.echo", "/one/{id}")
    )
    async with serve(tmp_path, template, HANDLERS) as served:
        greedy = (await served.client.delete("/files/a/b/c.txt")).json()
        encoded = (await served.client.get("/one/a%2Fb")).json()
    assert (greedy["resource"], greedy["pathParameters"], greedy["httpMethod"]) == (
        "/files/{proxy+}",
        {"proxy": "a/b/c.txt"},
        "DELETE",
    )
    assert encoded["pathParameters"] == {"id": "a/b"}


async def test_a_reloaded_template_is_served_with_its_new_routes(tmp_path: Path) -> None:
    template = "Resources:\n" + rest("Items", "app.echo", "/items")
    async with serve(tmp_path, template, HANDLERS) as served:
        before = await served.client.get("/other")
        served.path.write_text(
            served.path.read_text().replace("Path: /items", "Path: /other"), encoding="utf-8"
        )
        served.services.stack.replace(load_template(served.path, stack_name="gw"))
        after = await served.client.get("/other")
    assert (before.status_code, after.status_code) == (403, 200)


async def test_a_reload_whose_routes_conflict_keeps_the_routes_served_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = "Resources:\n" + rest("Items", "app.echo", "/items")
    async with serve(tmp_path, template, HANDLERS) as served:
        served.path.write_text(
            served.path.read_text() + rest("Copy", "app.echo", "/items"), encoding="utf-8"
        )
        served.services.stack.replace(load_template(served.path, stack_name="gw"))
        response = await served.client.get("/items")
    assert response.status_code == 200
    assert "lambdock: routes kept from before the reload: " in capsys.readouterr().err


# --- Responses ---------------------------------------------------------------------------------


async def test_a_payload_1_result_maps_status_headers_and_multi_value_headers(
    tmp_path: Path,
) -> None:
    result = {
        "statusCode": 201,
        "headers": {"Content-Type": "text/plain", "X-One": "1"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": "created",
    }
    template = "Resources:\n" + rest("Shaped", "app.shaped", "/shaped", "post")
    async with serve(tmp_path, template, HANDLERS) as served:
        response = await served.client.post("/shaped", content=json.dumps(result))
    assert (response.status_code, response.text) == (201, "created")
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert (response.headers["content-type"], response.headers["x-one"]) == ("text/plain", "1")


async def test_a_payload_2_result_maps_cookies_and_without_status_code_is_inferred(
    tmp_path: Path,
) -> None:
    template = "Resources:\n" + http("Shaped", "app.shaped", "/shaped", "post")
    result = {"statusCode": 200, "cookies": ["a=1; Secure", "b=2"], "body": "ok"}
    async with serve(tmp_path, template, HANDLERS) as served:
        cookies = await served.client.post("/shaped", json=result)
        inferred = await served.client.post("/shaped", json={"answer": 42})
    assert cookies.headers.get_list("set-cookie") == ["a=1; Secure", "b=2"]
    assert (inferred.status_code, inferred.headers["content-type"], inferred.json()) == (
        200,
        "application/json",
        {"answer": 42},
    )


async def test_rest_binary_media_types_carry_bytes_both_ways(tmp_path: Path) -> None:
    png = bytes(range(256))
    template = API_RESOURCE.format(type="Api", props='BinaryMediaTypes: ["image~1png"]') + function(
        "Picture", "app.shaped", api_event("Up", "Api", "/picture", "post", RestApiId="!Ref Api")
    )

    def picture(event: Any, context: FakeContext) -> Any:
        assert event["isBase64Encoded"] is True
        assert base64.b64decode(event["body"]) == png
        body = base64.b64encode(png[::-1]).decode()
        headers = {"Content-Type": "image/png"}
        return {"statusCode": 200, "headers": headers, "body": body, "isBase64Encoded": True}

    headers = {"Content-Type": "image/png", "Accept": "image/png"}
    async with serve(tmp_path, template, {"app.shaped": picture}) as served:
        binary = await served.client.post("/picture", content=png, headers=headers)
        text = await served.client.post(
            "/picture", content=png, headers={**headers, "Accept": "application/json"}
        )
    assert (binary.status_code, binary.content) == (200, png[::-1])
    # Without a binary Accept type, REST returns the base64 text as it is.
    assert text.content == base64.b64encode(png[::-1])


async def test_http_api_bodies_that_are_not_text_arrive_base64_encoded(tmp_path: Path) -> None:
    template = "Resources:\n" + http("Bin", "app.echo", "/bin", "post")
    async with serve(tmp_path, template, HANDLERS) as served:
        binary = await served.client.post(
            "/bin", content=b"\x00\xff", headers={"Content-Type": "application/octet-stream"}
        )
        text = await served.client.post(
            "/bin", content=b"hi", headers={"Content-Type": "text/plain"}
        )
    assert (binary.json()["body"], binary.json()["isBase64Encoded"]) == ("AP8=", True)
    assert (text.json()["body"], text.json()["isBase64Encoded"]) == ("hi", False)


# --- Errors ------------------------------------------------------------------------------------


async def test_a_function_error_is_502_on_rest_and_500_on_http_apis(tmp_path: Path) -> None:
    template = (
        "Resources:\n" + rest("Rest", "app.fail", "/rest") + http("Http", "app.fail", "/http")
    )
    async with serve(tmp_path, template, HANDLERS) as served:
        on_rest = await served.client.get("/rest")
        on_http = await served.client.get("/http")
    assert summary(on_rest) == INTERNAL_ERROR_REST
    assert summary(on_http) == {"status": 500, "body": {"message": "Internal Server Error"}}
    assert on_http.headers["apigw-requestid"] == on_http.headers["x-amzn-RequestId"]


async def test_a_malformed_result_is_502(tmp_path: Path) -> None:
    template = "Resources:\n" + rest("Bad", "app.malformed", "/bad")
    async with serve(tmp_path, template, HANDLERS) as served:
        response = await served.client.get("/bad")
    assert summary(response) == INTERNAL_ERROR_REST


async def test_a_throttled_invoke_is_500(tmp_path: Path) -> None:
    template = "Resources:\n" + rest("None", "app.echo", "/none", ReservedConcurrentExecutions=0)
    async with serve(tmp_path, template, HANDLERS) as served:
        response = await served.client.get("/none")
    assert summary(response) == {
        "status": 500,
        "body": {"message": "Internal server error"},
        "x-amzn-ErrorType": "InternalServerErrorException",
    }


async def test_past_the_integration_timeout_rest_answers_504_and_http_apis_503(
    tmp_path: Path,
) -> None:
    template = "Resources:\n" + rest("R", "app.slow", "/r") + http("H", "app.slow", "/h")
    async with serve(tmp_path, template, HANDLERS, gateway_timeout=0.2) as served:
        on_rest = await served.client.get("/r")
        on_http = await served.client.get("/h")
    assert summary(on_rest) == {
        "status": 504,
        "body": {"message": "Endpoint request timed out"},
        "x-amzn-ErrorType": "InternalServerErrorException",
    }
    assert summary(on_http) == {"status": 503, "body": {"message": "Service Unavailable"}}


async def test_a_function_timeout_behind_the_gateway_is_502(tmp_path: Path) -> None:
    template = "Resources:\n" + rest("R", "app.slow", "/r", Timeout=1)
    async with serve(tmp_path, template, HANDLERS) as served:
        response = await served.client.get("/r")
    assert summary(response) == INTERNAL_ERROR_REST


async def test_unknown_routes_are_403_on_rest_and_404_on_http_apis(tmp_path: Path) -> None:
    async with serve(tmp_path, "Resources:\n" + rest("R", "app.echo", "/r"), HANDLERS) as served:
        on_rest = await served.client.get("/nope")
        wrong_method = await served.client.post("/r")
    async with serve(tmp_path, "Resources:\n" + http("H", "app.echo", "/h"), HANDLERS) as served:
        on_http = await served.client.get("/nope")
    missing = {
        "status": 403,
        "body": {"message": "Missing Authentication Token"},
        "x-amzn-ErrorType": "MissingAuthenticationTokenException",
    }
    assert (summary(on_rest), summary(wrong_method)) == (missing, missing)
    assert summary(on_http) == {"status": 404, "body": {"message": "Not Found"}}
    assert on_http.headers["apigw-requestid"]


async def test_a_body_over_10_mb_is_413(tmp_path: Path) -> None:
    template = (
        "Resources:\n" + rest("R", "app.size", "/r", "post") + http("H", "app.size", "/h", "post")
    )
    big = b"x" * (BODY_LIMIT + 1)
    async with serve(tmp_path, template, HANDLERS) as served:
        on_rest = await served.client.post("/r", content=big)
        on_http = await served.client.post("/h", content=big)
        within = await served.client.post("/r", content=b"x" * 1_000_000)
    assert summary(on_rest) == {"status": 413, "body": {"message": "Request Too Long"}}
    assert summary(on_http) == {"status": 413, "body": {"message": "Request Entity Too Large"}}
    assert (within.status_code, within.text) == (200, "1000000")


async def test_an_event_over_lambdas_6_mb_payload_quota_is_a_rejected_invoke(
    tmp_path: Path,
) -> None:
    # Under API Gateway's 10 MB, over Lambda's 6 MB invoke quota: Lambda rejects it (500).
    template = "Resources:\n" + rest("R", "app.size", "/r", "post")
    async with serve(tmp_path, template, HANDLERS) as served:
        response = await served.client.post("/r", content=b"x" * 7_000_000)
    assert summary(response) == {
        "status": 500,
        "body": {"message": "Internal server error"},
        "x-amzn-ErrorType": "InternalServerErrorException",
    }


async def test_lambdocks_own_paths_win_over_a_greedy_user_route(tmp_path: Path) -> None:
    template = "Resources:\n" + rest("Catch", "app.echo", "/{proxy+}", "any")
    async with serve(tmp_path, template, HANDLERS) as served:
        health = await served.client.get("/_lambdock/health")
        invoke = await served.client.post("/2015-03-31/functions/Catch/invocations", json={})
        user = await served.client.get("/anything/else")
    assert (health.status_code, health.json()["status"]) == (200, "ok")
    assert invoke.json()["statusCode"] == 200
    assert user.json()["pathParameters"] == {"proxy": "anything/else"}
