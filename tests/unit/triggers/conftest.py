"""A fake invoker and template helpers for driving the async queue with a fake clock."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator import wire
from emulator.invoker import InvocationRequest, InvocationResult
from emulator.logs import InvocationLog
from emulator.template import load_template
from emulator.template.models import FunctionConfig, Template

HEADER = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
"""


def write_template(folder: Path, resources: str) -> Template:
    """Load a template made of the given resources (YAML text), functions' code in src/."""
    (folder / "src").mkdir(exist_ok=True)
    path = folder / "template.yaml"
    path.write_text(HEADER + textwrap.indent(textwrap.dedent(resources), "  "))
    return load_template(path, stack_name="demo")


class Timeout(Exception):
    """Raised by a fake handler to end its invocation as Lambda's timeout does."""


Handler = Callable[[Any], Any]


@dataclass
class FakePool:
    def limit(self, function: FunctionConfig) -> int:
        return function.reserved_concurrency if function.reserved_concurrency is not None else 10


@dataclass
class FakeInvoker:
    """Answers each invocation from a plain handler: a value, an exception, or a raise of an
    ApiError (which the real invoker raises for throttles)."""

    handlers: dict[str, Handler]
    calls: list[InvocationRequest] = field(default_factory=list)
    pool: FakePool = field(default_factory=FakePool)

    def events_of(self, function_name: str) -> list[Any]:
        return [json.loads(c.payload) for c in self.calls if c.function_name == function_name]

    async def invoke(self, request: InvocationRequest) -> InvocationResult:
        self.calls.append(request)
        try:
            value = self.handlers[request.function_name](json.loads(request.payload))
        except Timeout:
            message = f"RequestId: {request.request_id} Error: Task timed out after 1.00 seconds"
            document = {"errorMessage": message, "errorType": wire.SANDBOX_TIMEDOUT}
            return _result(request, document, wire.SANDBOX_TIMEDOUT)
        except Exception as exc:
            if hasattr(exc, "status"):
                raise
            document = {"errorMessage": str(exc), "errorType": type(exc).__name__}
            return _result(request, document, type(exc).__name__)
        return _result(request, value, None)


def _result(request: InvocationRequest, value: Any, error_type: str | None) -> InvocationResult:
    assert request.request_id is not None
    return InvocationResult(
        request_id=request.request_id,
        function_name=request.function_name,
        payload=json.dumps(value).encode(),
        function_error=wire.UNHANDLED if error_type else None,
        error_type=error_type,
        log=InvocationLog(request.function_name, "stream", request.request_id),
        duration_ms=1.0,
        init_duration_ms=None,
        max_memory_mb=1,
        cold=False,
    )


def counter(prefix: str) -> Callable[[], str]:
    """Request ids `prefix-1`, `prefix-2`, ..."""
    state = {"n": 0}

    def next_id() -> str:
        state["n"] += 1
        return f"{prefix}-{state['n']}"

    return next_id
