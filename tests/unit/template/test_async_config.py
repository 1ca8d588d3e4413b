"""Checking a function's async setup at load: EventInvokeConfig, destinations, schedule events.

Sources, named per test:
- [CONFIG] Lambda API reference, PutFunctionEventInvokeConfig: MaximumRetryAttempts 0-2,
  MaximumEventAgeInSeconds 60-21600.
- [SAM-DEST] SAM resource reference, "OnSuccess"/"OnFailure": Type is SQS, SNS, S3, Lambda or
  EventBridge; Destination is required for Lambda and EventBridge, optional for SQS/SNS (SAM
  creates them). [RECORDS] Lambda Developer Guide, "Capturing records of Lambda asynchronous
  invocations": an S3 bucket is an on-failure destination only.
- [EB] EventBridge User Guide, "Schedule expressions for rules" (rate and cron only for rules);
  SAM "Schedule" (Schedule, Input, Enabled, State, Name) and "ScheduleV2" (ScheduleExpression,
  ScheduleExpressionTimezone, State, GroupName, Input) event sources.
- [OURS] What deploys but lambdock cannot serve is a warning, not an error.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.errors import TemplateError
from emulator.template import load_template
from emulator.template.async_config import Destination, async_config, schedule_rules
from emulator.template.models import Template

HEADER = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src
"""
RECORDER = """\
  Recorder:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src
  Failures:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: failures
"""


def load(tmp_path: Path, worker_properties: str, extra: str = RECORDER) -> Template:
    (tmp_path / "src").mkdir(exist_ok=True)
    body = textwrap.indent(textwrap.dedent(worker_properties), " " * 6)
    (tmp_path / "template.yaml").write_text(HEADER + body + extra)
    return load_template(tmp_path / "template.yaml", stack_name="demo")


def error_of(tmp_path: Path, worker_properties: str) -> str:
    with pytest.raises(TemplateError) as caught:
        load(tmp_path, worker_properties)
    return str(caught.value).replace(str(tmp_path), "<project>")


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (
            "Schedule: rate(0 minutes)",
            "<project>/template.yaml:14, resource Worker, property Events.Tick.Properties.Schedule:"
            " Schedule expression 'rate(0 minutes)' is not valid: the rate value must be a "
            "positive integer",
        ),
        (
            "Schedule: cron(0 12 * * ?)",
            "<project>/template.yaml:14, resource Worker, property Events.Tick.Properties.Schedule:"
            " Schedule expression 'cron(0 12 * * ?)' is not valid: cron needs 6 fields, got 5",
        ),
        (
            "Schedule: at(2030-01-01T00:00:00)",
            "<project>/template.yaml:14, resource Worker, property Events.Tick.Properties.Schedule:"
            " Schedule expression 'at(2030-01-01T00:00:00)': a Schedule event takes rate() or "
            "cron()",
        ),
        (
            "Schedule: rate(5 minutes)\nInput: '{not json'",
            "<project>/template.yaml:15, resource Worker, property Events.Tick.Properties.Input: "
            "Input is not valid JSON: Expecting property name enclosed in double quotes: line 1 "
            "column 2 (char 1)",
        ),
        (
            "Schedule: rate(5 minutes)\nEnabled: false\nState: DISABLED",
            "<project>/template.yaml:15, resource Worker, property Events.Tick.Properties.Enabled:"
            " give Enabled or State, not both",
        ),
    ],
)
def test_a_bad_schedule_event_is_a_template_error_naming_function_and_expression(
    tmp_path: Path, events: str, message: str
) -> None:
    # [EB]
    properties = "Events:\n  Tick:\n    Type: Schedule\n    Properties:\n"
    properties += textwrap.indent(events, " " * 6) + "\n"
    assert error_of(tmp_path, properties) == message


def test_an_unknown_time_zone_is_a_template_error(tmp_path: Path) -> None:
    # [EB] ScheduleV2 ScheduleExpressionTimezone
    properties = """\
    Events:
      Tick:
        Type: ScheduleV2
        Properties:
          ScheduleExpression: cron(0 9 * * ? *)
          ScheduleExpressionTimezone: Mars/Olympus_Mons
    """
    assert error_of(tmp_path, properties) == (
        "<project>/template.yaml:15, resource Worker, property "
        "Events.Tick.Properties.ScheduleExpressionTimezone: unknown time zone 'Mars/Olympus_Mons'"
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            "MaximumRetryAttempts: 3",
            "<project>/template.yaml:11, resource Worker, property "
            "EventInvokeConfig.MaximumRetryAttempts: Value '3' failed to satisfy constraint: "
            "Member must have value less than or equal to 2",
        ),
        (
            "MaximumEventAgeInSeconds: 30",
            "<project>/template.yaml:11, resource Worker, property "
            "EventInvokeConfig.MaximumEventAgeInSeconds: Value '30' failed to satisfy constraint:"
            " Member must have value greater than or equal to 60",
        ),
        (
            "DestinationConfig:\n  OnSuccess:\n    Type: S3\n    Destination: !GetAtt Failures.Arn",
            "<project>/template.yaml:13, resource Worker, property "
            "EventInvokeConfig.DestinationConfig.OnSuccess.Type: an S3 bucket is an on-failure "
            "destination only",
        ),
        (
            "DestinationConfig:\n  OnFailure:\n    Type: Lambda",
            "<project>/template.yaml:12, resource Worker, property "
            "EventInvokeConfig.DestinationConfig.OnFailure.Destination: a Lambda destination "
            "needs Destination",
        ),
        (
            "DestinationConfig:\n  OnFailure:\n    Type: Lambda\n"
            "    Destination: !GetAtt Failures.Arn",
            "<project>/template.yaml:14, resource Worker, property "
            "EventInvokeConfig.DestinationConfig.OnFailure.Destination: 'arn:aws:s3:::failures' "
            "is not the ARN of a Lambda",
        ),
        (
            "DestinationConfig:\n  OnFailure:\n    Type: Kinesis\n    Destination: arn:x",
            "<project>/template.yaml:13, resource Worker, property "
            "EventInvokeConfig.DestinationConfig.OnFailure.Type: Type 'Kinesis' is not one of "
            "Lambda, S3, SQS, SNS, EventBridge",
        ),
    ],
)
def test_a_bad_event_invoke_config_is_a_template_error_naming_the_field(
    tmp_path: Path, config: str, message: str
) -> None:
    # [CONFIG] [SAM-DEST] [RECORDS]
    properties = "EventInvokeConfig:\n" + textwrap.indent(config, "  ") + "\n"
    assert error_of(tmp_path, properties) == message


