"""Pure parts of a container's life: image facts, exit states, stale owners, memory files.

Exit states follow Lambda's wording for a runtime that died ("Runtime exited with error:
signal: killed" when it ran out of memory; AWS docs: "Troubleshoot invocation issues").
"""

from __future__ import annotations

from pathlib import Path

from emulator.backends.container_plan import ImageFacts, Owner, facts_from
from emulator.backends.container_state import (
    cgroup_memory_files,
    exit_code,
    is_stale,
    parse_owner,
    process_start,
)
from emulator.backends.output import LineBuffer

ME = Owner("mine", "devbox", 100, 5000)


def test_image_facts_come_from_the_inspected_config() -> None:
    attrs = {
        "Config": {
            "Entrypoint": ["/lambda-entrypoint.sh"],
            "Cmd": ["app.handler"],
            "WorkingDir": "/var/task",
        }
    }
    facts = facts_from("img:1", attrs)
    assert facts == ImageFacts("img:1", ("/lambda-entrypoint.sh",), ("app.handler",), "/var/task")
    assert facts.lambda_base is True


def test_an_image_without_lambdas_entrypoint_is_not_a_lambda_base_image() -> None:
    facts = facts_from("debian-python:1", {"Config": {"Entrypoint": None, "Cmd": ["python3"]}})
    assert facts == ImageFacts("debian-python:1", (), ("python3",), "")
    assert facts.lambda_base is False


def test_out_of_memory_is_reported_as_killed() -> None:
    assert exit_code({"OOMKilled": True, "ExitCode": 137}) == -9
    assert exit_code({"OOMKilled": True, "ExitCode": 0}) == -9


def test_exit_codes_above_128_are_signals_and_others_are_statuses() -> None:
    states = [{"ExitCode": 137}, {"ExitCode": 143}, {"ExitCode": 1}, {"ExitCode": 0}, {}]
    assert [exit_code(s) for s in states] == [-9, -15, 1, 0, None]


def test_owner_labels_parse_back() -> None:
    assert parse_owner(ME.label()) == ("devbox", 100, 5000)
    assert parse_owner("nonsense") is None
    assert parse_owner("host/x/1") is None


def labels(instance: str, owner: str) -> dict[str, str]:
    return {"lambdock.instance": instance, "lambdock.owner": owner}


def test_a_container_of_a_dead_lambdock_on_this_host_is_stale() -> None:
    assert is_stale(labels("old", "devbox/55/1234"), ME, lambda pid: None) is True


def test_a_reused_pid_does_not_keep_a_container_alive() -> None:
    assert is_stale(labels("old", "devbox/55/1234"), ME, lambda pid: 9999) is True


def test_containers_of_live_lambdocks_ours_or_other_hosts_are_kept() -> None:
    alive = {55: 1234}
    assert is_stale(labels("other", "devbox/55/1234"), ME, alive.get) is False
    assert is_stale(labels("mine", "devbox/55/1"), ME, alive.get) is False
    assert is_stale(labels("old", "elsewhere/55/1"), ME, alive.get) is False
    assert is_stale(labels("old", "garbage"), ME, alive.get) is False


def test_memory_peak_files_cover_cgroup_v1_and_v2_layouts() -> None:
    assert cgroup_memory_files("abc", Path("/sys/fs/cgroup")) == (
        Path("/sys/fs/cgroup/system.slice/docker-abc.scope/memory.peak"),
        Path("/sys/fs/cgroup/docker/abc/memory.peak"),
        Path("/sys/fs/cgroup/memory/docker/abc/memory.max_usage_in_bytes"),
        Path("/sys/fs/cgroup/memory/system.slice/docker-abc.scope/memory.max_usage_in_bytes"),
    )


def test_output_is_split_into_lines_across_chunks() -> None:
    buffer = LineBuffer()
    assert buffer.feed(b"one\ntw") == ["one"]
    assert buffer.feed(b"o\n\nthr") == ["two", ""]
    assert buffer.flush() == ["thr"]
    assert buffer.flush() == []


def test_a_multibyte_character_split_across_chunks_survives() -> None:
    buffer = LineBuffer()
    encoded = "héllo\n".encode()
    assert buffer.feed(encoded[:2]) == []
    assert buffer.feed(encoded[2:]) == ["héllo"]


def test_overlong_lines_are_split_at_the_limit() -> None:
    buffer = LineBuffer(max_line=4)
    assert buffer.feed(b"abcdefghij\nxy") == ["abcd", "efgh", "ij"]
    assert buffer.feed(b"zzzz") == ["xyzz"]
    assert buffer.flush() == ["zz"]


def test_a_line_exactly_at_the_limit_waits_for_its_newline() -> None:
    buffer = LineBuffer(max_line=4)
    assert buffer.feed(b"abcd") == []
    assert buffer.feed(b"\n") == ["abcd"]


def test_a_process_start_time_is_field_22_of_its_stat_file(tmp_path: Path) -> None:
    (tmp_path / "42").mkdir()
    # The command name may hold spaces and parentheses; fields are counted after the last ')'.
    fields = " ".join(str(n) for n in range(3, 23))
    (tmp_path / "42" / "stat").write_text(f"42 (odd) name) {fields} 23 24\n")
    assert process_start(42, tmp_path) == 22
    assert process_start(43, tmp_path) is None
