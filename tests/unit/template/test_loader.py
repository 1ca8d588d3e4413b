"""Template loading: SAM properties, Globals, intrinsics, and errors that say where."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from emulator.errors import TemplateError
from emulator.template import load_template

HEADER = 'AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31\n'


def write(tmp_path: Path, body: str, *, code: bool = True) -> Path:
    if code:
        (tmp_path / "src").mkdir(exist_ok=True)
    path = tmp_path / "template.yaml"
    path.write_text(HEADER + textwrap.dedent(body))
    return path


def test_function_properties_and_globals_are_merged(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        Globals:
          Function:
            Runtime: python3.12
            Timeout: 10
            Environment: {Variables: {A: global, B: global}}
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              CodeUri: src
              MemorySize: 512
              Environment: {Variables: {B: own}}
        """,
    )
    fn = load_template(path).functions["Fn"]
    assert (fn.runtime, fn.timeout, fn.memory_size) == ("python3.12", 10, 512)
    assert fn.environment == {"A": "global", "B": "own"}
    assert fn.code_uri == (tmp_path / "src").resolve()


def test_defaults_are_lambdas(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties: {Handler: app.handler, Runtime: nodejs20.x, CodeUri: src}
        """,
    )
    fn = load_template(path).functions["Fn"]
    assert (fn.timeout, fn.memory_size, fn.reserved_concurrency) == (3, 128, None)
    assert fn.architectures == ("x86_64",)


def test_intrinsics_resolve_refs_to_buckets_functions_parameters_and_pseudo(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        Parameters:
          Stage: {Type: String, Default: dev}
        Conditions:
          IsProd: !Equals [!Ref Stage, prod]
        Resources:
          Data:
            Type: AWS::S3::Bucket
            Properties: {BucketName: !Sub "${AWS::StackName}-data-${Stage}"}
          Other:
            Type: AWS::Serverless::Function
            Properties: {Handler: a.b, Runtime: python3.12, CodeUri: src, FunctionName: other-fn}
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              Runtime: python3.12
              CodeUri: src
              Environment:
                Variables:
                  BUCKET: !Ref Data
                  BUCKET_ARN: !GetAtt Data.Arn
                  OTHER: !Ref Other
                  OTHER_ARN: !GetAtt Other.Arn
                  REGION: !Ref AWS::Region
                  ACCOUNT: !Sub "${AWS::AccountId}"
                  JOINED: !Join ["-", [a, !Ref Stage]]
                  LEVEL: !If [IsProd, WARN, DEBUG]
                  LITERAL: !Sub "${!NotAVariable}"
                  SELECTED: !Select [1, !Split [",", "x,y,z"]]
        """,
    )
    template = load_template(path, stack_name="shop", parameter_overrides={"Stage": "test"})
    assert template.functions["Fn"].environment == {
        "BUCKET": "shop-data-test",
        "BUCKET_ARN": "arn:aws:s3:::shop-data-test",
        "OTHER": "other-fn",
        "OTHER_ARN": "arn:aws:lambda:us-east-1:123456789012:function:other-fn",
        "REGION": "us-east-1",
        "ACCOUNT": "123456789012",
        "JOINED": "a-test",
        "LEVEL": "DEBUG",
        "LITERAL": "${NotAVariable}",
        "SELECTED": "y",
    }
    assert template.buckets["Data"].bucket_name == "shop-data-test"
    assert template.function("other-fn") is template.function("Other")


def test_bucket_without_name_gets_a_stable_generated_one(tmp_path: Path) -> None:
    path = write(tmp_path, "Resources:\n  Input:\n    Type: AWS::S3::Bucket\n", code=False)
    first = load_template(path, stack_name="MyStack").buckets["Input"].bucket_name
    again = load_template(path, stack_name="MyStack").buckets["Input"].bucket_name
    assert first == again
    assert first.startswith("mystack-input-") and first == first.lower() and len(first) <= 63


def test_implicit_api_exists_for_api_events(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              Runtime: python3.12
              CodeUri: src
              Events:
                Get: {Type: Api, Properties: {Path: /x, Method: get}}
                Http: {Type: HttpApi, Properties: {Path: /y, Method: get}}
        """,
    )
    template = load_template(path)
    assert template.resources["ServerlessRestApi"].type == "AWS::Serverless::Api"
    assert template.resources["ServerlessHttpApi"].type == "AWS::Serverless::HttpApi"
    assert [e.name for e in template.functions["Fn"].events] == ["Get", "Http"]


def test_unsupported_parts_are_warnings_not_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        Resources:
          Queue:
            Type: AWS::SQS::Queue
          Java:
            Type: AWS::Serverless::Function
            Properties: {Handler: a::b, Runtime: java21, CodeUri: src}
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              Runtime: python3.12
              CodeUri: src
              Tracing: Active
              Events:
                FromQueue: {Type: SQS, Properties: {Queue: !GetAtt Queue.Arn}}
        """,
    )
    template = load_template(path)
    assert list(template.functions) == ["Fn"]
    assert template.functions["Fn"].events == ()
    assert template.warnings == (
        "resources of type AWS::SQS::Queue are not emulated: Queue",
        "Java: runtime java21 is not supported by lambdock; the function is not served",
        "Fn: property Tracing is not emulated and is ignored",
        "Fn: event FromQueue of type SQS is not emulated",
    )


