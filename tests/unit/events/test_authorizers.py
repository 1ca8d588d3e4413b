"""Lambda authorizers: events, identity sources, policy evaluation, context and caching."""

from __future__ import annotations

import json
import re

import pytest

from emulator.events.apigw import HttpRequest, build_v1_event, build_v2_event
from emulator.events.authorizers import (
    AuthorizerConfig,
    AuthorizerResponseError,
    AuthorizerResult,
    Statement,
    TtlCache,
    decide,
    event_authorizer,
    identity_values,
    is_unauthorized_error,
    method_arn,
    parse_result,
    request_event_v1,
    request_event_v2,
    token_event,
    wildcard_match,
)
from tests.unit.events.apigw_fixtures import context_of, load, request_of, route_of

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/pets/7"
TOKEN = AuthorizerConfig(
    "TokenAuth", "rest", "TOKEN", "AuthFn", ("method.request.header.Authorization",), 300
)
SIMPLE = AuthorizerConfig(
    "Simple", "http", "REQUEST", "AuthFn", ("$request.header.Authorization",), 0, "2.0", True
)


def request(*headers: tuple[str, str], query: str = "") -> HttpRequest:
    return HttpRequest("GET", "/pets/7", query, headers, b"", "127.0.0.1", "localhost")


def policy(effect: str, resource: object, action: object = "execute-api:Invoke") -> bytes:
    statement = {"Action": action, "Effect": effect, "Resource": resource}
    document = {"Version": "2012-10-17", "Statement": [statement]}
    return json.dumps({"principalId": "user", "policyDocument": document}).encode()


def test_token_event_matches_the_documented_input() -> None:
    # "Input to an Amazon API Gateway Lambda authorizer", TOKEN example.
    arn = method_arn("us-west-2", "123456789012", "ymy8tbxw7b", "*", "GET", "/")
    assert token_event("allow", arn) == {
        "type": "TOKEN",
        "authorizationToken": "allow",
        "methodArn": "arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/",
    }


def test_rest_request_event_matches_the_documented_input() -> None:
    # "Input to an Amazon API Gateway Lambda authorizer", REQUEST example.
    sample = load("rest_request_authorizer.json")
    proxy = build_v1_event(request_of(sample), route_of(sample), context_of(sample))
    event = request_event_v1(proxy, sample["method_arn"], ("headerValue1",), api_kind="rest")
    assert event == sample["event"]


def test_http_api_request_event_v2_matches_the_documented_input() -> None:
    # "Working with AWS Lambda authorizers for HTTP APIs", payload format 2.0.
    sample = load("http_request_authorizer_v2.json")
    proxy = build_v2_event(request_of(sample), route_of(sample), context_of(sample))
    event = request_event_v2(proxy, sample["route_arn"], tuple(sample["identity"]))
    assert event == sample["event"]


def test_http_api_request_event_v1_carries_version_and_identity_source() -> None:
    # Same page, payload format 1.0: identitySource and authorizationToken comma-joined.
    sample = load("http_api_v1_payload.json")
    proxy = build_v1_event(request_of(sample), route_of(sample), context_of(sample))
    event = request_event_v1(proxy, ARN, ("user1", "123"), api_kind="http")
    assert {k: event[k] for k in list(event)[:5]} == {
        "version": "1.0",
        "type": "REQUEST",
        "methodArn": ARN,
        "identitySource": "user1,123",
        "authorizationToken": "user1,123",
    }
    assert "body" not in event and event["pathParameters"] == {}


def test_token_identity_is_the_header_in_any_case() -> None:
    assert identity_values(TOKEN, request(("authorization", "Bearer x")), {}, {}) == ("Bearer x",)


@pytest.mark.parametrize("headers", [(), (("Authorization", ""),)])
def test_missing_or_empty_identity_source_means_401_without_invoking(
    headers: tuple[tuple[str, str], ...],
) -> None:
    assert identity_values(TOKEN, request(*headers), {}, {}) is None


def test_token_must_match_the_validation_expression() -> None:
    config = AuthorizerConfig(
        "T", "rest", "TOKEN", "F", ("method.request.header.Authorization",), 300,
        validation_expression=re.compile(r"Bearer [a-z]+"),
    )  # fmt: skip
    assert identity_values(config, request(("Authorization", "Bearer abc")), {}, {}) == (
        "Bearer abc",
    )
    assert identity_values(config, request(("Authorization", "Bearer abc1")), {}, {}) is None


def test_request_identity_reads_headers_query_stage_variables_and_context() -> None:
    config = AuthorizerConfig(
        "R",
        "rest",
        "REQUEST",
        "F",
        (
            "method.request.header.X-Key",
            "method.request.querystring.tenant",
            "stageVariables.env",
            "context.httpMethod",
        ),
        300,
    )
    found = identity_values(
        config,
        request(("x-key", "k1"), query="tenant=acme"),
        {"env": "dev"},
        {"httpMethod": "GET"},
    )
    assert found == ("k1", "acme", "dev", "GET")


def test_http_api_identity_sources_use_the_request_prefix() -> None:
    assert identity_values(SIMPLE, request(("Authorization", "t")), {}, {}) == ("t",)


