"""The names a template defines: parameters, pseudo parameters, conditions and resource ids."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.errors import Location, TemplateError
from emulator.template.intrinsics import IntrinsicError, Scope, resolve
from emulator.template.names import generated_api_id, generated_bucket_name
from emulator.template.yaml_loader import LocatedDict

# Logical ids SAM gives the APIs it creates for events without RestApiId / ApiId.
IMPLICIT_REST_API = "ServerlessRestApi"
IMPLICIT_HTTP_API = "ServerlessHttpApi"


def line_of(node: Any, path: tuple[str, ...]) -> int | None:
    """The line of the deepest key of `path` found in a located mapping."""
    line = node.line if isinstance(node, LocatedDict) else None
    for key in path:
        if not isinstance(node, LocatedDict) or key not in node:
            break
        line = node.key_lines.get(key, line)
        node = node[key]
    return line


@dataclass(frozen=True)
class StackInfo:
    """Where and as what the template is deployed locally."""

    path: Path
    stack_name: str
    region: str
    account_id: str


def pseudo_parameters(info: StackInfo) -> dict[str, Any]:
    """AWS pseudo parameters (CloudFormation User Guide: "Pseudo parameters reference")."""
    stack_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"lambdock:{info.stack_name}")
    return {
        "AWS::Region": info.region,
        "AWS::AccountId": info.account_id,
        "AWS::StackName": info.stack_name,
        "AWS::StackId": (
            f"arn:aws:cloudformation:{info.region}:{info.account_id}:stack/"
            f"{info.stack_name}/{stack_uuid}"
        ),
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NotificationARNs": [],
    }


def parameter_values(
    document: LocatedDict, overrides: Mapping[str, str], info: StackInfo
) -> dict[str, Any]:
    """Each parameter's value: the override, else its Default; checked against AllowedValues."""
    declared = document.get("Parameters") or {}
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        where = Location(info.path, line_of(document, ("Parameters", name)), field=name)
        spec = spec if isinstance(spec, dict) else {}
        if name in overrides:
            value: Any = overrides[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            raise TemplateError(
                f"parameter {name} has no Default; give one with --parameter-overrides {name}=...",
                where,
            )
        allowed = spec.get("AllowedValues")
        if allowed and str(value) not in [str(a) for a in allowed]:
            # A NoEcho value is never shown, not even in an error (CloudFormation shows ****).
            shown = "'****'" if str(spec.get("NoEcho", "")).lower() == "true" else repr(value)
            raise TemplateError(f"parameter {name} is {shown}, not one of {allowed}", where)
        if str(spec.get("Type", "")).startswith(("CommaDelimitedList", "List<")):
            value = [item.strip() for item in str(value).split(",")]
        elif not isinstance(value, list):
            value = str(value)
        values[name] = value
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(
            f"--parameter-overrides names {', '.join(unknown)}, not declared in Parameters",
            Location(info.path, line_of(document, ("Parameters",))),
        )
    return values


@dataclass
class Names:
    """Physical ids and attributes of the template's resources, computed once on demand."""

    document: LocatedDict
    info: StackInfo
    values: dict[str, Any]
    conditions: dict[str, bool] = field(default_factory=dict)
    implicit: dict[str, str] = field(default_factory=dict)
    _physical: dict[str, str] = field(default_factory=dict)
    _pending: set[str] = field(default_factory=set)

    @property
    def resources(self) -> Mapping[str, Any]:
        """The template's Resources section."""
        return self.document.get("Resources") or {}

    def scope(self) -> Scope:
        """A resolution scope bound to these names."""
        return Scope(
            values=self.values,
            resource_ref=self.physical_id,
            resource_attr=self.attribute,
            conditions=self.conditions,
            mappings=self.document.get("Mappings") or {},
        )

    def physical_id(self, logical_id: str) -> str | None:
        """What `!Ref logical_id` means for a resource, or None when there is no such one."""
        if logical_id in self._physical:
            return self._physical[logical_id]
        if logical_id in self.implicit:
            return generated_api_id(self.info.stack_name, logical_id)
        resource = self.resources.get(logical_id)
        if not isinstance(resource, dict):
            return None
        if logical_id in self._pending:
            raise IntrinsicError(f"{logical_id} refers to itself through its own name")
        self._pending.add(logical_id)
        try:
            name = self._name_of(logical_id, resource)
        finally:
            self._pending.discard(logical_id)
        self._physical[logical_id] = name
        return name

    def _name_of(self, logical_id: str, resource: Mapping[str, Any]) -> str:
        kind = resource.get("Type")
        properties = resource.get("Properties") or {}
        name_property = _NAME_PROPERTIES.get(str(kind))
        if name_property and name_property in properties:
            return str(resolve(properties[name_property], self.scope()))
        if kind == "AWS::S3::Bucket":
            return generated_bucket_name(self.info.stack_name, logical_id)
        if kind in (
            "AWS::Serverless::Api",
            "AWS::Serverless::HttpApi",
            "AWS::ApiGateway::RestApi",
            "AWS::ApiGatewayV2::Api",
        ):
            return generated_api_id(self.info.stack_name, logical_id)
        # SAM local names a function without FunctionName by its logical id, and so do we.
        return logical_id

    def attribute(self, logical_id: str, attribute: str) -> str | None:
        """What `!GetAtt logical_id.attribute` means, or None when unknown."""
        physical = self.physical_id(logical_id)
        if physical is None:
            return None
        kind = (self.resources.get(logical_id) or {}).get("Type")
        info = self.info
        builders: dict[tuple[str, str], Callable[[], str]] = {
            ("AWS::S3::Bucket", "Arn"): lambda: f"arn:aws:s3:::{physical}",
            ("AWS::S3::Bucket", "DomainName"): lambda: f"{physical}.s3.amazonaws.com",
            ("AWS::S3::Bucket", "RegionalDomainName"): (
                lambda: f"{physical}.s3.{info.region}.amazonaws.com"
            ),
            ("AWS::Serverless::Function", "Arn"): lambda: (
                f"arn:aws:lambda:{info.region}:{info.account_id}:function:{physical}"
            ),
            ("AWS::Lambda::Function", "Arn"): lambda: (
                f"arn:aws:lambda:{info.region}:{info.account_id}:function:{physical}"
            ),
        }
        builder = builders.get((str(kind), attribute))
        if builder is not None:
            return builder()
        if attribute == "Arn":
            service = str(kind).split("::")[1].lower() if "::" in str(kind) else "unknown"
            return f"arn:aws:{service}:{info.region}:{info.account_id}:{physical}"
        return f"{physical}.{attribute}"


_NAME_PROPERTIES = {
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Serverless::SimpleTable": "TableName",
    "AWS::IAM::Role": "RoleName",
}


def evaluate_conditions(names: Names) -> None:
    """Evaluate the Conditions section into `names.conditions`, in dependency order."""
    declared = names.document.get("Conditions") or {}
    scope = names.scope()
    pending: set[str] = set()

    def evaluate(name: str) -> bool:
        if name in names.conditions:
            return names.conditions[name]
        if name not in declared:
            raise IntrinsicError(f"condition {name!r} is not defined")
        if name in pending:
            raise IntrinsicError(f"condition {name!r} depends on itself")
        pending.add(name)
        for dependency in _condition_names(declared[name]):
            evaluate(dependency)
        value = resolve(declared[name], scope)
        pending.discard(name)
        if not isinstance(value, bool):
            raise IntrinsicError(f"condition {name!r} does not evaluate to true or false")
        names.conditions[name] = value
        return value

    for name in declared:
        try:
            evaluate(name)
        except IntrinsicError as exc:
            where = Location(names.info.path, line_of(names.document, ("Conditions", name)))
            raise TemplateError(str(exc), where) from None


def _condition_names(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["Condition"]] if isinstance(node.get("Condition"), str) else []
        for value in node.values():
            found.extend(_condition_names(value))
        return found
    if isinstance(node, list):
        return [name for item in node for name in _condition_names(item)]
    return []
