"""Lambda authorizers run in front of a route, as API Gateway runs them.

The steps follow "Use API Gateway Lambda authorizers" (REST) and "Control access to HTTP APIs
with AWS Lambda authorizers": read the identity sources (missing: 401 without invoking), use a
cached answer for the same identity while its TTL lasts, else invoke the authorizer function
through the one invoker, then judge its policy (or simple response) against the method ARN.
The pure parts (events, policy evaluation, the cache) live in `events/authorizers.py`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emulator.clock import Clock
from emulator.errors import ApiError
from emulator.events.apigw import (
    EventContext,
    HttpRequest,
    RouteInfo,
    build_v1_event,
    build_v2_event,
    decoded_path,
)
from emulator.events.authorizers import (
    AuthorizerConfig,
    AuthorizerResponseError,
    AuthorizerResult,
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
)
from emulator.events.gateway_errors import GatewayErrorCase
from emulator.invoker import InvocationRequest, Invoker


@dataclass(frozen=True)
class AuthCheck:
    """One request to authorize: the authorizer, its function, the request and its route."""

    config: AuthorizerConfig
    function_name: str
    request: HttpRequest
    route: RouteInfo
    event: EventContext
    region: str
    # The payload format of the route's integration: it shapes requestContext.authorizer.
    payload_format: str


class Authorizers:
    """Runs Lambda authorizers and remembers their answers for their TTL."""

    def __init__(self, invoker: Invoker, clock: Clock) -> None:
        self._invoker = invoker
        self._clock = clock
        self._cache: TtlCache[AuthorizerResult] = TtlCache(clock.monotonic)

    async def check(self, check: AuthCheck) -> dict[str, Any] | GatewayErrorCase:
        """requestContext.authorizer when the request may pass, else the gateway error case."""
        config = check.config
        context = _context_variables(check)
        identity = identity_values(config, check.request, check.event.stage_variables, context)
        if identity is None:
            return "unauthorized"
        arn = method_arn(
            check.region,
            check.event.account_id,
            check.event.api_id,
            check.event.stage,
            check.request.method,
            decoded_path(check.request.raw_path),
        )
        # Caching needs identity sources: they are the cache key (an HTTP API authorizer
        # without any is invoked on every request).
        cacheable = config.ttl_seconds > 0 and bool(config.identity_sources)
        key = (check.event.api_id, config.name, identity)
        result = self._cache.get(key) if cacheable else None
        latency_ms = 0
        if result is None:
            started = self._clock.monotonic()
            answer = await self._ask(check, identity, arn)
            if isinstance(answer, str):
                return answer
            result = answer
            latency_ms = int((self._clock.monotonic() - started) * 1000)
            if cacheable:
                self._cache.put(key, result, config.ttl_seconds)
        return _judged(check, result, arn, latency_ms)

    async def _ask(
        self, check: AuthCheck, identity: tuple[str, ...], arn: str
    ) -> AuthorizerResult | GatewayErrorCase:
        event = authorizer_event(check, identity, arn)
        call = InvocationRequest(check.function_name, json.dumps(event).encode())
        try:
            result = await self._invoker.invoke(call)
        except ApiError:
            return "authorizer_failure"
        if not result.ok:
            # A REST authorizer that fails with the message "Unauthorized" means 401.
            rest = check.config.api_kind == "rest"
            return (
                "unauthorized"
                if rest and is_unauthorized_error(result.payload)
                else ("authorizer_failure")
            )
        try:
            return parse_result(result.payload, check.config)
        except AuthorizerResponseError:
            return "authorizer_failure"


def authorizer_event(check: AuthCheck, identity: tuple[str, ...], arn: str) -> dict[str, Any]:
    """The event the authorizer function receives: TOKEN, or REQUEST in format 1.0 or 2.0."""
    config = check.config
    if config.type == "TOKEN":
        return token_event(identity[0], arn)
    if config.api_kind == "http" and config.payload_format == "2.0":
        return request_event_v2(
            build_v2_event(check.request, check.route, check.event), arn, identity
        )
    proxy = build_v1_event(check.request, check.route, check.event)
    return request_event_v1(proxy, arn, identity, api_kind=config.api_kind)


def _judged(
    check: AuthCheck, result: AuthorizerResult, arn: str, latency_ms: int
) -> dict[str, Any] | GatewayErrorCase:
    decision = decide(result, arn)
    if decision == "explicit_deny":
        return "access_denied_explicit"
    if decision == "deny":
        return "access_denied"
    try:
        return event_authorizer(
            result,
            api_kind=check.config.api_kind,
            payload_format=check.payload_format,
            latency_ms=latency_ms,
        )
    except AuthorizerResponseError:
        return "authorizer_failure"


def _context_variables(check: AuthCheck) -> Mapping[str, str]:
    # The $context variables an identity source may name (API Gateway "$context variables").
    event, request = check.event, check.request
    return {
        "accountId": event.account_id,
        "apiId": event.api_id,
        "domainName": event.domain_name,
        "httpMethod": request.method,
        "identity.sourceIp": request.source_ip,
        "identity.userAgent": request.header("user-agent") or "",
        "path": decoded_path(request.raw_path),
        "requestId": event.request_id,
        "resourcePath": check.route.resource_path,
        "routeKey": check.route.route_key,
        "stage": event.stage,
    }
