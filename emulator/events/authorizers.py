"""Lambda authorizers: their events, their identity sources, judging their answers, a cache.

Follows "Input to an Amazon API Gateway Lambda authorizer", "Output from an Amazon API Gateway
Lambda authorizer" (REST) and "Working with AWS Lambda authorizers for HTTP APIs". SAM's Auth
settings become an AuthorizerConfig in `authorizer_config`.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from emulator.events.apigw import HttpRequest, parse_query

ApiKind = Literal["rest", "http"]
Decision = Literal["allow", "deny", "explicit_deny"]
V = TypeVar("V")

# Identity source prefixes: REST (method.request..., API Gateway v1) and HTTP API ($request...).
_HEADER = ("method.request.header.", "$request.header.")
_QUERY = ("method.request.querystring.", "$request.querystring.")
_STAGE = ("stageVariables.", "$stageVariables.")
_CONTEXT = ("context.", "$context.")


class AuthorizerResponseError(ValueError):
    """The authorizer answered something API Gateway rejects (a 500 to the caller)."""


@dataclass(frozen=True)
class AuthorizerConfig:
    """One Lambda authorizer of an API, as API Gateway runs it."""

    name: str
    api_kind: ApiKind
    type: Literal["TOKEN", "REQUEST"]
    function_ref: str
    identity_sources: tuple[str, ...] = ()
    ttl_seconds: int = 0
    payload_format: Literal["1.0", "2.0"] = "1.0"
    simple_responses: bool = False
    validation_expression: re.Pattern[str] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Statement:
    """One statement of the IAM policy an authorizer returned."""

    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]


@dataclass(frozen=True)
class AuthorizerResult:
    """What an authorizer answered: a policy (or a simple yes/no), a principal and a context."""

    principal_id: str | None
    statements: tuple[Statement, ...] = ()
    is_authorized: bool | None = None
    context: Mapping[str, Any] = field(default_factory=dict)


def method_arn(
    region: str, account_id: str, api_id: str, stage: str, method: str, path: str
) -> str:
    """The method ARN (routeArn for HTTP APIs) of a request, e.g. .../prod/GET/pets/1."""
    return f"arn:aws:execute-api:{region}:{account_id}:{api_id}/{stage}/{method}/{path.lstrip('/')}"


def _source_value(
    source: str,
    request: HttpRequest,
    stage_variables: Mapping[str, str],
    context_variables: Mapping[str, str],
) -> str | None:
    for prefixes, lookup in (
        (_HEADER, request.header),
        (_QUERY, lambda name: dict(parse_query(request.raw_query)).get(name)),
        (_STAGE, stage_variables.get),
        (_CONTEXT, context_variables.get),
    ):
        for prefix in prefixes:
            if source.startswith(prefix):
                return lookup(source[len(prefix) :])
    return None


def identity_values(
    config: AuthorizerConfig,
    request: HttpRequest,
    stage_variables: Mapping[str, str],
    context_variables: Mapping[str, str],
) -> tuple[str, ...] | None:
    """The identity source values, or None when one is missing or empty (401, not invoked).

    A TOKEN value must also match the authorizer's validation expression.
    """
    values = []
    for source in config.identity_sources:
        value = _source_value(source, request, stage_variables, context_variables)
        if not value:
            return None
        values.append(value)
    pattern = config.validation_expression
    if config.type == "TOKEN" and pattern is not None and not pattern.fullmatch(values[0]):
        return None
    return tuple(values)


def token_event(token: str, arn: str) -> dict[str, Any]:
    """The event of a REST TOKEN authorizer."""
    return {"type": "TOKEN", "authorizationToken": token, "methodArn": arn}


_V1_REQUEST_KEYS = (
    "resource",
    "path",
    "httpMethod",
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
    "requestContext",
)


def request_event_v1(
    proxy_event: Mapping[str, Any], arn: str, identity: tuple[str, ...], *, api_kind: ApiKind
) -> dict[str, Any]:
    """A REQUEST authorizer event in format 1.0, from the payload 1.0 proxy event."""
    event: dict[str, Any] = {}
    if api_kind == "http":
        # HTTP APIs add the version and the identity values, comma-joined, twice.
        joined = ",".join(identity)
        event.update({"version": "1.0", "type": "REQUEST", "methodArn": arn})
        event.update({"identitySource": joined, "authorizationToken": joined})
    else:
        event.update({"type": "REQUEST", "methodArn": arn})
    event.update({key: proxy_event[key] for key in _V1_REQUEST_KEYS})
    # The REST example passes an empty map, not null, for a route without path parameters.
    event["pathParameters"] = proxy_event["pathParameters"] or {}
    return event


def request_event_v2(
    proxy_event: Mapping[str, Any], arn: str, identity: tuple[str, ...]
) -> dict[str, Any]:
    """An HTTP API REQUEST authorizer event in format 2.0, from the payload 2.0 proxy event."""
    event: dict[str, Any] = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": arn,
        "identitySource": list(identity),
    }
    skipped = {"version", "body", "isBase64Encoded"}
    event.update({k: v for k, v in proxy_event.items() if k not in skipped})
    return event


def _statements(policy: Any) -> tuple[Statement, ...]:
    if not isinstance(policy, dict):
        raise AuthorizerResponseError("policyDocument is missing or not an object")
    raw = policy.get("Statement")
    items = raw if isinstance(raw, list) else [raw]
    statements = []
    for item in items:
        if not isinstance(item, dict):
            raise AuthorizerResponseError("policyDocument.Statement is not a statement")
        actions, resources = item.get("Action", []), item.get("Resource", [])
        statements.append(
            Statement(
                effect=str(item.get("Effect", "")),
                actions=tuple(actions if isinstance(actions, list) else [actions]),
                resources=tuple(resources if isinstance(resources, list) else [resources]),
            )
        )
    return tuple(statements)


def parse_result(payload: bytes, config: AuthorizerConfig) -> AuthorizerResult:
    """The authorizer's answer, checked as API Gateway checks it."""
    try:
        answer = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AuthorizerResponseError("the authorizer's answer is not JSON") from exc
    if not isinstance(answer, dict):
        raise AuthorizerResponseError("the authorizer's answer is not a JSON object")
    context = answer.get("context") or {}
    if not isinstance(context, dict):
        raise AuthorizerResponseError("context is not an object")
    principal = answer.get("principalId")
    principal_id = None if principal is None else str(principal)
    if config.simple_responses:
        # Simple responses: {"isAuthorized": bool, "context": {...}} (HTTP API format 2.0).
        if not isinstance(answer.get("isAuthorized"), bool):
            raise AuthorizerResponseError("isAuthorized is missing or not a boolean")
        return AuthorizerResult(principal_id, (), answer["isAuthorized"], context)
    return AuthorizerResult(principal_id, _statements(answer.get("policyDocument")), None, context)


