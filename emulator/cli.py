"""The `lambdock` command line: up, invoke, validate, schedule, logs, init, generate-event."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import urllib.parse
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from emulator import wire
from emulator.api.views import rule_view
from emulator.app import create_app
from emulator.backends import select_backend
from emulator.clock import SystemClock, new_request_id
from emulator.commands import add_standalone, run_standalone
from emulator.errors import BackendError, LambdockError, TemplateError
from emulator.gateway_service import route_lines, served_routes
from emulator.invoker import InvocationRequest
from emulator.log_archive import LogArchive
from emulator.services import Services, build_services
from emulator.settings import Settings
from emulator.stack import load_stack_template
from emulator.storage.service import install_storage
from emulator.template.models import Template
from emulator.triggers.schedules import first_firing, template_rules
from emulator.watch import watch_files

EXIT_BAD_INPUT = 2
EXIT_UNREACHABLE = 3
ADMIN_TIMEOUT_SECONDS = 5.0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--template", "-t", type=Path, default=Path("template.yaml"))
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--stack-name", default=None)
    parser.add_argument("--parameter-overrides", nargs="*", default=[], metavar="KEY=VALUE")
    parser.add_argument("--env-vars", type=Path, default=None, help="sam local --env-vars JSON")


def _storage_options(parser: argparse.ArgumentParser) -> None:
    storage = parser.add_argument_group(
        "S3",
        "MinIO is started for templates with buckets or S3 events, unless an endpoint is given",
    )
    storage.add_argument(
        "--s3-endpoint", default=None, metavar="URL", help="use this S3 endpoint, not a MinIO"
    )
    storage.add_argument("--s3-access-key", default=None, metavar="KEY")
    storage.add_argument("--s3-secret-key", default=None, metavar="SECRET")
    storage.add_argument(
        "--minio-bin",
        default=None,
        metavar="PATH",
        help="the MinIO server binary (default: `minio` on PATH, or $LAMBDOCK_MINIO_BIN)",
    )


def _docker_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--runtime-image",
        action="append",
        default=[],
        metavar="RUNTIME=IMAGE",
        help="run RUNTIME (python3.12, or a family: python, nodejs) on a local IMAGE that has "
        "the language installed, with lambdock's runtime client; repeatable",
    )
    parser.add_argument(
        "--docker-network",
        default=None,
        metavar="NAME",
        help="run containers on this Docker network (reaching lambdock as host.docker.internal)",
    )
    parser.add_argument(
        "--no-pull",
        action="store_true",
        help="never pull a missing image (also LAMBDOCK_NO_PULL=1); fail with a clear error",
    )


def parse_runtime_images(items: Sequence[str]) -> dict[str, str]:
    """`RUNTIME=IMAGE` pairs as a mapping; a malformed pair exits with a message."""
    images: dict[str, str] = {}
    for item in items:
        runtime, sep, image = item.partition("=")
        if not (sep and runtime.strip() and image.strip()):
            raise SystemExit(f"lambdock: --runtime-image wants RUNTIME=IMAGE, got {item!r}")
        images[runtime.strip()] = image.strip()
    return images


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="lambdock", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="serve the template's APIs and functions")
    _common(up)
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=3000)
    up.add_argument("--backend", choices=["auto", "process", "docker"], default="auto")
    up.add_argument(
        "--no-watch",
        dest="watch",
        action="store_false",
        help="do not reload code and template when they change",
    )
    up.add_argument(
        "--max-concurrency",
        type=int,
        default=10,
        help="environments per function without ReservedConcurrentExecutions",
    )
    up.add_argument("--idle-timeout", type=float, default=300.0, help="seconds")
    up.add_argument("--warm", choices=["lazy", "eager"], default="lazy")
    _docker_options(up)
    _storage_options(up)
    up.add_argument(
        "--gateway-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="API Gateway integration timeout of every route (AWS: 29 s REST, 30 s HTTP API)",
    )
    up.add_argument(
        "--require-sigv4",
        action="store_true",
        help="refuse Invoke API calls without a valid AWS SigV4 signature (403, as AWS does)",
    )
    up.add_argument(
        "--no-iam",
        action="store_true",
        help="give functions full S3 access instead of what their SAM Policies grant",
    )
    up.add_argument(
        "--retry-delay",
        type=float,
        default=1.0,
        help="scale Lambda's async retry waits and event ages (0.01 = 100x faster)",
    )
    invoke = commands.add_parser("invoke", help="invoke a function once and print its result")
    _common(invoke)
    invoke.add_argument("function")
    invoke.add_argument("--event", "-e", default=None, help="event JSON file, or - for stdin")
    invoke.add_argument("--backend", choices=["auto", "process", "docker"], default="auto")
    _docker_options(invoke)
    validate = commands.add_parser("validate", help="load and check the template")
    _common(validate)
    schedule = commands.add_parser("schedule", help="list the schedules, or fire one by hand")
    actions = schedule.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="every rule and its next firing")
    _common(listing)
    fire = actions.add_parser("fire", help="fire a rule now on a running lambdock")
    _common(fire)
    fire.add_argument("name", help="rule name, ARN, or <function>.<event>")
    for action in (listing, fire):
        action.add_argument("--url", default="http://127.0.0.1:3000", help="a running lambdock")
    add_standalone(commands)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from parsed arguments."""
    overrides = {}
    for item in args.parameter_overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"lambdock: --parameter-overrides wants KEY=VALUE, got {item!r}")
        overrides[key.strip()] = value
    settings = Settings(
        template=args.template,
        region=args.region,
        stack_name=args.stack_name,
        parameter_overrides=overrides,
        env_vars_file=args.env_vars,
    )
    extra: dict[str, Any] = {
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "watch": getattr(args, "watch", None),
        "backend": getattr(args, "backend", None),
        "default_concurrency": getattr(args, "max_concurrency", None),
        "idle_timeout": getattr(args, "idle_timeout", None),
        "warm": getattr(args, "warm", None),
        "retry_delay_scale": getattr(args, "retry_delay", None),
        "gateway_timeout": getattr(args, "gateway_timeout", None),
        "runtime_images": parse_runtime_images(getattr(args, "runtime_image", None) or []),
        "docker_network": getattr(args, "docker_network", None),
        "pull_images": _pull_images(args),
        "require_sigv4": getattr(args, "require_sigv4", None),
        "no_iam": getattr(args, "no_iam", None),
        "s3_endpoint": getattr(args, "s3_endpoint", None),
        "s3_access_key": getattr(args, "s3_access_key", None),
        "s3_secret_key": getattr(args, "s3_secret_key", None),
        "minio_bin": getattr(args, "minio_bin", None),
    }
    if extra["s3_endpoint"] and not (extra["s3_access_key"] and extra["s3_secret_key"]):
        print("lambdock: --s3-endpoint needs --s3-access-key and --s3-secret-key", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)
    return replace(settings, **{k: v for k, v in extra.items() if v is not None})


