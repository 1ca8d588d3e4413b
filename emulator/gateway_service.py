"""API Gateway in front of the functions: the template's routes, one invoke per request, and
the function's result mapped to the HTTP response API Gateway would send.

A request goes through the steps API Gateway takes: the payload limit, the route (REST 403 /
HTTP API 404 when none), CORS preflight, the Lambda authorizer, the integration within its
timeout (29 s REST, 30 s HTTP API: "Amazon API Gateway quotas"), then the response mapping.
Errors are API Gateway's own answers (`events/gateway_errors.py`), never the Invoke API's.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import random
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from emulator import wire
from emulator.errors import ApiError, TemplateError
from emulator.events.api_config import IMPLICIT_HTTP_API, IMPLICIT_REST_API, ApiConfig
from emulator.events.apigw import (
    EventContext,
    HttpRequest,
    HttpResponse,
    build_v1_event,
    build_v2_event,
)
from emulator.events.apigw_response import (
    MalformedResultError,
    ResponseContext,
    map_v1_response,
    map_v2_response,
)
from emulator.events.authorizers import AuthorizerConfig
from emulator.events.cors import (
    HttpCors,
    RestCors,
    apply_http_cors,
    http_preflight,
    is_preflight,
    rest_preflight,
)
from emulator.events.gateway_errors import (
    gateway_error,
    integration_failure,
    integration_timeout,
    invoke_rejected,
    missing_route,
    request_too_large,
)
from emulator.gateway_auth import AuthCheck, Authorizers
from emulator.invoker import InvocationRequest, InvocationResult
from emulator.routing import ApiKind, Route, RouteMatch, RouteTable, routes_from_events
from emulator.services import Services
from emulator.template.models import Resource, Template
from emulator.template.names import generated_api_id

# The payload quota of REST and HTTP APIs ("Amazon API Gateway quotas"): 10 MB.
BODY_LIMIT = 10 * 1024 * 1024
INTEGRATION_TIMEOUT: Mapping[ApiKind, float] = {"rest": 29.0, "http": 30.0}
API_TYPES = ("AWS::Serverless::Api", "AWS::Serverless::HttpApi")
_FORWARDED = frozenset({"x-forwarded-for", "x-forwarded-port", "x-forwarded-proto"})


@dataclass(frozen=True)
class ServedRoutes:
    """One template's routes ready to serve, with every name a request needs resolved once."""

    template: Template
    table: RouteTable
    apis: Mapping[str, ApiConfig]
    warnings: tuple[str, ...]
    # Function references of routes and authorizers (logical id or name) -> function name.
    function_names: Mapping[str, str]
    # API logical id -> the id its events, ARNs and URLs carry.
    api_ids: Mapping[str, str]


def served_routes(template: Template) -> ServedRoutes:
    """The routes of `template`; raises TemplateError naming the file and the resource."""
    apis = template.resources_of(*API_TYPES)
    # Events name their API by `!Ref`, which the loader resolved to the API's generated id.
    logical = {
        generated_api_id(template.stack_name, api.logical_id): api.logical_id for api in apis
    }
    functions = [
        (f.logical_id, [(e.name, e.type, _by_logical_id(e.properties, logical)) for e in f.events])
        for f in template.functions.values()
    ]
    explicit = {api.logical_id: (api.type, api.properties) for api in apis if not _implicit(api)}
    found = routes_from_events(functions, explicit, source=template.path)
    refs = {route.function_logical_id for route in found.table.routes}
    refs |= {a.function_ref for api in found.apis.values() for a in api.auth.authorizers.values()}
    names: dict[str, str] = {}
    warnings = list(found.warnings)
    for ref in sorted(refs):
        function = template.function(ref)
        if function is None:
            warnings.append(f"authorizer function {ref} is not served; its routes answer 500")
        else:
            names[ref] = function.function_name
    api_ids = {api_id: generated_api_id(template.stack_name, api_id) for api_id in found.apis}
    return ServedRoutes(template, found.table, found.apis, tuple(warnings), names, api_ids)


def _implicit(api: Resource) -> bool:
    # The loader lists SAM's implicit APIs as resources without properties.
    return api.logical_id in (IMPLICIT_REST_API, IMPLICIT_HTTP_API) and not api.properties


def _by_logical_id(props: Mapping[str, Any], logical: Mapping[str, str]) -> Mapping[str, Any]:
    for key in ("RestApiId", "ApiId"):
        value = props.get(key)
        if isinstance(value, str) and value in logical:
            return {**props, key: logical[value]}
    return props


def route_lines(served: ServedRoutes, base_url: str) -> list[str]:
    """One line per route for `lambdock up` to print: method, URL, function and API."""
    lines = []
    for route in served.table.routes:
        api = served.apis[route.api_id]
        kind = "REST API" if api.kind == "rest" else "HTTP API"
        function = served.function_names.get(route.function_logical_id, route.function_logical_id)
        path = "/*" if route.path_template == "$default" else route.path_template
        lines.append(
            f"{route.method:<7} {base_url}{path} -> {function} "
            f"({kind} {route.api_id}, payload {route.payload_format})"
        )
    return lines


