"""One attempt at an async event through the invoker, told as the retry policy's Outcome.

The invoker says how the attempt ended, never guessed: a result with an error is a function
error, or a timeout when its type is `Sandbox.Timedout`; TooManyRequests is a throttle; any
other failure on lambdock's side is a system error, which Lambda retries like a throttle
("How Lambda handles errors and retries with asynchronous invocation").
"""

from __future__ import annotations

import json
import logging

from emulator import wire
from emulator.async_policy import Outcome
from emulator.errors import ApiError, TooManyRequests
from emulator.invoker import InvocationRequest, InvocationResult, Invoker
from emulator.triggers.async_events import QueuedEvent

log = logging.getLogger("lambdock.queue")


async def attempt(invoker: Invoker, event: QueuedEvent) -> tuple[Outcome, QueuedEvent]:
    """Run the (claimed) event once; its outcome and the event with the attempt counted."""
    request = InvocationRequest(
        function_name=event.function_name,
        payload=event.payload,
        invocation_type="Event",
        request_id=event.request_id,
        client_context=event.client_context,
        trace_id=event.trace_id,
    )
    try:
        result = await invoker.invoke(request)
    except TooManyRequests as exc:
        return Outcome.THROTTLE, event.throttled(f"{exc.error_type}: {exc.message}")
    except ApiError as exc:
        return Outcome.SYSTEM_ERROR, event.throttled(f"{exc.error_type}: {exc.message}")
    except Exception as exc:
        log.exception("async queue: invoking %s failed", event.function_name)
        return Outcome.SYSTEM_ERROR, event.throttled(f"{type(exc).__name__}: {exc}")
    error = None if result.ok else error_text(result)
    ran = event.ran(response=result.payload, function_error=result.function_error, error=error)
    if result.ok:
        return Outcome.SUCCESS, ran
    if result.error_type == wire.SANDBOX_TIMEDOUT:
        return Outcome.TIMEOUT, ran
    return Outcome.FUNCTION_ERROR, ran


def error_text(result: InvocationResult) -> str:
    """``ErrorType: message`` from the function's error document."""
    try:
        document = json.loads(result.payload)
    except ValueError:
        document = None
    if isinstance(document, dict):
        kind = document.get("errorType") or result.error_type or "Error"
        return f"{kind}: {document.get('errorMessage', '')}"
    return result.error_type or wire.UNHANDLED
