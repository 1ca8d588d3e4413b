"""Starting and stopping a real MinIO process, and the errors of one that does not come up."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx
import pytest

from emulator.storage.minio_server import (
    HEALTH_PATH,
    MinioExited,
    MinioNotReady,
    MinioServer,
    MinioServerConfig,
)


def fake_binary(path: Path, script: str) -> Path:
    """A shell script standing in for MinIO."""
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def is_live(url: str) -> bool:
    async with httpx.AsyncClient(timeout=2.0) as http:
        try:
            return (await http.get(url + HEALTH_PATH)).status_code == 200
        except httpx.TransportError:
            return False


async def test_a_started_server_is_live_and_stop_ends_its_process(
    minio_binary: Path, tmp_path: Path
) -> None:
    server = MinioServer(MinioServerConfig(data_dir=tmp_path / "minio", binary=minio_binary))
    endpoint = await server.start()
    pid = server.pid
    assert pid is not None
    assert endpoint.url.startswith("http://127.0.0.1:")
    assert await is_live(endpoint.url)
    await server.stop()
    assert not server.running
    assert not process_exists(pid)
    assert not await is_live(endpoint.url)


async def test_a_restarted_server_keeps_its_endpoint_and_its_objects(
    minio_binary: Path, tmp_path: Path
) -> None:
    server = MinioServer(MinioServerConfig(data_dir=tmp_path / "minio", binary=minio_binary))
    first = await server.start()
    await server.stop()
    try:
        assert await server.start() == first
        assert await is_live(first.url)
    finally:
        await server.stop()


async def test_a_server_that_never_gets_live_is_stopped_and_its_log_shown(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    binary = fake_binary(
        tmp_path / "minio",
        f'echo $$ > "{pid_file}"\necho "fake minio: waiting for drives"\nexec sleep 60\n',
    )
    config = MinioServerConfig(data_dir=tmp_path / "minio-data", binary=binary, ready_timeout=1.0)
    server = MinioServer(config)
    with pytest.raises(MinioNotReady) as raised:
        await server.start()
    assert "was not live" in str(raised.value)
    assert "fake minio: waiting for drives" in raised.value.log_tail
    assert not process_exists(int(pid_file.read_text()))


async def test_a_server_that_exits_at_once_is_reported_with_its_log(tmp_path: Path) -> None:
    binary = fake_binary(tmp_path / "minio", 'echo "FATAL unable to use the drive"\nexit 3\n')
    server = MinioServer(MinioServerConfig(data_dir=tmp_path / "minio-data", binary=binary))
    with pytest.raises(MinioExited) as raised:
        await server.start()
    assert "exited with code 3" in str(raised.value)
    assert "FATAL unable to use the drive" in raised.value.log_tail