def wildcard_match(pattern: str, text: str, *, fold_case: bool = False) -> bool:
    """IAM wildcard matching: `*` any run of characters (slashes too), `?` one character."""
    if fold_case:
        pattern, text = pattern.lower(), text.lower()
    p = t = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] in ("?", text[t]):
            p, t = p + 1, t + 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark, p = p, t, p + 1
        elif star >= 0:
            mark += 1
            p, t = star + 1, mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def _applies(statement: Statement, arn: str) -> bool:
    # IAM actions are case-insensitive; execute-api:Invoke is the one API Gateway checks.
    action = any(wildcard_match(a, "execute-api:Invoke", fold_case=True) for a in statement.actions)
    return action and any(wildcard_match(r, arn) for r in statement.resources)


def decide(result: AuthorizerResult, arn: str) -> Decision:
    """Allow, or deny: an explicit Deny wins; without a matching Allow the default is deny."""
    if result.is_authorized is not None:
        return "allow" if result.is_authorized else "deny"
    matching = [s.effect for s in result.statements if _applies(s, arn)]
    if "Deny" in matching:
        return "explicit_deny"
    return "allow" if "Allow" in matching else "deny"


def _stringified(context: Mapping[str, Any]) -> dict[str, str]:
    # REST passes context values as strings; objects and arrays are not allowed
    # ("Output from an Amazon API Gateway Lambda authorizer").
    out = {}
    for key, value in context.items():
        if isinstance(value, (dict, list)):
            raise AuthorizerResponseError(f"context value {key!r} is an object or an array")
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif value is not None:
            out[key] = str(value)
    return out


def event_authorizer(
    result: AuthorizerResult, *, api_kind: ApiKind, payload_format: str, latency_ms: int
) -> dict[str, Any]:
    """requestContext.authorizer of the integration's event after the authorizer allowed it."""
    if api_kind == "http" and payload_format == "2.0":
        # Payload 2.0: the Lambda authorizer's context under "lambda" (HTTP API payload example).
        return {"lambda": dict(result.context)}
    values: dict[str, Any] = (
        _stringified(result.context) if api_kind == "rest" else dict(result.context)
    )
    if result.principal_id is not None:
        values["principalId"] = result.principal_id
    values["integrationLatency"] = latency_ms
    return values


def is_unauthorized_error(error_payload: bytes) -> bool:
    """Whether a failed REST authorizer raised "Unauthorized", which API Gateway answers 401."""
    try:
        error = json.loads(error_payload)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(error, dict) and error.get("errorMessage") == "Unauthorized"


class TtlCache(Generic[V]):
    """Authorizer results by identity values, kept for the authorizer's TTL (injected clock)."""

    def __init__(self, clock: Callable[[], float], max_entries: int = 1024) -> None:
        self._clock = clock
        self._max = max_entries
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        """The value stored under `key` if its TTL has not run out."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._entries[key]
            return None
        return entry[1]

    def put(self, key: Hashable, value: V, ttl_seconds: float) -> None:
        """Store `value` for `ttl_seconds`; a TTL of 0 or less stores nothing."""
        if ttl_seconds <= 0:
            return
        self._entries.pop(key, None)
        self._entries[key] = (self._clock() + ttl_seconds, value)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
