"""Route matching for every API of a template, served together at the root of one host.

Precedence follows "Routing API requests" (HTTP APIs): the most specific route wins, segment
by segment a static segment before a `{parameter}` before a greedy `{proxy+}`, an explicit
method before `ANY`, and `$default` last. Routes live in a trie, so a match walks the request's
segments once however many routes there are; no regular expression is compiled per request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

from emulator.errors import Location, TemplateError
from emulator.errors import RouteTemplateError as RouteTemplateError
from emulator.events.api_config import (
    IMPLICIT_HTTP_API,
    IMPLICIT_REST_API,
    ApiConfig,
    api_config_from_sam,
)
from emulator.events.apigw import RouteInfo

ApiKind = Literal["rest", "http"]
DEFAULT_ROUTE = "$default"
# lambdock's own surfaces answer these before any user route (wire.RESERVED_PREFIXES).
RESERVED_PREFIXES = ("/2015-03-31/", "/_lambdock/")
_RESERVED_EXACT = ("/2015-03-31", "/_lambdock")
_ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY"})


class RouteConflictError(RouteTemplateError):
    """Two routes that no request could tell apart; names both."""

    def __init__(self, first: Route, second: Route) -> None:
        super().__init__(f"routes cannot be told apart: {first.describe()} and {second.describe()}")
        self.first = first
        self.second = second


@dataclass(frozen=True)
class Route:
    """One method and path of an API, integrated with one function."""

    api_id: str
    api_kind: ApiKind
    method: str
    path_template: str
    function_logical_id: str
    payload_format: Literal["1.0", "2.0"]
    stage: str
    event_name: str = ""
    authorizer: str | None = None
    timeout_ms: int | None = None

    @property
    def route_key(self) -> str:
        """`GET /pets/{id}`, or `$default`."""
        if self.path_template == DEFAULT_ROUTE:
            return DEFAULT_ROUTE
        return f"{self.method} {self.path_template}"

    def describe(self) -> str:
        """The route as a template author knows it: key, function, event and API."""
        event = f" event {self.event_name}" if self.event_name else ""
        return f"'{self.route_key}' ({self.function_logical_id}{event}, API {self.api_id})"


@dataclass(frozen=True)
class RouteMatch:
    """A route chosen for a request, with the path parameters taken from the request."""

    route: Route
    path_parameters: Mapping[str, str]
    resource_path: str

    def route_info(self) -> RouteInfo:
        """The match as the event builders take it."""
        route = self.route
        # HTTP APIs send a null resourceId (payload 1.0 example, "Working with AWS Lambda
        # proxy integrations for HTTP APIs"); a REST resource id is six lower-case characters,
        # stable for the API and path here.
        resource_id = None
        if route.api_kind == "rest":
            digest = hashlib.sha1(f"{route.api_id} {route.path_template}".encode()).digest()
            resource_id = "".join(_ID_CHARS[b % len(_ID_CHARS)] for b in digest[:6])
        return RouteInfo(
            resource_path=self.resource_path,
            route_key=route.route_key,
            path_parameters=self.path_parameters,
            resource_id=resource_id,
            is_http_api=route.api_kind == "http",
        )


@dataclass(frozen=True)
class _Leaf:
    route: Route
    segments: tuple[str, ...]


class _Node:
    __slots__ = ("greedy", "param", "routes", "static")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        self.param: _Node | None = None
        self.routes: dict[str, _Leaf] = {}
        self.greedy: dict[str, _Leaf] = {}


def is_reserved_path(path: str) -> bool:
    """Whether a path belongs to lambdock itself (Invoke API, admin), never to a user route."""
    return path in _RESERVED_EXACT or path.startswith(RESERVED_PREFIXES)


def template_segments(template: str) -> tuple[str, ...]:
    """The segments of a path template, checked as API Gateway checks resource paths."""
    if not template.startswith("/"):
        raise RouteTemplateError(f"path {template!r} must start with '/'")
    segments = tuple(template.strip("/").split("/")) if template != "/" else ()
    for index, segment in enumerate(segments):
        if not segment:
            raise RouteTemplateError(f"path {template!r} has an empty segment")
        if segment.startswith("{") != segment.endswith("}") or "{" in segment[1:-1]:
            raise RouteTemplateError(f"path {template!r}: a parameter must be a whole segment")
        if segment.endswith("+}") and index != len(segments) - 1:
            raise RouteTemplateError(f"path {template!r}: a greedy parameter must come last")
    return segments


def _request_segments(path: str) -> list[str]:
    # Split before decoding, so an encoded slash stays inside its segment; one trailing
    # slash is not a segment of its own.
    trimmed = path[1:-1] if path.endswith("/") and path != "/" else path[1:]
    return [unquote(s) for s in trimmed.split("/")] if trimmed else []


def _pick(slots: Mapping[str, _Leaf], method: str | None) -> _Leaf | None:
    if method is None:
        return next(iter(slots.values()), None)
    return slots.get(method) or slots.get("ANY")


class RouteTable:
    """All routes of a template, matched as API Gateway matches them."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self._root = _Node()
        self._default: Route | None = None
        self.routes: tuple[Route, ...] = tuple(routes)
        for route in self.routes:
            self._add(route)

    def _add(self, route: Route) -> None:
        if route.path_template == DEFAULT_ROUTE:
            if self._default is not None:
                raise RouteConflictError(self._default, route)
            self._default = route
            return
        if route.method not in METHODS:
            raise RouteTemplateError(f"{route.describe()}: unknown method {route.method!r}")
        segments = template_segments(route.path_template)
        node = self._root
        for segment in segments:
            if segment.endswith("+}"):
                self._place(node.greedy, route, segments)
                return
            if segment.startswith("{"):
                node.param = node.param or _Node()
                node = node.param
            else:
                node = node.static.setdefault(segment, _Node())
        self._place(node.routes, route, segments)

    @staticmethod
    def _place(slots: dict[str, _Leaf], route: Route, segments: tuple[str, ...]) -> None:
        existing = slots.get(route.method)
        if existing is not None:
            raise RouteConflictError(existing.route, route)
        slots[route.method] = _Leaf(route, segments)

    def _find(
        self, node: _Node, segments: list[str], index: int, method: str | None
    ) -> tuple[_Leaf, Mapping[str, _Leaf]] | None:
        if index == len(segments):
            leaf = _pick(node.routes, method)
            return (leaf, node.routes) if leaf else None
        child = node.static.get(segments[index])
        found = self._find(child, segments, index + 1, method) if child else None
        if found is None and node.param is not None:
            found = self._find(node.param, segments, index + 1, method)
        if found is None:
            # A greedy parameter takes one segment or more, never none.
            leaf = _pick(node.greedy, method)
            found = (leaf, node.greedy) if leaf else None
        return found

    def match(self, method: str, path: str) -> RouteMatch | None:
        """The route for `method` and the raw `path`, or None (lambdock's own paths never match)."""
        if is_reserved_path(path):
            return None
        segments = _request_segments(path)
        found = self._find(self._root, segments, 0, method.upper())
        if found is not None:
            leaf = found[0]
            return RouteMatch(
                leaf.route, _parameters(leaf.segments, segments), leaf.route.path_template
            )
        if self._default is not None:
            return RouteMatch(self._default, {}, unquote(path))
        return None

    def resource_methods(self, path: str) -> tuple[Route, frozenset[str]] | None:
        """A route at the resource `path` resolves to (any method), and all methods there."""
        if is_reserved_path(path):
            return None
        found = self._find(self._root, _request_segments(path), 0, None)
        if found is None:
            return None
        leaf, slots = found
        return leaf.route, frozenset(slots)

    def miss_kind(self, path: str) -> ApiKind:
        """Which API answers a request no route takes: the one owning the resource, if any."""
        owner = self.resource_methods(path)
        if owner is not None:
            return owner[0].api_kind
        kinds = {route.api_kind for route in self.routes}
        return "http" if kinds == {"http"} else "rest"


