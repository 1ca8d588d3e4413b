"""Load a SAM template from disk into a Template, or fail with where and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from emulator.errors import Location, TemplateError
from emulator.template.async_config import check_async_setup
from emulator.template.functions import (
    PropertyError,
    Unsupported,
    build_function,
    merge_globals,
)
from emulator.template.intrinsics import IntrinsicError, resolve
from emulator.template.models import BucketConfig, FunctionConfig, Resource, Template
from emulator.template.scope import (
    IMPLICIT_HTTP_API,
    IMPLICIT_REST_API,
    Names,
    StackInfo,
    evaluate_conditions,
    line_of,
    parameter_values,
    pseudo_parameters,
)
from emulator.template.yaml_loader import LocatedDict, load_yaml

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
FUNCTION_TYPES = ("AWS::Serverless::Function",)
# Resource types with no local behaviour that need no warning: they only grant or describe.
SILENT_TYPES = frozenset(
    {
        "AWS::Lambda::Permission",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::S3::BucketPolicy",
        "AWS::Logs::LogGroup",
        "AWS::Serverless::LayerVersion",
    }
)
SERVED_TYPES = frozenset(
    {*FUNCTION_TYPES, "AWS::S3::Bucket", "AWS::Serverless::Api", "AWS::Serverless::HttpApi"}
)


def load_template(
    path: Path,
    *,
    region: str = "us-east-1",
    account_id: str = "123456789012",
    stack_name: str = "lambdock",
    parameter_overrides: Mapping[str, str] | None = None,
    env_overrides: Mapping[str, Mapping[str, str]] | None = None,
) -> Template:
    """Read, resolve and check a template; raises TemplateError naming file, line and field."""
    document = load_yaml(path)
    try:
        return _load(
            document, path, region, account_id, stack_name, parameter_overrides, env_overrides
        )
    except _SHAPE_ERRORS as exc:
        # A value of a type or shape no check above expected (a list where a mapping belongs,
        # a number too long to read): still a template error, never a traceback.
        raise TemplateError(_shape_message(exc), Location(path)) from None


# What Python raises when a template value has a type or shape the code did not expect.
_SHAPE_ERRORS = (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError)


def _shape_message(exc: BaseException) -> str:
    return f"a value has an unexpected type or shape ({type(exc).__name__}: {str(exc)[:200]})"


def _load(
    document: LocatedDict,
    path: Path,
    region: str,
    account_id: str,
    stack_name: str,
    parameter_overrides: Mapping[str, str] | None,
    env_overrides: Mapping[str, Mapping[str, str]] | None,
) -> Template:
    info = StackInfo(path, stack_name, region, account_id)
    resources = document.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("template has no Resources", Location(path, document.line))
    warnings: list[str] = []
    if SAM_TRANSFORM not in _transforms(document):
        warnings.append(f"template does not declare Transform: {SAM_TRANSFORM}")
    values = {
        **pseudo_parameters(info),
        **parameter_values(document, parameter_overrides or {}, info),
    }
    names = Names(document, info, values, implicit=_implicit_apis(resources))
    evaluate_conditions(names)
    loaded = _load_resources(document, names, warnings)
    functions = _functions(document, names, loaded, warnings)
    functions = _apply_env_overrides(functions, env_overrides or {})
    check_async_setup(functions, info, document, warnings)
    buckets = {
        r.logical_id: BucketConfig(
            r.logical_id, names.physical_id(r.logical_id) or "", r.properties
        )
        for r in loaded.values()
        if r.type == "AWS::S3::Bucket"
    }
    for implicit, kind in names.implicit.items():
        loaded.setdefault(implicit, Resource(implicit, kind, {}))
    return Template(
        path=path,
        stack_name=stack_name,
        region=region,
        account_id=account_id,
        functions={f.function_name: f for f in functions},
        buckets=buckets,
        resources=loaded,
        warnings=tuple(warnings),
    )


def _transforms(document: LocatedDict) -> list[str]:
    transform = document.get("Transform")
    if isinstance(transform, list):
        return [str(t) for t in transform]
    return [str(transform)] if transform else []


def _implicit_apis(resources: Mapping[str, Any]) -> dict[str, str]:
    # SAM creates ServerlessRestApi / ServerlessHttpApi for events that name no API
    # (SAM developer guide: "AWS::Serverless::Api", implicit APIs).
    implicit: dict[str, str] = {}
    for resource in resources.values():
        if not isinstance(resource, dict) or resource.get("Type") not in FUNCTION_TYPES:
            continue
        events = (resource.get("Properties") or {}).get("Events") or {}
        for event in events.values() if isinstance(events, dict) else ():
            props = (event or {}).get("Properties") or {}
            if event.get("Type") == "Api" and "RestApiId" not in props:
                implicit[IMPLICIT_REST_API] = "AWS::Serverless::Api"
            if event.get("Type") == "HttpApi" and "ApiId" not in props:
                implicit[IMPLICIT_HTTP_API] = "AWS::Serverless::HttpApi"
    return implicit


def _load_resources(
    document: LocatedDict, names: Names, warnings: list[str]
) -> dict[str, Resource]:
    globals_ = (document.get("Globals") or {}).get("Function") or {}
    loaded: dict[str, Resource] = {}
    ignored: dict[str, list[str]] = {}
    for logical_id, resource in names.resources.items():
        where = Location(names.info.path, line_of(document, ("Resources", logical_id)), logical_id)
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise TemplateError("a resource needs a Type", where)
        condition = resource.get("Condition")
        if condition is not None and not names.conditions.get(str(condition), False):
            if str(condition) not in names.conditions:
                raise TemplateError(f"Condition {condition!r} is not defined", where)
            continue
        kind = resource["Type"]
        properties = resource.get("Properties") or {}
        if kind in FUNCTION_TYPES:
            properties = merge_globals(globals_, properties)
        loaded[logical_id] = Resource(logical_id, kind, _resolve(properties, names, logical_id))
        if kind not in SERVED_TYPES and kind not in SILENT_TYPES:
            ignored.setdefault(kind, []).append(logical_id)
    for kind, ids in ignored.items():
        warnings.append(f"resources of type {kind} are not emulated: {', '.join(ids)}")
    return loaded


def _resolve(properties: Any, names: Names, logical_id: str) -> dict[str, Any]:
    try:
        resolved = resolve(properties, names.scope())
    except IntrinsicError as exc:
        field = _failing_field(properties, names)
        line = line_of(names.document, ("Resources", logical_id, "Properties", *field))
        where = Location(names.info.path, line, logical_id, ".".join(field) or None)
        raise TemplateError(str(exc), where) from None
    return resolved if isinstance(resolved, dict) else {}


def _failing_field(properties: Any, names: Names, path: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The deepest property path whose value alone fails to resolve."""
    if not isinstance(properties, dict):
        return path
    for key, value in properties.items():
        try:
            resolve(value, names.scope())
        except IntrinsicError:
            if key == "Ref" or key.startswith("Fn::"):
                return path
            return _failing_field(value, names, (*path, key))
    return path


