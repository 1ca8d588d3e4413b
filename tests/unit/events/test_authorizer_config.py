"""SAM Auth settings turned into authorizers, with SAM's and API Gateway's defaults."""

from __future__ import annotations

import pytest

from emulator.events.authorizer_config import (
    AuthorizerConfigError,
    function_ref,
    http_auth_from_sam,
    rest_auth_from_sam,
)
from emulator.events.authorizers import AuthorizerConfig

GET_ATT = {"Fn::GetAtt": ["AuthFunction", "Arn"]}


def test_rest_token_authorizer_reads_the_authorization_header_by_default() -> None:
    # samtranslator ApiGatewayAuthorizer._get_identity_header; API Gateway's TTL default 300.
    auth = rest_auth_from_sam({"Authorizers": {"Tok": {"FunctionArn": GET_ATT}}}, "MyApi")
    assert auth.authorizers["Tok"] == AuthorizerConfig(
        name="Tok",
        api_kind="rest",
        type="TOKEN",
        function_ref="AuthFunction",
        identity_sources=("method.request.header.Authorization",),
        ttl_seconds=300,
    )


def test_rest_token_authorizer_takes_header_ttl_and_validation_expression() -> None:
    entry = {
        "FunctionArn": GET_ATT,
        "Identity": {"Header": "X-Token", "ReauthorizeEvery": 0, "ValidationExpression": "a.*"},
    }
    config = rest_auth_from_sam({"Authorizers": {"Tok": entry}}, "MyApi").authorizers["Tok"]
    assert (config.identity_sources, config.ttl_seconds) == (("method.request.header.X-Token",), 0)
    assert (
        config.validation_expression is not None and config.validation_expression.pattern == "a.*"
    )


def test_rest_request_authorizer_lists_every_identity_source_with_its_prefix() -> None:
    entry = {
        "FunctionArn": GET_ATT,
        "FunctionPayloadType": "REQUEST",
        "Identity": {
            "Headers": ["X-A"],
            "QueryStrings": ["q"],
            "StageVariables": ["s"],
            "Context": ["identity.sourceIp"],
        },
    }
    config = rest_auth_from_sam({"Authorizers": {"Req": entry}}, "MyApi").authorizers["Req"]
    assert (config.type, config.identity_sources) == (
        "REQUEST",
        (
            "method.request.header.X-A",
            "method.request.querystring.q",
            "stageVariables.s",
            "context.identity.sourceIp",
        ),
    )


def test_rest_cognito_and_iam_authorizers_are_warnings() -> None:
    auth = rest_auth_from_sam(
        {"DefaultAuthorizer": "AWS_IAM", "Authorizers": {"Pool": {"UserPoolArn": "arn:x"}}},
        "MyApi",
    )
    assert (dict(auth.authorizers), auth.unsupported) == ({}, frozenset({"Pool", "AWS_IAM"}))
    assert auth.warnings == (
        "MyApi: authorizer Pool is not a Lambda authorizer; not enforced",
        "MyApi: the AWS_IAM authorizer is not supported; not enforced",
    )


def test_default_authorizer_must_be_defined() -> None:
    with pytest.raises(AuthorizerConfigError):
        rest_auth_from_sam({"DefaultAuthorizer": "Nope"}, "MyApi")


def test_cors_preflight_gets_the_default_authorizer_unless_told_otherwise() -> None:
    # SAM's AddDefaultAuthorizerToCorsPreflight defaults to true.
    on = rest_auth_from_sam({}, "A")
    off = rest_auth_from_sam({"AddDefaultAuthorizerToCorsPreflight": False}, "A")
    assert (
        on.add_default_authorizer_to_cors_preflight,
        off.add_default_authorizer_to_cors_preflight,
    ) == (
        True,
        False,
    )


def test_http_lambda_authorizer_with_simple_responses() -> None:
    entry = {
        "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:my-auth",
        "AuthorizerPayloadFormatVersion": "2.0",
        "EnableSimpleResponses": True,
        "Identity": {"Headers": ["Authorization"], "ReauthorizeEvery": 60},
    }
    auth = http_auth_from_sam({"Authorizers": {"L": entry}, "DefaultAuthorizer": "L"}, "H")
    assert auth.authorizers["L"] == AuthorizerConfig(
        name="L",
        api_kind="http",
        type="REQUEST",
        function_ref="my-auth",
        identity_sources=("$request.header.Authorization",),
        ttl_seconds=60,
        payload_format="2.0",
        simple_responses=True,
    )
    assert auth.default_authorizer == "L"


def test_http_jwt_authorizer_is_a_warning() -> None:
    jwt = {"JwtConfiguration": {"issuer": "https://x"}, "IdentitySource": "$request.header.A"}
    auth = http_auth_from_sam({"Authorizers": {"Jwt": jwt}}, "H")
    assert (auth.unsupported, auth.warnings) == (
        frozenset({"Jwt"}),
        ("H: JWT authorizer Jwt is not supported; not enforced",),
    )


@pytest.mark.parametrize(
    "entry",
    [
        {"FunctionArn": GET_ATT},
        {
            "FunctionArn": GET_ATT,
            "AuthorizerPayloadFormatVersion": "1.0",
            "EnableSimpleResponses": True,
        },
        {
            "FunctionArn": GET_ATT,
            "AuthorizerPayloadFormatVersion": "2.0",
            "Identity": {"Headers": "A"},
        },
        {
            "FunctionArn": GET_ATT,
            "AuthorizerPayloadFormatVersion": "2.0",
            "Identity": {"ReauthorizeEvery": 4000},
        },
    ],
)
def test_http_authorizer_settings_sam_refuses(entry: dict[str, object]) -> None:
    with pytest.raises(AuthorizerConfigError):
        http_auth_from_sam({"Authorizers": {"L": entry}}, "H")


@pytest.mark.parametrize(
    ("value", "ref"),
    [
        ({"Fn::GetAtt": ["Fn", "Arn"]}, "Fn"),
        ({"Fn::GetAtt": "Fn.Arn"}, "Fn"),
        ("arn:aws:lambda:us-east-1:123456789012:function:name", "name"),
        ("arn:aws:lambda:us-east-1:123456789012:function:name:live", "name"),
        ("Fn", "Fn"),
    ],
)
def test_function_ref_reads_every_form_of_function_arn(value: object, ref: str) -> None:
    assert function_ref(value) == ref
