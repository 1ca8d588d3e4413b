"""The context object's attributes and methods.

Follows the AWS Lambda developer guide ("Using the Lambda context object to retrieve Python
function information") and awslambdaric 4.2.2 (``awslambdaric/lambda_context.py``): values from
the environment stay strings, ``identity`` always exists, ``client_context`` only when sent, and
a context header that is not JSON fails the invocation with
``Runtime.LambdaContextUnmarshalError``.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from lambdock_runtime.client import Invocation
from lambdock_runtime.context import Client, FunctionInfo, LambdaContext
from lambdock_runtime.errors import FaultError

FUNCTION = FunctionInfo.from_environ(
    {
        "AWS_LAMBDA_FUNCTION_NAME": "orders",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/orders",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]abc",
    }
)
INVOCATION = Invocation(
    request_id="8476a536-e9f4-11e8-9739-2dfe598c3fcd",
    body=b"{}",
    content_type="application/json",
    deadline_ms=1_700_000_003_000,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:orders",
    trace_id=None,
    client_context=None,
    cognito_identity=None,
    tenant_id=None,
)


def at(epoch_s: float) -> LambdaContext:
    return LambdaContext(INVOCATION, FUNCTION, clock=lambda: epoch_s)


def test_the_context_carries_the_function_and_invocation_attributes() -> None:
    context = at(1_700_000_000.0)
    assert {
        name: getattr(context, name)
        for name in (
            "function_name",
            "function_version",
            "invoked_function_arn",
            "memory_limit_in_mb",
            "aws_request_id",
            "log_group_name",
            "log_stream_name",
            "client_context",
            "tenant_id",
        )
    } == {
        "function_name": "orders",
        "function_version": "$LATEST",
        "invoked_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:orders",
        "memory_limit_in_mb": "512",
        "aws_request_id": "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
        "log_group_name": "/aws/lambda/orders",
        "log_stream_name": "2026/01/01/[$LATEST]abc",
        "client_context": None,
        "tenant_id": None,
    }


def test_remaining_time_counts_down_to_the_deadline_and_stops_at_zero() -> None:
    assert at(1_700_000_000.0).get_remaining_time_in_millis() == 3000
    assert at(1_700_000_002.5).get_remaining_time_in_millis() == 500
    assert at(1_700_000_010.0).get_remaining_time_in_millis() == 0


def test_identity_exists_with_empty_fields_without_a_cognito_header() -> None:
    identity = at(0).identity
    assert (identity.cognito_identity_id, identity.cognito_identity_pool_id) == (None, None)


def test_identity_comes_from_the_cognito_header() -> None:
    header = json.dumps({"cognitoIdentityId": "us-east-1:id", "cognitoIdentityPoolId": "pool"})
    context = LambdaContext(replace(INVOCATION, cognito_identity=header), FUNCTION)
    assert (context.identity.cognito_identity_id, context.identity.cognito_identity_pool_id) == (
        "us-east-1:id",
        "pool",
    )


def test_client_context_exposes_client_custom_and_env() -> None:
    header = json.dumps(
        {
            "client": {
                "installation_id": "i-1",
                "app_title": "Shop",
                "app_version_name": "1.2",
                "app_version_code": "12",
                "app_package_name": "com.example.shop",
            },
            "custom": {"cart": "c-9"},
            "env": {"platform": "iOS"},
        }
    )
    context = LambdaContext(replace(INVOCATION, client_context=header), FUNCTION)
    assert context.client_context is not None
    client = context.client_context.client
    assert isinstance(client, Client)
    assert {name: getattr(client, name) for name in Client.__slots__} == {
        "installation_id": "i-1",
        "app_title": "Shop",
        "app_version_name": "1.2",
        "app_version_code": "12",
        "app_package_name": "com.example.shop",
    }
    assert (context.client_context.custom, context.client_context.env) == (
        {"cart": "c-9"},
        {"platform": "iOS"},
    )


def test_a_client_context_without_client_has_none_there() -> None:
    header = json.dumps({"custom": {"k": "v"}})
    context = LambdaContext(replace(INVOCATION, client_context=header), FUNCTION)
    assert context.client_context is not None
    assert (context.client_context.client, context.client_context.env) == (None, None)


def test_a_client_context_that_is_not_json_fails_the_invocation() -> None:
    with pytest.raises(FaultError) as raised:
        LambdaContext(replace(INVOCATION, client_context="{not json"), FUNCTION)
    assert raised.value.error_type == "Runtime.LambdaContextUnmarshalError"
    assert raised.value.message.startswith("Unable to parse Client Context JSON: ")


def test_the_tenant_id_header_reaches_the_context() -> None:
    context = LambdaContext(replace(INVOCATION, tenant_id="tenant-7"), FUNCTION)
    assert context.tenant_id == "tenant-7"


def test_context_log_writes_the_message_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    at(0).log("plain message")
    assert capsys.readouterr().out == "plain message"
