"""Error payloads, their stack traces and the log entry written for them.

Shapes follow awslambdaric 4.2.2 (aws/aws-lambda-python-runtime-interface-client,
``awslambdaric/bootstrap.py``): ``make_error`` gives errorMessage, errorType, requestId and
stackTrace in that order, empty strings and lists rather than null; the stack trace is
``traceback.format_list`` of the frames from the first one outside the runtime; ``log_error``
writes ``[ERROR] Type: message``, ``Traceback (most recent call last):`` and the frames as one
entry whose lines are joined by ``\\r`` and indented with U+00A0, or one JSON object with
timestamp and level when the log format is JSON.
"""

from __future__ import annotations

import json
import re

from lambdock_runtime.errors import (
    FaultError,
    error_payload,
    exception_payload,
    fault_payload,
    user_frames,
    xray_cause,
)
from lambdock_runtime.logs import format_error_entry


def raise_value_error() -> None:
    raise ValueError("boom")


def caught() -> ValueError:
    try:
        raise_value_error()
    except ValueError as exc:
        return exc
    raise AssertionError("raise_value_error did not raise")


def test_an_error_payload_has_the_four_fields_in_order() -> None:
    payload = error_payload("boom", "ValueError", ["frame\n"], "req-1")
    assert list(payload) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert payload == {
        "errorMessage": "boom",
        "errorType": "ValueError",
        "requestId": "req-1",
        "stackTrace": ["frame\n"],
    }


def test_a_fault_at_init_has_an_empty_request_id_and_trace() -> None:
    fault = FaultError("Runtime.HandlerNotFound", "Handler 'x' missing on module 'app'")
    assert fault_payload(fault) == {
        "errorMessage": "Handler 'x' missing on module 'app'",
        "errorType": "Runtime.HandlerNotFound",
        "requestId": "",
        "stackTrace": [],
    }


def test_an_exception_payload_lists_its_frames_as_format_list_does() -> None:
    exc = caught()
    line = raise_value_error.__code__.co_firstlineno + 1
    caller_line = caught.__code__.co_firstlineno + 2
    assert exception_payload(exc, "req-9") == {
        "errorMessage": "boom",
        "errorType": "ValueError",
        "requestId": "req-9",
        "stackTrace": [
            f'  File "{__file__}", line {caller_line}, in caught\n    raise_value_error()\n',
            f'  File "{__file__}", line {line}, in raise_value_error\n'
            '    raise ValueError("boom")\n',
        ],
    }


def test_a_traceback_without_runtime_frames_keeps_all_its_frames() -> None:
    exc = caught()
    assert [frame[2] for frame in user_frames(exc.__traceback__)] == [
        "caught",
        "raise_value_error",
    ]


def test_the_xray_cause_lists_the_frames_and_their_files() -> None:
    frames = [("/var/task/app.py", 12, "handler", "raise ValueError()")]
    cause = xray_cause("ValueError", "boom", frames)  # type: ignore[arg-type]
    assert {key: cause[key] for key in ("exceptions", "paths")} == {
        "exceptions": [
            {
                "message": "boom",
                "type": "ValueError",
                "stack": [{"label": "handler", "path": "/var/task/app.py", "line": 12}],
            }
        ],
        "paths": ["/var/task/app.py"],
    }


def test_the_text_log_entry_is_one_line_joined_by_carriage_returns() -> None:
    payload = error_payload(
        "boom",
        "ValueError",
        ['  File "/var/task/app.py", line 3, in handler\n    raise ValueError("boom")\n'],
        "req-1",
    )
    assert format_error_entry(payload, json_format=False, ensure_ascii=True) == (
        "[ERROR] ValueError: boom\r"
        "Traceback (most recent call last):\r"
        '\u00a0\u00a0File "/var/task/app.py", line 3, in handler\r'
        '\u00a0\u00a0\u00a0\u00a0raise ValueError("boom")\n'
    )


def test_the_text_log_entry_of_a_fault_ends_with_the_empty_traceback_header() -> None:
    payload = fault_payload(FaultError("Runtime.ImportModuleError", "Unable to import module"))
    assert format_error_entry(payload, json_format=False, ensure_ascii=True) == (
        "[ERROR] Runtime.ImportModuleError: Unable to import module\r"
        "Traceback (most recent call last):\n"
    )


def test_the_text_log_entry_without_a_message_shows_only_the_type() -> None:
    payload = error_payload("", "KeyError", [])
    assert format_error_entry(payload, json_format=False, ensure_ascii=True) == (
        "[ERROR] KeyError\rTraceback (most recent call last):\n"
    )


def test_the_json_log_entry_adds_timestamp_and_level_to_the_payload() -> None:
    payload = error_payload("boom", "ValueError", [], "req-1")
    entry = format_error_entry(payload, json_format=True, ensure_ascii=True)
    assert entry.endswith("\n")
    fields = json.loads(entry)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", fields.pop("timestamp"))
    assert fields == {
        "level": "ERROR",
        "errorMessage": "boom",
        "errorType": "ValueError",
        "requestId": "req-1",
        "stackTrace": [],
    }