def test_lambdock_up_exits_2_on_a_bad_schedule_expression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(TemplateError):
        load(
            tmp_path,
            "Events:\n  Tick:\n    Type: Schedule\n    Properties:\n"
            "      Schedule: rate(1 minutes)\n",
        )
    code = main(["up", "--template", str(tmp_path / "template.yaml"), "--port", "0"])
    assert code == 2
    assert "Schedule expression 'rate(1 minutes)' is not valid" in capsys.readouterr().err


def test_destinations_are_typed_with_their_type_or_from_their_arn(tmp_path: Path) -> None:
    # [SAM-DEST] Type is optional: the ARN says what it is
    template = load(
        tmp_path,
        """\
        EventInvokeConfig:
          MaximumRetryAttempts: 1
          MaximumEventAgeInSeconds: 120
          DestinationConfig:
            OnSuccess:
              Destination: !GetAtt Recorder.Arn
            OnFailure:
              Type: S3
              Destination: !GetAtt Failures.Arn
        """,
    )
    config = async_config(template.functions["Worker"])
    assert (config.policy.maximum_retry_attempts, config.policy.maximum_event_age_seconds) == (
        1,
        120,
    )
    assert config.on_success == Destination(
        "Lambda", "arn:aws:lambda:us-east-1:123456789012:function:Recorder"
    )
    assert config.on_failure == Destination("S3", "arn:aws:s3:::failures")
    assert config.on_failure.bucket == "failures"


def test_what_lambdock_cannot_serve_is_a_warning(tmp_path: Path) -> None:
    # [OURS]
    template = load(
        tmp_path,
        """\
        DeadLetterQueue:
          Type: SQS
          TargetArn: arn:aws:sqs:us-east-1:123456789012:dlq
        EventInvokeConfig:
          DestinationConfig:
            OnSuccess:
              Type: SQS
            OnFailure:
              Type: Lambda
              Destination: arn:aws:lambda:us-east-1:123456789012:function:elsewhere
        Events:
          Later:
            Type: ScheduleV2
            Properties:
              ScheduleExpression: rate(1 hour)
              StartDate: "2030-01-01T00:00:00Z"
        """,
    )
    assert template.warnings == (
        "Worker: OnSuccess destination of Type SQS is not emulated; its records are dropped",
        "Worker: OnFailure destination arn:aws:lambda:us-east-1:123456789012:function:elsewhere "
        "is not a function of this template; its records are dropped",
        "Worker: DeadLetterQueue is not emulated; use an OnFailure destination of Type Lambda "
        "or S3 to keep failed events locally",
        "Worker: event Later: StartDate is not emulated",
    )


def test_schedule_rules_carry_names_arns_zone_input_and_state(tmp_path: Path) -> None:
    # [EB]
    template = load(
        tmp_path,
        """\
        Events:
          Nightly:
            Type: Schedule
            Properties:
              Schedule: cron(0 2 * * ? *)
              Name: nightly
              Enabled: false
          Report:
            Type: ScheduleV2
            Properties:
              ScheduleExpression: rate(1 day)
              ScheduleExpressionTimezone: Europe/Paris
              GroupName: reports
              Input: '{"kind": "report"}'
        """,
    )
    nightly, report = schedule_rules(
        template.functions["Worker"], stack_name="demo", region="us-east-1", account_id="1" * 12
    )
    assert (nightly.name, nightly.arn, nightly.enabled, nightly.timezone, nightly.input) == (
        "nightly",
        "arn:aws:events:us-east-1:111111111111:rule/nightly",
        False,
        None,
        None,
    )
    assert (report.name, report.arn, report.enabled, report.timezone, report.input) == (
        "WorkerReport",
        "arn:aws:scheduler:us-east-1:111111111111:schedule/reports/WorkerReport",
        True,
        "Europe/Paris",
        '{"kind": "report"}',
    )
