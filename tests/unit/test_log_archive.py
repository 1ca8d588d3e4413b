"""Function logs on disk: one JSON Lines file per function, bounded by rotation, read back on
the next start."""

from __future__ import annotations

from pathlib import Path

from emulator.log_archive import LogArchive, decode_record, encode_record
from emulator.logs import InvocationSummary, LogStore


def summary(request_id: str, started_at: float = 1_700_000_000.0) -> InvocationSummary:
    return InvocationSummary(
        request_id=request_id,
        function_name="Hello",
        log_stream_name="2024/05/01/[$LATEST]aaaa",
        started_at=started_at,
        duration_ms=5.0,
        status="ok",
        error_type=None,
        cold=False,
        init_duration_ms=None,
        max_memory_mb=40,
        memory_size=128,
    )


def lines(request_id: str, body: int = 1) -> list[str]:
    middle = [f"line {n} " + "x" * 40 for n in range(body)]
    return [
        f"START RequestId: {request_id} Version: $LATEST",
        *middle,
        f"END RequestId: {request_id}",
    ]


def test_what_is_archived_is_read_back(tmp_path: Path) -> None:
    archive = LogArchive(tmp_path)
    archive.append(summary("r1"), lines("r1"))
    archive.append(summary("r2", 1_700_000_001.0), lines("r2"))
    archive.close()
    assert LogArchive(tmp_path).load() == [
        (summary("r1"), lines("r1")),
        (summary("r2", 1_700_000_001.0), lines("r2")),
    ]


def test_a_function_never_holds_more_than_its_budget_on_disk(tmp_path: Path) -> None:
    archive = LogArchive(tmp_path, max_bytes=4096)
    for number in range(200):
        archive.append(summary(f"r{number}", 1_700_000_000.0 + number), lines(f"r{number}"))
    archive.close()
    total = sum(path.stat().st_size for path in tmp_path.iterdir())
    assert total <= 4096
    assert sorted(path.name for path in tmp_path.iterdir()) == ["Hello.1.jsonl", "Hello.jsonl"]
    kept = [s.request_id for s, _ in LogArchive(tmp_path).load()]
    assert kept[-1] == "r199"
    assert kept == sorted(kept, key=lambda rid: int(rid[1:]))


def test_a_huge_invocation_keeps_its_first_and_last_lines(tmp_path: Path) -> None:
    text = encode_record(summary("r1"), lines("r1", body=1000), max_chars=2000)
    decoded = decode_record(text)
    assert decoded is not None
    kept = decoded[1]
    assert len(text) <= 2000
    assert kept[0] == "START RequestId: r1 Version: $LATEST"
    assert kept[-1] == "END RequestId: r1"
    assert any(line.startswith("[lambdock: ") and "lines left out]" in line for line in kept)


def test_lines_that_are_not_records_are_skipped(tmp_path: Path) -> None:
    good = encode_record(summary("r1"), lines("r1"), max_chars=10_000)
    (tmp_path / "Hello.jsonl").write_text('not json\n{"summary": {}}\n' + good)
    assert LogArchive(tmp_path).load() == [(summary("r1"), lines("r1"))]


def test_a_missing_folder_holds_nothing(tmp_path: Path) -> None:
    assert LogArchive(tmp_path / "absent").load() == []


def test_a_disk_that_refuses_leaves_invocations_alone(tmp_path: Path) -> None:
    blocker = tmp_path / "logs"
    blocker.write_text("a file where the folder should be")
    archive = LogArchive(blocker)
    archive.append(summary("r1"), lines("r1"))
    archive.append(summary("r2"), lines("r2"))
    assert blocker.read_text() == "a file where the folder should be"


def test_the_store_takes_back_archived_invocations_and_archives_new_ones(tmp_path: Path) -> None:
    earlier = LogArchive(tmp_path)
    earlier.append(summary("old"), lines("old"))
    earlier.close()
    store = LogStore(now=lambda: 1_700_000_100.0)
    archive = LogArchive(tmp_path)
    store.keep_on_disk(archive)
    log = store.begin("Hello", "2024/05/01/[$LATEST]bbbb", "new")
    store.finish(log, "REPORT RequestId: new\t")
    store.record(log, summary("new", 1_700_000_100.0))
    archive.close()
    assert [entry.request_id for entry in store.timeline(function_name="Hello")] == ["old", "new"]
    assert store.find("old") is not None
    assert [s.request_id for s, _ in LogArchive(tmp_path).load()] == ["old", "new"]
