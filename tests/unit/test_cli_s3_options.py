"""The S3 options of `lambdock up`."""

from __future__ import annotations

import pytest

from emulator.cli import build_parser, settings_from


def test_s3_options_reach_the_settings() -> None:
    endpoint = ["--s3-endpoint", "http://127.0.0.1:9000", "--s3-access-key", "k"]
    args = build_parser().parse_args(
        ["up", *endpoint, "--s3-secret-key", "s", "--minio-bin", "/opt/minio"]
    )
    settings = settings_from(args)
    assert (settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key) == (
        "http://127.0.0.1:9000",
        "k",
        "s",
    )
    assert settings.minio_bin == "/opt/minio"


def test_an_endpoint_without_its_keys_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["up", "--s3-endpoint", "http://127.0.0.1:9000"])
    with pytest.raises(SystemExit) as raised:
        settings_from(args)
    assert raised.value.code == 2
    assert capsys.readouterr().err == (
        "lambdock: --s3-endpoint needs --s3-access-key and --s3-secret-key\n"
    )
