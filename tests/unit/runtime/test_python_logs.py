"""The function's log format, read from the advanced logging controls.

Follows awslambdaric 4.2.2 (``awslambdaric/bootstrap.py`` ``_setup_logging`` and
``LambdaLoggerFilter``; ``awslambdaric/lambda_runtime_log_utils.py`` ``JsonFormatter`` and
``_get_log_level_from_env_var``) and the AWS Lambda developer guide ("Configuring advanced
logging controls for Lambda functions"): text lines are
``[LEVEL]\\t<UTC time>.<ms>Z\\t<request id>\\t<message>\\n``; JSON records carry timestamp,
level, message, logger and requestId, plus error fields and ``extra`` attributes.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import time

import pytest
from lambdock_runtime.logs import (
    TEXT_DATE_FORMAT,
    TEXT_FORMAT,
    JsonFormatter,
    LogConfig,
    RequestIdFilter,
    Unbuffered,
)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, LogConfig(json_format=False, level=None)),
        ({"AWS_LAMBDA_LOG_FORMAT": "Text"}, LogConfig(json_format=False, level=None)),
        ({"AWS_LAMBDA_LOG_FORMAT": "json"}, LogConfig(json_format=True, level=None)),
        ({"AWS_LAMBDA_LOG_LEVEL": "debug"}, LogConfig(json_format=False, level="DEBUG")),
        ({"AWS_LAMBDA_LOG_LEVEL": "TRACE"}, LogConfig(json_format=False, level="DEBUG")),
    ],
)
def test_the_log_config_comes_from_the_environment(
    environ: dict[str, str], expected: LogConfig
) -> None:
    assert LogConfig.from_environ(environ) == expected


def record(message: object, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord(
        "app.orders", logging.WARNING, "/var/task/app.py", 7, message, args, None
    )
    made.created = 1_767_225_600.25  # 2026-01-01T00:00:00.250Z
    made.msecs = 250.0
    made.__dict__.update(extra)
    return made


def filtered(made: logging.LogRecord, request_id: str) -> logging.LogRecord:
    request_filter = RequestIdFilter()
    request_filter.request_id = request_id
    assert request_filter.filter(made)
    return made


def test_a_text_line_has_level_utc_time_request_id_and_message() -> None:
    formatter = logging.Formatter(TEXT_FORMAT, TEXT_DATE_FORMAT)
    formatter.converter = time.gmtime
    line = formatter.format(filtered(record("stock low: %d", 3), "req-1"))
    assert line == "[WARNING]\t2026-01-01T00:00:00.250Z\treq-1\tstock low: 3\n"


def test_outside_an_invocation_the_request_id_is_empty() -> None:
    formatter = logging.Formatter(TEXT_FORMAT, TEXT_DATE_FORMAT)
    formatter.converter = time.gmtime
    line = formatter.format(filtered(record("starting"), ""))
    assert line == "[WARNING]\t2026-01-01T00:00:00.250Z\t\tstarting\n"


def test_a_json_record_has_lambdas_fields_and_extra_attributes() -> None:
    formatter = JsonFormatter()
    formatter.converter = time.gmtime
    line = formatter.format(filtered(record("stock low: %d", 3, sku="A-1"), "req-1"))
    assert line.endswith("\n")
    assert json.loads(line) == {
        "timestamp": "2026-01-01T00:00:00Z",
        "level": "WARNING",
        "message": "stock low: 3",
        "logger": "app.orders",
        "requestId": "req-1",
        "sku": "A-1",
    }


def test_a_json_record_keeps_a_dict_message_as_an_object() -> None:
    formatter = JsonFormatter()
    formatter.converter = time.gmtime
    fields = json.loads(formatter.format(filtered(record({"order": 9}), "req-1")))
    assert fields["message"] == {"order": 9}


def test_a_json_record_of_an_exception_has_its_error_fields() -> None:
    formatter = JsonFormatter()
    formatter.converter = time.gmtime
    try:
        raise KeyError("sku")
    except KeyError:
        made = logging.LogRecord(
            "root", logging.ERROR, "/var/task/app.py", 9, "failed", (), sys.exc_info()
        )
    made.funcName = "handler"
    fields = json.loads(formatter.format(filtered(made, "req-2")))
    assert {key: fields[key] for key in ("level", "errorType", "errorMessage", "location")} == {
        "level": "ERROR",
        "errorType": "KeyError",
        "errorMessage": "'sku'",
        "location": "/var/task/app.py:handler:9",
    }
    assert len(fields["stackTrace"]) == 1


def test_the_unbuffered_wrapper_flushes_every_write() -> None:
    class Recording(io.StringIO):
        flushes = 0

        def flush(self) -> None:
            self.flushes += 1

    stream = Recording()
    Unbuffered(stream).write("partial")
    assert (stream.getvalue(), stream.flushes) == ("partial", 1)
