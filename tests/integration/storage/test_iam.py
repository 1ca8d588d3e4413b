"""Per-function MinIO users against a real MinIO: each function's credentials reach what its SAM
policies grant and get AccessDenied elsewhere, as an IAM role does on AWS (S3 API reference:
403 AccessDenied)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from emulator.clock import SystemClock, new_request_id
from emulator.services import build_services
from emulator.settings import Settings
from emulator.storage.buckets import create_buckets
from emulator.storage.iam import give_functions_their_users, grant_functions
from emulator.template import load_template
from emulator.template.models import FunctionConfig
from tests.fakes import FakeBackend
from tests.integration.storage.support import RunningMinio


def function(name: str, policies: Any) -> FunctionConfig:
    return FunctionConfig(name, name, "app.handler", "python3.12", None, policies=policies)


@pytest.fixture
def buckets(minio: RunningMinio) -> Iterator[tuple[str, str]]:
    names = (f"in-{uuid.uuid4().hex[:12]}", f"out-{uuid.uuid4().hex[:12]}")
    asyncio.run(create_buckets(minio.server.endpoint, list(names)))
    yield names


def s3_as(minio: RunningMinio, variables: dict[str, str]) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=minio.server.endpoint.url,
        region_name="us-east-1",
        aws_access_key_id=variables["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=variables["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"max_attempts": 0}),
    )


def allowed(call: Any, **kwargs: Any) -> bool:
    try:
        call(**kwargs)
    except botocore.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDenied", error.response
        return False
    return True


def test_each_function_reaches_only_what_its_policies_grant(
    minio: RunningMinio, buckets: tuple[str, str]
) -> None:
    source, target = buckets
    functions = [
        function("Reader", [{"S3ReadPolicy": {"BucketName": source}}]),
        function("Writer", [{"S3WritePolicy": {"BucketName": target}}]),
        function("Crud", {"S3CrudPolicy": {"BucketName": source}}),
        function(
            "Inline",
            [
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "s3:PutObject",
                            "Resource": f"arn:aws:s3:::{target}/*",
                        }
                    ]
                }
            ],
        ),
        function("Nothing", ["AWSLambdaBasicExecutionRole"]),
        function("Full", "AmazonS3FullAccess"),
    ]
    granted = asyncio.run(grant_functions(minio.server.endpoint, functions))
    s3 = {name: s3_as(minio, variables) for name, variables in granted.items()}
    assert allowed(s3["Crud"].put_object, Bucket=source, Key="input.txt", Body=b"in")
    assert allowed(s3["Reader"].get_object, Bucket=source, Key="input.txt")
    assert not allowed(s3["Reader"].put_object, Bucket=source, Key="x", Body=b"x")
    assert allowed(s3["Writer"].put_object, Bucket=target, Key="result.txt", Body=b"out")
    assert not allowed(s3["Writer"].put_object, Bucket=source, Key="x", Body=b"x")
    assert not allowed(s3["Writer"].get_object, Bucket=target, Key="result.txt")
    assert allowed(s3["Crud"].delete_object, Bucket=source, Key="input.txt")
    assert not allowed(s3["Crud"].put_object, Bucket=target, Key="x", Body=b"x")
    assert allowed(s3["Inline"].put_object, Bucket=target, Key="inline.txt", Body=b"i")
    assert not allowed(s3["Inline"].put_object, Bucket=source, Key="x", Body=b"x")
    assert not allowed(s3["Nothing"].put_object, Bucket=source, Key="x", Body=b"x")
    assert not allowed(s3["Nothing"].list_buckets)
    assert allowed(s3["Full"].put_object, Bucket=source, Key="full.txt", Body=b"f")


def test_granting_again_replaces_what_a_function_had(
    minio: RunningMinio, buckets: tuple[str, str]
) -> None:
    source, _ = buckets
    before = asyncio.run(
        grant_functions(
            minio.server.endpoint, [function("Changing", {"S3CrudPolicy": {"BucketName": source}})]
        )
    )
    assert allowed(s3_as(minio, before["Changing"]).put_object, Bucket=source, Key="a", Body=b"a")
    after = asyncio.run(grant_functions(minio.server.endpoint, [function("Changing", None)]))
    client = s3_as(minio, after["Changing"])
    assert not allowed(client.put_object, Bucket=source, Key="b", Body=b"b")
    with pytest.raises(botocore.exceptions.ClientError):
        s3_as(minio, before["Changing"]).list_objects_v2(Bucket=source)


def test_the_hook_gives_each_function_of_the_template_its_user_unless_no_iam(
    minio: RunningMinio, buckets: tuple[str, str], tmp_path: Path
) -> None:
    source, _ = buckets
    template_path = tmp_path / "template.yaml"
    (tmp_path / "src").mkdir()
    template_path.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
        "    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.h\n"
        f"      Runtime: python3.12\n      CodeUri: src\n      Policies:\n"
        f"        - S3ReadPolicy: {{BucketName: {source}}}\n"
    )
    template = load_template(template_path)
    for no_iam in (False, True):
        settings = Settings(template=template_path, echo_logs=False, no_iam=no_iam)
        services = build_services(
            settings, template, FakeBackend({}), clock=SystemClock(), request_ids=new_request_id
        )
        asyncio.run(give_functions_their_users(services, minio.server.endpoint))
        own = services.credentials_for(template.functions["Fn"])
        if no_iam:
            assert own == services.credentials
        else:
            assert own["AWS_ACCESS_KEY_ID"].startswith("fn-Fn-")
            assert not allowed(s3_as(minio, own).put_object, Bucket=source, Key="k", Body=b"")


def test_granting_again_with_known_credentials_keeps_the_secret_and_applies_new_grants(
    minio: RunningMinio, buckets: tuple[str, str]
) -> None:
    # What a hot reload does: a warm environment still holds the first secret.
    source, target = buckets
    endpoint = minio.server.endpoint
    first = asyncio.run(
        grant_functions(endpoint, [function("Kept", {"S3CrudPolicy": {"BucketName": source}})])
    )
    again = asyncio.run(
        grant_functions(
            endpoint, [function("Kept", {"S3CrudPolicy": {"BucketName": target}})], known=first
        )
    )
    assert again == first
    warm = s3_as(minio, first["Kept"])
    assert allowed(warm.put_object, Bucket=target, Key="after-reload", Body=b"r")
    assert not allowed(warm.put_object, Bucket=source, Key="after-reload", Body=b"r")
