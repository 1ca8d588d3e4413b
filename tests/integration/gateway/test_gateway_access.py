"""CORS and Lambda authorizers through `lambdock up`, with real HTTP requests.

Sources: SAM's `Cors` (a MOCK OPTIONS method on each path) and "Configuring CORS for an HTTP
API"; "Use API Gateway Lambda authorizers" (REST TOKEN: 401 without a token or on
"Unauthorized", 403 with an explicit deny, results cached by token for the TTL) and "Control
access to HTTP APIs with AWS Lambda authorizers" (simple responses; 401 / 403 bodies).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.support import REPO, free_port

ORIGIN = "https://app.example"


def summary(response: httpx.Response) -> dict[str, Any]:
    summary = {"status": response.status_code, "body": response.json()}
    if "x-amzn-ErrorType" in response.headers:
        summary["x-amzn-ErrorType"] = response.headers["x-amzn-ErrorType"]
    return summary


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


def test_rest_preflight_is_answered_with_the_templates_cors(client: httpx.Client) -> None:
    response = client.options(
        "/rest/echo/1", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    assert response.status_code == 200
    assert cors_headers(response) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-headers": "Content-Type,Authorization",
        "access-control-allow-methods": "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT",
        "access-control-max-age": "600",
    }


def test_http_api_preflight_and_response_headers(client: httpx.Client) -> None:
    preflight = client.options(
        "/http/echo/1", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    actual = client.get("/http/echo/1", headers={"Origin": ORIGIN})
    other_origin = client.get("/http/echo/1", headers={"Origin": "https://evil.example"})
    assert (preflight.status_code, preflight.content) == (204, b"")
    assert cors_headers(preflight) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-methods": "GET,POST",
        "access-control-allow-headers": "x-api-key",
        "access-control-max-age": "300",
    }
    assert cors_headers(actual) == {"access-control-allow-origin": ORIGIN}
    assert cors_headers(other_origin) == {}


def test_a_rest_token_authorizer_allows_one_caller_and_denies_another(
    client: httpx.Client,
) -> None:
    allowed = client.get("/rest/private", headers={"Authorization": "allow"})
    denied = client.get("/rest/private", headers={"Authorization": "deny"})
    unknown = client.get("/rest/private", headers={"Authorization": "stranger"})
    missing = client.get("/rest/private")
    assert allowed.status_code == 200
    authorizer = allowed.json()["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "user-allow"
    assert summary(denied) == {
        "status": 403,
        "body": {"Message": "User is not authorized to access this resource with an explicit deny"},
        "x-amzn-ErrorType": "AccessDeniedException",
    }
    unauthorized = {
        "status": 401,
        "body": {"message": "Unauthorized"},
        "x-amzn-ErrorType": "UnauthorizedException",
    }
    assert (summary(unknown), summary(missing)) == (unauthorized, unauthorized)


def test_rest_authorizer_answers_are_cached_by_token(client: httpx.Client) -> None:
    first = client.get("/rest/private", headers={"Authorization": "allow"})
    second = client.get("/rest/private", headers={"Authorization": "allow"})
    calls = [r.json()["requestContext"]["authorizer"]["calls"] for r in (first, second)]
    # Context values reach a REST integration as strings; the second answer is the cached one.
    assert calls[0] == calls[1]
    assert isinstance(calls[0], str)
    assert second.json()["requestContext"]["authorizer"]["integrationLatency"] == 0


def test_an_http_api_request_authorizer_allows_one_caller_and_denies_another(
    client: httpx.Client,
) -> None:
    allowed = client.get("/http/private", headers={"x-api-key": "good"})
    again = client.get("/http/private", headers={"x-api-key": "good"})
    denied = client.get("/http/private", headers={"x-api-key": "bad"})
    missing = client.get("/http/private")
    assert allowed.status_code == 200
    context = allowed.json()["requestContext"]["authorizer"]
    assert set(context) == {"lambda"}
    assert again.json()["requestContext"]["authorizer"] == context  # cached for 300 s
    assert summary(denied) == {"status": 403, "body": {"message": "Forbidden"}}
    assert summary(missing) == {"status": 401, "body": {"message": "Unauthorized"}}


def test_conflicting_routes_stop_up_with_exit_2_naming_both(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    template = tmp_path / "template.yaml"
    function = """\
  {name}:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src
      Events:
        Get:
          Type: Api
          Properties:
            Path: /items/{{{param}}}
            Method: get
"""
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n"
        + function.format(name="One", param="id")
        + function.format(name="Two", param="name")
    )
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "up", "-t", str(template), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        # The checkout under test, not whichever copy is installed.
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 2
    assert (
        f"lambdock: {template}, resource Two, property Events.Get: routes cannot be told apart: "
        "'GET /items/{id}' (One event Get, API ServerlessRestApi) and "
        "'GET /items/{name}' (Two event Get, API ServerlessRestApi)"
    ) in done.stderr
