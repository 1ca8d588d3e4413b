"""The template currently served; swapped whole when it is reloaded."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from emulator.errors import Location, TemplateError
from emulator.settings import Settings
from emulator.template import Template, load_template, template_path


class Stack:
    """Holds the loaded template; readers always see one consistent version."""

    def __init__(self, template: Template) -> None:
        self.template = template

    def current(self) -> Template:
        """The template being served now."""
        return self.template

    def replace(self, template: Template) -> None:
        """Serve another version of the template from now on."""
        self.template = template


def load_env_vars(path: Path | None) -> dict[str, dict[str, str]]:
    """Read a `sam local --env-vars` JSON file: {"Parameters"|FunctionId: {NAME: value}}."""
    if path is None:
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TemplateError("env-vars file not found", Location(path)) from None
    except json.JSONDecodeError as exc:
        raise TemplateError(f"not valid JSON: {exc.msg}", Location(path, exc.lineno)) from None
    if not isinstance(document, dict) or not all(isinstance(v, dict) for v in document.values()):
        raise TemplateError(
            'expected {"Parameters" or a function id: {"NAME": "value"}}', Location(path)
        )
    return {key: {k: str(v) for k, v in value.items()} for key, value in document.items()}


def load_stack_template(settings: Settings) -> Template:
    """Load the template named by the settings, with their overrides applied."""
    env_vars: Mapping[str, Mapping[str, str]] = load_env_vars(settings.env_vars_file)
    return load_template(
        template_path(settings.template),
        region=settings.region,
        account_id=settings.account_id,
        stack_name=settings.resolved_stack_name,
        parameter_overrides=settings.parameter_overrides,
        env_overrides=env_vars,
    )
