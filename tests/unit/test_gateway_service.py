"""The gateway's routes read from a loaded template: API references, names, errors, listing."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from emulator.errors import TemplateError
from emulator.gateway_service import route_lines, served_routes, short_id
from emulator.routing import RouteConflictError
from emulator.template import load_template

HEADER = "Transform: AWS::Serverless-2016-10-31\nResources:\n"


def load(tmp_path: Path, resources: str) -> Path:
    path = tmp_path / "template.yaml"
    (tmp_path / "src").mkdir(exist_ok=True)
    path.write_text(HEADER + textwrap.indent(textwrap.dedent(resources), "  "))
    return path


FUNCTIONS = """\
Api:
  Type: AWS::Serverless::Api
  Properties:
    StageName: dev
    Auth:
      Authorizers:
        Outside:
          FunctionArn: arn:aws:lambda:us-east-1:123456789012:function:elsewhere
Items:
  Type: AWS::Serverless::Function
  Properties:
    FunctionName: items-fn
    Handler: app.items
    Runtime: python3.12
    CodeUri: src
    Events:
      List:
        Type: Api
        Properties:
          Path: /items
          Method: get
          RestApiId: !Ref Api
      Any:
        Type: HttpApi
"""


def test_events_find_their_api_through_the_resolved_ref(tmp_path: Path) -> None:
    served = served_routes(load_template(load(tmp_path, FUNCTIONS), stack_name="gw"))
    assert [(r.api_id, r.route_key, r.stage) for r in served.table.routes] == [
        ("Api", "GET /items", "dev"),
        ("ServerlessHttpApi", "$default", "$default"),
    ]
    assert dict(served.api_ids) == {"Api": "y06zy5aiaj", "ServerlessHttpApi": "xaaqpd7a1r"}
    assert dict(served.function_names) == {"Items": "items-fn"}
    assert served.warnings == (
        "authorizer function elsewhere is not served; its routes answer 500",
    )


def test_route_lines_name_method_url_function_and_api(tmp_path: Path) -> None:
    served = served_routes(load_template(load(tmp_path, FUNCTIONS), stack_name="gw"))
    assert route_lines(served, "http://127.0.0.1:3000") == [
        "GET     http://127.0.0.1:3000/items -> items-fn (REST API Api, payload 1.0)",
        "ANY     http://127.0.0.1:3000/* -> items-fn (HTTP API ServerlessHttpApi, payload 2.0)",
    ]


def test_conflicting_routes_are_a_template_error_naming_file_resource_and_both(
    tmp_path: Path,
) -> None:
    path = load(
        tmp_path,
        """\
        One:
          Type: AWS::Serverless::Function
          Properties: {Handler: a.b, Runtime: python3.12, CodeUri: src,
                       Events: {Get: {Type: Api, Properties: {Path: /x, Method: get}}}}
        Two:
          Type: AWS::Serverless::Function
          Properties: {Handler: a.b, Runtime: python3.12, CodeUri: src,
                       Events: {Any: {Type: Api, Properties: {Path: /x, Method: GET}}}}
        """,
    )
    with pytest.raises(RouteConflictError) as caught:
        served_routes(load_template(path))
    assert isinstance(caught.value, TemplateError)
    assert str(caught.value) == (
        f"{path}, resource Two, property Events.Any: routes cannot be told apart: "
        "'GET /x' (One event Get, API ServerlessRestApi) and "
        "'GET /x' (Two event Any, API ServerlessRestApi)"
    )


def test_short_request_ids_look_like_api_gateways_and_are_stable() -> None:
    first = short_id("00000000-0000-4000-8000-000000000001")
    assert (first, len(first), first.endswith("=")) == ("Mp7E9EPp3XUxn3c=", 16, True)
    assert short_id("00000000-0000-4000-8000-000000000001") == first
