"""Resolve CloudFormation intrinsic functions against parameters, pseudo parameters and resources.

Follows the AWS CloudFormation User Guide, "Intrinsic function reference" and "Pseudo parameters
reference". Resolution is pure: a `Scope` says what names mean, `resolve` walks a value.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# A value that stands for AWS::NoValue: the enclosing key or list item is dropped.
NO_VALUE = object()

# Visiting more nodes than this means aliases fan out (a "YAML bomb"), not a real template.
MAX_NODES = 200_000
MAX_DEPTH = 64

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class IntrinsicError(Exception):
    """A value that cannot be resolved; the caller adds the resource and property."""


@dataclass
class Scope:
    """What names mean while resolving: parameters, pseudo parameters, resources, conditions."""

    values: Mapping[str, Any]
    resource_ref: Callable[[str], str | None]
    resource_attr: Callable[[str, str], str | None]
    conditions: Mapping[str, bool] = field(default_factory=dict)
    mappings: Mapping[str, Any] = field(default_factory=dict)
    budget: list[int] = field(default_factory=lambda: [MAX_NODES])


def resolve(value: Any, scope: Scope, depth: int = 0) -> Any:
    """Return `value` with every intrinsic function replaced by what it evaluates to."""
    scope.budget[0] -= 1
    if scope.budget[0] < 0:
        raise IntrinsicError(f"template expands to more than {MAX_NODES} values (alias bomb?)")
    if depth > MAX_DEPTH:
        raise IntrinsicError(f"template nests deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, arg),) = value.items()
            if (
                key == "Ref"
                or key.startswith("Fn::")
                or (key == "Condition" and not isinstance(arg, dict))
            ):
                return _call(key, arg, scope, depth + 1)
        out = {}
        for key, item in value.items():
            resolved = resolve(item, scope, depth + 1)
            if resolved is not NO_VALUE:
                out[key] = resolved
        return out
    if isinstance(value, list):
        items = [resolve(item, scope, depth + 1) for item in value]
        return [item for item in items if item is not NO_VALUE]
    return value


def _call(name: str, arg: Any, scope: Scope, depth: int) -> Any:
    handler = _FUNCTIONS.get(name)
    if handler is None:
        raise IntrinsicError(f"{name} is not supported by lambdock")
    return handler(arg, scope, depth)


def _ref(arg: Any, scope: Scope, depth: int) -> Any:
    if not isinstance(arg, str):
        raise IntrinsicError(f"Ref takes a name, not {type(arg).__name__}")
    if arg == "AWS::NoValue":
        return NO_VALUE
    if arg in scope.values:
        return scope.values[arg]
    physical = scope.resource_ref(arg)
    if physical is None:
        raise IntrinsicError(f"Ref to {arg!r}, which is neither a parameter nor a resource")
    return physical


def _get_att(arg: Any, scope: Scope, depth: int) -> Any:
    arg = resolve(arg, scope, depth)
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    if not (isinstance(arg, list) and len(arg) == 2 and all(isinstance(a, str) for a in arg)):
        raise IntrinsicError(f"Fn::GetAtt takes [Resource, Attribute], not {arg!r}")
    value = scope.resource_attr(arg[0], arg[1])
    if value is None:
        raise IntrinsicError(f"Fn::GetAtt {arg[0]}.{arg[1]}: no such resource or attribute")
    return value


def _sub(arg: Any, scope: Scope, depth: int) -> Any:
    variables: Mapping[str, Any] = {}
    if isinstance(arg, list):
        if len(arg) != 2 or not isinstance(arg[1], dict):
            raise IntrinsicError("Fn::Sub takes a string or [string, {variables}]")
        text, variables = arg[0], resolve(arg[1], scope, depth)
    else:
        text = arg
    if not isinstance(text, str):
        raise IntrinsicError("Fn::Sub takes a string")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return _text(variables[name], name)
        if "." in name and name.split(".", 1)[0] not in scope.values:
            resource, attribute = name.split(".", 1)
            return _text(_get_att([resource, attribute], scope, depth), name)
        return _text(_ref(name, scope, depth), name)

    return _SUB_VARIABLE.sub(replace, text)


def _text(value: Any, name: str) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, (dict,)) or value is NO_VALUE:
        raise IntrinsicError(f"Fn::Sub variable {name!r} is not a string")
    return str(value)


def _join(arg: Any, scope: Scope, depth: int) -> Any:
    arg = resolve(arg, scope, depth)
    if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list)):
        raise IntrinsicError("Fn::Join takes [delimiter, [values]]")
    return str(arg[0]).join(_text(v, "Fn::Join") for v in arg[1])


def _select(arg: Any, scope: Scope, depth: int) -> Any:
    arg = resolve(arg, scope, depth)
    if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list)):
        raise IntrinsicError("Fn::Select takes [index, [values]]")
    try:
        return arg[1][int(arg[0])]
    except (ValueError, IndexError):
        raise IntrinsicError(f"Fn::Select index {arg[0]!r} out of range") from None


def _split(arg: Any, scope: Scope, depth: int) -> Any:
    arg = resolve(arg, scope, depth)
    if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], str)):
        raise IntrinsicError("Fn::Split takes [delimiter, string]")
    return arg[1].split(str(arg[0]))


def _find_in_map(arg: Any, scope: Scope, depth: int) -> Any:
    arg = resolve(arg, scope, depth)
    if not (isinstance(arg, list) and len(arg) in (3, 4)):
        raise IntrinsicError("Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]")
    try:
        return scope.mappings[arg[0]][arg[1]][arg[2]]
    except (KeyError, TypeError):
        if len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
            return arg[3]["DefaultValue"]
        raise IntrinsicError(f"Fn::FindInMap: no entry {arg[:3]!r}") from None


def _if(arg: Any, scope: Scope, depth: int) -> Any:
    if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
        raise IntrinsicError("Fn::If takes [ConditionName, value if true, value if false]")
    if arg[0] not in scope.conditions:
        raise IntrinsicError(f"Fn::If names condition {arg[0]!r}, which is not defined")
    return resolve(arg[1] if scope.conditions[arg[0]] else arg[2], scope, depth)


def _condition(arg: Any, scope: Scope, depth: int) -> Any:
    if arg not in scope.conditions:
        raise IntrinsicError(f"Condition {arg!r} is not defined")
    return scope.conditions[arg]


def _equals(arg: Any, scope: Scope, depth: int) -> Any:
    arg = resolve(arg, scope, depth)
    if not (isinstance(arg, list) and len(arg) == 2):
        raise IntrinsicError("Fn::Equals takes two values")
    return str(arg[0]) == str(arg[1])


def _boolean_list(name: str, arg: Any, scope: Scope, depth: int) -> list[bool]:
    arg = resolve(arg, scope, depth)
    if not isinstance(arg, list) or not all(isinstance(a, bool) for a in arg):
        raise IntrinsicError(f"{name} takes a list of conditions")
    return arg


def _not(arg: Any, scope: Scope, depth: int) -> Any:
    values = _boolean_list("Fn::Not", arg, scope, depth)
    if len(values) != 1:
        raise IntrinsicError("Fn::Not takes exactly one condition")
    return not values[0]


def _base64(arg: Any, scope: Scope, depth: int) -> Any:
    return base64.b64encode(str(resolve(arg, scope, depth)).encode()).decode()


def _get_azs(arg: Any, scope: Scope, depth: int) -> Any:
    region = str(resolve(arg, scope, depth) or scope.values.get("AWS::Region", "us-east-1"))
    return [f"{region}{zone}" for zone in "abc"]


def _to_json_string(arg: Any, scope: Scope, depth: int) -> Any:
    return json.dumps(resolve(arg, scope, depth), separators=(",", ":"))


_FUNCTIONS: dict[str, Callable[[Any, Scope, int], Any]] = {
    "Ref": _ref,
    "Condition": _condition,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::FindInMap": _find_in_map,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::Not": _not,
    "Fn::And": lambda a, s, d: all(_boolean_list("Fn::And", a, s, d)),
    "Fn::Or": lambda a, s, d: any(_boolean_list("Fn::Or", a, s, d)),
    "Fn::Base64": _base64,
    "Fn::GetAZs": _get_azs,
    "Fn::ToJsonString": _to_json_string,
}
