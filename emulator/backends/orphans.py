"""Records of running process-backend environments, so that a lambdock killed with SIGKILL
leaves nothing behind once it is started again.

Each environment runs in its own session (`start_new_session`), which outlives lambdock. One
small JSON file per environment under `.lambdock/environments/` names the session leader (pid
and start time) and the lambdock that owns it. At the next start, the sessions of owners that
are no longer running are killed: only processes of that session that started no earlier than
the recorded leader, and only when the leader's pid was not taken by a new session since.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from emulator.backends import process_tree
from emulator.backends.process_tree import ProcessStamp

RECORDS_FOLDER = "environments"


@dataclass(frozen=True)
class Record:
    """One environment's session leader and the lambdock that started it."""

    boot_id: str
    owner_pid: int
    owner_start: int
    leader_pid: int
    leader_start: int


class EnvironmentRecords:
    """The record files of one state folder."""

    def __init__(self, state_dir: Path) -> None:
        self.folder = state_dir / RECORDS_FOLDER
        self._owner = process_tree.stamp(os.getpid())

    def add(self, environment_id: str, leader_pid: int) -> None:
        """Note a started environment; best effort (a read-only project only loses cleanup)."""
        leader = process_tree.stamp(leader_pid)
        if leader is None or self._owner is None:
            return
        record = Record(
            process_tree.boot_id(),
            self._owner.pid,
            self._owner.start_ticks,
            leader.pid,
            leader.start_ticks,
        )
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{environment_id}.json"
            temporary = path.with_suffix(".tmp")
            temporary.write_text(json.dumps(asdict(record)))
            temporary.replace(path)

    def remove(self, environment_id: str) -> None:
        """Forget a stopped environment."""
        with contextlib.suppress(OSError):
            (self.folder / f"{environment_id}.json").unlink()

    def reap(self) -> int:
        """Kill what environments of lambdocks that are gone left running; how many processes."""
        killed = 0
        for path in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else ():
            record = _read(path)
            if record is not None and _owner_alive(record):
                continue
            if record is not None and record.boot_id == process_tree.boot_id():
                members = leftovers(record)
                process_tree.kill_all(tuple(member.pid for member in members))
                killed += len(members)
            with contextlib.suppress(OSError):
                path.unlink()
        return killed


def leftovers(record: Record) -> list[ProcessStamp]:
    """The processes of the recorded environment's session that are still running."""
    leader = process_tree.stamp(record.leader_pid)
    reused = leader is not None and leader.start_ticks != record.leader_start
    if reused and leader is not None and leader.session == record.leader_pid:
        # The pid leads a newer session: whatever is in it is not ours to kill.
        return []
    return [
        member
        for member in process_tree.session_members(record.leader_pid)
        if member.start_ticks >= record.leader_start
    ]


def _owner_alive(record: Record) -> bool:
    owner = process_tree.stamp(record.owner_pid)
    return (
        record.boot_id == process_tree.boot_id()
        and owner is not None
        and owner.start_ticks == record.owner_start
    )


def _read(path: Path) -> Record | None:
    try:
        document = json.loads(path.read_text())
        return Record(**{key: document[key] for key in Record.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None