def error_of(tmp_path: Path, body: str, **kwargs: object) -> str:
    path = write(tmp_path, body)
    with pytest.raises(TemplateError) as failure:
        load_template(path, **kwargs)  # type: ignore[arg-type]
    return str(failure.value)


FN = """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
"""


def test_missing_handler_names_file_line_resource_and_property(tmp_path: Path) -> None:
    message = error_of(tmp_path, FN + "      Runtime: python3.12\n      CodeUri: src\n")
    assert message == (
        f"{tmp_path / 'template.yaml'}:7, resource Fn, property Handler: "
        "Handler is required for a Zip function"
    )


def test_codeuri_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    body = FN + "      Handler: a.b\n      Runtime: python3.12\n      CodeUri: nowhere\n"
    message = error_of(tmp_path, body)
    assert ":10, resource Fn, property CodeUri: CodeUri 'nowhere' does not exist" in message


def test_codeuri_outside_the_project_is_an_error(tmp_path: Path) -> None:
    body = FN + "      Handler: a.b\n      Runtime: python3.12\n      CodeUri: ../..\n"
    assert "points outside the project folder" in error_of(tmp_path, body)


def test_unknown_runtime_is_an_error(tmp_path: Path) -> None:
    body = FN + "      Handler: a.b\n      Runtime: python2.7\n      CodeUri: src\n"
    message = error_of(tmp_path, body)
    assert ":9, resource Fn, property Runtime: unknown runtime 'python2.7'" in message


def test_unresolvable_ref_names_the_property(tmp_path: Path) -> None:
    body = FN + (
        "      Handler: a.b\n      Runtime: python3.12\n      CodeUri: src\n"
        "      Environment:\n        Variables:\n          X: !Ref Nothing\n"
    )
    message = error_of(tmp_path, body)
    assert message.endswith(
        ":13, resource Fn, property Environment.Variables.X: "
        "Ref to 'Nothing', which is neither a parameter nor a resource"
    )


def test_yaml_error_gives_the_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, "Resources:\n  Fn: [unclosed\n")
    assert message.startswith(f"{tmp_path / 'template.yaml'}:")
    assert "not valid YAML" in message


def test_timeout_out_of_range_is_an_error(tmp_path: Path) -> None:
    body = (
        FN
        + "      Handler: a.b\n      Runtime: python3.12\n      CodeUri: src\n      Timeout: 901\n"
    )
    assert "property Timeout: Timeout is 901; Lambda allows 1 to 900" in error_of(tmp_path, body)


def test_parameter_without_default_needs_an_override(tmp_path: Path) -> None:
    body = "Parameters:\n  Key: {Type: String}\n" + FN + "      Handler: a.b\n"
    assert "parameter Key has no Default" in error_of(tmp_path, body)


def test_unknown_parameter_override_is_an_error(tmp_path: Path) -> None:
    body = FN + "      Handler: a.b\n      Runtime: python3.12\n      CodeUri: src\n"
    message = error_of(tmp_path, body, parameter_overrides={"Nope": "1"})
    assert "--parameter-overrides names Nope" in message


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)
    ]
    bomb = "\n".join(f"          {line}" for line in lines)
    body = FN + (
        "      Handler: a.b\n      Runtime: python3.12\n      CodeUri: src\n"
        "      Environment:\n        Variables:\n" + bomb + "\n"
    )
    assert "expands to more than" in error_of(tmp_path, body)


def test_env_vars_file_overrides_only_declared_variables(tmp_path: Path) -> None:
    body = FN + (
        "      Handler: a.b\n      Runtime: python3.12\n      CodeUri: src\n"
        "      Environment:\n        Variables:\n          A: template\n          B: template\n"
    )
    path = write(tmp_path, body)
    template = load_template(
        path, env_overrides={"Parameters": {"A": "all", "C": "new"}, "Fn": {"B": "own"}}
    )
    assert template.functions["Fn"].environment == {"A": "all", "B": "own"}
