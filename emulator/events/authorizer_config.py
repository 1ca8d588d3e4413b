"""SAM `Auth` settings of an Api or HttpApi turned into the authorizers API Gateway would run.

Follows SAM's translation (samtranslator model/apigateway.py and apigatewayv2.py: identity
source prefixes, the default `Authorization` header of TOKEN authorizers) and API Gateway's
defaults (a REST authorizer caches results 300 s unless told otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from emulator.errors import AuthorizerConfigError as AuthorizerConfigError
from emulator.events.authorizers import AuthorizerConfig

# API Gateway's authorizerResultTtlInSeconds when a REST authorizer does not set one.
REST_DEFAULT_TTL = 300

_SOURCE_KEYS = (
    ("Headers", "method.request.header.", "$request.header."),
    ("QueryStrings", "method.request.querystring.", "$request.querystring."),
    ("StageVariables", "stageVariables.", "$stageVariables."),
    ("Context", "context.", "$context."),
)


@dataclass(frozen=True)
class ApiAuth:
    """An API's authorizers, its default one, and what lambdock cannot emulate (warnings)."""

    authorizers: Mapping[str, AuthorizerConfig] = field(default_factory=dict)
    default_authorizer: str | None = None
    add_default_authorizer_to_cors_preflight: bool = True
    unsupported: frozenset[str] = frozenset()
    warnings: tuple[str, ...] = ()


