"""Which values lambdock masks, and how (CloudFormation user guide, "Parameters": NoEcho values
are shown as ****)."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.errors import TemplateError
from emulator.secrets import Secrets, secrets_of
from emulator.template import load_template

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  DbPassword:
    Type: String
    NoEcho: true
    Default: default-secret
  Token:
    Type: String
    NoEcho: "true"
  Stage:
    Type: String
    Default: dev
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: .
"""


def test_noecho_parameters_and_env_vars_values_are_secret(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    secrets = secrets_of(template, {"Token": "given-token"}, {"Fn": {"KEY": "from-env-vars"}})
    assert secrets == Secrets(frozenset({"default-secret", "given-token", "from-env-vars"}))


def test_an_overridden_noecho_parameter_is_secret_in_its_new_value_only(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    secrets = secrets_of(template, {"DbPassword": "override-1", "Token": "t0ken"}, {})
    assert secrets.values == frozenset({"override-1", "t0ken"})


def test_an_unreadable_template_still_masks_env_vars_values(tmp_path: Path) -> None:
    secrets = secrets_of(tmp_path / "missing.yaml", {}, {"Parameters": {"A": "abcd"}})
    assert secrets.values == frozenset({"abcd"})


def test_mask_replaces_secrets_inside_text_longest_first() -> None:
    secrets = Secrets.of(["hunter2-long", "hunter2", ""])
    assert secrets.mask("pw=hunter2-long or hunter2!") == "pw=**** or ****!"


def test_short_secrets_are_masked_only_as_whole_values() -> None:
    secrets = Secrets.of(["1", "abc"])
    assert secrets.mask("retries=1 abc") == "retries=1 abc"
    assert secrets.mask_environment({"DEBUG": "1", "RETRY": "10", "X": "abc"}) == {
        "DEBUG": "****",
        "RETRY": "10",
        "X": "****",
    }


def test_a_variable_embedding_a_secret_is_masked_whole() -> None:
    secrets = Secrets.of(["s3cr3t-pw"])
    assert secrets.mask_environment({"DSN": "pg://u:s3cr3t-pw@h/db", "STAGE": "dev"}) == {
        "DSN": "****",
        "STAGE": "dev",
    }


def test_a_noecho_value_outside_allowed_values_is_not_shown_in_the_error(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        TEMPLATE.replace("    Default: default-secret\n", "    AllowedValues: [a, b]\n")
    )
    with pytest.raises(TemplateError) as failed:
        load_template(template, parameter_overrides={"DbPassword": "wrong-pw", "Token": "t"})
    assert "wrong-pw" not in str(failed.value)
    assert failed.value.message == "parameter DbPassword is '****', not one of ['a', 'b']"
