"""What /proc says about a running lambdock and the processes its environments started.

Environment processes are found by their task root (`LAMBDA_TASK_ROOT`, inherited by every
child), which lies inside the test's own copy of the project, so nothing else is ever touched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
PROC = Path("/proc")


def wait_until(check: Callable[[], T], what: str, timeout: float = 30.0) -> T:
    """Poll `check` every 50 ms until it returns something truthy, for at most `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}: {value!r}")
        time.sleep(0.05)


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return stat[stat.rfind(")") + 2 :].split()


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting to be reaped."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def children(pid: int) -> list[int]:
    """Live direct children of `pid`."""
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and fields[1] == str(pid) and fields[0] not in ("Z", "X"):
                found.append(int(entry.name))
    return found


def open_files(pid: int) -> int:
    """How many file descriptors `pid` holds."""
    return len(os.listdir(PROC / str(pid) / "fd"))


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of `pid` (VmRSS), or its peak (field="VmHWM"), in MB."""
    for line in (PROC / str(pid) / "status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} for {pid}")


def environment_processes(task_root_prefix: Path, function: str | None = None) -> list[int]:
    """Live processes started by environments whose task root is under the prefix."""
    marker = f"LAMBDA_TASK_ROOT={task_root_prefix}".encode()
    name = f"AWS_LAMBDA_FUNCTION_NAME={function}".encode() if function else b""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        mine = any(item.startswith(marker) for item in environ)
        if mine and (not name or name in environ) and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def kill_environment_processes(task_root_prefix: Path) -> None:
    """Clean-up after a failed test: SIGKILL whatever its environments left running."""
    for pid in environment_processes(task_root_prefix):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