def _parameters(template: tuple[str, ...], segments: list[str]) -> dict[str, str]:
    parameters = {}
    for index, part in enumerate(template):
        if part.endswith("+}"):
            parameters[part[1:-2]] = "/".join(segments[index:])
        elif part.startswith("{"):
            parameters[part[1:-1]] = segments[index]
    return parameters


# --- Routes from a SAM template's function events ---------------------------------------

EventTriple = tuple[str, str, Mapping[str, Any]]
FunctionEvents = tuple[str, Sequence[EventTriple]]


@dataclass(frozen=True)
class RouteSet:
    """Every route and API of a template, the matching table, and what lambdock cannot emulate."""

    table: RouteTable
    apis: Mapping[str, ApiConfig]
    warnings: tuple[str, ...]


def _api_ref(value: Any, what: str) -> str:
    if isinstance(value, dict) and set(value) == {"Ref"} and isinstance(value["Ref"], str):
        return value["Ref"]
    if isinstance(value, str) and value:
        return value
    raise RouteTemplateError(f"{what} must be a Ref to an API in the template, not {value!r}")


def _method(props: Mapping[str, Any], where: str) -> str:
    method = props.get("Method")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise RouteTemplateError(f"{where}: Method {method!r} is not an HTTP method or ANY")
    return method.upper()


