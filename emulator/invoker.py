"""One invoke() for every caller (gateway, Invoke API, triggers): lease an environment, hand
the event to its runtime, await the answer, enforce the function's timeout, log as Lambda does."""

from __future__ import annotations

import asyncio
import datetime
import json
import os
from collections.abc import Callable
from dataclasses import dataclass

from emulator import wire
from emulator.clock import Clock
from emulator.environment import Environment, Invocation, Reply, error_document
from emulator.errors import BackendError, EnvironmentFailed, ResourceNotFound, ServiceError
from emulator.logs import InvocationLog, LogStore, report_line
from emulator.pool import Lease, Pool
from emulator.template.models import FunctionConfig, Template


@dataclass(frozen=True)
class InvocationRequest:
    """A request to run a function once, from any source."""

    function_name: str
    payload: bytes
    invocation_type: str = "RequestResponse"
    request_id: str | None = None
    client_context: str | None = None
    cognito_identity: str | None = None
    trace_id: str | None = None


@dataclass(frozen=True)
class InvocationResult:
    """How an invocation ended: the payload, and whether the runtime reported an error."""

    request_id: str
    function_name: str
    payload: bytes
    function_error: str | None
    error_type: str | None
    log: InvocationLog
    duration_ms: float
    init_duration_ms: float | None
    max_memory_mb: int
    cold: bool
    executed_version: str = wire.LATEST

    @property
    def ok(self) -> bool:
        """True when the function answered without an error."""
        return self.function_error is None


def new_trace_id(epoch_seconds: float) -> str:
    """An X-Ray trace header as Lambda passes it when the caller sent none."""
    root = f"1-{int(epoch_seconds):08x}-{os.urandom(12).hex()}"
    return f"Root={root};Parent={os.urandom(8).hex()};Sampled=0"


