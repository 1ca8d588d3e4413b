"""Lambda authorizers and CORS on the API Gateway surface, in-process with the fake backend.

Sources: "Use API Gateway Lambda authorizers" and "Output from an API Gateway Lambda
authorizer" (REST: 401 without a token or on "Unauthorized", 403 on a deny, context values as
strings, results cached by the token for the TTL), "Control access to HTTP APIs with AWS Lambda
authorizers" (simple responses, 401 / 403 bodies), SAM's `Cors` (an OPTIONS method on every
path, with the default authorizer unless AddDefaultAuthorizerToCorsPreflight is false) and
"Configuring CORS for an HTTP API" (API Gateway answers preflight and sets the headers).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.fakes import FakeContext
from tests.unit.api.gateway_app import api_event, function, serve

API_ID = "y06zy5aiaj"  # generated_api_id("gw", "Api")
ALLOW = {"Authorization": "allow"}

REST_API = """\
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Cors:
        AllowOrigin: "'https://app.example'"
        AllowHeaders: "'Content-Type,Authorization'"
        MaxAge: "'600'"
      Auth:
        DefaultAuthorizer: Token
        AddDefaultAuthorizerToCorsPreflight: {preflight}
        Authorizers:
          Token:
            FunctionArn: !GetAtt Authorizer.Arn
            Identity:
              ReauthorizeEvery: 60
          Query:
            FunctionArn: !GetAtt Authorizer.Arn
            FunctionPayloadType: REQUEST
            Identity:
              QueryStrings: [key]
              ReauthorizeEvery: 0
"""

HTTP_API = """\
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration:
        AllowOrigins: ["https://app.example"]
        AllowMethods: [GET, POST]
        AllowHeaders: [authorization]
        ExposeHeaders: [x-total]
        MaxAge: 300
      Auth:
        DefaultAuthorizer: Key
        Authorizers:
          Key:
            FunctionArn: !GetAtt Authorizer.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity:
              Headers: [x-api-key]
"""


class Recorder:
    """Authorizer handlers that remember the events they were given."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def token(self, event: Any, context: FakeContext) -> Any:
        self.events.append(event)
        answer = event.get("authorizationToken") or event["queryStringParameters"]["key"]
        if answer not in ("allow", "deny"):
            # API Gateway's convention: a REST authorizer failing with "Unauthorized" is a 401.
            raise Exception("Unauthorized" if answer != "broken" else "something else")
        effect = "Allow" if answer == "allow" else "Deny"
        statement = {
            "Action": "execute-api:Invoke",
            "Effect": effect,
            "Resource": event["methodArn"],
        }
        return {
            "principalId": "user-1",
            "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
            "context": {"tier": "gold", "n": 1, "ok": True},
        }

    def key(self, event: Any, context: FakeContext) -> Any:
        self.events.append(event)
        return {
            "isAuthorized": event["headers"].get("x-api-key") == "good",
            "context": {"u": "ada"},
        }


def echo(event: Any, context: FakeContext) -> Any:
    # The integration's own CORS header: an HTTP API replaces it with the configured ones.
    headers = {"Access-Control-Allow-Origin": "https://elsewhere.example"}
    return {"statusCode": 200, "headers": headers, "body": json.dumps(event)}


def rest_template(preflight: str = "false") -> str:
    ref = "!Ref Api"
    events = (
        api_event("Private", "Api", "/private", "get", RestApiId=ref)
        + api_event("Public", "Api", "/public", "get", RestApiId=ref, Auth="{Authorizer: NONE}")
        + api_event("Query", "Api", "/query", "get", RestApiId=ref, Auth="{Authorizer: Query}")
    )
    return (
        REST_API.format(preflight=preflight)
        + function("Authorizer", "app.token")
        + function("Echo", "app.echo", events)
    )


def http_template() -> str:
    events = api_event("Private", "HttpApi", "/private", "get", ApiId="!Ref Api")
    return HTTP_API + function("Authorizer", "app.key") + function("Echo", "app.echo", events)


def summary(response: Any) -> dict[str, Any]:
    summary = {"status": response.status_code, "body": response.json()}
    if "x-amzn-ErrorType" in response.headers:
        summary["x-amzn-ErrorType"] = response.headers["x-amzn-ErrorType"]
    return summary


# --- REST Lambda authorizers -----------------------------------------------------------------


async def test_a_rest_token_authorizer_allows_with_its_context(tmp_path: Path) -> None:
    recorder = Recorder()
    handlers = {"app.token": recorder.token, "app.echo": echo}
    async with serve(tmp_path, rest_template(), handlers) as served:
        response = await served.client.get("/private", headers=ALLOW)
    assert response.status_code == 200
    assert response.json()["requestContext"]["authorizer"] == {
        "tier": "gold",
        "n": "1",
        "ok": "true",
        "principalId": "user-1",
        "integrationLatency": 0,
    }
    assert recorder.events == [
        {
            "type": "TOKEN",
            "authorizationToken": "allow",
            "methodArn": f"arn:aws:execute-api:us-east-1:123456789012:{API_ID}/v1/GET/private",
        }
    ]


