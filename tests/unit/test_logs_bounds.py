"""An invocation's log stays bounded however much its handler writes."""

from __future__ import annotations

from emulator.logs import KEEP_CHARS, KEEP_LINES, LogStore, keep_newest


def test_a_log_keeps_start_and_the_newest_lines_within_the_character_bound() -> None:
    log = LogStore().begin("Fn", "stream", "req-1")
    line = "y" * (64 * 1024)
    for index in range(100):
        log.add(f"{index:03d}{line}")
    assert log.lines[0] == "START RequestId: req-1 Version: $LATEST"
    assert log.lines[-1].startswith("099")
    assert sum(len(kept) for kept in log.lines) <= KEEP_CHARS + 100
    assert log.chars == sum(len(kept) for kept in log.lines)
    assert log.dropped == 101 - len(log.lines)


def test_a_log_keeps_at_most_keep_lines_short_lines() -> None:
    log = LogStore().begin("Fn", "stream", "req-1")
    for index in range(KEEP_LINES + 10):
        log.add(str(index))
    assert len(log.lines) == KEEP_LINES
    assert log.lines[1] == "11"
    assert log.lines[-1] == str(KEEP_LINES + 9)


def test_output_waiting_between_invocations_keeps_its_newest_lines_within_bounds() -> None:
    pending: list[str] = []
    for index in range(50):
        keep_newest(pending, f"{index:02d}" + "z" * 100_000, max_lines=500, max_chars=256 * 1024)
    assert [line[:2] for line in pending] == ["48", "49"]
    for index in range(600):
        keep_newest(pending, str(index), max_lines=500, max_chars=256 * 1024)
    assert len(pending) == 500 and pending[-1] == "599"
