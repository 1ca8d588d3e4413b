"""Hostile requests against the real app (fake backend): wrong methods, path traversal, odd
function names, malformed JSON, invalid UTF-8, oversized bodies and odd headers. Every answer is
an HTTP error in an AWS shape (a JSON object with a message), never a 500 and never a traceback.

Shapes: Lambda API reference, "Invoke" errors ({"Type", "Message"} with x-amzn-ErrorType); API
Gateway's own answers ({"message": ...}, e.g. "Missing Authentication Token", "Not Found").
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.app import create_app
from emulator.settings import Settings
from emulator.template import load_template
from tests.fakes import FakeBackend, FakeContext
from tests.unit.api.conftest import HEADER


def hello(event: Any, context: FakeContext) -> Any:
    if isinstance(event, dict) and ("httpMethod" in event or "routeKey" in event):
        return {"statusCode": 200, "body": "ok"}
    return {"echo": event}


RESOURCES = """\
Hello:
  Type: AWS::Serverless::Function
  Properties:
    Handler: app.hello
    Runtime: python3.12
    CodeUri: src
    Events:
      Rest:
        Type: Api
        Properties: {Path: "/items/{id}", Method: get}
      Http:
        Type: HttpApi
        Properties: {Path: "/v2/{proxy+}", Method: ANY}
"""


class Served:
    """The app on its own event loop, driven synchronously by hypothesis."""

    def __init__(self, loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient) -> None:
        self.loop = loop
        self.client = client

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.request(method, url, **kwargs))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "src").mkdir()
    path = root / "template.yaml"
    path.write_text(HEADER + textwrap.indent(RESOURCES, "  "))
    config = Settings(template=path, echo_logs=False)
    app = create_app(config, load_template(path), FakeBackend({"app.hello": hello}))
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://lambdock")
    lifespan = app.router.lifespan_context(app)
    loop.run_until_complete(lifespan.__aenter__())
    try:
        yield Served(loop, client)
    finally:
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(lifespan.__aexit__(None, None, None))
        loop.close()


def assert_aws_answer(response: httpx.Response, method: str) -> None:
    """A well-formed answer: below 500, and an error is a JSON object with a message."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert "Traceback" not in response.text
    if response.status_code < 400 or method == "HEAD":
        return
    body = response.json()
    assert isinstance(body, dict)
    assert "message" in body or "Message" in body, body
    assert "detail" not in body, body


TRAVERSAL = ["..", ".", "%2e%2e", "%2E%2E%2F", "..%2f", "%00", "%ff", "~", "etc", "passwd"]
segment = st.one_of(
    st.sampled_from([*TRAVERSAL, "Hello", "arn:aws:lambda:us-east-1:123456789012:function:Hello"]),
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="/?#"),
        max_size=12,
    ).map(lambda text: quote(text, safe=":@!$&'()*+,;=~")),
)
prefix = st.sampled_from(
    [
        "/2015-03-31/functions/",
        "/2015-03-31/functions/Hello/",
        "/2015-03-31/",
        "/_lambdock/",
        "/items/",
        "/v2/",
        "/",
    ]
)
suffix = st.sampled_from(["", "/invocations", "/configuration", "/", "/invocations/extra"])
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"])
header_value = st.binary(max_size=64).map(
    lambda raw: bytes(b for b in raw if b not in (0, 10, 13)).strip()
)
headers = st.dictionaries(
    st.sampled_from(
        [
            "X-Amz-Invocation-Type",
            "X-Amz-Log-Type",
            "X-Amz-Client-Context",
            "Content-Type",
            "X-Amzn-Trace-Id",
            "Authorization",
            "X-Custom",
        ]
    ),
    st.one_of(
        st.sampled_from([b"Event", b"RequestResponse", b"DryRun", b"Tail", b"e30=", b""]),
        header_value,
    ),
    max_size=4,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.sampled_from([b"{", b'{"a":', b"\xff\xfe\xfd", b'{"s": "\xc3\x28"}', b"[" * 5000, b"null"]),
)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=methods,
    start=prefix,
    segments=st.lists(segment, max_size=3),
    end=suffix,
    query=st.sampled_from(["", "?Qualifier=%24LATEST", "?Qualifier=7", "?a=%ff&b", "?state=x"]),
    sent_headers=headers,
    body=bodies,
)
def test_any_request_gets_a_well_formed_answer(
    served: Served,
    method: str,
    start: str,
    segments: list[str],
    end: str,
    query: str,
    sent_headers: dict[str, bytes],
    body: bytes,
) -> None:
    path = start + "/".join(segments) + end
    url = httpx.URL("http://lambdock" + path.replace("//", "/") + query)
    content = None if method in ("GET", "HEAD") else body
    response = served.request(method, url, headers=sent_headers, content=content)
    assert_aws_answer(response, method)


@pytest.mark.parametrize("size", [6 * 1024 * 1024 + 1, 20 * 1024 * 1024])
def test_an_oversized_invoke_body_is_request_too_large(served: Served, size: int) -> None:
    response = served.request(
        "POST", "/2015-03-31/functions/Hello/invocations", content=b"x" * size
    )
    assert response.status_code == 413
    assert response.headers["x-amzn-ErrorType"] == "RequestTooLargeException"
    assert response.json()["Type"] == "User"


def test_an_oversized_event_body_is_request_too_large(served: Served) -> None:
    response = served.request(
        "POST",
        "/2015-03-31/functions/Hello/invocations",
        content=b"1" * (1024 * 1024 + 1),
        headers={"X-Amz-Invocation-Type": "Event"},
    )
    assert response.status_code == 413
    assert response.json()["Message"] == (
        "Request must be smaller than 1048576 bytes for the InvokeFunction operation"
    )


@pytest.mark.parametrize(
    ("name", "status", "error_type"),
    [
        ("%2e%2e", 404, "ResourceNotFoundException"),
        ("Hello%00", 400, "ValidationException"),
        ("Hello:..:..", 400, "ValidationException"),
        ("%F0%9F%92%A9", 400, "ValidationException"),
        ("x" * 171, 400, "ValidationException"),
        # A name that leaves its path segment names no Lambda operation: AWS's front door
        # answers an unknown path with 403 Missing Authentication Token.
        ("..%2F..%2Fetc%2Fpasswd", 403, "MissingAuthenticationTokenException"),
        ("..", 403, "MissingAuthenticationTokenException"),
    ],
)
def test_a_traversing_function_name_reaches_no_function(
    served: Served, name: str, status: int, error_type: str
) -> None:
    response = served.request("POST", f"/2015-03-31/functions/{name}/invocations", content=b"{}")
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (status, error_type)
    assert_aws_answer(response, "POST")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_a_wrong_method_on_invocations_is_an_aws_error(served: Served, method: str) -> None:
    response = served.request(method, "/2015-03-31/functions/Hello/invocations")
    assert_aws_answer(response, method)
    assert response.status_code in (400, 403, 404, 405)


def test_a_payload_that_is_not_utf8_is_invalid_request_content(served: Served) -> None:
    response = served.request(
        "POST", "/2015-03-31/functions/Hello/invocations", content=b'{"a": "\xff"}'
    )
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "InvalidRequestContentException"