def _functions(
    document: LocatedDict, names: Names, loaded: Mapping[str, Resource], warnings: list[str]
) -> list[FunctionConfig]:
    functions: list[FunctionConfig] = []
    seen: dict[str, str] = {}
    for resource in loaded.values():
        if resource.type not in FUNCTION_TYPES:
            continue
        logical_id = resource.logical_id
        try:
            config = build_function(
                logical_id,
                names.physical_id(logical_id) or logical_id,
                resource.properties,
                project_dir=names.info.path.resolve().parent,
                warn=warnings.append,
            )
        except PropertyError as exc:
            path = ("Resources", logical_id, "Properties", *exc.field.split("."))
            where = Location(names.info.path, line_of(document, path), logical_id, exc.field)
            raise TemplateError(exc.message, where) from None
        except Unsupported as exc:
            warnings.append(f"{logical_id}: {exc}; the function is not served")
            continue
        except _SHAPE_ERRORS as exc:
            where = Location(
                names.info.path, line_of(document, ("Resources", logical_id)), logical_id
            )
            raise TemplateError(_shape_message(exc), where) from None
        if config.function_name in seen:
            where = Location(
                names.info.path, line_of(document, ("Resources", logical_id)), logical_id
            )
            other = seen[config.function_name]
            raise TemplateError(
                f"FunctionName {config.function_name!r} is also used by {other}", where
            )
        seen[config.function_name] = logical_id
        functions.append(config)
    return functions


def _apply_env_overrides(
    functions: list[FunctionConfig], overrides: Mapping[str, Mapping[str, str]]
) -> list[FunctionConfig]:
    # `sam local --env-vars` semantics: "Parameters" applies to every function, a logical id (or
    # function name) to that one; only variables the template declares are overridden.
    shared = overrides.get("Parameters", {})
    result = []
    for config in functions:
        own = overrides.get(config.logical_id) or overrides.get(config.function_name) or {}
        values = {**shared, **own}
        environment = {
            key: str(values[key]) if key in values else value
            for key, value in config.environment.items()
        }
        result.append(replace(config, environment=environment))
    return result


def template_path(path: Path) -> Path:
    """The template file for a path that may be a project folder."""
    if path.is_dir():
        for name in ("template.yaml", "template.yml", "template.json"):
            if (path / name).exists():
                return path / name
    return path
