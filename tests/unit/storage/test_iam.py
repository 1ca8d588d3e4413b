"""A function's SAM `Policies`, reduced to the S3 permissions MinIO can enforce.

Source: SAM developer guide, "AWS SAM policy templates" (the templates' statements, from SAM's
policy_templates.json) and "Policies" (a policy template, an AWS managed policy name or ARN, or
an inline policy document, alone or in a list).
"""

from __future__ import annotations

from emulator.storage.iam import policy_document, user_for
from emulator.template.models import FunctionConfig

BUCKET = ["arn:aws:s3:::in-bucket", "arn:aws:s3:::in-bucket/*"]


def test_s3_read_policy_grants_reading_the_bucket_and_its_objects() -> None:
    assert policy_document([{"S3ReadPolicy": {"BucketName": "in-bucket"}}]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:ListBucket",
                    "s3:GetBucketLocation",
                    "s3:GetObjectVersion",
                    "s3:GetLifecycleConfiguration",
                ],
                "Resource": BUCKET,
            }
        ],
    }


def test_s3_write_and_crud_policies() -> None:
    document = policy_document(
        [
            {"S3WritePolicy": {"BucketName": "in-bucket"}},
            {"S3CrudPolicy": {"BucketName": "in-bucket"}},
        ]
    )
    write, crud = document["Statement"]
    assert write == {
        "Effect": "Allow",
        "Action": ["s3:PutObject", "s3:PutObjectAcl", "s3:PutLifecycleConfiguration"],
        "Resource": BUCKET,
    }
    assert "s3:DeleteObject" in crud["Action"] and crud["Resource"] == BUCKET


def test_s3_full_access_policy_splits_object_and_bucket_actions() -> None:
    statements = policy_document({"S3FullAccessPolicy": {"BucketName": "b"}})["Statement"]
    assert [s["Resource"] for s in statements] == [["arn:aws:s3:::b/*"], ["arn:aws:s3:::b"]]


def test_managed_policies_by_name_or_arn() -> None:
    assert policy_document(
        ["AmazonS3ReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonS3FullAccess"]
    )["Statement"] == [
        {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": ["*"]},
        {"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]},
    ]


def test_an_inline_document_keeps_only_its_s3_actions_on_s3_resources() -> None:
    inline = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:PutObject", "dynamodb:GetItem"],
                "Resource": ["arn:aws:s3:::out/*", "arn:aws:dynamodb:us-east-1:1:table/t"],
            },
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws-cn:s3:::out/*"},
        ],
    }
    assert policy_document([inline])["Statement"] == [
        {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": ["arn:aws:s3:::out/*"]},
        {"Effect": "Deny", "Action": ["s3:DeleteObject"], "Resource": ["arn:aws:s3:::out/*"]},
    ]


def test_policies_without_s3_grant_nothing() -> None:
    for policies in (
        None,
        "AWSLambdaBasicExecutionRole",
        [{"DynamoDBCrudPolicy": {"TableName": "t"}}, {"S3ReadPolicy": {"BucketName": None}}],
        [5, "x", {"Statement": "nonsense"}],
    ):
        assert policy_document(policies) == {"Version": "2012-10-17", "Statement": []}


def test_a_users_access_key_is_stable_and_its_secret_is_new_each_time() -> None:
    function = FunctionConfig("Fn", "my-function_1", "a.b", "python3.12", None)
    first, second = user_for(function), user_for(function)
    assert first.access_key == second.access_key
    assert first.access_key.startswith("fn-myfunction1-")
    assert first.secret_key != second.secret_key
    assert first.variables() == {
        "AWS_ACCESS_KEY_ID": first.access_key,
        "AWS_SECRET_ACCESS_KEY": first.secret_key,
    }
