"""Finding the MinIO binary, and the command and environment MinIO is started with.

Environment settings follow MinIO's configuration reference: MINIO_ROOT_USER and
MINIO_ROOT_PASSWORD, MINIO_UPDATE=off (no release check) and MINIO_CALLHOME_ENABLE=off.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from emulator.storage.minio_server import (
    MinioBinaryNotFound,
    MinioServerConfig,
    default_data_dir,
    find_minio_binary,
    minio_command,
    minio_environment,
    read_log_tail,
)


def executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_an_explicit_binary_wins_over_path_and_environment(tmp_path: Path) -> None:
    explicit = executable(tmp_path / "my-minio")
    (tmp_path / "bin").mkdir()
    executable(tmp_path / "bin" / "minio")
    environ = {"PATH": str(tmp_path / "bin"), "LAMBDOCK_MINIO_BIN": str(explicit)}
    assert find_minio_binary(explicit, environ=environ) == explicit


def test_minio_on_path_comes_before_the_environment_variable(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    on_path = executable(tmp_path / "bin" / "minio")
    named = executable(tmp_path / "named-minio")
    environ = {"PATH": str(tmp_path / "bin"), "LAMBDOCK_MINIO_BIN": str(named)}
    assert find_minio_binary(None, environ=environ) == on_path


def test_the_environment_variable_is_the_last_resort(tmp_path: Path) -> None:
    named = executable(tmp_path / "named-minio")
    environ = {"PATH": str(tmp_path), "LAMBDOCK_MINIO_BIN": str(named)}
    assert find_minio_binary(None, environ=environ) == named


def test_no_binary_anywhere_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(MinioBinaryNotFound) as raised:
        find_minio_binary(None, environ={"PATH": str(tmp_path)})
    message = str(raised.value)
    assert "LAMBDOCK_MINIO_BIN is not set" in message
    assert "go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c" in message
    assert "--s3-endpoint" in message


def test_a_named_binary_that_is_not_executable_is_reported(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "minio"
    with pytest.raises(MinioBinaryNotFound, match="is not an executable file"):
        find_minio_binary(None, environ={"PATH": "", "LAMBDOCK_MINIO_BIN": str(missing)})


def test_the_command_binds_api_and_console_to_loopback(tmp_path: Path) -> None:
    config = MinioServerConfig(data_dir=tmp_path / ".lambdock" / "minio")
    command = minio_command(tmp_path / "minio", config, (9100, 9101))
    assert command == [
        str(tmp_path / "minio"),
        "server",
        str(tmp_path / ".lambdock" / "minio"),
        "--address",
        "127.0.0.1:9100",
        "--console-address",
        "127.0.0.1:9101",
        "--certs-dir",
        str(tmp_path / ".lambdock" / "minio-certs"),
    ]


def test_the_environment_sets_credentials_and_keeps_minio_offline(tmp_path: Path) -> None:
    config = MinioServerConfig(
        data_dir=tmp_path,
        root_user="user",
        root_password="password123",
        extra_env={"MINIO_API_SYNC_EVENTS": "on"},
    )
    inherited = {"PATH": "/usr/bin", "MINIO_VOLUMES": "/elsewhere", "MINIO_ROOT_USER": "theirs"}
    assert minio_environment(config, inherited) == {
        "PATH": "/usr/bin",
        "MINIO_ROOT_USER": "user",
        "MINIO_ROOT_PASSWORD": "password123",
        "MINIO_UPDATE": "off",
        "MINIO_CALLHOME_ENABLE": "off",
        "MINIO_API_SYNC_EVENTS": "on",
    }


def test_project_data_lives_under_dot_lambdock(tmp_path: Path) -> None:
    assert default_data_dir(tmp_path) == tmp_path / ".lambdock" / "minio"
    assert MinioServerConfig(data_dir=default_data_dir(tmp_path)).log_file == (
        tmp_path / ".lambdock" / "minio.log"
    )


def test_log_tail_returns_the_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "minio.log"
    log.write_text("".join(f"line {number}\n" for number in range(100)))
    assert read_log_tail(log, lines=3) == "line 97\nline 98\nline 99"
    assert read_log_tail(tmp_path / "absent.log") == ""
