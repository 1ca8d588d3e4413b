"""Values lambdock must not show: NoEcho parameters and everything given with --env-vars.

AWS shows a NoEcho parameter as `****` (CloudFormation user guide, "Parameters": NoEcho).
lambdock masks such values, and every value of a `sam local --env-vars` file, wherever it shows
something itself: function configurations (GetFunction, ListFunctions, the dashboard) and the
log lines it keeps and echoes. Functions still get the real values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from emulator.errors import TemplateError
from emulator.template import template_path
from emulator.template.yaml_loader import load_yaml

MASK = "****"
# A secret shorter than this is masked where it is a variable's whole value, not inside text:
# masking "1" or "on" in every log line would hide more than it protects.
MIN_EMBEDDED = 4


@dataclass(frozen=True)
class Secrets:
    """The secret values of one lambdock, and how to mask them."""

    values: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, values: Iterable[str]) -> Secrets:
        """The non-empty values given."""
        return cls(frozenset(value for value in values if value))

    @property
    def _embedded(self) -> list[str]:
        # Longest first, so a secret that contains another is masked whole.
        return sorted((v for v in self.values if len(v) >= MIN_EMBEDDED), key=len, reverse=True)

    def mask(self, text: str) -> str:
        """The text with every (long enough) secret replaced by ****."""
        for value in self._embedded:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def mask_environment(self, variables: Mapping[str, str]) -> dict[str, str]:
        """Variables with secret values (whole, or inside) shown as ****."""
        return {
            name: MASK if value in self.values or self.mask(value) != value else value
            for name, value in variables.items()
        }


def secrets_of(
    template: Path,
    parameter_overrides: Mapping[str, str],
    env_vars: Mapping[str, Mapping[str, str]],
) -> Secrets:
    """The NoEcho parameters' values (overridden or default) and every --env-vars value."""
    values = [value for variables in env_vars.values() for value in variables.values()]
    try:
        document = load_yaml(template_path(template))
    except TemplateError:
        return Secrets.of(values)
    declared = document.get("Parameters")
    for name, spec in declared.items() if isinstance(declared, dict) else ():
        if isinstance(spec, dict) and str(spec.get("NoEcho", "")).lower() == "true":
            value = parameter_overrides.get(name, spec.get("Default"))
            if value is not None:
                values.append(str(value))
    return Secrets.of(values)
