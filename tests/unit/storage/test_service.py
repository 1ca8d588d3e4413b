"""When lambdock runs S3, and the endpoint URL functions are given."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.settings import Settings
from emulator.storage.service import function_endpoint_url, wants_storage
from emulator.template import load_template
from emulator.template.models import Template

HEADER = 'AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31\n'
FUNCTION = """
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.handler, Runtime: python3.12, CodeUri: src}
"""


def load(tmp_path: Path, resources: str) -> Template:
    (tmp_path / "src").mkdir(exist_ok=True)
    path = tmp_path / "template.yaml"
    path.write_text(HEADER + "Resources:" + resources)
    return load_template(path)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # The SDKs use path-style addressing for an IP address host, virtual-hosted style
        # (`bucket.localhost`, which does not resolve) for a name.
        ("http://localhost:9000", "http://127.0.0.1:9000"),
        ("http://LOCALHOST", "http://127.0.0.1"),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
        ("https://minio.internal:9000", "https://minio.internal:9000"),
    ],
)
def test_functions_get_the_endpoint_with_a_loopback_name_as_an_address(
    url: str, expected: str
) -> None:
    assert function_endpoint_url(url) == expected


def test_a_template_without_buckets_or_s3_events_runs_no_storage(tmp_path: Path) -> None:
    assert not wants_storage(Settings(), load(tmp_path, FUNCTION))


def test_buckets_or_a_flag_ask_for_storage(tmp_path: Path) -> None:
    plain = load(tmp_path, FUNCTION)
    with_bucket = load(tmp_path, FUNCTION + "  Data:\n    Type: AWS::S3::Bucket\n")
    assert wants_storage(Settings(), with_bucket)
    assert wants_storage(Settings(s3_endpoint="http://127.0.0.1:9000"), plain)
    assert wants_storage(Settings(minio_bin="/opt/minio"), plain)
