"""Read CloudFormation YAML (short-form tags included) into dicts that remember their lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from emulator.errors import Location, TemplateError

# A template larger than this is not a SAM template anyone deploys (CloudFormation's own limit
# for a template uploaded to S3 is 1 MB); refusing early bounds time and memory.
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024

_SCALAR_TAGS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
}
_FN_TAGS = (
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAtt",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "And",
    "Equals",
    "If",
    "Not",
    "Or",
    "Length",
    "ToJsonString",
)


class LocatedDict(dict[str, Any]):
    """A mapping from the template that knows its own line and the line of each key."""

    line: int | None = None
    key_lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    """SafeLoader with CloudFormation tags and line numbers on mappings."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    result = LocatedDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _tagged(name: str, *, getatt: bool = False) -> Any:
    def construct(loader: _Loader, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if getatt:
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = _construct_mapping(loader, node)  # type: ignore[arg-type]
        wrapped = LocatedDict({name: value})
        wrapped.line = node.start_mark.line + 1
        wrapped.key_lines = {name: node.start_mark.line + 1}
        return wrapped

    return construct


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
for _tag, _name in _SCALAR_TAGS.items():
    _Loader.add_constructor(_tag, _tagged(_name))
for _fn in _FN_TAGS:
    _Loader.add_constructor(f"!{_fn}", _tagged(f"Fn::{_fn}", getatt=_fn == "GetAtt"))


def load_yaml(path: Path) -> LocatedDict:
    """Parse a template file; a YAML error becomes a TemplateError with its line."""
    try:
        size = path.stat().st_size
        if size > MAX_TEMPLATE_BYTES:
            raise TemplateError(
                f"template is {size} bytes; lambdock reads at most {MAX_TEMPLATE_BYTES}",
                Location(path),
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError("template file not found", Location(path)) from None
    except UnicodeDecodeError as exc:
        raise TemplateError(f"template is not UTF-8 text ({exc.reason})", Location(path)) from None
    return parse_yaml(text, path)


def parse_yaml(text: str, path: Path) -> LocatedDict:
    """Parse template text; `path` only names the file in errors."""
    try:
        document = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise TemplateError(f"not valid YAML: {exc.problem or exc}", Location(path, line)) from None
    except yaml.YAMLError as exc:
        raise TemplateError(f"not valid YAML: {exc}", Location(path)) from None
    except RecursionError:
        raise TemplateError("template nests too deeply", Location(path)) from None
    except ValueError as exc:
        # e.g. an integer of more digits than Python converts (sys.get_int_max_str_digits).
        raise TemplateError(f"a value cannot be read: {str(exc)[:200]}", Location(path)) from None
    if not isinstance(document, LocatedDict):
        raise TemplateError("template must be a YAML mapping", Location(path))
    return document
