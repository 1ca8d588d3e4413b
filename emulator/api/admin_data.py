"""lambdock's read endpoints under /_lambdock/api/: what the dashboard and `lambdock logs` show.

Invocations carry a `sequence`; a caller passes the `cursor` it got back as `after` to receive
only newer ones, which is how the dashboard and `lambdock logs --follow` keep up.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from emulator import inspection, wire
from emulator.commands.generate_event import new_stamp
from emulator.commands.sample_events import SOURCES, SampleOptions
from emulator.errors import ResourceNotFound, StorageError
from emulator.services import Services

router = APIRouter(prefix=f"{wire.ADMIN_PREFIX}/api")

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


@router.get("/overview")
async def overview(request: Request) -> JSONResponse:
    """The stack, the backend, reload status, and every function with routes and latency."""
    services = _services(request)
    template = services.template()
    watch = services.health.get("watch")
    functions = [
        inspection.function_view(
            function,
            services.pool.environments(function.function_name),
            services.logs.timeline(function_name=function.function_name),
        )
        for function in template.functions.values()
    ]
    return JSONResponse(
        {
            "template": str(template.path),
            "stackName": template.stack_name,
            "region": template.region,
            "backend": services.pool.backend.name,
            "startedAt": services.started_at,
            "watch": watch() if watch is not None else None,
            "storage": services.bucket_browser is not None,
            "cursor": services.logs.sequence,
            "functions": functions,
        }
    )


@router.get("/invocations")
async def invocations(
    request: Request,
    function: str | None = None,
    after: int = 0,
    since: int | None = Query(None, description="epoch milliseconds"),
    filter: str | None = None,
    lines: bool = False,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> JSONResponse:
    """Finished invocations, oldest first: the newest `limit` after the cursor `after`."""
    services = _services(request)
    name = _function_name(services, function) if function is not None else None
    found = services.logs.timeline(after=after, function_name=name)
    if since is not None:
        # Compared in the milliseconds the caller saw, so `since=startedAt` includes that one.
        found = [log for log in found if inspection.epoch_ms(log.started_at) >= since]
    with_lines = lines or bool(filter)
    views = [inspection.invocation_view(log, lines=with_lines, text=filter) for log in found]
    if filter:
        views = [view for view in views if view["lines"]]
    body = {"invocations": views[-limit:], "cursor": services.logs.sequence}
    return JSONResponse(body)


@router.get("/invocations/{request_id}")
async def invocation(request: Request, request_id: str) -> JSONResponse:
    """One invocation with all its log lines."""
    log = _services(request).logs.find(request_id)
    if log is None:
        raise ResourceNotFound(f"No invocation with request id {request_id}")
    return JSONResponse(inspection.invocation_view(log, lines=True))


@router.get("/functions/{function_name}/streams")
async def streams(request: Request, function_name: str) -> JSONResponse:
    """The function's log streams, one per execution environment, newest first."""
    services = _services(request)
    name = _function_name(services, function_name)
    listing = [inspection.stream_view(s) for s in services.logs.streams(name)]
    return JSONResponse({"logGroupName": f"/aws/lambda/{name}", "logStreams": listing})


@router.get("/queue")
async def queue(request: Request) -> JSONResponse:
    """The async queue: how many events wait (and which, when the queue can list them)."""
    return JSONResponse(inspection.queue_view(_services(request).queue))


@router.get("/buckets")
async def buckets(request: Request) -> JSONResponse:
    """The template's buckets, and whether object browsing is available."""
    services = _services(request)
    browser = services.bucket_browser
    listed, error = None, None
    if browser is not None:
        try:
            listed = await browser.list_buckets()
        except StorageError as exc:
            error = str(exc)
    body = {
        "storage": browser is not None,
        "error": error,
        "buckets": inspection.buckets_view(services.template(), listed),
    }
    return JSONResponse(body)


@router.get("/buckets/{bucket}/objects")
async def objects(
    request: Request,
    bucket: str,
    prefix: str = "",
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> JSONResponse:
    """Objects of a bucket under a prefix, read-only."""
    browser = _services(request).bucket_browser
    if browser is None:
        raise ResourceNotFound("No storage is connected: lambdock runs without S3")
    try:
        found = await browser.list_objects(bucket, prefix, limit)
    except StorageError as exc:
        return JSONResponse({"bucket": bucket, "prefix": prefix, "error": str(exc)}, 502)
    listing = [
        {"key": o.key, "size": o.size, "lastModified": o.last_modified, "eTag": o.etag}
        for o in found
    ]
    return JSONResponse({"bucket": bucket, "prefix": prefix, "objects": listing})


@router.get("/events")
async def event_sources() -> JSONResponse:
    """The sample events the invoke form offers."""
    return JSONResponse({"sources": sorted(SOURCES)})


@router.get("/events/{source}")
async def sample_event(request: Request, source: str, function: str | None = None) -> JSONResponse:
    """A sample event; for an API source, shaped after the function's first route."""
    if source not in SOURCES:
        choices = ", ".join(sorted(SOURCES))
        raise ResourceNotFound(f"No sample event {source}; try one of {choices}")
    services = _services(request)
    template = services.template()
    options = SampleOptions(region=template.region, account_id=template.account_id)
    options = _shaped_for(services, function, options)
    return JSONResponse(SOURCES[source](new_stamp(), options))


def _shaped_for(services: Services, name: str | None, options: SampleOptions) -> SampleOptions:
    function = services.template().function(name) if name else None
    if function is None:
        return options
    routes = [inspection.route_of(e) for e in function.events if e.type in inspection.ROUTE_TYPES]
    buckets = list(services.template().buckets.values())
    changes: dict[str, Any] = {}
    if routes and routes[0]["path"].startswith("/"):
        method = routes[0]["method"]
        changes.update(path=routes[0]["path"], method="GET" if method == "ANY" else method)
    if buckets:
        changes["bucket"] = buckets[0].bucket_name
    return dataclasses.replace(options, **changes)


def _function_name(services: Services, name_or_arn: str) -> str:
    """The served function's name, or a name that has logs; else ResourceNotFound."""
    template = services.template()
    function = template.function(name_or_arn)
    if function is not None:
        return function.function_name
    if services.logs.timeline(function_name=name_or_arn):
        return name_or_arn
    arn = f"arn:aws:lambda:{template.region}:{template.account_id}:function:{name_or_arn}"
    raise ResourceNotFound(f"Function not found: {arn}")
