"""What /proc tells about an environment's processes: its tree, their memory, who they are.

The process backend has no cgroup to lean on, so it measures and bounds an environment itself:
the runtime process and every descendant (found through `/proc/<pid>/task/<tid>/children`),
their proportional memory (Pss, so pages shared after fork count once), and their task count.
Linux only; elsewhere every function here answers "nothing known".
"""

from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessStamp:
    """A process as it can be told apart from a later one that reuses its pid."""

    pid: int
    start_ticks: int
    session: int


@dataclass(frozen=True)
class Tree:
    """A process and its descendants: their pids and how many tasks (threads) they run."""

    pids: tuple[int, ...]
    tasks: int


def stamp(pid: int) -> ProcessStamp | None:
    """The process's start time (clock ticks since boot) and session, or None if it is gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except (OSError, ValueError):
        return None
    # Fields after the command name, which is in parentheses and may contain anything.
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        return ProcessStamp(pid, start_ticks=int(fields[19]), session=int(fields[3]))
    except (IndexError, ValueError):
        return None


def boot_id() -> str:
    """This boot's id: start times of processes compare only within one boot."""
    try:
        return (PROC / "sys" / "kernel" / "random" / "boot_id").read_text().strip()
    except OSError:
        return ""


def tree(pid: int, *, max_tasks: int) -> Tree:
    """`pid` and its descendants; the walk stops once more than `max_tasks` tasks are seen."""
    pids: list[int] = [pid]
    tasks = 0
    index = 0
    while index < len(pids) and tasks <= max_tasks:
        current = pids[index]
        index += 1
        try:
            threads = os.listdir(PROC / str(current) / "task")
        except OSError:
            continue
        tasks += len(threads)
        for thread in threads:
            pids.extend(_children(current, thread))
    return Tree(tuple(pids), tasks)


def _children(pid: int, thread: str) -> list[int]:
    try:
        text = (PROC / str(pid) / "task" / thread / "children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def memory_mb(pids: tuple[int, ...]) -> int:
    """The memory the processes use together, in MB: the sum of their Pss (VmRSS if absent)."""
    total_kb = 0
    for pid in pids:
        total_kb += _pss_kb(pid)
    return total_kb // 1024


def _pss_kb(pid: int) -> int:
    for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            text = (PROC / str(pid) / name).read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def kill_all(pids: tuple[int, ...]) -> None:
    """SIGKILL each process; those already gone are skipped."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def session_members(session: int) -> list[ProcessStamp]:
    """Every live process of a session (a process backend environment is one session)."""
    members = []
    for entry in PROC.iterdir() if PROC.is_dir() else ():
        if entry.name.isdigit():
            found = stamp(int(entry.name))
            if found is not None and found.session == session:
                members.append(found)
    return members
