"""One execution environment as an explicit state machine, and the invocation it is serving.

    STARTING ──first /next──> IDLE ──invoke──> BUSY ──/next──> IDLE
        │                      │                │
        └── init error, exit ──┴── exit, stop ──┴──> FAILED / STOPPED

Only this class's methods change its state, and an illegal transition raises. The Runtime API
calls `next_invocation`, `post_response`, `post_error` and `post_init_error`; the pool and the
invoker call `wait_ready`, `invoke`, `exited` and `stop`.
"""

from __future__ import annotations

import asyncio
import enum
import json
from collections.abc import Callable
from dataclasses import dataclass

from emulator import wire
from emulator.errors import EnvironmentFailed
from emulator.logs import InvocationLog
from emulator.template.models import FunctionConfig

# How many answered request ids an environment remembers.
KEEP_ANSWERED = 64


class State(enum.Enum):
    """Where an environment is in its life."""

    STARTING = "starting"
    IDLE = "idle"
    BUSY = "busy"
    STOPPED = "stopped"
    FAILED = "failed"


_ALLOWED = {
    State.STARTING: {State.IDLE, State.FAILED, State.STOPPED},
    State.IDLE: {State.BUSY, State.FAILED, State.STOPPED},
    State.BUSY: {State.IDLE, State.FAILED, State.STOPPED},
    State.FAILED: {State.STOPPED},
    State.STOPPED: set(),
}


class IllegalTransition(RuntimeError):
    """An environment was asked to move between states that are not connected."""


class UnknownRequest(Exception):
    """The runtime named a request id that this environment is not serving."""


class AlreadyAnswered(Exception):
    """The runtime answered a request it had already answered."""


@dataclass(frozen=True)
class Invocation:
    """What the runtime receives from `/invocation/next`."""

    request_id: str
    payload: bytes
    deadline_ms: int
    function_arn: str
    trace_id: str
    client_context: str | None = None
    cognito_identity: str | None = None


@dataclass(frozen=True)
class Reply:
    """What the runtime answered: the response, or an error it reported (never guessed)."""

    request_id: str
    payload: bytes
    is_error: bool
    error_type: str | None = None


def error_document(error_type: str, message: str) -> bytes:
    """The error payload Lambda returns for failures outside the handler."""
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def exit_message(code: int | None) -> str:
    """How Lambda words a runtime that exited: 'exit status 1' or 'signal: killed'."""
    if code is not None and code < 0:
        names = {9: "killed", 6: "aborted", 11: "segmentation fault", 15: "terminated"}
        return f"Runtime exited with error: signal: {names.get(-code, str(-code))}"
    return f"Runtime exited with error: exit status {code}"


