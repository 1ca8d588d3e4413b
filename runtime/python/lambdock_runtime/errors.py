"""Lambda error payloads and the Runtime.* error types, shaped field for field as awslambdaric.

An error payload is ``{"errorMessage", "errorType", "requestId", "stackTrace"}`` (the Lambda
Runtime API's ErrorRequest plus the request id that the Python 3.9+ runtimes add). The stack
trace is a list of ``traceback.format_list`` entries of the user's frames, the runtime's own
leading frames dropped.
"""

from __future__ import annotations

import os
import traceback
from types import TracebackType
from typing import Any

# Error types the Python runtime reports for its own failures (awslambdaric's FaultException).
IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
MARSHAL_ERROR = "Runtime.MarshalError"
UNMARSHAL_ERROR = "Runtime.UnmarshalError"
CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"

# The X-Ray exception type awslambdaric reports for a runtime fault during an invocation.
XRAY_FAULT_TYPE = "LambdaValidationError"

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class FaultError(Exception):
    """A failure the runtime classifies itself, with a Runtime.* error type and its message."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace if trace is not None else []


def error_payload(
    message: str, error_type: str, stack_trace: list[str], request_id: str = ""
) -> dict[str, Any]:
    """Build the error body posted to the Runtime API (empty strings and lists, never null)."""
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id,
        "stackTrace": list(stack_trace),
    }


def fault_payload(fault: FaultError, request_id: str = "") -> dict[str, Any]:
    """Build the error body for a runtime fault."""
    return error_payload(fault.message, fault.error_type, fault.trace, request_id)


def exception_payload(exc: BaseException, request_id: str = "") -> dict[str, Any]:
    """Build the error body for an exception raised by user code: its class name and frames."""
    frames = user_frames(exc.__traceback__)
    return error_payload(str(exc), type(exc).__name__, format_frames(frames), request_id)


def user_frames(tb: TracebackType | None) -> list[tuple[str, int | None, str, str | None]]:
    """List a traceback's frames from the first one outside this runtime package.

    awslambdaric drops its bootstrap's leading frames the same way, and keeps every frame when
    all of them are its own. Frames are plain tuples so that Python 3.11+ prints no caret lines.
    """
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for index, frame in enumerate(frames):
        if not _is_runtime_file(frame[0]):
            return frames[index:]
    return frames


def format_frames(frames: list[tuple[str, int | None, str, str | None]]) -> list[str]:
    """Format frames as ``traceback.format_list`` does: one string per frame."""
    return traceback.format_list(frames)  # type: ignore[arg-type]


def xray_cause(
    error_type: str,
    message: str,
    frames: list[tuple[str, int | None, str, str | None]],
) -> dict[str, Any]:
    """Build the X-Ray error cause document sent in ``Lambda-Runtime-Function-XRay-Error-Cause``."""
    stack = [{"label": name, "path": path, "line": line} for path, line, name, _ in frames]
    return {
        "working_directory": os.getcwd(),
        "exceptions": [{"message": message, "type": error_type, "stack": stack}],
        "paths": sorted({path for path, _, _, _ in frames}),
    }


def _is_runtime_file(filename: str) -> bool:
    return os.path.dirname(os.path.abspath(filename)) == _PACKAGE_DIR
