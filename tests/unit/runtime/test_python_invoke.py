"""One invocation in-process: the handler called with event and context, its outcome encoded.

Follows awslambdaric 4.2.2 (``awslambdaric/bootstrap.py``, ``handle_event_request``): the
result is JSON-encoded; an exception becomes an error payload with the request id whose stack
trace starts at the handler's frame; runtime faults (marshal, unmarshal) carry their
``Runtime.*`` type and an empty stack trace, and report ``LambdaValidationError`` to X-Ray.
"""

from __future__ import annotations

from typing import Any

import pytest
from lambdock_runtime.bootstrap import Failure, RuntimeConfig, invoke
from lambdock_runtime.client import Invocation

CONFIG = RuntimeConfig.from_environ(
    {
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
        "_HANDLER": "app.handler",
        "LAMBDA_TASK_ROOT": "/var/task",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    },
    ["lambdock_runtime"],
)
INVOCATION = Invocation(
    request_id="req-1",
    body=b'{"name": "Ada"}',
    content_type="application/json",
    deadline_ms=0,
    invoked_function_arn=None,
    trace_id=None,
    client_context=None,
    cognito_identity=None,
    tenant_id=None,
)


def greet(event: Any, context: Any) -> Any:
    return {"greeting": f"hello {event['name']}", "request": context.aws_request_id}


def explode(event: Any, context: Any) -> Any:
    raise LookupError(f"no {event['name']}")


def test_a_result_is_encoded_as_json() -> None:
    assert invoke(INVOCATION, greet, CONFIG) == (
        b'{"greeting": "hello Ada", "request": "req-1"}',
        "application/json",
    )


def test_bytes_returned_by_the_handler_are_posted_as_they_are() -> None:
    assert invoke(INVOCATION, lambda event, context: b"\x00raw", CONFIG) == (
        b"\x00raw",
        "application/unknown",
    )


def test_an_exception_is_a_failure_whose_trace_starts_at_the_handler() -> None:
    outcome = invoke(INVOCATION, explode, CONFIG)
    assert isinstance(outcome, Failure)
    line = explode.__code__.co_firstlineno + 1
    assert outcome.payload == {
        "errorMessage": "no Ada",
        "errorType": "LookupError",
        "requestId": "req-1",
        "stackTrace": [
            f'  File "{__file__}", line {line}, in explode\n'
            "    raise LookupError(f\"no {event['name']}\")\n"
        ],
    }
    assert outcome.xray_cause["exceptions"] == [
        {
            "message": "no Ada",
            "type": "LookupError",
            "stack": [{"label": "explode", "path": __file__, "line": line}],
        }
    ]


def test_an_unserialisable_result_is_a_marshal_error() -> None:
    outcome = invoke(INVOCATION, lambda event, context: object(), CONFIG)
    assert isinstance(outcome, Failure)
    assert outcome.payload == {
        "errorMessage": (
            "Unable to marshal response: Object of type object is not JSON serializable"
        ),
        "errorType": "Runtime.MarshalError",
        "requestId": "req-1",
        "stackTrace": [],
    }
    assert outcome.xray_cause["exceptions"] == [
        {
            "message": outcome.payload["errorMessage"],
            "type": "LambdaValidationError",
            "stack": [],
        }
    ]


def test_an_event_that_is_not_json_is_an_unmarshal_error() -> None:
    invocation = Invocation(**{**INVOCATION.__dict__, "body": b"{oops"})
    outcome = invoke(invocation, greet, CONFIG)
    assert isinstance(outcome, Failure)
    assert outcome.payload["errorType"] == "Runtime.UnmarshalError"
    assert outcome.payload["errorMessage"].startswith("Unable to unmarshal input: Expecting ")


def test_system_exit_from_the_handler_is_not_caught() -> None:
    def leave(event: Any, context: Any) -> Any:
        raise SystemExit(3)

    with pytest.raises(SystemExit):
        invoke(INVOCATION, leave, CONFIG)
