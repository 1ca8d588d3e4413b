"""CloudFormation's generated names for unnamed AWS::S3::Bucket resources.

CloudFormation names such a bucket `<stack>-<logicalid>-<12-character tail>`, lower case, at
most 63 characters; past that it keeps 13 characters for the tail and its hyphen and shares the
rest, the stack name getting the larger half. AWS does not document the trimming; the expected
prefixes below are those of names real stacks got (KensioSoftware/yulin#1113).
"""

from __future__ import annotations

import re

import pytest

from emulator.template.names import generated_bucket_name

BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")


def test_short_names_keep_stack_and_logical_id_whole_in_lower_case() -> None:
    name = generated_bucket_name("sam-app", "UploadBucket")
    assert re.fullmatch(r"sam-app-uploadbucket-[a-z0-9]{12}", name)


def test_long_names_are_trimmed_the_way_cloudformation_trims_them() -> None:
    name = generated_bucket_name("ChineseboostAnalyticsStack", "RainlyticsLogsBucket8DF4A1B2")
    assert name.startswith("chineseboostanalyticsstac-rainlyticslogsbucket8df4-")
    assert len(name) == 63


def test_a_short_logical_id_leaves_its_room_to_the_stack_name() -> None:
    stack = "a" + "b" * 59
    name = generated_bucket_name(stack, "Files")
    assert name.startswith(stack[:44] + "-files-")
    assert len(name) == 63


def test_a_short_stack_name_leaves_its_room_to_the_logical_id() -> None:
    logical_id = "Uploads" + "X" * 60
    name = generated_bucket_name("app", logical_id)
    assert name.startswith("app-" + logical_id[:46].lower() + "-")
    assert len(name) == 63


def test_the_same_stack_and_resource_get_the_same_name_and_another_stack_another() -> None:
    first = generated_bucket_name("sam-app", "UploadBucket")
    again = generated_bucket_name("sam-app", "UploadBucket")
    other = generated_bucket_name("sam-app-2", "UploadBucket")
    assert first == again
    assert first.rsplit("-", 1)[1] != other.rsplit("-", 1)[1]


@pytest.mark.parametrize(
    ("stack", "logical_id"),
    [("s", "B"), ("Stack-With-Hyphens", "Bucket1"), ("x" * 128, "Y" * 255), ("my_stack", "A.B")],
)
def test_generated_names_are_valid_bucket_names(stack: str, logical_id: str) -> None:
    assert BUCKET_NAME.fullmatch(generated_bucket_name(stack, logical_id))


def test_characters_a_bucket_name_cannot_hold_become_hyphens() -> None:
    assert generated_bucket_name("my_stack", "Bucket").startswith("my-stack-bucket-")
