"""The runtime loop: initialise once, then take invocations from the Runtime API forever.

Follows awslambdaric's bootstrap. Init: set up logging, put the task root on the path, find the
handler; on failure log the error, post it to ``/init/error`` and exit with status 1. Then for
each event from ``/invocation/next``: set ``_X_AMZN_TRACE_ID``, call ``handler(event, context)``,
encode the result and post it to ``/response``; an exception (or a result that cannot be
encoded) is logged and posted to ``/error``. stdout and stderr are flushed before every post
so that lambdock reads the invocation's log lines before its outcome.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .client import Invocation, RuntimeApiClient, RuntimeApiError
from .context import FunctionInfo, LambdaContext
from .errors import (
    XRAY_FAULT_TYPE,
    FaultError,
    error_payload,
    exception_payload,
    fault_payload,
    format_frames,
    user_frames,
    xray_cause,
)
from .handler import Handler, prepare_sys_path, resolve_handler
from .logs import LogConfig, RequestIdFilter, install_unbuffered_streams, log_error, setup_logging
from .marshaller import ensure_ascii_for, marshal_response, to_json, unmarshal_event

TRACE_ID_VARIABLE = "_X_AMZN_TRACE_ID"
INIT_WARNING = "LAMBDA_WARNING: Unhandled exception."
# awslambdaric leaves the X-Ray cause out when it would make a header of 1 MiB or more.
_MAX_XRAY_CAUSE_BYTES = 1024 * 1024


class ConfigError(Exception):
    """The environment lacks what the runtime needs to start."""


@dataclass(frozen=True)
class RuntimeConfig:
    """Everything the runtime reads from its environment and command line, read once."""

    runtime_api: str
    handler: str
    task_root: str
    function: FunctionInfo
    log: LogConfig
    ensure_ascii: bool

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], argv: Sequence[str]) -> RuntimeConfig:
        """Build the configuration; the handler is ``argv[1]`` if given, as for awslambdaric."""
        runtime_api = environ.get("AWS_LAMBDA_RUNTIME_API")
        if not runtime_api:
            raise ConfigError("AWS_LAMBDA_RUNTIME_API is not set")
        return cls(
            runtime_api=runtime_api,
            handler=argv[1] if len(argv) > 1 else environ.get("_HANDLER", ""),
            task_root=environ.get("LAMBDA_TASK_ROOT") or os.getcwd(),
            function=FunctionInfo.from_environ(environ),
            log=LogConfig.from_environ(environ),
            ensure_ascii=ensure_ascii_for(environ.get("AWS_EXECUTION_ENV")),
        )


@dataclass(frozen=True)
class Failure:
    """An invocation's error: the payload to post and its X-Ray cause."""

    payload: dict[str, Any]
    xray_cause: dict[str, Any]


def main(argv: Sequence[str]) -> int:
    """Run the runtime until the Runtime API goes away; return the process's exit status."""
    try:
        config = RuntimeConfig.from_environ(os.environ, argv)
    except ConfigError as exc:
        sys.stderr.write(f"lambdock_runtime: {exc}\n")
        return 1
    install_unbuffered_streams()
    client = RuntimeApiClient(config.runtime_api)
    try:
        run(config, client)
    except RuntimeApiError as exc:
        flush_streams()
        sys.stderr.write(f"lambdock_runtime: {exc}\n")
        return 1
    finally:
        client.close()
    return 0


def run(config: RuntimeConfig, client: RuntimeApiClient) -> None:
    """Initialise, then serve invocations until the process ends (Lambda's runtime loop)."""
    request_filter = RequestIdFilter()
    handler = initialise(config, client, request_filter)
    while True:
        invocation = client.next_invocation()
        request_filter.request_id = invocation.request_id
        request_filter.tenant_id = invocation.tenant_id
        set_trace_id(invocation.trace_id)
        serve(invocation, handler, config, client)


def initialise(
    config: RuntimeConfig, client: RuntimeApiClient, request_filter: RequestIdFilter
) -> Handler:
    """Set up logging and find the handler; on failure report it and exit with status 1."""
    try:
        setup_logging(config.log, request_filter)
        prepare_sys_path(config.task_root)
        return resolve_handler(config.handler)
    except FaultError as fault:
        payload = fault_payload(fault)
    except Exception as exc:
        payload = exception_payload(exc)
    logging.warning(INIT_WARNING)
    log_error(payload, json_format=config.log.json_format, ensure_ascii=config.ensure_ascii)
    flush_streams()
    body = to_json(payload, ensure_ascii=config.ensure_ascii).encode("utf-8")
    client.post_init_error(body, payload["errorType"])
    raise SystemExit(1)


def serve(
    invocation: Invocation, handler: Handler, config: RuntimeConfig, client: RuntimeApiClient
) -> None:
    """Run one invocation and post its result or its error."""
    outcome = invoke(invocation, handler, config)
    if isinstance(outcome, Failure):
        log_error(
            outcome.payload, json_format=config.log.json_format, ensure_ascii=config.ensure_ascii
        )
        flush_streams()
        body = to_json(outcome.payload, ensure_ascii=config.ensure_ascii).encode("utf-8")
        cause = to_json(outcome.xray_cause, ensure_ascii=True)
        client.post_error(
            invocation.request_id,
            body,
            outcome.payload["errorType"],
            cause if len(cause) < _MAX_XRAY_CAUSE_BYTES else None,
        )
        return
    flush_streams()
    client.post_response(invocation.request_id, *outcome)


def invoke(
    invocation: Invocation, handler: Handler, config: RuntimeConfig
) -> tuple[bytes, str] | Failure:
    """Call the handler; return the encoded result and its content type, or the failure."""
    try:
        context = LambdaContext(invocation, config.function)
        event = unmarshal_event(invocation.body, invocation.content_type)
        result = handler(event, context)
        return marshal_response(result, ensure_ascii=config.ensure_ascii)
    except FaultError as fault:
        payload = fault_payload(fault, invocation.request_id)
        return Failure(payload, xray_cause(XRAY_FAULT_TYPE, fault.message, []))
    except Exception as exc:
        # Only Exception, as awslambdaric: SystemExit or KeyboardInterrupt end the runtime.
        frames = user_frames(exc.__traceback__)
        error_type, message = type(exc).__name__, str(exc)
        payload = error_payload(message, error_type, format_frames(frames), invocation.request_id)
        return Failure(payload, xray_cause(error_type, message, frames))


def set_trace_id(trace_id: str | None) -> None:
    """Expose the invocation's X-Ray trace header to the handler, or remove a stale one."""
    if trace_id is not None:
        os.environ[TRACE_ID_VARIABLE] = trace_id
    else:
        os.environ.pop(TRACE_ID_VARIABLE, None)


def flush_streams() -> None:
    """Flush stdout and stderr, the current ones and the process's original ones."""
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