def _pull_images(args: argparse.Namespace) -> bool:
    # LAMBDOCK_NO_PULL=1 keeps a whole test run offline without a flag on every command.
    refused = getattr(args, "no_pull", False) or os.environ.get("LAMBDOCK_NO_PULL") == "1"
    return not refused


def main(argv: Sequence[str] | None = None) -> int:
    """Run a subcommand; bad input exits 2 with a message naming where the problem is."""
    args = build_parser().parse_args(argv)
    done = run_standalone(args)
    if done is not None:
        return done
    settings = settings_from(args)
    if args.command == "schedule":
        return _schedule(args, settings)
    try:
        template = load_stack_template(settings)
        # Routes are checked before serving: two that conflict stop `up` here.
        routes = served_routes(template) if args.command != "invoke" else None
    except TemplateError as exc:
        print(f"lambdock: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for warning in (*template.warnings, *(routes.warnings if routes else ())):
        print(f"lambdock: warning: {warning}", file=sys.stderr)
    try:
        match args.command:
            case "validate":
                return _validate(template)
            case "invoke":
                return asyncio.run(_invoke(settings, template, args.function, args.event))
            case _:
                return _up(settings, template)
    except (BackendError, LambdockError) as exc:
        print(f"lambdock: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _validate(template: Template) -> int:
    print(f"{template.path}: valid")
    for function in template.functions.values():
        events = ", ".join(f"{e.name} ({e.type})" for e in function.events) or "no events"
        print(
            f"  function {function.function_name}: {function.runtime or 'image'} "
            f"{function.handler or function.image_uri}, {events}"
        )
    for bucket in template.buckets.values():
        print(f"  bucket {bucket.logical_id}: {bucket.bucket_name}")
    return 0


def _read_event(source: str | None) -> bytes:
    if source is None:
        return b"{}"
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise LambdockError(f"cannot read event file {source}: {exc.strerror}") from None


async def _invoke(settings: Settings, template: Template, name: str, event: str | None) -> int:
    payload = _read_event(event)
    try:
        json.loads(payload or b"{}")
    except ValueError as exc:
        raise LambdockError(f"event {event} is not JSON: {exc}") from None
    settings = replace(settings, echo_logs=False)
    backend = select_backend(settings)
    services = build_services(
        settings, template, backend, clock=SystemClock(), request_ids=new_request_id
    )
    try:
        result = await services.invoker.invoke(InvocationRequest(name, payload or b"{}"))
    finally:
        await services.pool.close()
    sys.stderr.write(result.log.text())
    sys.stdout.write(result.payload.decode(errors="replace") + "\n")
    return 0 if result.ok else 1


def _up(settings: Settings, template: Template) -> int:
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"lambdock: warning: serving on {settings.host}, reachable from other machines; "
            "handlers run your code",
            file=sys.stderr,
        )
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio turns Nagle off only on sockets whose proto says TCP, and
    # with Nagle on, a response written in two parts waits out the client's delayed ACK (40 ms).
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((settings.host, settings.port))
    except OSError as exc:
        print(
            f"lambdock: cannot listen on {settings.host}:{settings.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    settings = replace(settings, port=listener.getsockname()[1])
    backend = select_backend(settings)

    built: list[Services] = []

    def announce(services: Services) -> None:
        built.append(services)
        services.on_ready.append(lambda: _print_ready(settings, services.template(), backend.name))
        install_storage(services)
        services.logs.keep_on_disk(LogArchive(settings.resolved_state_dir / "logs"))
        if settings.watch:
            watch_files(services)

    app = create_app(settings, template, backend, configure=announce)
    # What must be ready before serving (MinIO, buckets) is made ready here, so that a failure
    # ends `up` with exit code 2 and its message; the app's lifespan finds it done.
    try:
        asyncio.run(built[0].prepare())
    except KeyboardInterrupt:
        return 130
    # No `server: uvicorn` header: neither API Gateway nor Lambda sends one.
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", access_log=False, server_header=False
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[listener])
    except KeyboardInterrupt:
        return 130
    return 0


def _print_ready(settings: Settings, template: Template, backend: str) -> None:
    base = f"http://{settings.host}:{settings.port}"
    print(f"lambdock: serving {template.path} with the {backend} backend on {base}")
    for function in template.functions.values():
        print(f"  function {function.function_name} ({function.runtime or 'image'})")
    routes = route_lines(served_routes(template), base)
    if routes:
        print("  routes:")
        print("\n".join(f"    {line}" for line in routes))
    print(f"  Invoke API: {base}/2015-03-31/functions/<name>/invocations")
    print(f"  dashboard: {base}/_lambdock/")
    print(f"  health: {base}/_lambdock/health", flush=True)


def _schedule(args: argparse.Namespace, settings: Settings) -> int:
    """`schedule list` asks a running lambdock, else reads the template; `fire` needs one."""
    base = args.url.rstrip("/")
    try:
        with httpx.Client(timeout=ADMIN_TIMEOUT_SECONDS) as client:
            if args.action == "fire":
                name = urllib.parse.quote(args.name, safe="")
                response = client.post(f"{base}{wire.ADMIN_PREFIX}/schedules/{name}/fire")
            else:
                response = client.get(f"{base}{wire.ADMIN_PREFIX}/schedules")
    except httpx.TransportError as exc:
        if args.action == "fire":
            print(f"lambdock: no lambdock answers at {base}: {exc}", file=sys.stderr)
            return EXIT_UNREACHABLE
        return _list_from_template(settings, base)
    if response.status_code >= 400:
        message = response.json().get("Message", response.text)
        print(f"lambdock: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.action == "fire":
        body = response.json()
        print(f"fired {body['schedule']['name']}: async event {body['requestId']}")
        return 0
    _print_schedules(response.json()["schedules"])
    return 0


def _list_from_template(settings: Settings, base: str) -> int:
    try:
        template = load_stack_template(settings)
    except TemplateError as exc:
        print(f"lambdock: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    now = datetime.now(UTC)
    print(f"(no lambdock answers at {base}: next firings if it started now)")
    _print_schedules(
        [rule_view(rule, first_firing(rule, now)) for rule in template_rules(template)]
    )
    return 0


def _print_schedules(schedules: list[dict[str, Any]]) -> None:
    if not schedules:
        print("no Schedule or ScheduleV2 events in the template")
        return
    header = ("NAME", "TYPE", "FUNCTION", "EXPRESSION", "TIMEZONE", "STATE", "NEXT FIRING (UTC)")
    rows = [header] + [
        (
            s["name"],
            s["type"],
            s["functionName"],
            s["expression"],
            s["timezone"] or "UTC",
            "enabled" if s["enabled"] else "disabled",
            s["nextFiring"] or "-",
        )
        for s in schedules
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
