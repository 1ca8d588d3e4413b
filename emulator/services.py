"""The services one lambdock instance runs, built once and shared by every router."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from emulator.backends.base import Backend
from emulator.clock import Clock
from emulator.console import Console
from emulator.environment import Environment
from emulator.errors import TemplateError
from emulator.inspection import BucketBrowser
from emulator.invoker import InvocationResult, Invoker
from emulator.logs import KEEP_CHARS, LogStore, keep_newest, summarize
from emulator.pool import Pool, PoolSettings
from emulator.secrets import Secrets, secrets_of
from emulator.settings import Settings
from emulator.stack import Stack, load_env_vars
from emulator.template.models import FunctionConfig, Template
from emulator.triggers.queue import QUEUE_FILE, DurableQueue, QueueSettings
from emulator.triggers.schedules import Scheduler

# Credentials functions get when no S3 endpoint asks for specific ones: the SDKs need some.
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "lambdock",
    "AWS_SECRET_ACCESS_KEY": "lambdock-secret",
    "AWS_SESSION_TOKEN": "lambdock-session",
}
MAX_PENDING_LINES = 500

EndpointProvider = Callable[[FunctionConfig], Mapping[str, str]]


@dataclass
class Services:
    """What the routers and triggers call: the template, the invoker, the queue, the logs."""

    settings: Settings
    clock: Clock
    request_ids: Callable[[], str]
    stack: Stack
    logs: LogStore
    pool: Pool
    invoker: Invoker
    queue: DurableQueue
    scheduler: Scheduler
    started_at: str
    # NoEcho parameters and --env-vars values: masked wherever lambdock shows something.
    secrets: Secrets = field(default_factory=Secrets)
    credentials: dict[str, str] = field(default_factory=lambda: dict(LOCAL_CREDENTIALS))
    # A function's own credentials where it has them (its MinIO user: emulator.storage.iam).
    function_credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    endpoint_providers: list[EndpointProvider] = field(default_factory=list)
    # Service name -> URL for clients outside the environments (tests, tools): e.g. "s3".
    client_endpoints: dict[str, str] = field(default_factory=dict)
    # Parts that must be ready before lambdock serves (the S3 endpoint and its buckets). Each
    # runs its work once however often it is called, so the command line can run them before
    # it serves (a failure then stops `up` with its message) and the lifespan runs them again.
    prepares: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Extra parts (storage, triggers, watchers) started after the core and closed before it.
    startups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    shutdowns: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    health: dict[str, Callable[[], object]] = field(default_factory=dict)
    on_ready: list[Callable[[], None]] = field(default_factory=list)
    # Called with the new template after a reload has put it in place (triggers re-subscribe).
    on_reload: list[Callable[[Template], Awaitable[None]]] = field(default_factory=list)
    console: Console = field(default_factory=Console.for_stream)
    # Read-only object listing for the dashboard; the storage part sets it when S3 is up.
    bucket_browser: BucketBrowser | None = None

    def template(self) -> Template:
        """The template being served now."""
        return self.stack.current()

    async def prepare(self) -> None:
        """Run the prepare hooks, in order; a LambdockError says what is not ready."""
        for prepare in self.prepares:
            await prepare()

    def endpoints_for_clients(self) -> dict[str, str]:
        """Where a client on this machine reaches each AWS service lambdock serves."""
        found = {"lambda": f"http://127.0.0.1:{self.settings.port}"}
        found.update(self.client_endpoints)
        return found

    def credentials_for(self, function: FunctionConfig) -> dict[str, str]:
        """The credentials a function's environments get: its own, else lambdock's."""
        return self.function_credentials.get(function.function_name, self.credentials)

    def client_credentials(self) -> dict[str, str]:
        """Credentials for boto3 clients of tests and tools, as keyword arguments."""
        return {
            "aws_access_key_id": self.credentials["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": self.credentials["AWS_SECRET_ACCESS_KEY"],
        }

    def endpoints(self, function: FunctionConfig) -> dict[str, str]:
        """The endpoint variables a function's environment gets (Lambda, S3, ...)."""
        merged: dict[str, str] = {}
        for provider in self.endpoint_providers:
            merged.update(provider(function))
        return merged


def build_services(
    settings: Settings,
    template: Template,
    backend: Backend,
    *,
    clock: Clock,
    request_ids: Callable[[], str],
) -> Services:
    """Wire the core services for one template and one backend."""
    stack = Stack(template)
    console = Console.for_stream()
    logs = LogStore(console=console if settings.echo_logs else None, now=clock.time)
    holder: dict[str, Services] = {}
    secrets = _secrets(settings)

    def on_line(env: Environment, line: str) -> None:
        line = secrets.mask(line)
        if env.current_log is not None:
            logs.write(env.current_log, line)
            return
        keep_newest(env.init_lines, line, max_lines=MAX_PENDING_LINES, max_chars=KEEP_CHARS)
        logs.echo(env.function.function_name, line)

    pool = Pool(
        backend,
        PoolSettings(
            region=settings.region,
            default_concurrency=settings.default_concurrency,
            idle_timeout=settings.idle_timeout,
            init_timeout=settings.init_timeout,
        ),
        clock=clock,
        credentials=lambda function: holder["services"].credentials_for(function),
        endpoints=lambda function: holder["services"].endpoints(function),
        on_line=on_line,
    )
    invoker = Invoker(stack.current, pool, logs, clock=clock, request_ids=request_ids)
    queue = DurableQueue(
        invoker,
        stack.current,
        QueueSettings(
            path=settings.resolved_state_dir / QUEUE_FILE,
            retry_delay_scale=settings.retry_delay_scale,
        ),
        clock=clock,
        request_ids=request_ids,
    )
    scheduler = Scheduler(stack.current, queue, clock=clock, request_ids=request_ids)
    started = datetime.datetime.fromtimestamp(clock.time(), datetime.UTC)
    services = Services(
        settings=settings,
        clock=clock,
        request_ids=request_ids,
        stack=stack,
        logs=logs,
        pool=pool,
        invoker=invoker,
        queue=queue,
        scheduler=scheduler,
        started_at=started.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        secrets=secrets,
        console=console,
    )
    holder["services"] = services
    services.startups.append(scheduler.start)
    services.shutdowns.append(scheduler.close)
    services.endpoint_providers.append(
        lambda function: {"AWS_ENDPOINT_URL_LAMBDA": f"http://127.0.0.1:{settings.port}"}
    )
    _summarise_invocations(services)
    return services


def _secrets(settings: Settings) -> Secrets:
    try:
        env_vars = load_env_vars(settings.env_vars_file)
    except TemplateError:
        env_vars = {}
    return secrets_of(settings.template, settings.parameter_overrides, env_vars)


def _summarise_invocations(services: Services) -> None:
    """Hand the log store a summary of every finished invocation (status, timing, memory)."""

    def summarise(result: InvocationResult) -> None:
        function = services.template().function(result.function_name)
        memory_size = function.memory_size if function is not None else 0
        services.logs.record(result.log, summarize(result, memory_size))

    services.invoker.on_finished.append(summarise)
