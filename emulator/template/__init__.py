"""Loading SAM/CloudFormation templates into typed models."""

from emulator.template.loader import load_template, template_path
from emulator.template.models import BucketConfig, EventSpec, FunctionConfig, Resource, Template

__all__ = [
    "BucketConfig",
    "EventSpec",
    "FunctionConfig",
    "Resource",
    "Template",
    "load_template",
    "template_path",
]
