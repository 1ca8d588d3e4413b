"""sample_tasks/template.yaml deploys unchanged: cfn-lint accepts it and SAM transforms it.

`sam deploy` runs the template through AWS's SAM translator (aws-sam-translator on PyPI) and
CloudFormation; cfn-lint checks the result against CloudFormation's resource specifications.
Both run offline here, so a template lambdock serves but AWS would reject fails the suite.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from cfnlint.api import lint
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

from tests.support import REPO

TEMPLATE = REPO / "sample_tasks" / "template.yaml"
# Regions the sample is meant to deploy to; cfn-lint checks resource availability in each.
REGIONS = ["us-east-1", "eu-west-1"]


def _packaged(document: dict[str, Any]) -> dict[str, Any]:
    """What `sam deploy` hands to the transform: local CodeUri folders uploaded to S3 first
    (`sam package` replaces each with the s3:// URI of its zip)."""
    sections = [document.get("Globals", {}).get("Function", {})]
    sections += [resource.get("Properties", {}) for resource in document["Resources"].values()]
    for properties in sections:
        code_uri = properties.get("CodeUri")
        if isinstance(code_uri, str) and not code_uri.startswith("s3://"):
            properties["CodeUri"] = f"s3://sam-artifacts-bucket/{code_uri.replace('/', '-')}.zip"
    return document


def _translated() -> dict[str, Any]:
    # The session gives the region of the pseudo parameters; no AWS call is made. The managed
    # policy map is asked for only when a policy is named by its bare name, which the sample
    # does not do (it uses SAM policy templates).
    session = boto3.session.Session(region_name="us-east-1")
    translator = Translator({}, Parser(), boto_session=session)
    document = _packaged(yaml_parse(TEMPLATE.read_text()))
    result: dict[str, Any] = translator.translate(document, parameter_values={})
    return result


def test_cfn_lint_finds_nothing_in_the_sample_template() -> None:
    matches = lint(TEMPLATE.read_text(), config={"regions": REGIONS})
    assert [str(match) for match in matches] == []


def test_the_sam_translator_turns_the_template_into_plain_cloudformation() -> None:
    resources = _translated()["Resources"]
    kinds = sorted({resource["Type"] for resource in resources.values()})
    assert kinds == [
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Stage",
        "AWS::Events::Rule",
        "AWS::IAM::Role",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::Lambda::Function",
        "AWS::Lambda::Permission",
        "AWS::S3::Bucket",
    ]


def test_the_incoming_bucket_notifies_each_task_function_by_key_prefix() -> None:
    resources = _translated()["Resources"]
    configurations = resources["IncomingBucket"]["Properties"]["NotificationConfiguration"][
        "LambdaConfigurations"
    ]
    routes = sorted(
        (
            tuple(rule["Value"] for rule in item["Filter"]["S3Key"]["Rules"]),
            item["Function"]["Fn::GetAtt"][0],
        )
        for item in configurations
    )
    assert routes == [
        (("csv-stats/", ".json"), "ProcessTaskFunction"),
        (("fetch-url/", ".json"), "FetchUrlFunction"),
        (("transform/", ".json"), "ProcessTaskFunction"),
        (("word-count/", ".json"), "ProcessTaskFunction"),
    ]


def test_translated_template_passes_cfn_lint_as_plain_cloudformation() -> None:
    matches = lint(json.dumps(_translated()), config={"regions": REGIONS})
    assert [str(match) for match in matches] == []
