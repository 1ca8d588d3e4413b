"""The command line's Docker options: --runtime-image RUNTIME=IMAGE (repeatable) and
--docker-network NAME, for `up` and `invoke`."""

from __future__ import annotations

import pytest

from emulator.cli import build_parser, parse_runtime_images, settings_from


def test_runtime_images_are_collected_into_settings() -> None:
    args = build_parser().parse_args(
        [
            "up",
            "--runtime-image",
            "python3.12=lambdock-test/python:3.11",
            "--runtime-image",
            "nodejs=lambdock-test/nodejs:18",
            "--docker-network",
            "demo_default",
        ]
    )
    settings = settings_from(args)
    assert dict(settings.runtime_images) == {
        "python3.12": "lambdock-test/python:3.11",
        "nodejs": "lambdock-test/nodejs:18",
    }
    assert settings.docker_network == "demo_default"


def test_invoke_takes_the_same_docker_options() -> None:
    args = build_parser().parse_args(
        ["invoke", "Hello", "--runtime-image", "python=py:local", "--docker-network", "n"]
    )
    settings = settings_from(args)
    assert (dict(settings.runtime_images), settings.docker_network) == ({"python": "py:local"}, "n")


def test_without_docker_options_settings_keep_their_defaults() -> None:
    settings = settings_from(build_parser().parse_args(["up"]))
    assert (dict(settings.runtime_images), settings.docker_network) == ({}, None)


def test_a_runtime_image_without_an_equals_sign_is_refused_with_its_value() -> None:
    with pytest.raises(SystemExit, match="--runtime-image wants RUNTIME=IMAGE, got 'python'"):
        parse_runtime_images(["python"])
