"""Route matching as API Gateway selects routes, and routes read from SAM function events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emulator.errors import ApiConfigError, TemplateError
from emulator.events.api_config import ApiConfig
from emulator.events.apigw import RouteInfo
from emulator.events.authorizer_config import ApiAuth
from emulator.events.cors import HttpCors, RestCors
from emulator.routing import (
    Route,
    RouteConflictError,
    RouteTable,
    RouteTemplateError,
    routes_from_events,
    template_segments,
)


def http(method: str, path: str, function: str = "Fn") -> Route:
    return Route("Api", "http", method, path, function, "2.0", "$default")


def rest(method: str, path: str, function: str = "Fn") -> Route:
    return Route("Rest", "rest", method, path, function, "1.0", "Prod")


def chosen(table: RouteTable, method: str, path: str) -> tuple[str, dict[str, str]] | None:
    match = table.match(method, path)
    return None if match is None else (match.route.route_key, dict(match.path_parameters))


# --- Matching precedence --------------------------------------------------------------------

AWS_EXAMPLE = RouteTable(
    [
        http("GET", "/pets/dog/1"),
        http("GET", "/pets/dog/{id}"),
        http("GET", "/pets/{proxy+}"),
        http("ANY", "/{proxy+}"),
        http("ANY", "$default"),
    ]
)


@pytest.mark.parametrize(
    ("method", "path", "route_key", "parameters"),
    [
        ("GET", "/pets/dog/1", "GET /pets/dog/1", {}),
        ("GET", "/pets/dog/2", "GET /pets/dog/{id}", {"id": "2"}),
        ("GET", "/pets/cat/1", "GET /pets/{proxy+}", {"proxy": "cat/1"}),
        ("POST", "/test/5", "ANY /{proxy+}", {"proxy": "test/5"}),
        ("GET", "/", "$default", {}),
    ],
)
def test_routes_are_selected_as_in_the_aws_routing_example(
    method: str, path: str, route_key: str, parameters: dict[str, str]
) -> None:
    # "Working with routes for HTTP APIs", section "Routing API requests" (its example table).
    assert chosen(AWS_EXAMPLE, method, path) == (route_key, parameters)


def test_static_segment_wins_over_a_parameter_and_a_parameter_over_greedy() -> None:
    table = RouteTable([rest("GET", "/a/{x}"), rest("GET", "/a/b"), rest("GET", "/a/{rest+}")])
    assert chosen(table, "GET", "/a/b") == ("GET /a/b", {})
    assert chosen(table, "GET", "/a/c") == ("GET /a/{x}", {"x": "c"})
    assert chosen(table, "GET", "/a/c/d") == ("GET /a/{rest+}", {"rest": "c/d"})


def test_a_dead_end_static_branch_falls_back_to_the_parameter_branch() -> None:
    table = RouteTable([rest("GET", "/a/b/c"), rest("GET", "/{x}/b/d")])
    assert chosen(table, "GET", "/a/b/d") == ("GET /{x}/b/d", {"x": "a"})


def test_an_explicit_method_wins_over_any() -> None:
    table = RouteTable([rest("ANY", "/items"), rest("GET", "/items")])
    assert chosen(table, "GET", "/items") == ("GET /items", {})
    assert chosen(table, "delete", "/items") == ("ANY /items", {})


def test_route_and_method_are_matched_together() -> None:
    table = RouteTable([rest("POST", "/pets/dog"), rest("GET", "/pets/{id}")])
    assert chosen(table, "GET", "/pets/dog") == ("GET /pets/{id}", {"id": "dog"})


def test_greedy_parameter_needs_at_least_one_segment() -> None:
    table = RouteTable([rest("ANY", "/pets/{proxy+}")])
    assert chosen(table, "GET", "/pets") is None
    assert chosen(table, "GET", "/pets/") is None


def test_root_route_and_trailing_slash() -> None:
    table = RouteTable([rest("GET", "/"), rest("GET", "/items")])
    assert chosen(table, "GET", "/") == ("GET /", {})
    assert chosen(table, "GET", "/items/") == ("GET /items", {})


def test_path_parameters_are_decoded_after_splitting() -> None:
    table = RouteTable([rest("GET", "/files/{name}")])
    assert chosen(table, "GET", "/files/a%2Fb%20c") == ("GET /files/{name}", {"name": "a/b c"})


def test_head_is_its_own_method() -> None:
    table = RouteTable([rest("GET", "/items")])
    assert chosen(table, "HEAD", "/items") is None


def test_no_route_matches_unknown_paths() -> None:
    table = RouteTable([rest("GET", "/items")])
    assert chosen(table, "GET", "/other") is None


@pytest.mark.parametrize(
    "path",
    ["/2015-03-31/functions/f/invocations", "/_lambdock/health", "/_lambdock", "/2015-03-31"],
)
def test_lambdocks_own_paths_win_over_a_greedy_user_route(path: str) -> None:
    table = RouteTable([http("ANY", "/{proxy+}"), http("ANY", "$default")])
    assert table.match("GET", path) is None


def test_paths_that_only_start_like_lambdocks_are_user_paths() -> None:
    table = RouteTable([http("ANY", "/{proxy+}")])
    assert chosen(table, "GET", "/_lambdockish") == ("ANY /{proxy+}", {"proxy": "_lambdockish"})


def test_the_kind_of_api_answering_a_miss() -> None:
    mixed = RouteTable([rest("GET", "/r"), http("GET", "/h")])
    assert (mixed.miss_kind("/r"), mixed.miss_kind("/h"), mixed.miss_kind("/x")) == (
        "rest",
        "http",
        "rest",
    )
    assert RouteTable([http("GET", "/h")]).miss_kind("/x") == "http"


def test_resource_methods_lists_every_method_of_the_resource() -> None:
    table = RouteTable([rest("GET", "/items/{id}"), rest("DELETE", "/items/{id}")])
    found = table.resource_methods("/items/7")
    assert found is not None and found[1] == frozenset({"GET", "DELETE"})
    assert table.resource_methods("/items") is None


def test_route_info_of_a_rest_match_has_a_stable_resource_id() -> None:
    table = RouteTable([rest("GET", "/items/{id}")])
    info = table.match("GET", "/items/7").route_info()  # type: ignore[union-attr]
    assert info == RouteInfo("/items/{id}", "GET /items/{id}", {"id": "7"}, "4dpqzq", False)


def test_route_info_of_an_http_api_default_route() -> None:
    table = RouteTable([http("ANY", "$default")])
    info = table.match("PUT", "/a%20b").route_info()  # type: ignore[union-attr]
    assert info == RouteInfo("/a b", "$default", {}, None, True)


def test_four_hundred_routes_each_match_their_own_requests() -> None:
    routes = [rest(m, f"/r{i}/items/{{id}}") for i in range(100) for m in ("GET", "PUT")]
    routes += [rest("GET", f"/r{i}/items/{{id}}/parts/{{part+}}") for i in range(100)]
    routes += [rest("POST", f"/r{i}") for i in range(100)]
    table = RouteTable(routes)
    assert len(table.routes) == 400
    assert chosen(table, "PUT", "/r57/items/9") == ("PUT /r57/items/{id}", {"id": "9"})
    assert chosen(table, "GET", "/r99/items/1/parts/a/b") == (
        "GET /r99/items/{id}/parts/{part+}",
        {"id": "1", "part": "a/b"},
    )
    assert chosen(table, "POST", "/r0") == ("POST /r0", {})
    assert chosen(table, "DELETE", "/r0/items/1") is None


# --- Conflicts and invalid templates -----------------------------------------------------------


def test_two_routes_differing_only_in_parameter_names_conflict() -> None:
    first = Route("Api", "http", "GET", "/pets/{id}", "GetPet", "2.0", "$default", "ById")
    second = Route("Api", "http", "GET", "/pets/{name}", "FindPet", "2.0", "$default", "ByName")
    with pytest.raises(RouteConflictError) as caught:
        RouteTable([first, second])
    assert str(caught.value) == (
        "routes cannot be told apart: 'GET /pets/{id}' (GetPet event ById, API Api) "
        "and 'GET /pets/{name}' (FindPet event ByName, API Api)"
    )
    assert (caught.value.first, caught.value.second) == (first, second)


@pytest.mark.parametrize(
    "routes",
    [
        [rest("GET", "/items"), http("GET", "/items")],
        [http("ANY", "/{proxy+}"), http("ANY", "/{path+}")],
        [http("ANY", "$default"), http("ANY", "$default", "Other")],
    ],
)
def test_routes_no_request_can_tell_apart_conflict(routes: list[Route]) -> None:
    with pytest.raises(RouteConflictError):
        RouteTable(routes)


@pytest.mark.parametrize("template", ["items", "/a//b", "/{proxy+}/x", "/a{b}", "/{a}b", "/{a{b}}"])
def test_templates_api_gateway_refuses(template: str) -> None:
    with pytest.raises(RouteTemplateError):
        template_segments(template)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(RouteTemplateError):
        RouteTable([rest("FETCH", "/items")])


# --- Routes from SAM events ---------------------------------------------------------------------

GET_ATT = {"Fn::GetAtt": ["AuthFn", "Arn"]}


def events(*items: tuple[str, str, dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    return list(items)


def test_api_events_make_routes_on_the_implicit_rest_api() -> None:
    found = routes_from_events(
        [("HelloFn", events(("Hello", "Api", {"Path": "/hello", "Method": "get"})))], {}
    )
    assert found.table.routes == (
        Route("ServerlessRestApi", "rest", "GET", "/hello", "HelloFn", "1.0", "Prod", "Hello"),
    )
    assert found.apis == {
        "ServerlessRestApi": ApiConfig("ServerlessRestApi", "rest", "Prod", implicit=True)
    }
    assert found.warnings == ()


def test_http_api_events_default_to_payload_2_and_may_be_the_default_route() -> None:
    found = routes_from_events(
        [
            (
                "Fn",
                events(
                    ("V2", "HttpApi", {"Path": "/v2", "Method": "POST", "TimeoutInMillis": 5000}),
                    (
                        "V1",
                        "HttpApi",
                        {"Path": "/v1", "Method": "ANY", "PayloadFormatVersion": "1.0"},
                    ),
                    ("Catch", "HttpApi", {}),
                ),
            )
        ],
        {},
    )
    assert found.table.routes == (
        Route(
            "ServerlessHttpApi", "http", "POST", "/v2", "Fn", "2.0", "$default", "V2", None, 5000
        ),
        Route("ServerlessHttpApi", "http", "ANY", "/v1", "Fn", "1.0", "$default", "V1"),
        Route("ServerlessHttpApi", "http", "ANY", "$default", "Fn", "2.0", "$default", "Catch"),
    )


def test_explicit_rest_api_settings_reach_its_config_and_routes() -> None:
    api = {
        "StageName": "dev",
        "Variables": {"env": "dev"},
        "BinaryMediaTypes": ["image~1png", "application~1octet-stream"],
        "Cors": "'*'",
        "Auth": {"DefaultAuthorizer": "Tok", "Authorizers": {"Tok": {"FunctionArn": GET_ATT}}},
    }
    found = routes_from_events(
        [
            (
                "Fn",
                events(
                    (
                        "Private",
                        "Api",
                        {"Path": "/p", "Method": "get", "RestApiId": {"Ref": "MyApi"}},
                    ),
                    (
                        "Public",
                        "Api",
                        {
                            "Path": "/o",
                            "Method": "get",
                            "RestApiId": {"Ref": "MyApi"},
                            "Auth": {"Authorizer": "NONE"},
                        },
                    ),
                ),
            )
        ],
        {"MyApi": ("AWS::Serverless::Api", api)},
    )
    config = found.apis["MyApi"]
    assert (config.stage, dict(config.stage_variables), config.binary_media_types, config.cors) == (
        "dev",
        {"env": "dev"},
        ("image/png", "application/octet-stream"),
        RestCors("*"),
    )
    assert [(r.path_template, r.authorizer, r.stage) for r in found.table.routes] == [
        ("/p", "Tok", "dev"),
        ("/o", None, "dev"),
    ]


def test_explicit_http_api_defaults_to_the_default_stage() -> None:
    api = {"CorsConfiguration": True, "StageVariables": {"a": "b"}}
    found = routes_from_events(
        [("Fn", events(("E", "HttpApi", {"Path": "/x", "Method": "GET", "ApiId": {"Ref": "H"}})))],
        {"H": ("AWS::Serverless::HttpApi", api)},
    )
    assert found.apis["H"] == ApiConfig(
        "H", "http", "$default", {"a": "b"}, (), HttpCors(allow_origins=("*",)), ApiAuth()
    )


def test_implicit_apis_take_the_templates_globals() -> None:
    found = routes_from_events(
        [("Fn", events(("E", "Api", {"Path": "/x", "Method": "GET"})))],
        {},
        implicit_rest_properties={"Cors": "'https://a.example'", "BinaryMediaTypes": ["*~1*"]},
    )
    config = found.apis["ServerlessRestApi"]
    assert (config.cors, config.binary_media_types) == (RestCors("https://a.example"), ("*/*",))


def test_unsupported_authorizers_and_definitions_are_warnings() -> None:
    api = {
        "Auth": {"Authorizers": {"Jwt": {"JwtConfiguration": {}, "IdentitySource": "x"}}},
        "DefinitionBody": {"openapi": "3.0"},
    }
    found = routes_from_events(
        [
            (
                "Fn",
                events(
                    (
                        "E",
                        "HttpApi",
                        {
                            "Path": "/x",
                            "Method": "GET",
                            "ApiId": "H",
                            "Auth": {"Authorizer": "Jwt"},
                        },
                    ),
                    ("F", "HttpApi", {"Path": "/_lambdock/x", "Method": "GET", "ApiId": "H"}),
                ),
            )
        ],
        {"H": ("AWS::Serverless::HttpApi", api)},
    )
    assert found.table.routes[0].authorizer is None
    assert found.warnings == (
        "H: JWT authorizer Jwt is not supported; not enforced",
        "H: routes come from function events; its OpenAPI definition is not read",
        "Fn event E: authorizer Jwt is not enforced by lambdock",
        "Fn event F: path /_lambdock/x is shadowed by lambdock's own API",
    )


def test_events_of_other_types_make_no_routes() -> None:
    found = routes_from_events(
        [
            (
                "Fn",
                events(
                    ("S", "S3", {"Bucket": "b"}), ("T", "Schedule", {"Schedule": "rate(1 minute)"})
                ),
            )
        ],
        {},
    )
    assert (found.table.routes, dict(found.apis)) == ((), {})


def test_conflicting_routes_of_two_functions_are_a_template_error_naming_both() -> None:
    with pytest.raises(RouteConflictError) as caught:
        routes_from_events(
            [
                ("A", events(("One", "Api", {"Path": "/x", "Method": "GET"}))),
                ("B", events(("Two", "Api", {"Path": "/x", "Method": "get"}))),
            ],
            {},
        )
    assert "(A event One, API ServerlessRestApi)" in str(caught.value)
    assert "(B event Two, API ServerlessRestApi)" in str(caught.value)


def test_a_conflict_read_from_a_template_file_names_the_file_and_the_later_resource() -> None:
    with pytest.raises(RouteConflictError) as caught:
        routes_from_events(
            [
                ("A", events(("One", "Api", {"Path": "/x", "Method": "GET"}))),
                ("B", events(("Two", "Api", {"Path": "/x", "Method": "get"}))),
            ],
            {},
            source=Path("template.yaml"),
        )
    assert str(caught.value) == (
        "template.yaml, resource B, property Events.Two: routes cannot be told apart: "
        "'GET /x' (A event One, API ServerlessRestApi) and 'GET /x' (B event Two, "
        "API ServerlessRestApi)"
    )


def test_a_bad_event_is_placed_at_its_function_and_a_bad_api_at_the_api() -> None:
    with pytest.raises(RouteTemplateError) as bad_event:
        routes_from_events(
            [("Fn", events(("E", "Api", {"Path": "x", "Method": "GET"})))],
            {},
            source=Path("t.yaml"),
        )
    assert str(bad_event.value) == (
        "t.yaml, resource Fn, property Events.E: path 'x' must start with '/'"
    )
    with pytest.raises(ApiConfigError) as bad_api:
        routes_from_events([], {"R": ("AWS::Serverless::Api", {})}, source=Path("t.yaml"))
    assert str(bad_api.value) == "t.yaml, resource R: R: StageName is required"


@pytest.mark.parametrize(
    ("event", "apis"),
    [
        (("E", "Api", {"Path": "/x", "Method": "GET", "RestApiId": {"Ref": "Nope"}}), {}),
        (
            ("E", "Api", {"Path": "/x", "Method": "GET", "RestApiId": {"Ref": "H"}}),
            {"H": ("AWS::Serverless::HttpApi", {})},
        ),
        (
            ("E", "Api", {"Path": "/x", "Method": "GET", "RestApiId": {"Ref": "R"}}),
            {"R": ("AWS::Serverless::Api", {})},
        ),
        (("E", "Api", {"Path": "/x", "Method": "FETCH"}), {}),
        (("E", "Api", {"Method": "GET"}), {}),
        (("E", "HttpApi", {"Method": "GET"}), {}),
        (("E", "HttpApi", {"Path": "/x", "Method": "GET", "PayloadFormatVersion": "3.0"}), {}),
        (("E", "Api", {"Path": "/x", "Method": "GET", "Auth": {"Authorizer": "Missing"}}), {}),
        (("E", "Api", {"Path": "x", "Method": "GET"}), {}),
    ],
)
def test_events_aws_would_refuse_are_template_errors(
    event: tuple[str, str, dict[str, Any]], apis: dict[str, tuple[str, dict[str, Any]]]
) -> None:
    with pytest.raises(TemplateError):
        routes_from_events([("Fn", [event])], apis)