class Invoker:
    """Runs functions of the current template in the pool's environments."""

    def __init__(
        self,
        template: Callable[[], Template],
        pool: Pool,
        logs: LogStore,
        *,
        clock: Clock,
        request_ids: Callable[[], str],
    ) -> None:
        self._template = template
        self.pool = pool
        self.logs = logs
        self._clock = clock
        self._request_ids = request_ids
        # Told of every finished invocation (the log store's summaries, the console).
        self.on_finished: list[Callable[[InvocationResult], None]] = []

    def function(self, name_or_arn: str) -> FunctionConfig:
        """The named function of the current template, or ResourceNotFound as Lambda words it."""
        template = self._template()
        function = template.function(name_or_arn)
        if function is None:
            arn = name_or_arn
            if not name_or_arn.startswith("arn:"):
                arn = (
                    f"arn:aws:lambda:{template.region}:{template.account_id}:function:{name_or_arn}"
                )
            raise ResourceNotFound(f"Function not found: {arn}")
        return function

    async def invoke(self, request: InvocationRequest) -> InvocationResult:
        """Run the function once and return its result; raises TooManyRequests when throttled
        and ResourceNotFound for an unknown function. Function failures are results, not raises."""
        result = await self._invoke(request)
        for listener in self.on_finished:
            listener(result)
        return result

    async def _invoke(self, request: InvocationRequest) -> InvocationResult:
        function = self.function(request.function_name)
        request_id = request.request_id or self._request_ids()
        started = self._clock.monotonic()
        log: InvocationLog | None = None
        try:
            async with self.pool.lease(function) as lease:
                env = lease.environment
                log = self.logs.begin(function.function_name, env.log_stream_name, request_id)
                return await self._run(function, request, request_id, lease, log)
        except BackendError as exc:
            # The engine or binary behind the backend failed: lambdock's fault, not the function's.
            raise ServiceError(
                f"cannot start an environment for {function.function_name}: {exc}"
            ) from None
        except EnvironmentFailed as failure:
            if log is None:
                log = self.logs.begin(function.function_name, "", request_id)
                log.lines[0:0] = failure.output
            return self._failed(function, request_id, log, failure, started)

    async def _run(
        self,
        function: FunctionConfig,
        request: InvocationRequest,
        request_id: str,
        lease: Lease,
        log: InvocationLog,
    ) -> InvocationResult:
        env = lease.environment
        _adopt_init_lines(env, log)
        env.current_log = log
        template = self._template()
        started = self._clock.monotonic()
        invocation = Invocation(
            request_id=request_id,
            payload=request.payload,
            deadline_ms=int((self._clock.time() + function.timeout) * 1000),
            function_arn=function.arn(template.region, template.account_id),
            trace_id=request.trace_id or new_trace_id(self._clock.time()),
            client_context=request.client_context,
            cognito_identity=request.cognito_identity,
        )
        try:
            # asyncio.timeout rather than wait_for: no task of its own per invocation.
            async with asyncio.timeout(function.timeout):
                reply = await env.invoke(invocation)
        except TimeoutError:
            elapsed = self._clock.monotonic() - started
            message = f"Task timed out after {elapsed:.2f} seconds"
            failure = EnvironmentFailed(wire.SANDBOX_TIMEDOUT, message)
            failure.max_memory_mb = lease.max_memory_mb()
            raise failure from None
        except EnvironmentFailed as failure:
            failure.max_memory_mb = lease.max_memory_mb()
            raise
        finally:
            await lease.running.drain_output()
            env.current_log = None
        duration_ms = (self._clock.monotonic() - started) * 1000
        return self._finish(function, request_id, log, reply, lease, duration_ms)

    def _finish(
        self,
        function: FunctionConfig,
        request_id: str,
        log: InvocationLog,
        reply: Reply,
        lease: Lease,
        duration_ms: float,
    ) -> InvocationResult:
        memory = lease.max_memory_mb()
        report = report_line(
            request_id,
            duration_ms=duration_ms,
            memory_size=function.memory_size,
            max_memory_mb=memory,
            init_duration_ms=lease.init_duration_ms,
        )
        self.logs.finish(log, report)
        return InvocationResult(
            request_id=request_id,
            function_name=function.function_name,
            payload=reply.payload,
            function_error=wire.UNHANDLED if reply.is_error else None,
            error_type=reply.error_type,
            log=log,
            duration_ms=duration_ms,
            init_duration_ms=lease.init_duration_ms,
            max_memory_mb=memory,
            cold=lease.cold,
            executed_version=wire.LATEST,
        )

    def _failed(
        self,
        function: FunctionConfig,
        request_id: str,
        log: InvocationLog,
        failure: EnvironmentFailed,
        started: float,
    ) -> InvocationResult:
        duration_ms = (self._clock.monotonic() - started) * 1000
        payload = failure.payload or error_document(
            failure.error_type, f"RequestId: {request_id} Error: {failure.message}"
        )
        error_line = None
        if failure.error_type == wire.SANDBOX_TIMEDOUT:
            stamp = _timestamp(self._clock.time())
            error_line = f"{stamp} {request_id} {failure.message}"
        else:
            self.logs.write(log, f"RequestId: {request_id} Error: {failure.message}")
            self.logs.write(log, failure.error_type)
        report = report_line(
            request_id,
            duration_ms=duration_ms,
            memory_size=function.memory_size,
            max_memory_mb=failure.max_memory_mb,
            init_duration_ms=None,
        )
        if failure.error_type == wire.SANDBOX_TIMEDOUT:
            report += "Status: timeout"
        self.logs.finish(log, report, error_line)
        return InvocationResult(
            request_id=request_id,
            function_name=function.function_name,
            payload=payload,
            function_error=wire.UNHANDLED,
            error_type=_error_type(payload) or failure.error_type,
            log=log,
            duration_ms=duration_ms,
            init_duration_ms=None,
            max_memory_mb=failure.max_memory_mb,
            cold=True,
        )


def _adopt_init_lines(env: Environment, log: InvocationLog) -> None:
    # Output written outside an invocation (init, or after the previous answer) is shown with
    # the next invocation, before its START line, as CloudWatch orders it.
    if env.init_lines:
        log.lines[0:0] = env.init_lines
        env.init_lines.clear()


def _error_type(payload: bytes) -> str | None:
    try:
        document = json.loads(payload)
    except ValueError:
        return None
    value = document.get("errorType") if isinstance(document, dict) else None
    return value if isinstance(value, str) else None


def _timestamp(epoch_seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(epoch_seconds, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
