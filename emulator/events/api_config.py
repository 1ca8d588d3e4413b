"""The settings of one API of a SAM template: stage, stage variables, binary types, CORS, auth.

Defaults as SAM deploys them: the implicit REST API (ServerlessRestApi) is on stage Prod, an
HTTP API on $default; BinaryMediaTypes spell "/" as "~1" (samtranslator add_binary_media_types).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from emulator.errors import ApiConfigError as ApiConfigError
from emulator.errors import AuthorizerConfigError, CorsConfigError
from emulator.events.authorizer_config import (
    ApiAuth,
    http_auth_from_sam,
    rest_auth_from_sam,
)
from emulator.events.cors import (
    HttpCors,
    RestCors,
    http_cors_from_sam,
    rest_cors_from_sam,
)

ApiKind = Literal["rest", "http"]

IMPLICIT_REST_API = "ServerlessRestApi"
IMPLICIT_HTTP_API = "ServerlessHttpApi"
IMPLICIT_REST_STAGE = "Prod"
HTTP_DEFAULT_STAGE = "$default"


@dataclass(frozen=True)
class ApiConfig:
    """One API of the template: its stage, binary media types, CORS and authorizers."""

    api_id: str
    kind: ApiKind
    stage: str
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    binary_media_types: tuple[str, ...] = ()
    cors: RestCors | HttpCors | None = None
    auth: ApiAuth = field(default_factory=ApiAuth)
    implicit: bool = False


def _strings_map(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiConfigError(f"{what} must be a map")
    return {str(k): str(v) for k, v in value.items()}


def api_config_from_sam(
    api_id: str, kind: ApiKind, props: Mapping[str, Any], *, implicit: bool
) -> ApiConfig:
    """The API settings of a SAM Api or HttpApi (`implicit`: the one SAM makes for events)."""
    try:
        if kind == "rest":
            return _rest_config(api_id, props, implicit)
        return _http_config(api_id, props, implicit)
    except (CorsConfigError, AuthorizerConfigError) as exc:
        raise ApiConfigError(f"{api_id}: {exc}") from exc


def _rest_config(api_id: str, props: Mapping[str, Any], implicit: bool) -> ApiConfig:
    stage = IMPLICIT_REST_STAGE if implicit else props.get("StageName")
    binary = props.get("BinaryMediaTypes") or []
    if not isinstance(binary, list):
        raise ApiConfigError(f"{api_id}: BinaryMediaTypes must be a list")
    return ApiConfig(
        api_id=api_id,
        kind="rest",
        stage=_stage_name(stage, api_id),
        stage_variables=_strings_map(props.get("Variables"), f"{api_id} Variables"),
        binary_media_types=tuple(str(t).replace("~1", "/") for t in binary),
        cors=rest_cors_from_sam(props.get("Cors")),
        auth=rest_auth_from_sam(props.get("Auth"), api_id),
        implicit=implicit,
    )


def _http_config(api_id: str, props: Mapping[str, Any], implicit: bool) -> ApiConfig:
    stage = HTTP_DEFAULT_STAGE if implicit else props.get("StageName", HTTP_DEFAULT_STAGE)
    return ApiConfig(
        api_id=api_id,
        kind="http",
        stage=_stage_name(stage, api_id),
        stage_variables=_strings_map(props.get("StageVariables"), f"{api_id} StageVariables"),
        cors=http_cors_from_sam(props.get("CorsConfiguration")),
        auth=http_auth_from_sam(props.get("Auth"), api_id),
        implicit=implicit,
    )


def _stage_name(stage: Any, api_id: str) -> str:
    if not isinstance(stage, str) or not stage:
        raise ApiConfigError(f"{api_id}: StageName is required")
    return stage