class _Builder:
    """Collects routes and the APIs they belong to while reading function events."""

    def __init__(
        self,
        explicit: Mapping[str, tuple[str, Mapping[str, Any]]],
        implicit: Mapping[ApiKind, Mapping[str, Any]],
        source: Path | None,
    ) -> None:
        self.apis: dict[str, ApiConfig] = {}
        self.routes: list[Route] = []
        self.warnings: list[str] = []
        self._implicit = implicit
        self._source = source
        for api_id, (resource_type, props) in explicit.items():
            kind: ApiKind | None = _API_TYPES.get(resource_type)
            if kind is not None:
                self._register(self._config(api_id, kind, props, implicit=False))
                if "DefinitionBody" in props or "DefinitionUri" in props:
                    self.warnings.append(
                        f"{api_id}: routes come from function events; its OpenAPI definition "
                        "is not read"
                    )

    def locate(self, error: TemplateError, resource: str, field: str | None = None) -> None:
        """Place `error` at a resource of the template file, when the file is known."""
        if self._source is not None:
            error.at(Location(self._source, None, resource, field))

    def _config(
        self, api_id: str, kind: ApiKind, props: Mapping[str, Any], *, implicit: bool
    ) -> ApiConfig:
        try:
            return api_config_from_sam(api_id, kind, props, implicit=implicit)
        except TemplateError as exc:
            self.locate(exc, api_id)
            raise

    def _register(self, config: ApiConfig) -> ApiConfig:
        self.apis[config.api_id] = config
        self.warnings.extend(config.auth.warnings)
        return config

    def api(self, kind: ApiKind, ref: Any, where: str) -> ApiConfig:
        if ref is None:
            api_id = IMPLICIT_REST_API if kind == "rest" else IMPLICIT_HTTP_API
            if api_id not in self.apis:
                props = self._implicit.get(kind, {})
                self._register(self._config(api_id, kind, props, implicit=True))
            return self.apis[api_id]
        api_id = _api_ref(ref, f"{where}: {'RestApiId' if kind == 'rest' else 'ApiId'}")
        config = self.apis.get(api_id)
        if config is None or config.kind != kind:
            wanted = "AWS::Serverless::Api" if kind == "rest" else "AWS::Serverless::HttpApi"
            raise RouteTemplateError(f"{where}: {api_id} is not an {wanted} of the template")
        return config

    def authorizer(self, api: ApiConfig, props: Mapping[str, Any], where: str) -> str | None:
        auth = props.get("Auth") or {}
        name = (
            auth.get("Authorizer", api.auth.default_authorizer) if isinstance(auth, dict) else None
        )
        if name is None or name == "NONE":
            return None
        if name in api.auth.authorizers:
            return str(name)
        if name in api.auth.unsupported:
            self.warnings.append(f"{where}: authorizer {name} is not enforced by lambdock")
            return None
        raise RouteTemplateError(f"{where}: authorizer {name!r} is not defined on {api.api_id}")

    def add(self, function_id: str, event: EventTriple) -> None:
        try:
            self._add(function_id, event)
        except TemplateError as exc:
            self.locate(exc, function_id, f"Events.{event[0]}")
            raise

    def _add(self, function_id: str, event: EventTriple) -> None:
        name, event_type, props = event
        where = f"{function_id} event {name}"
        if event_type == "Api":
            api = self.api("rest", props.get("RestApiId"), where)
            path, method, payload = props.get("Path"), _method(props, where), "1.0"
        elif event_type == "HttpApi":
            api = self.api("http", props.get("ApiId"), where)
            path, payload = props.get("Path"), props.get("PayloadFormatVersion", "2.0")
            # An HttpApi event with neither Path nor Method is the API's $default route.
            method = "ANY" if path is None and "Method" not in props else _method(props, where)
            path = DEFAULT_ROUTE if path is None and method == "ANY" else path
            if payload not in ("1.0", "2.0"):
                raise RouteTemplateError(f"{where}: PayloadFormatVersion {payload!r}")
        else:
            return
        if not isinstance(path, str):
            raise RouteTemplateError(f"{where}: Path is required")
        if path != DEFAULT_ROUTE:
            template_segments(path)  # checked here, so that an error names its event
        if path != DEFAULT_ROUTE and is_reserved_path(path.rstrip("/") or "/"):
            self.warnings.append(f"{where}: path {path} is shadowed by lambdock's own API")
        timeout = props.get("TimeoutInMillis")
        self.routes.append(
            Route(
                api_id=api.api_id,
                api_kind=api.kind,
                method=method,
                path_template=path,
                function_logical_id=function_id,
                payload_format="1.0" if payload == "1.0" else "2.0",
                stage=api.stage,
                event_name=name,
                authorizer=self.authorizer(api, props, where),
                timeout_ms=int(timeout) if timeout is not None else None,
            )
        )


