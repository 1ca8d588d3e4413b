"""The log store: per-invocation logs with summaries, a numbered timeline for followers, log
streams (one per execution environment, as CloudWatch Logs groups a function's output), bounds."""

from __future__ import annotations

from dataclasses import replace

import pytest

from emulator import logs
from emulator.invoker import InvocationResult
from emulator.logs import InvocationSummary, LogStore, LogStream, matching_lines, summarize

STREAM_A = "2024/05/01/[$LATEST]aaaa"
STREAM_B = "2024/05/01/[$LATEST]bbbb"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def summary_for(log: logs.InvocationLog, **changes: object) -> InvocationSummary:
    base = InvocationSummary(
        request_id=log.request_id,
        function_name=log.function_name,
        log_stream_name=log.log_stream_name,
        started_at=log.started_at,
        duration_ms=5.0,
        status="ok",
        error_type=None,
        cold=False,
        init_duration_ms=None,
        max_memory_mb=40,
        memory_size=128,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def run_one(store: LogStore, function: str, stream: str, request_id: str) -> logs.InvocationLog:
    log = store.begin(function, stream, request_id)
    store.write(log, f"handling {request_id}")
    store.finish(log, f"REPORT RequestId: {request_id}\tDuration: 5.00 ms\t")
    store.record(log, summary_for(log))
    return log


def test_recorded_invocations_are_numbered_in_the_order_they_finish() -> None:
    store = LogStore(now=Clock())
    first = run_one(store, "Hello", STREAM_A, "r1")
    second = run_one(store, "Other", STREAM_B, "r2")
    assert (first.sequence, second.sequence, store.sequence) == (1, 2, 2)
    assert [log.request_id for log in store.timeline()] == ["r1", "r2"]


def test_a_follower_gets_only_what_finished_after_its_cursor() -> None:
    store = LogStore(now=Clock())
    run_one(store, "Hello", STREAM_A, "r1")
    cursor = store.sequence
    run_one(store, "Hello", STREAM_A, "r2")
    assert [log.request_id for log in store.timeline(after=cursor)] == ["r2"]


def test_the_timeline_filters_by_function_and_start_time() -> None:
    clock = Clock()
    store = LogStore(now=clock)
    run_one(store, "Hello", STREAM_A, "r1")
    since = clock.now + 0.5
    run_one(store, "Other", STREAM_B, "r2")
    run_one(store, "Hello", STREAM_A, "r3")
    assert [log.request_id for log in store.timeline(function_name="Hello")] == ["r1", "r3"]
    assert [log.request_id for log in store.timeline(since=since)] == ["r2", "r3"]


def test_an_invocation_without_a_summary_is_not_in_the_timeline() -> None:
    store = LogStore(now=Clock())
    log = store.begin("Hello", STREAM_A, "r1")
    store.finish(log, "REPORT RequestId: r1\t")
    assert store.timeline(function_name="Hello") == []
    assert store.find("r1") is log


def test_invocations_are_grouped_by_log_stream_newest_activity_first() -> None:
    store = LogStore(now=Clock())
    run_one(store, "Hello", STREAM_A, "r1")
    run_one(store, "Hello", STREAM_B, "r2")
    run_one(store, "Hello", STREAM_A, "r3")
    assert store.streams("Hello") == [
        LogStream(STREAM_A, 1_700_000_001.0, 1_700_000_003.0, 2),
        LogStream(STREAM_B, 1_700_000_002.0, 1_700_000_002.0, 1),
    ]


def test_memory_keeps_a_bounded_number_of_invocations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "KEEP_INVOCATIONS", 3)
    monkeypatch.setattr(logs, "KEEP_TIMELINE", 4)
    store = LogStore(now=Clock())
    for number in range(10):
        run_one(store, "Hello" if number % 2 else "Other", STREAM_A, f"r{number}")
    assert [log.request_id for log in store.timeline()] == ["r6", "r7", "r8", "r9"]
    assert [log.request_id for log in store.timeline(function_name="Hello")] == ["r5", "r7", "r9"]


def test_an_invocation_keeps_a_bounded_number_of_lines_start_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(logs, "KEEP_LINES", 4)
    store = LogStore(now=Clock())
    log = store.begin("Hello", STREAM_A, "r1")
    for number in range(6):
        store.write(log, f"line {number}")
    assert log.lines == ["START RequestId: r1 Version: $LATEST", "line 3", "line 4", "line 5"]
    assert log.dropped == 3


def test_the_filter_keeps_lines_containing_the_text_case_sensitively() -> None:
    lines = ["START RequestId: r1", "Order 42 ready", "order 43 ready", "END RequestId: r1"]
    assert matching_lines(lines, "Order") == ["Order 42 ready"]
    assert matching_lines(lines, None) == lines


def result(**changes: object) -> InvocationResult:
    log = logs.InvocationLog("Hello", STREAM_A, "r1", started_at=1_700_000_000.5)
    base = InvocationResult(
        request_id="r1",
        function_name="Hello",
        payload=b"{}",
        function_error=None,
        error_type=None,
        log=log,
        duration_ms=12.5,
        init_duration_ms=120.0,
        max_memory_mb=50,
        cold=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_result_is_summarised_with_its_status_timing_and_memory() -> None:
    assert summarize(result(), 256) == InvocationSummary(
        request_id="r1",
        function_name="Hello",
        log_stream_name=STREAM_A,
        started_at=1_700_000_000.5,
        duration_ms=12.5,
        status="ok",
        error_type=None,
        cold=True,
        init_duration_ms=120.0,
        max_memory_mb=50,
        memory_size=256,
    )


def test_a_function_error_and_a_timeout_are_told_apart() -> None:
    failed = summarize(result(function_error="Unhandled", error_type="ValueError"), 128)
    timed_out = summarize(result(function_error="Unhandled", error_type="Sandbox.Timedout"), 128)
    assert (failed.status, failed.error_type) == ("error", "ValueError")
    assert (timed_out.status, timed_out.error_type) == ("timeout", "Sandbox.Timedout")


def test_the_error_type_of_a_success_is_not_kept() -> None:
    assert summarize(result(error_type="ValueError"), 128).error_type is None
