"""MinIO records to AWS S3 event records (2.1), key encoding, and SAM S3 trigger matching.

Sources:
- AWS shape: "Event message structure" in the Amazon S3 User Guide, its "Example message when an
  object is created using a PUT request" (`aws-example-put.json`), and its note that the key is
  URL encoded as application/x-www-form-urlencoded ("red flower.jpg" becomes "red+flower.jpg").
- Delete records carry only key and sequencer (and versionId on versioned buckets), as real
  delete events do (e.g. Nike's hal `AWS.Lambda.Events.S3.DeleteEvent`).
- Key characters seen in real events: "+" as "%2B" (ysugimoto/aws-lambda-image#28), ":" as
  "%3A" with "/" kept (aws-amplify/amplify-cli#2269), "=" as "%3D" (aws/aws-sam-cli#379).
- MinIO records: captured from the pinned MinIO's webhook target (`minio-webhook-*.json`).
- Event types and wildcards: "Event notification types and destinations" in the S3 User Guide.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from emulator.events.s3 import (
    InvalidS3EventConfig,
    S3Subscription,
    aws_event_name,
    aws_record,
    bucket_reference,
    encode_key,
    event_time,
    generated_configuration_id,
    matches,
    s3_event,
    subscription_from_sam,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "events" / "s3"


def minio_record(name: str) -> dict[str, Any]:
    """The one record of a captured MinIO webhook post."""
    body = json.loads((FIXTURES / f"minio-webhook-{name}.json").read_text(encoding="utf-8"))
    record: dict[str, Any] = body["Records"][0]
    return record


def subscription(
    events: tuple[str, ...] = ("s3:ObjectCreated:*",),
    prefix: str | None = None,
    suffix: str | None = None,
) -> S3Subscription:
    return S3Subscription(
        bucket="incoming",
        events=events,
        prefix=prefix,
        suffix=suffix,
        configuration_id="cfg",
    )


def test_recorded_minio_put_becomes_an_aws_2_1_record() -> None:
    record = aws_record(minio_record("put"), region="eu-west-1", configuration_id="UploadEvent")
    assert record == {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "eu-west-1",
        "eventTime": "2026-11-28T09:23:51.447Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "lambdock"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": "18EC2B2ECE699CC9",
            "x-amz-id-2": "827315bb50dee5b1db12d9973a382f2df555a52769d6ad1dd4fbb9d02e52e9e0",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "UploadEvent",
            "bucket": {
                "name": "incoming",
                "ownerIdentity": {"principalId": "lambdock"},
                "arn": "arn:aws:s3:::incoming",
            },
            "object": {
                "key": "uploads/2024+Q1+r%C3%A9sum%C3%A9%2Bfinal+%281%29.csv",
                "size": 8,
                "eTag": "e5ebd4c02cefbe7955977c67ada242b7",
                "sequencer": "18EC2B2ECE75899C",
            },
        },
    }


def test_recorded_minio_delete_has_no_size_or_etag() -> None:
    record = aws_record(minio_record("delete"), region="us-east-1", configuration_id="cfg")
    assert record["eventName"] == "ObjectRemoved:Delete"
    assert record["s3"]["object"] == {
        "key": "uploads/2024+Q1+r%C3%A9sum%C3%A9%2Bfinal+%281%29.csv",
        "sequencer": "18EC2B2ED715F901",
    }


def test_recorded_minio_copy_and_multipart_keep_their_event_names_and_etags() -> None:
    copy = aws_record(minio_record("copy"), region="us-east-1", configuration_id="cfg")
    multipart = aws_record(
        minio_record("complete-multipart-upload"), region="us-east-1", configuration_id="cfg"
    )
    assert (copy["eventName"], copy["s3"]["object"]) == (
        "ObjectCreated:Copy",
        {
            "key": "uploads/copy.csv",
            "size": 8,
            "eTag": "e5ebd4c02cefbe7955977c67ada242b7",
            "sequencer": "18EC2B2ECF091084",
        },
    )
    assert (multipart["eventName"], multipart["s3"]["object"]) == (
        "ObjectCreated:CompleteMultipartUpload",
        {
            "key": "uploads/big.bin",
            "size": 6291456,
            "eTag": "17a1fae25f59d77c247980f586867028-2",
            "sequencer": "18EC2B2ED6B3041F",
        },
    )


def test_empty_object_reports_size_zero_although_minio_omits_it() -> None:
    record = aws_record(minio_record("put-empty-object"), region="us-east-1", configuration_id="c")
    assert record["s3"]["object"] == {
        "key": "empty.txt",
        "size": 0,
        "eTag": "d41d8cd98f00b204e9800998ecf8427e",
        "sequencer": "18EC2B2ED6ED56DC",
    }


def test_translation_reproduces_the_aws_documented_put_example() -> None:
    expected = json.loads((FIXTURES / "aws-example-put.json").read_text(encoding="utf-8"))
    minio_shaped = {
        "eventVersion": "2.0",
        "eventSource": "minio:s3",
        "awsRegion": "",
        "eventTime": "1970-01-01T00:00:00.000Z",
        "eventName": "s3:ObjectCreated:Put",
        "userIdentity": {"principalId": "AIDAJDPLRKLG7UEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": "C3D13FE58DE4C810",
            "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "Config",
            "bucket": {
                "name": "mybucket",
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": "arn:aws:s3:::mybucket",
            },
            "object": {
                "key": "HappyFace.jpg",
                "size": 1024,
                "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                "versionId": "096fKKXTRTtl3on89fVO.nfljtsv6qko",
                "sequencer": "0055AED6DCD90281E5",
            },
        },
    }
    event = s3_event(minio_shaped, region="us-west-2", configuration_id="testConfigRule")
    assert event == expected


def test_raw_keys_are_used_as_they_are_when_not_escaped() -> None:
    record = minio_record("put")
    record["s3"]["object"]["key"] = "100% real+data.csv"
    translated = aws_record(record, region="us-east-1", configuration_id="c", key_escaped=False)
    assert translated["s3"]["object"]["key"] == "100%25+real%2Bdata.csv"


def test_versioned_objects_carry_their_version_id() -> None:
    record = minio_record("put")
    record["s3"]["object"]["versionId"] = "4f1c2f6a-5d1e-4a0b-9e8b-2f3c4d5e6f70"
    translated = aws_record(record, region="us-east-1", configuration_id="c")
    assert translated["s3"]["object"]["versionId"] == "4f1c2f6a-5d1e-4a0b-9e8b-2f3c4d5e6f70"


@pytest.mark.parametrize(
    ("key", "encoded"),
    [
        ("red flower.jpg", "red+flower.jpg"),
        ("A file+name", "A+file%2Bname"),
        ("protected/us-east-1:f12/images/a.jpeg", "protected/us-east-1%3Af12/images/a.jpeg"),
        ("something/dt=2018-05-04/_SUCCESS", "something/dt%3D2018-05-04/_SUCCESS"),
        ("r\u00e9sum\u00e9 \U0001f600.txt", "r%C3%A9sum%C3%A9+%F0%9F%98%80.txt"),
        ("100%.txt", "100%25.txt"),
        ("a-b_c.d*e~f(1)!'", "a-b_c.d*e%7Ef%281%29%21%27"),
    ],
)
def test_keys_are_encoded_like_s3_event_keys(key: str, encoded: str) -> None:
    assert encode_key(key) == encoded


@pytest.mark.parametrize(
    ("minio_name", "aws_name"),
    [
        ("s3:ObjectCreated:Put", "ObjectCreated:Put"),
        ("s3:ObjectCreated:Post", "ObjectCreated:Post"),
        ("s3:ObjectCreated:Copy", "ObjectCreated:Copy"),
        ("s3:ObjectCreated:CompleteMultipartUpload", "ObjectCreated:CompleteMultipartUpload"),
        ("s3:ObjectRemoved:Delete", "ObjectRemoved:Delete"),
        ("s3:ObjectRemoved:DeleteMarkerCreated", "ObjectRemoved:DeleteMarkerCreated"),
        ("s3:ObjectCreated:PutRetention", None),
        ("s3:ObjectCreated:PutTagging", None),
        ("s3:ObjectRemoved:NoOP", None),
        ("s3:ObjectAccessed:Get", None),
    ],
)
def test_minio_event_names_map_to_aws_names_or_nothing(
    minio_name: str, aws_name: str | None
) -> None:
    assert aws_event_name(minio_name) == aws_name


def test_minio_only_events_produce_no_lambda_event() -> None:
    record = minio_record("put")
    record["eventName"] = "s3:ObjectCreated:PutRetention"
    assert s3_event(record, region="us-east-1", configuration_id="c") is None


def test_event_time_has_milliseconds_and_z() -> None:
    assert event_time("2026-11-28T09:23:51Z") == "2026-11-28T09:23:51.000Z"
    assert event_time("2026-11-28T09:23:51.4479Z") == "2026-11-28T09:23:51.447Z"


def test_sam_events_may_be_one_string_or_a_list() -> None:
    one = subscription_from_sam(
        {"Bucket": {"Ref": "Uploads"}, "Events": "s3:ObjectCreated:*"},
        bucket_name="uploads-bucket",
        configuration_id="cfg",
    )
    many = subscription_from_sam(
        {"Events": ["s3:ObjectCreated:Put", "s3:ObjectRemoved:*"]},
        bucket_name="uploads-bucket",
        configuration_id="cfg",
    )
    assert one == S3Subscription("uploads-bucket", ("s3:ObjectCreated:*",), None, None, "cfg")
    assert many.events == ("s3:ObjectCreated:Put", "s3:ObjectRemoved:*")


def test_sam_filter_rules_give_prefix_and_suffix_with_any_name_case() -> None:
    properties = {
        "Events": "s3:ObjectCreated:*",
        "Filter": {
            "S3Key": {
                "Rules": [
                    {"Name": "prefix", "Value": "uploads/"},
                    {"Name": "Suffix", "Value": ".csv"},
                ]
            }
        },
    }
    parsed = subscription_from_sam(properties, bucket_name="b", configuration_id="c")
    assert (parsed.prefix, parsed.suffix) == ("uploads/", ".csv")


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"Events": "s3:ObjectCreated:Patch"}, "not supported"),
        ({"Events": "ObjectCreated:Put"}, "not supported"),
        ({"Events": "s3:ObjectAccessed:*"}, "not supported"),
        ({"Events": []}, "Events must be"),
        (
            {
                "Events": "s3:ObjectCreated:*",
                "Filter": {"S3Key": {"Rules": [{"Name": "infix", "Value": "x"}]}},
            },
            "either prefix or suffix",
        ),
        (
            {
                "Events": "s3:ObjectCreated:*",
                "Filter": {
                    "S3Key": {
                        "Rules": [
                            {"Name": "prefix", "Value": "a"},
                            {"Name": "Prefix", "Value": "b"},
                        ]
                    }
                },
            },
            "more than one prefix rule",
        ),
        ({"Events": "s3:ObjectCreated:*", "Filter": {"S3Key": {}}}, "S3Key: {Rules"),
    ],
)
def test_invalid_sam_s3_events_are_refused(properties: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidS3EventConfig, match=message):
        subscription_from_sam(properties, bucket_name="b", configuration_id="c")


def test_bucket_reference_is_the_ref_target_or_a_literal_name() -> None:
    assert bucket_reference({"Bucket": {"Ref": "UploadBucket"}}) == "UploadBucket"
    assert bucket_reference({"Bucket": "literal-bucket"}) == "literal-bucket"
    with pytest.raises(InvalidS3EventConfig):
        bucket_reference({"Bucket": {"Fn::GetAtt": ["UploadBucket", "Arn"]}})


@pytest.mark.parametrize(
    ("events", "event_name", "expected"),
    [
        (("s3:ObjectCreated:*",), "ObjectCreated:Put", True),
        (("s3:ObjectCreated:*",), "ObjectCreated:CompleteMultipartUpload", True),
        (("s3:ObjectCreated:*",), "ObjectRemoved:Delete", False),
        (("s3:ObjectCreated:Put",), "ObjectCreated:Copy", False),
        (("s3:ObjectCreated:Put", "s3:ObjectRemoved:*"), "ObjectRemoved:Delete", True),
        (("s3:ObjectCreated:Put",), "s3:ObjectCreated:Put", True),
    ],
)
def test_event_types_match_exactly_or_by_family_wildcard(
    events: tuple[str, ...], event_name: str, expected: bool
) -> None:
    assert matches(subscription(events), event_name, "any/key") is expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("uploads/report.csv", True),
        ("uploads/deep/er/report.csv", True),
        ("uploads/report.csv.bak", False),
        ("archive/uploads/report.csv", False),
        ("Uploads/report.csv", False),
    ],
)
def test_prefix_and_suffix_must_both_match(key: str, expected: bool) -> None:
    rule = subscription(prefix="uploads/", suffix=".csv")
    assert matches(rule, "ObjectCreated:Put", key) is expected


def test_filters_compare_with_the_encoded_key() -> None:
    assert matches(subscription(prefix="my+folder/"), "ObjectCreated:Put", "my folder/a.txt")
    assert not matches(subscription(prefix="my folder/"), "ObjectCreated:Put", "my folder/a.txt")
    assert matches(subscription(prefix="dt%3D2024/"), "ObjectCreated:Put", "dt=2024/x")


def test_generated_configuration_ids_are_stable_base64_uuids() -> None:
    first = generated_configuration_id("ProcessFunction", "Upload")
    assert first == generated_configuration_id("ProcessFunction", "Upload")
    assert first != generated_configuration_id("ProcessFunction", "Delete")
    assert uuid.UUID(base64.b64decode(first).decode("ascii"))