_API_TYPES: dict[str, ApiKind] = {
    "AWS::Serverless::Api": "rest",
    "AWS::Serverless::HttpApi": "http",
}


def routes_from_events(
    functions: Iterable[FunctionEvents],
    apis: Mapping[str, tuple[str, Mapping[str, Any]]],
    *,
    implicit_rest_properties: Mapping[str, Any] | None = None,
    implicit_http_properties: Mapping[str, Any] | None = None,
    source: Path | None = None,
) -> RouteSet:
    """Every Api and HttpApi event of the template as routes, and the APIs they live on.

    `functions`: (function logical id, [(event name, event type, properties)]);
    `apis`: the explicit AWS::Serverless::Api / HttpApi resources, {logical id: (type,
    properties)}; the implicit APIs take `implicit_*_properties` (the template's Globals).
    Raises RouteTemplateError (RouteConflictError naming both routes) or ApiConfigError for
    what AWS refuses, placed in the template file `source` when it is given.
    """
    implicit: dict[ApiKind, Mapping[str, Any]] = {
        "rest": implicit_rest_properties or {},
        "http": implicit_http_properties or {},
    }
    builder = _Builder(apis, implicit, source)
    for function_id, events in functions:
        for event in events:
            builder.add(function_id, event)
    try:
        table = RouteTable(builder.routes)
    except RouteConflictError as exc:
        builder.locate(exc, exc.second.function_logical_id, f"Events.{exc.second.event_name}")
        raise
    return RouteSet(table, dict(builder.apis), tuple(builder.warnings))