def function_ref(value: Any) -> str:
    """The function an authorizer's FunctionArn names: a logical id or a function name."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return str(target[0] if isinstance(target, list) else str(target).split(".", 1)[0])
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, str) and value.startswith("arn:"):
        # arn:aws:lambda:region:account:function:name[:qualifier]
        parts = value.split(":")
        return parts[6] if len(parts) > 6 else value
    if isinstance(value, str) and value:
        return value
    raise AuthorizerConfigError(f"FunctionArn {value!r} does not name a function")


def _identity(entry: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    identity = entry.get("Identity") or {}
    if not isinstance(identity, dict):
        raise AuthorizerConfigError(f"authorizer {name}: Identity must be a map")
    return identity


def _sources(identity: Mapping[str, Any], api_kind: str) -> tuple[str, ...]:
    sources: list[str] = []
    for key, rest_prefix, http_prefix in _SOURCE_KEYS:
        values = identity.get(key) or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise AuthorizerConfigError(f"Identity.{key} must be a list of strings")
        prefix = rest_prefix if api_kind == "rest" else http_prefix
        sources.extend(prefix + value for value in values)
    return tuple(sources)


def _ttl(identity: Mapping[str, Any], default: int) -> int:
    value = identity.get("ReauthorizeEvery", default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3600:
        raise AuthorizerConfigError(f"ReauthorizeEvery must be 0 to 3600 seconds, not {value!r}")
    return value


def _pattern(identity: Mapping[str, Any], name: str) -> re.Pattern[str] | None:
    expression = identity.get("ValidationExpression")
    if expression is None:
        return None
    try:
        return re.compile(str(expression))
    except re.error as exc:
        raise AuthorizerConfigError(f"authorizer {name}: bad ValidationExpression: {exc}") from exc


def _rest_authorizer(name: str, entry: Mapping[str, Any]) -> AuthorizerConfig:
    identity = _identity(entry, name)
    kind = entry.get("FunctionPayloadType", "TOKEN")
    if kind not in ("TOKEN", "REQUEST"):
        raise AuthorizerConfigError(f"authorizer {name}: FunctionPayloadType {kind!r}")
    if kind == "TOKEN":
        sources: tuple[str, ...] = (
            f"method.request.header.{identity.get('Header') or 'Authorization'}",
        )
    else:
        sources = _sources(identity, "rest")
    return AuthorizerConfig(
        name=name,
        api_kind="rest",
        type=kind,
        function_ref=function_ref(entry.get("FunctionArn")),
        identity_sources=sources,
        ttl_seconds=_ttl(identity, REST_DEFAULT_TTL),
        validation_expression=_pattern(identity, name) if kind == "TOKEN" else None,
    )


def _http_authorizer(name: str, entry: Mapping[str, Any]) -> AuthorizerConfig:
    identity = _identity(entry, name)
    version = entry.get("AuthorizerPayloadFormatVersion")
    if version not in ("1.0", "2.0"):
        raise AuthorizerConfigError(
            f"authorizer {name}: AuthorizerPayloadFormatVersion must be 1.0 or 2.0"
        )
    simple = entry.get("EnableSimpleResponses") is True
    if simple and version != "2.0":
        raise AuthorizerConfigError(f"authorizer {name}: simple responses need format 2.0")
    payload_format: Literal["1.0", "2.0"] = "1.0" if version == "1.0" else "2.0"
    return AuthorizerConfig(
        name=name,
        api_kind="http",
        type="REQUEST",
        function_ref=function_ref(entry.get("FunctionArn")),
        identity_sources=_sources(identity, "http"),
        ttl_seconds=_ttl(identity, 0),
        payload_format=payload_format,
        simple_responses=simple,
    )


def _entries(auth: Any) -> Mapping[str, Any]:
    if auth is None:
        return {}
    if not isinstance(auth, dict):
        raise AuthorizerConfigError("Auth must be a map")
    entries = auth.get("Authorizers") or {}
    if not isinstance(entries, dict) or not all(isinstance(e, dict) for e in entries.values()):
        raise AuthorizerConfigError("Auth.Authorizers must be a map of maps")
    return entries


def rest_auth_from_sam(auth: Any, api_id: str) -> ApiAuth:
    """The Auth of a SAM Api: Lambda TOKEN and REQUEST authorizers; Cognito and IAM warned."""
    authorizers, unsupported, warnings = {}, set(), []
    for name, entry in _entries(auth).items():
        if "FunctionArn" not in entry:
            unsupported.add(name)
            warnings.append(f"{api_id}: authorizer {name} is not a Lambda authorizer; not enforced")
            continue
        authorizers[name] = _rest_authorizer(name, entry)
    return _api_auth(auth, api_id, authorizers, unsupported, warnings)


def http_auth_from_sam(auth: Any, api_id: str) -> ApiAuth:
    """The Auth of a SAM HttpApi: Lambda REQUEST authorizers; JWT and IAM warned."""
    authorizers, unsupported, warnings = {}, set(), []
    for name, entry in _entries(auth).items():
        if "FunctionArn" not in entry:
            unsupported.add(name)
            warnings.append(f"{api_id}: JWT authorizer {name} is not supported; not enforced")
            continue
        authorizers[name] = _http_authorizer(name, entry)
    if isinstance(auth, dict) and auth.get("EnableIamAuthorizer"):
        warnings.append(f"{api_id}: the IAM authorizer is not supported; not enforced")
    return _api_auth(auth, api_id, authorizers, unsupported, warnings)


def _api_auth(
    auth: Any,
    api_id: str,
    authorizers: dict[str, AuthorizerConfig],
    unsupported: set[str],
    warnings: list[str],
) -> ApiAuth:
    settings = auth if isinstance(auth, dict) else {}
    default = settings.get("DefaultAuthorizer")
    if default == "AWS_IAM":
        unsupported.add(default)
        warnings.append(f"{api_id}: the AWS_IAM authorizer is not supported; not enforced")
    elif default is not None and default not in authorizers and default not in unsupported:
        raise AuthorizerConfigError(f"{api_id}: DefaultAuthorizer {default!r} is not defined")
    return ApiAuth(
        authorizers=authorizers,
        default_authorizer=default,
        add_default_authorizer_to_cors_preflight=settings.get(
            "AddDefaultAuthorizerToCorsPreflight", True
        )
        is not False,
        unsupported=frozenset(unsupported),
        warnings=tuple(warnings),
    )