def test_allow_policy_for_the_method_allows() -> None:
    assert decide(parse_result(policy("Allow", ARN), TOKEN), ARN) == "allow"


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:execute-api:us-east-1:123456789012:abc123/*",
        "arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/*",
        "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/pets/?",
        ["arn:aws:execute-api:us-east-1:123456789012:other/*", "*"],
    ],
)
def test_allow_policy_with_wildcards_allows(resource: object) -> None:
    assert decide(parse_result(policy("Allow", resource), TOKEN), ARN) == "allow"


def test_allow_for_another_method_denies_without_an_explicit_deny() -> None:
    other = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/POST/*"
    assert decide(parse_result(policy("Allow", other), TOKEN), ARN) == "deny"


def test_explicit_deny_wins_over_allow() -> None:
    result = AuthorizerResult(
        "user",
        (
            Statement("Allow", ("execute-api:Invoke",), ("*",)),
            Statement("Deny", ("execute-api:*",), (ARN,)),
        ),
    )
    assert decide(result, ARN) == "explicit_deny"


def test_statement_for_another_action_does_not_apply() -> None:
    assert decide(parse_result(policy("Allow", "*", "s3:GetObject"), TOKEN), ARN) == "deny"


def test_a_single_statement_object_is_accepted() -> None:
    answer = {
        "principalId": "u",
        "policyDocument": {"Statement": {"Action": "*", "Effect": "Allow", "Resource": "*"}},
    }
    assert decide(parse_result(json.dumps(answer).encode(), TOKEN), ARN) == "allow"


def test_simple_response_decides_by_is_authorized() -> None:
    yes = parse_result(b'{"isAuthorized": true, "context": {"k": [1]}}', SIMPLE)
    no = parse_result(b'{"isAuthorized": false}', SIMPLE)
    assert (decide(yes, ARN), decide(no, ARN), yes.context) == ("allow", "deny", {"k": [1]})


@pytest.mark.parametrize(
    ("payload", "config"),
    [
        (b"not json", TOKEN),
        (b'"a string"', TOKEN),
        (b'{"principalId": "u"}', TOKEN),
        (b'{"principalId": "u", "policyDocument": {"Statement": ["x"]}}', TOKEN),
        (b'{"principalId": "u", "policyDocument": {}, "context": []}', TOKEN),
        (b'{"isAuthorized": "yes"}', SIMPLE),
    ],
)
def test_invalid_authorizer_answers_are_rejected(payload: bytes, config: AuthorizerConfig) -> None:
    with pytest.raises(AuthorizerResponseError):
        parse_result(payload, config)


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("*", "", True),
        ("a*c", "abbbc", True),
        ("a*c", "abbb", False),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("*/GET/*", "api/Prod/GET/pets/1", True),
        ("*/GET/*", "api/Prod/POST/pets/1", False),
        ("a**b", "ab", True),
    ],
)
def test_wildcard_matching(pattern: str, text: str, matches: bool) -> None:
    assert wildcard_match(pattern, text) is matches


def test_rest_event_authorizer_stringifies_context_and_adds_principal_and_latency() -> None:
    result = AuthorizerResult("user", (), None, {"s": "v", "n": 1, "b": True, "z": None})
    assert event_authorizer(result, api_kind="rest", payload_format="1.0", latency_ms=12) == {
        "s": "v",
        "n": "1",
        "b": "true",
        "principalId": "user",
        "integrationLatency": 12,
    }


def test_rest_context_with_an_object_value_is_an_authorizer_failure() -> None:
    result = AuthorizerResult("user", (), None, {"o": {"x": 1}})
    with pytest.raises(AuthorizerResponseError):
        event_authorizer(result, api_kind="rest", payload_format="1.0", latency_ms=0)


def test_http_api_payload_2_event_authorizer_is_the_lambda_context() -> None:
    # Payload 2.0 example: requestContext.authorizer.lambda.
    result = AuthorizerResult(None, (), True, {"arrayKey": ["a"], "mapKey": {"k": "v"}})
    assert event_authorizer(result, api_kind="http", payload_format="2.0", latency_ms=3) == {
        "lambda": {"arrayKey": ["a"], "mapKey": {"k": "v"}}
    }


def test_unauthorized_error_message_is_recognised() -> None:
    unauthorized = b'{"errorMessage": "Unauthorized", "errorType": "Error"}'
    assert is_unauthorized_error(unauthorized) is True
    assert is_unauthorized_error(b'{"errorMessage": "boom"}') is False
    assert is_unauthorized_error(b"not json") is False


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cache_keeps_a_result_for_its_ttl() -> None:
    clock = FakeClock()
    cache: TtlCache[str] = TtlCache(clock)
    cache.put(("TokenAuth", "t"), "allow", 300)
    clock.now += 299.9
    assert cache.get(("TokenAuth", "t")) == "allow"
    clock.now += 0.1
    assert cache.get(("TokenAuth", "t")) is None
    assert len(cache) == 0


def test_cache_with_ttl_zero_stores_nothing() -> None:
    cache: TtlCache[str] = TtlCache(FakeClock())
    cache.put("k", "v", 0)
    assert cache.get("k") is None


def test_cache_drops_the_oldest_entry_past_its_size() -> None:
    cache: TtlCache[int] = TtlCache(FakeClock(), max_entries=2)
    for number in range(3):
        cache.put(number, number, 60)
    assert (cache.get(0), cache.get(1), cache.get(2)) == (None, 1, 2)
