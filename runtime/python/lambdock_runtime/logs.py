"""The function's log channel (stdout), set up as the Lambda Python runtime sets it up.

Follows awslambdaric with its standard-output log sink (what runs in AWS's base images when
no telemetry descriptor is given):

- stdout and stderr are unbuffered, so a ``print`` reaches the log at once;
- the root logger gets a handler writing
  ``[LEVEL]\\t<UTC time>.<ms>Z\\t<request id>\\t<message>\\n``, or one JSON object per line
  when ``AWS_LAMBDA_LOG_FORMAT`` is ``JSON``; the request id comes from a filter;
- the root level is set only when ``AWS_LAMBDA_LOG_LEVEL`` names a level (``TRACE`` means
  ``DEBUG``); without it Python's default, WARNING, stays;
- an unhandled error is logged as one entry: ``[ERROR] Type: message`` and the traceback,
  lines joined by ``\\r`` and leading spaces turned into no-break spaces (text), or one JSON
  object (JSON).
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

from .marshaller import to_json

TEXT_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
TEXT_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
JSON_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

_ERROR_LINE_SEPARATOR = "\r"
_ERROR_INDENT = "\u00a0"  # NO-BREAK SPACE, as awslambdaric indents traceback lines

# LogRecord attributes that the JSON format does not copy as extra fields.
_RESERVED_FIELDS = frozenset(
    (
        "name",
        "msg",
        "args",
        "levelname",
        "levelno",
        "pathname",
        "filename",
        "module",
        "exc_info",
        "exc_text",
        "stack_info",
        "lineno",
        "funcName",
        "created",
        "msecs",
        "relativeCreated",
        "thread",
        "threadName",
        "processName",
        "process",
        "aws_request_id",
        "tenant_id",
        "_frame_type",
    )
)


@dataclass(frozen=True)
class LogConfig:
    """Log format and level, from ``AWS_LAMBDA_LOG_FORMAT`` and ``AWS_LAMBDA_LOG_LEVEL``."""

    json_format: bool
    level: str | None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> LogConfig:
        """Read the advanced logging controls Lambda passes to the runtime."""
        log_format = environ.get("AWS_LAMBDA_LOG_FORMAT", "")
        level = environ.get("AWS_LAMBDA_LOG_LEVEL")
        if level is not None:
            level = "DEBUG" if level.upper() == "TRACE" else level.upper()
        return cls(json_format=log_format.upper() == "JSON", level=level or None)


class Unbuffered:
    """A stream wrapper that flushes after every write."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        written = self.stream.write(text)
        self.stream.flush()
        return written

    def writelines(self, lines: Any) -> None:
        self.stream.writelines(lines)
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class RequestIdFilter(logging.Filter):
    """Adds the current invocation's request id (and tenant id) to every log record."""

    def __init__(self) -> None:
        super().__init__()
        self.request_id = ""
        self.tenant_id: str | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        record.tenant_id = self.tenant_id
        return True


class StdoutHandler(logging.Handler):
    """Writes formatted records to whatever ``sys.stdout`` is at the time."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record))
        except Exception:
            self.handleError(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with the fields of Lambda's JSON log format."""

    def __init__(self) -> None:
        super().__init__(datefmt=JSON_DATE_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        record.levelno = min(50, max(0, record.levelno)) // 10 * 10
        record.levelname = logging.getLevelName(record.levelno)
        exc_info = record.exc_info
        fields: dict[str, Any] = {
            "timestamp": self.formatTime(record, self.datefmt),
            "level": record.levelname,
            "message": record.msg
            if isinstance(record.msg, dict) and not record.args
            else record.getMessage(),
            "logger": record.name,
            "stackTrace": traceback.format_tb(exc_info[2]) if exc_info else None,
            "errorType": exc_info[0].__name__ if exc_info and exc_info[0] else None,
            "errorMessage": str(exc_info[1]) if exc_info else None,
            "requestId": getattr(record, "aws_request_id", None),
            "location": f"{record.pathname}:{record.funcName}:{record.lineno}"
            if exc_info
            else None,
        }
        tenant_id = getattr(record, "tenant_id", None)
        if tenant_id is not None:
            fields["tenantId"] = tenant_id
        for key, value in record.__dict__.items():
            if key not in _RESERVED_FIELDS and key not in fields:
                fields[key] = value
        present = {key: value for key, value in fields.items() if value is not None}
        return json.dumps(present, ensure_ascii=False, default=str) + "\n"


def install_unbuffered_streams() -> None:
    """Make ``print`` and writes to stderr reach the log without waiting for a buffer."""
    if not isinstance(sys.stdout, Unbuffered):
        sys.stdout = Unbuffered(sys.stdout)
    if not isinstance(sys.stderr, Unbuffered):
        sys.stderr = Unbuffered(sys.stderr)


def setup_logging(config: LogConfig, request_filter: RequestIdFilter) -> None:
    """Give the root logger Lambda's handler, format and level."""
    # awslambdaric switches every formatter to UTC, the handler's own ones included.
    logging.Formatter.converter = time.gmtime
    handler = StdoutHandler()
    if config.json_format:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT, TEXT_DATE_FORMAT))
    handler.addFilter(request_filter)
    root = logging.getLogger()
    if config.level is not None and isinstance(logging.getLevelName(config.level), int):
        root.setLevel(config.level)
    root.addHandler(handler)


def format_error_entry(payload: Mapping[str, Any], *, json_format: bool, ensure_ascii: bool) -> str:
    """Render an error payload as the one log entry the runtime writes for it."""
    if json_format:
        timestamp = time.strftime(JSON_DATE_FORMAT, time.gmtime())
        entry = {"timestamp": timestamp, "level": "ERROR", **payload}
        return to_json(entry, ensure_ascii=ensure_ascii) + "\n"
    lines = [_error_headline(payload), "Traceback (most recent call last):"]
    for element in payload.get("stackTrace") or []:
        if element == "":
            lines.append("")
            continue
        lines.extend(_indent_with_no_break_spaces(line) for line in element.splitlines())
    return _ERROR_LINE_SEPARATOR.join(lines) + "\n"


def log_error(payload: Mapping[str, Any], *, json_format: bool, ensure_ascii: bool) -> None:
    """Write an error payload to the log, as awslambdaric does before posting it."""
    sys.stdout.write(
        format_error_entry(payload, json_format=json_format, ensure_ascii=ensure_ascii)
    )


def _error_headline(payload: Mapping[str, Any]) -> str:
    headline = "[ERROR]"
    error_type = payload.get("errorType")
    message = payload.get("errorMessage")
    if error_type:
        headline += " " + error_type
    if message:
        headline += (":" if error_type else "") + " " + message
    return headline


def _indent_with_no_break_spaces(line: str) -> str:
    stripped = line.lstrip(" ")
    return _ERROR_INDENT * (len(line) - len(stripped)) + stripped
