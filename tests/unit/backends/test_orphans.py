"""What a SIGKILLed lambdock's environment records lead the next start to kill, over a fake
/proc: only sessions of owners that are gone, and never a session whose leader's pid was
taken by a newer session (start times tell them apart; proc(5): /proc/pid/stat)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from emulator.backends import orphans, process_tree
from emulator.backends.orphans import EnvironmentRecords

BOOT = "boot-1"


class FakeProc:
    """A /proc folder with stat files: pid, session and start time per process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "sys" / "kernel" / "random").mkdir(parents=True)
        (root / "sys" / "kernel" / "random" / "boot_id").write_text(BOOT + "\n")

    def add(self, pid: int, *, session: int, start: int, comm: str = "python3") -> None:
        folder = self.root / str(pid)
        folder.mkdir()
        # state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
        # cutime cstime priority nice threads itrealvalue starttime ...
        rest = ["S", "1", str(session), str(session), *["0"] * 15, str(start), "0", "0"]
        (folder / "stat").write_text(f"{pid} ({comm}) {' '.join(rest)}\n")


@pytest.fixture
def proc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeProc:
    fake = FakeProc(tmp_path / "proc")
    monkeypatch.setattr(process_tree, "PROC", fake.root)
    return fake


@pytest.fixture
def killed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    found: list[int] = []
    monkeypatch.setattr(process_tree, "kill_all", lambda pids: found.extend(pids))
    return found


def write_record(state: Path, name: str, **fields: object) -> Path:
    folder = state / orphans.RECORDS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    record = {"boot_id": BOOT, "owner_pid": 500, "owner_start": 10, **fields}
    path = folder / f"{name}.json"
    path.write_text(json.dumps(record))
    return path


def test_the_session_of_a_gone_owner_is_killed_from_its_leader_start_on(
    proc: FakeProc, killed: list[int], tmp_path: Path
) -> None:
    proc.add(os.getpid(), session=os.getpid(), start=1)
    proc.add(700, session=700, start=100)  # the recorded runtime, still running
    proc.add(701, session=700, start=150)  # a handler's child in its session
    proc.add(702, session=900, start=150)  # someone else
    path = write_record(tmp_path, "env-1", leader_pid=700, leader_start=100)
    assert EnvironmentRecords(tmp_path).reap() == 2
    assert sorted(killed) == [700, 701]
    assert not path.exists()


def test_children_outlive_a_leader_that_died_with_lambdock_and_are_killed(
    proc: FakeProc, killed: list[int], tmp_path: Path
) -> None:
    proc.add(os.getpid(), session=os.getpid(), start=1)
    proc.add(701, session=700, start=150)
    write_record(tmp_path, "env-1", leader_pid=700, leader_start=100)
    assert EnvironmentRecords(tmp_path).reap() == 1
    assert killed == [701]


def test_a_leader_pid_taken_by_a_newer_session_is_left_alone(
    proc: FakeProc, killed: list[int], tmp_path: Path
) -> None:
    proc.add(os.getpid(), session=os.getpid(), start=1)
    proc.add(700, session=700, start=300)  # pid 700 reused by a later session leader
    proc.add(701, session=700, start=310)
    path = write_record(tmp_path, "env-1", leader_pid=700, leader_start=100)
    assert EnvironmentRecords(tmp_path).reap() == 0
    assert killed == []
    assert not path.exists()


def test_environments_of_a_running_owner_are_kept(
    proc: FakeProc, killed: list[int], tmp_path: Path
) -> None:
    proc.add(os.getpid(), session=os.getpid(), start=1)
    proc.add(500, session=500, start=10)  # the owner is alive, same start time
    proc.add(700, session=700, start=100)
    path = write_record(tmp_path, "env-1", leader_pid=700, leader_start=100)
    assert EnvironmentRecords(tmp_path).reap() == 0
    assert killed == []
    assert path.exists()


def test_a_record_from_another_boot_kills_nothing(
    proc: FakeProc, killed: list[int], tmp_path: Path
) -> None:
    proc.add(os.getpid(), session=os.getpid(), start=1)
    proc.add(700, session=700, start=100)
    path = write_record(tmp_path, "env-1", leader_pid=700, leader_start=100, boot_id="boot-0")
    assert EnvironmentRecords(tmp_path).reap() == 0
    assert killed == []
    assert not path.exists()


def test_add_then_remove_writes_and_deletes_one_record(proc: FakeProc, tmp_path: Path) -> None:
    proc.add(os.getpid(), session=os.getpid(), start=1)
    proc.add(700, session=700, start=100)
    records = EnvironmentRecords(tmp_path)
    records.add("env-1", 700)
    path = tmp_path / orphans.RECORDS_FOLDER / "env-1.json"
    assert json.loads(path.read_text()) == {
        "boot_id": BOOT,
        "owner_pid": os.getpid(),
        "owner_start": 1,
        "leader_pid": 700,
        "leader_start": 100,
    }
    records.remove("env-1")
    assert not path.exists()


def test_a_command_name_with_spaces_and_parentheses_is_parsed(proc: FakeProc) -> None:
    proc.add(700, session=7, start=42, comm="a) (b c")
    assert process_tree.stamp(700) == process_tree.ProcessStamp(700, start_ticks=42, session=7)