async def test_a_rest_authorizer_denies_401s_and_403s_as_api_gateway_does(tmp_path: Path) -> None:
    recorder = Recorder()
    handlers = {"app.token": recorder.token, "app.echo": echo}
    async with serve(tmp_path, rest_template(), handlers) as served:
        missing = await served.client.get("/private")
        unauthorized = await served.client.get("/private", headers={"Authorization": "nobody"})
        denied = await served.client.get("/private", headers={"Authorization": "deny"})
        broken = await served.client.get("/private", headers={"Authorization": "broken"})
    unauthorized_body = {
        "status": 401,
        "body": {"message": "Unauthorized"},
        "x-amzn-ErrorType": "UnauthorizedException",
    }
    assert (summary(missing), summary(unauthorized)) == (unauthorized_body, unauthorized_body)
    assert summary(denied) == {
        "status": 403,
        "body": {"Message": "User is not authorized to access this resource with an explicit deny"},
        "x-amzn-ErrorType": "AccessDeniedException",
    }
    assert summary(broken) == {
        "status": 500,
        "body": {"message": None},
        "x-amzn-ErrorType": "AuthorizerConfigurationException",
    }
    # No token, no invocation of the authorizer.
    assert [e["authorizationToken"] for e in recorder.events] == ["nobody", "deny", "broken"]


async def test_rest_authorizer_results_are_cached_by_token_for_the_ttl(tmp_path: Path) -> None:
    recorder = Recorder()
    handlers = {"app.token": recorder.token, "app.echo": echo}
    async with serve(tmp_path, rest_template(), handlers) as served:
        first = await served.client.get("/private", headers=ALLOW)
        second = await served.client.get("/private", headers=ALLOW)
        served.clock.advance(61)
        third = await served.client.get("/private", headers=ALLOW)
    assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
    assert len(recorder.events) == 2


async def test_a_route_without_authorizer_and_a_request_authorizer(tmp_path: Path) -> None:
    recorder = Recorder()
    handlers = {"app.token": recorder.token, "app.echo": echo}
    async with serve(tmp_path, rest_template(), handlers) as served:
        public = await served.client.get("/public")
        query = await served.client.get("/query?key=allow")
        no_key = await served.client.get("/query")
    assert public.status_code == 200
    assert "authorizer" not in public.json()["requestContext"]
    assert (query.status_code, no_key.status_code) == (200, 401)
    event = recorder.events[0]
    assert (event["type"], event["methodArn"], event["queryStringParameters"]) == (
        "REQUEST",
        f"arn:aws:execute-api:us-east-1:123456789012:{API_ID}/v1/GET/query",
        {"key": "allow"},
    )


# --- REST CORS ---------------------------------------------------------------------------------


async def test_rest_cors_answers_options_as_sams_mock_method(tmp_path: Path) -> None:
    recorder = Recorder()
    handlers = {"app.token": recorder.token, "app.echo": echo}
    preflight_headers = {"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
    async with serve(tmp_path, rest_template(), handlers) as served:
        response = await served.client.options("/private", headers=preflight_headers)
        unknown = await served.client.options("/nowhere", headers=preflight_headers)
    assert (response.status_code, response.content) == (200, b"{}\n")
    cors = {k: v for k, v in response.headers.items() if k.startswith("access-control-")}
    assert cors == {
        "access-control-allow-origin": "https://app.example",
        "access-control-allow-headers": "Content-Type,Authorization",
        "access-control-allow-methods": "GET,OPTIONS",
        "access-control-max-age": "600",
    }
    assert unknown.status_code == 403
    assert recorder.events == []


async def test_sam_puts_the_default_authorizer_on_rest_preflight_unless_told(
    tmp_path: Path,
) -> None:
    recorder = Recorder()
    handlers = {"app.token": recorder.token, "app.echo": echo}
    async with serve(tmp_path, rest_template(preflight="true"), handlers) as served:
        without = await served.client.options("/private", headers={"Origin": "https://a"})
        with_token = await served.client.options("/private", headers=ALLOW)
    assert (without.status_code, with_token.status_code) == (401, 200)


# --- HTTP API authorizers and CORS ---------------------------------------------------------------


async def test_an_http_api_simple_authorizer_allows_one_caller_and_denies_another(
    tmp_path: Path,
) -> None:
    recorder = Recorder()
    handlers = {"app.key": recorder.key, "app.echo": echo}
    origin = {"Origin": "https://app.example"}
    async with serve(tmp_path, http_template(), handlers) as served:
        allowed = await served.client.get("/private", headers={"x-api-key": "good", **origin})
        denied = await served.client.get("/private", headers={"x-api-key": "bad", **origin})
        missing = await served.client.get("/private")
    assert allowed.status_code == 200
    assert allowed.json()["requestContext"]["authorizer"] == {"lambda": {"u": "ada"}}
    cors = {k: v for k, v in allowed.headers.items() if k.startswith("access-control-")}
    assert cors == {
        "access-control-allow-origin": "https://app.example",
        "access-control-expose-headers": "x-total",
    }
    assert summary(denied) == {"status": 403, "body": {"message": "Forbidden"}}
    assert denied.headers["access-control-allow-origin"] == "https://app.example"
    assert summary(missing) == {"status": 401, "body": {"message": "Unauthorized"}}
    event = recorder.events[0]
    assert (event["version"], event["type"], event["identitySource"], event["routeArn"]) == (
        "2.0",
        "REQUEST",
        ["good"],
        f"arn:aws:execute-api:us-east-1:123456789012:{API_ID}/$default/GET/private",
    )
    assert len(recorder.events) == 2


async def test_an_http_api_answers_preflight_itself_without_the_authorizer(
    tmp_path: Path,
) -> None:
    recorder = Recorder()
    handlers = {"app.key": recorder.key, "app.echo": echo}
    headers = {"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
    async with serve(tmp_path, http_template(), handlers) as served:
        response = await served.client.options("/private", headers=headers)
    assert (response.status_code, response.content) == (204, b"")
    cors = {k: v for k, v in response.headers.items() if k.startswith("access-control-")}
    assert cors == {
        "access-control-allow-origin": "https://app.example",
        "access-control-allow-methods": "GET,POST",
        "access-control-allow-headers": "authorization",
        "access-control-max-age": "300",
    }
    assert recorder.events == []
