"""What `lambdock up` prints: function output with name and request id, one summary line per
invocation, colour only where the terminal supports it (NO_COLOR: https://no-color.org)."""

from __future__ import annotations

import io
from dataclasses import replace

from emulator.console import (
    Console,
    colour_supported,
    format_duration,
    format_line,
    format_summary,
    format_timestamp,
    function_colour,
)
from emulator.logs import InvocationSummary

SUMMARY = InvocationSummary(
    request_id="1a2b3c4d-0000-4000-8000-000000000001",
    function_name="Hello",
    log_stream_name="2024/05/01/[$LATEST]abc",
    started_at=1_700_000_000.0,
    duration_ms=12.345,
    status="ok",
    error_type=None,
    cold=False,
    init_duration_ms=None,
    max_memory_mb=42,
    memory_size=128,
)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_function_line_names_the_function_and_the_short_request_id() -> None:
    line = format_line("Hello", "1a2b3c4d-0000-4000-8000-000000000001", "hello world")
    assert line == "[Hello 1a2b3c4d] hello world"


def test_output_outside_an_invocation_is_tagged_init() -> None:
    assert format_line("Hello", None, "loading model") == "[Hello init] loading model"


def test_a_warm_success_summary_reads_status_duration_start_and_memory() -> None:
    assert format_summary(SUMMARY) == "[Hello 1a2b3c4d] OK 12.3 ms warm 42/128 MB"


def test_a_cold_error_summary_names_the_error_type_and_the_init_duration() -> None:
    failed = replace(
        SUMMARY, status="error", error_type="ValueError", cold=True, init_duration_ms=230.0
    )
    assert format_summary(failed) == (
        "[Hello 1a2b3c4d] ERROR ValueError 12.3 ms cold (init 230.0 ms) 42/128 MB"
    )


def test_a_timeout_summary_is_painted_amber_when_colour_is_on() -> None:
    timed_out = replace(SUMMARY, status="timeout", error_type="Sandbox.Timedout")
    colour = function_colour("Hello")
    assert format_summary(timed_out, colour=True) == (
        f"[\x1b[{colour}mHello\x1b[0m \x1b[2m1a2b3c4d\x1b[0m] "
        "\x1b[33mTIMEOUT Sandbox.Timedout\x1b[0m 12.3 ms warm 42/128 MB"
    )


def test_a_function_keeps_its_colour() -> None:
    assert function_colour("Hello") == function_colour("Hello")


def test_durations_switch_to_seconds_at_one_second() -> None:
    assert [format_duration(v) for v in (0.42, 999.9, 1000.0, 12345.0)] == [
        "0.4 ms",
        "999.9 ms",
        "1.00 s",
        "12.35 s",
    ]


def test_timestamps_are_utc_to_the_millisecond() -> None:
    assert format_timestamp(1_700_000_000.1234) == "2023-11-14T22:13:20.123Z"


def test_colour_needs_a_terminal_that_is_not_dumb() -> None:
    assert colour_supported(Terminal(), {"TERM": "xterm-256color"}) is True
    assert colour_supported(Terminal(), {"TERM": "dumb"}) is False
    assert colour_supported(io.StringIO(), {"TERM": "xterm"}) is False


def test_no_color_wins_over_force_color_and_a_terminal() -> None:
    assert colour_supported(Terminal(), {"NO_COLOR": "1", "FORCE_COLOR": "1"}) is False
    assert colour_supported(io.StringIO(), {"FORCE_COLOR": "1"}) is True


def test_the_console_shows_the_summary_instead_of_start_end_and_report() -> None:
    out = io.StringIO()
    console = Console(out)
    request_id = SUMMARY.request_id
    console.line("Hello", request_id, f"START RequestId: {request_id} Version: $LATEST")
    console.line("Hello", request_id, "hello world")
    console.line("Hello", request_id, f"END RequestId: {request_id}")
    console.line("Hello", request_id, f"REPORT RequestId: {request_id}\tDuration: 12.35 ms\t")
    console.invocation(SUMMARY)
    assert out.getvalue().splitlines() == [
        "[Hello 1a2b3c4d] hello world",
        "[Hello 1a2b3c4d] OK 12.3 ms warm 42/128 MB",
    ]


def test_progress_says_what_starts_each_step_and_how_long_it_took() -> None:
    out = io.StringIO()
    ticks = iter([10.0, 11.5])
    with Console(out).progress("starting MinIO", now=lambda: next(ticks)) as step:
        step.update("bucket uploads created")
    assert out.getvalue().splitlines() == [
        "lambdock: starting MinIO...",
        "lambdock: starting MinIO: bucket uploads created",
        "lambdock: starting MinIO: done in 1.50 s",
    ]


def test_progress_reports_failure_when_the_work_raises() -> None:
    out = io.StringIO()
    ticks = iter([0.0, 0.25])
    try:
        with Console(out).progress("pulling image", now=lambda: next(ticks)):
            raise RuntimeError("no registry")
    except RuntimeError:
        pass
    assert out.getvalue().splitlines()[-1] == "lambdock: pulling image: failed in 250.0 ms"


def test_errors_are_marked_as_errors() -> None:
    out = io.StringIO()
    Console(out).error("template.yaml:3: not valid YAML")
    assert out.getvalue() == "lambdock: error: template.yaml:3: not valid YAML\n"