class Environment:
    """An execution environment of one function, serving one invocation at a time."""

    def __init__(
        self,
        environment_id: str,
        function: FunctionConfig,
        log_stream_name: str,
        *,
        on_idle: Callable[[Environment], None] | None = None,
        on_line: Callable[[Environment, str], None] | None = None,
    ) -> None:
        self.environment_id = environment_id
        self.function = function
        self.log_stream_name = log_stream_name
        self.state = State.STARTING
        self.leased = False
        self.invocations = 0
        self.current_log: InvocationLog | None = None
        self.init_lines: list[str] = []
        self._on_idle = on_idle
        self._on_line = on_line
        loop = asyncio.get_running_loop()
        self._ready: asyncio.Future[None] = loop.create_future()
        self._waiter: asyncio.Future[Invocation] | None = None
        self._pending: Invocation | None = None
        self._reply: asyncio.Future[Reply] | None = None
        self._serving: str | None = None
        # The newest answered request ids, oldest first (a dict as an ordered set), so a second
        # answer to one of them is told apart from an unknown id; bounded, as a warm
        # environment may serve invocations without end.
        self._answered: dict[str, None] = {}
        self._init_error: Reply | None = None

    def _move(self, target: State) -> None:
        if target not in _ALLOWED[self.state]:
            raise IllegalTransition(f"{self.environment_id}: {self.state.value} -> {target.value}")
        self.state = target

    @property
    def finishing(self) -> bool:
        """Answered its invocation but not yet back at `/next` (about to be idle)."""
        return self.state is State.BUSY and self._serving in self._answered

    @property
    def alive(self) -> bool:
        """Whether this environment can still serve invocations."""
        return self.state in (State.STARTING, State.IDLE, State.BUSY)

    # --- the runtime's side (Runtime API) -------------------------------------------------

    async def next_invocation(self) -> Invocation:
        """Block until an invocation is handed to this environment (`GET /next`)."""
        if not self.alive:
            raise ConnectionError(f"environment {self.environment_id} is {self.state.value}")
        if self.state is State.STARTING:
            self._move(State.IDLE)
            self._ready.set_result(None)
            self._notify_idle()
        elif self.state is State.BUSY and self._serving in self._answered:
            self._serving = None
            self._move(State.IDLE)
            self._notify_idle()
        if self._pending is not None:
            return self._take_pending()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.cancel()
        waiter: asyncio.Future[Invocation] = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        try:
            return await waiter
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            # The waiter was dropped (environment failed, or the runtime asked again).
            raise ConnectionError(f"environment {self.environment_id} stopped waiting") from None

    def _take_pending(self) -> Invocation:
        invocation, self._pending = self._pending, None
        assert invocation is not None
        self._serving = invocation.request_id
        return invocation

    def _notify_idle(self) -> None:
        if self._on_idle is not None:
            self._on_idle(self)

    def post_response(self, request_id: str, payload: bytes) -> None:
        """The runtime answered an invocation (`POST /response`)."""
        self._answer(Reply(request_id, payload, is_error=False))

    def post_error(self, request_id: str, payload: bytes, error_type: str | None) -> None:
        """The runtime reported a function error (`POST /error`)."""
        self._answer(Reply(request_id, payload, is_error=True, error_type=error_type))

    def _answer(self, reply: Reply) -> None:
        if reply.request_id in self._answered:
            raise AlreadyAnswered(reply.request_id)
        if reply.request_id != self._serving or self._reply is None:
            raise UnknownRequest(reply.request_id)
        self._answered[reply.request_id] = None
        if len(self._answered) > KEEP_ANSWERED:
            del self._answered[next(iter(self._answered))]
        if not self._reply.done():
            self._reply.set_result(reply)

    def post_init_error(self, payload: bytes, error_type: str | None) -> None:
        """The runtime failed to initialise (`POST /init/error`); it will exit next."""
        self._init_error = Reply("", payload, is_error=True, error_type=error_type)
        failure = EnvironmentFailed(error_type or "Runtime.Unknown", "init error", payload=payload)
        if self.state in (State.STARTING, State.IDLE, State.BUSY):
            self._fail(failure)

    def log_line(self, line: str) -> None:
        """A line the environment wrote to stdout or stderr."""
        if self._on_line is not None:
            self._on_line(self, line)

    # --- lambdock's side (pool and invoker) ------------------------------------------------

    async def wait_ready(self) -> None:
        """Wait until the runtime first asks for work; raises EnvironmentFailed if it cannot."""
        await asyncio.shield(self._ready)

    async def invoke(self, invocation: Invocation) -> Reply:
        """Hand an invocation to the runtime and wait for its answer."""
        self._move(State.BUSY)
        self.invocations += 1
        # Lambda retries an async event with the same request id, maybe in this environment.
        self._answered.pop(invocation.request_id, None)
        self._reply = asyncio.get_running_loop().create_future()
        self._pending = invocation
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(self._take_pending())
            self._waiter = None
        # Awaited directly: if the caller gives up (a timeout), the reply future is cancelled
        # with it, and an answer arriving later finds it done and is dropped.
        return await self._reply

    def exited(self, code: int | None) -> None:
        """The runtime process or container ended (by itself, or killed)."""
        if not self.alive:
            return
        message = exit_message(code)
        payload = self._init_error.payload if self._init_error else None
        error_type = (self._init_error.error_type if self._init_error else None) or (
            wire.RUNTIME_EXIT_ERROR
        )
        self._fail(EnvironmentFailed(error_type, message, payload=payload))

    def fail(self, reason: EnvironmentFailed) -> None:
        """Mark this environment unusable (timeout, lost connection)."""
        if self.alive:
            self._fail(reason)

    def _fail(self, reason: EnvironmentFailed) -> None:
        self._move(State.FAILED)
        for future in (self._ready, self._reply):
            if future is not None and not future.done():
                future.set_exception(reason)
                future.exception()  # mark retrieved: nobody may be waiting on it
        if self._waiter is not None and not self._waiter.done():
            self._waiter.cancel()

    def stopped(self) -> None:
        """The backend has stopped this environment."""
        if self.state is not State.STOPPED:
            if self.alive:
                self._fail(EnvironmentFailed(wire.RUNTIME_EXIT_ERROR, "environment stopped"))
            self._move(State.STOPPED)
