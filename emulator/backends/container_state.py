"""A container's life as lambdock reads it (pure): how it ended, who owns it, where its
memory peak is reported."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from emulator.backends.container_plan import LABEL_INSTANCE, LABEL_OWNER, Owner


def exit_code(state: Mapping[str, Any]) -> int | None:
    """A container's end as the pool reads a process's: negative for a signal.

    Out of memory is a SIGKILL from the kernel, which Lambda reports as `signal: killed`; an
    exit code above 128 is the shell convention for 128 + the signal that ended PID 1."""
    if state.get("OOMKilled"):
        return -9
    code = state.get("ExitCode")
    if not isinstance(code, int):
        return None
    if 128 < code <= 128 + 64:
        return -(code - 128)
    return code


def process_start(pid: int, proc: Path = Path("/proc")) -> int | None:
    """A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat)."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return int(fields[19]) if len(fields) > 19 and fields[19].isdigit() else None


def parse_owner(label: str) -> tuple[str, int, int] | None:
    """(hostname, pid, start time) from an owner label, or None when it is not one."""
    hostname, _, rest = label.partition("/")
    pid, _, started = rest.partition("/")
    if not (hostname and pid.isdigit() and started.isdigit()):
        return None
    return hostname, int(pid), int(started)


def is_stale(labels: Mapping[str, str], me: Owner, start_of: Callable[[int], int | None]) -> bool:
    """Whether a labelled container belongs to a lambdock that is gone: one on this host whose
    process no longer runs (or whose pid now belongs to a later process)."""
    if labels.get(LABEL_INSTANCE) in (None, me.instance_id):
        return False
    owner = parse_owner(labels.get(LABEL_OWNER, ""))
    if owner is None:
        return False
    hostname, pid, started = owner
    if hostname != me.hostname:
        return False
    return start_of(pid) != started


def cgroup_memory_files(container_id: str, root: Path) -> tuple[Path, ...]:
    """Where the kernel reports a container's peak memory, for each cgroup layout Docker uses
    (v1 or v2, cgroupfs or systemd driver), most precise first."""
    v1 = root / "memory"
    return (
        root / "system.slice" / f"docker-{container_id}.scope" / "memory.peak",
        root / "docker" / container_id / "memory.peak",
        v1 / "docker" / container_id / "memory.max_usage_in_bytes",
        v1 / "system.slice" / f"docker-{container_id}.scope" / "memory.max_usage_in_bytes",
    )