def short_id(request_id: str) -> str:
    """API Gateway's short request id form (e.g. `JKJaXmPLvHcESHA=`), stable for an id."""
    return base64.b64encode(hashlib.sha1(request_id.encode()).digest()[:11]).decode()


class Gateway:
    """Answers HTTP requests as API Gateway would for the template being served."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._invoker = services.invoker
        self._clock = services.clock
        self._request_ids = services.request_ids
        self._port = str(services.settings.port)
        self._timeout = services.settings.gateway_timeout
        self._authorizers = Authorizers(services.invoker, services.clock)
        # Invocations past the integration timeout run on, as Lambda lets them.
        self._detached: set[asyncio.Task[InvocationResult]] = set()
        self._seen = services.template()
        self._served = served_routes(self._seen)

    def served(self) -> ServedRoutes:
        """The routes of the current template; rebuilt when a reload replaced it."""
        template = self._services.template()
        if template is not self._seen:
            self._seen = template
            try:
                self._served = served_routes(template)
            except TemplateError as exc:
                print(f"lambdock: routes kept from before the reload: {exc}", file=sys.stderr)
        return self._served

    async def handle(self, request: HttpRequest, *, too_large: bool = False) -> HttpResponse:
        """The response API Gateway would send for `request` (`too_large`: over 10 MB)."""
        served = self.served()
        table = served.table
        match = table.match(request.method, request.raw_path)
        resource = None
        if match is None or request.method == "OPTIONS":
            resource = table.resource_methods(request.raw_path)
        owner = match.route if match is not None else resource[0] if resource else None
        api = served.apis[owner.api_id] if owner is not None else None
        kind = owner.api_kind if owner is not None else table.miss_kind(request.raw_path)
        reply = self._reply_context(kind, request, api)
        if too_large:
            response = request_too_large(reply)
        elif api is None:
            response = missing_route(reply)
        else:
            response = await self._answer(served, request, match, resource, api, reply)
        if api is not None and isinstance(api.cors, HttpCors) and not is_preflight(request):
            # HTTP APIs put the configured CORS headers on every other response they send.
            response = apply_http_cors(response, api.cors, request.header("origin"))
        return response

    async def _answer(
        self,
        served: ServedRoutes,
        request: HttpRequest,
        match: RouteMatch | None,
        resource: tuple[Route, frozenset[str]] | None,
        api: ApiConfig,
        reply: ResponseContext,
    ) -> HttpResponse:
        cors = api.cors
        options = request.method == "OPTIONS"
        if isinstance(cors, RestCors) and options and resource and "OPTIONS" not in resource[1]:
            # SAM gives every path of a REST API with Cors a MOCK OPTIONS method.
            return await self._rest_preflight(served, request, resource, (api, cors), reply)
        if isinstance(cors, HttpCors) and is_preflight(request):
            # An HTTP API answers preflight itself, before routes and authorizers.
            return http_preflight(cors, request, reply)
        if match is None:
            return missing_route(reply)
        request = self._forwarded(request)
        event = self._event_context(served, api, request, reply)
        route = match.route
        if route.authorizer is not None:
            config = api.auth.authorizers[route.authorizer]
            outcome = await self._authorizers.check(
                self._auth_check(served, config, request, match, event, route.payload_format)
            )
            if isinstance(outcome, str):
                return gateway_error(outcome, reply)
            event = replace(event, authorizer=outcome)
        return await self._integrate(served, match, request, event, reply)

    async def _rest_preflight(
        self,
        served: ServedRoutes,
        request: HttpRequest,
        resource: tuple[Route, frozenset[str]],
        api_cors: tuple[ApiConfig, RestCors],
        reply: ResponseContext,
    ) -> HttpResponse:
        api, cors = api_cors
        auth = api.auth
        name = auth.default_authorizer
        # SAM also puts the default authorizer on those OPTIONS methods unless
        # AddDefaultAuthorizerToCorsPreflight is false.
        if name in auth.authorizers and auth.add_default_authorizer_to_cors_preflight:
            path = resource[0].path_template
            match = RouteMatch(replace(resource[0], method="OPTIONS"), {}, path)
            event = self._event_context(served, api, request, reply)
            check = self._auth_check(served, auth.authorizers[str(name)], request, match, event)
            outcome = await self._authorizers.check(check)
            if isinstance(outcome, str):
                return gateway_error(outcome, reply)
        return rest_preflight(cors, resource[1], reply)

    async def _integrate(
        self,
        served: ServedRoutes,
        match: RouteMatch,
        request: HttpRequest,
        context: EventContext,
        reply: ResponseContext,
    ) -> HttpResponse:
        route = match.route
        build = build_v1_event if route.payload_format == "1.0" else build_v2_event
        # ASCII JSON (ensure_ascii), so its length in characters is its length in bytes.
        payload = json.dumps(build(request, match.route_info(), context), separators=(",", ":"))
        if len(payload) > wire.SYNC_PAYLOAD_LIMIT:
            # Lambda rejects an invoke over its 6 MB quota, and API Gateway answers 500.
            return invoke_rejected(reply)
        function = route.function_logical_id
        call = InvocationRequest(
            function_name=served.function_names.get(function, function),
            payload=payload.encode(),
            trace_id=_lambda_trace_id(request.header("x-amzn-trace-id") or ""),
        )
        # asyncio.wait leaves the invocation running past the timeout, as Lambda does.
        task = asyncio.ensure_future(self._invoker.invoke(call))
        done, _ = await asyncio.wait((task,), timeout=self._timeout_of(route))
        if not done:
            self._detach(task)
            return integration_timeout(reply)
        try:
            result = task.result()
        except ApiError:
            # Lambda refused the invoke (throttled, or no such function): 500.
            return invoke_rejected(reply)
        return self._mapped(result, route, reply)

    def _mapped(
        self, result: InvocationResult, route: Route, reply: ResponseContext
    ) -> HttpResponse:
        if not result.ok:
            return integration_failure(reply)
        try:
            if route.payload_format == "1.0":
                return map_v1_response(result.payload, reply)
            return map_v2_response(result.payload, reply)
        except MalformedResultError as exc:
            # The line API Gateway's execution log writes for this case.
            line = (
                "Execution failed due to configuration error: "
                f"Malformed Lambda proxy response ({exc})"
            )
            self._services.logs.echo(result.function_name, line)
            return integration_failure(reply)

    def _timeout_of(self, route: Route) -> float:
        if self._timeout is not None:
            return self._timeout
        if route.timeout_ms is not None:
            return route.timeout_ms / 1000
        return INTEGRATION_TIMEOUT[route.api_kind]

    def _detach(self, task: asyncio.Task[InvocationResult]) -> None:
        self._detached.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[InvocationResult]) -> None:
        self._detached.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: nobody waits for it any more

    def _reply_context(
        self, kind: ApiKind, request: HttpRequest, api: ApiConfig | None
    ) -> ResponseContext:
        # REST request ids are UUIDs with a short extended id; HTTP APIs use the short form.
        request_id = self._request_ids()
        short = short_id(request_id)
        return ResponseContext(
            api_kind=kind,
            request_id=request_id if kind == "rest" else short,
            extended_request_id=short,
            accept=request.header("accept"),
            binary_media_types=api.binary_media_types if api is not None else (),
        )

    def _event_context(
        self, served: ServedRoutes, api: ApiConfig, request: HttpRequest, reply: ResponseContext
    ) -> EventContext:
        return EventContext(
            request_id=reply.request_id,
            extended_request_id=reply.extended_request_id,
            time_epoch_ms=int(self._clock.time() * 1000),
            account_id=served.template.account_id,
            api_id=served.api_ids[api.api_id],
            stage=api.stage,
            # The host the client called, so URLs built from it lead back to lambdock.
            domain_name=request.host or "localhost",
            stage_variables=api.stage_variables,
            binary_media_types=api.binary_media_types,
        )

    def _auth_check(
        self,
        served: ServedRoutes,
        config: AuthorizerConfig,
        request: HttpRequest,
        match: RouteMatch,
        event: EventContext,
        payload_format: str = "1.0",
    ) -> AuthCheck:
        return AuthCheck(
            config=config,
            function_name=served.function_names.get(config.function_ref, config.function_ref),
            request=request,
            route=match.route_info(),
            event=event,
            region=served.template.region,
            payload_format=payload_format,
        )

    def _forwarded(self, request: HttpRequest) -> HttpRequest:
        # Headers API Gateway adds for the integration (REST input format example):
        # X-Forwarded-For (the caller appended), -Port, -Proto and an X-Ray X-Amzn-Trace-Id.
        earlier = request.header("x-forwarded-for")
        trace = request.header("x-amzn-trace-id")
        kept = [h for h in request.headers if h[0].lower() not in _FORWARDED]
        if trace is None:
            trace = f"Root=1-{int(self._clock.time()):08x}-{random.getrandbits(96):024x}"
            kept.append(("X-Amzn-Trace-Id", trace))
        kept += [
            (
                "X-Forwarded-For",
                f"{earlier}, {request.source_ip}" if earlier else request.source_ip,
            ),
            ("X-Forwarded-Port", self._port),
            ("X-Forwarded-Proto", "http"),
        ]
        return replace(request, headers=tuple(kept))


def _lambda_trace_id(header: str) -> str | None:
    # Lambda's trace header carries the caller's root and a parent segment of its own.
    if not header.startswith("Root="):
        return None
    if "Parent=" in header:
        return header
    return f"{header};Parent={random.getrandbits(64):016x};Sampled=0"
