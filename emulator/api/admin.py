"""lambdock's own endpoints under /_lambdock/: health, what is running, the async queue and the
schedules (with a way to fire one by hand)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from emulator import wire
from emulator.api import views
from emulator.errors import InvalidParameterValue, ResourceNotFound
from emulator.services import Services
from emulator.triggers.async_events import EventState

router = APIRouter(prefix=wire.ADMIN_PREFIX)


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    """200 once lambdock serves; the state of each part it depends on."""
    services = _services(request)
    parts: dict[str, Any] = {name: check() for name, check in services.health.items()}
    body = {"status": "ok", "backend": services.pool.backend.name, **parts}
    return JSONResponse(body)


@router.get("/functions")
async def functions(request: Request) -> JSONResponse:
    """Every function with its live environments."""
    services = _services(request)
    listing = []
    for function in services.template().functions.values():
        environments = [
            {"id": env.environment_id, "state": env.state.value, "invocations": env.invocations}
            for env in services.pool.environments(function.function_name)
        ]
        listing.append(
            {
                "functionName": function.function_name,
                "logicalId": function.logical_id,
                "runtime": function.runtime,
                "environments": environments,
            }
        )
    return JSONResponse({"functions": listing})


@router.get("/async-events")
async def async_events(
    request: Request, state: Annotated[list[str] | None, Query()] = None, limit: int = 100
) -> JSONResponse:
    """Async events (queued, running, retrying, succeeded, failed) with their attempts."""
    services = _services(request)
    states = _states(state or [])
    listing = await services.queue.listing(states, max(1, min(limit, 1000)))
    body = {
        "counts": listing.counts,
        "events": [views.event_view(event) for event in listing.events],
        "deliveries": [views.delivery_view(delivery) for delivery in listing.deliveries],
    }
    return JSONResponse(body)


@router.get("/async-events/{request_id}")
async def async_event(request_id: str, request: Request) -> JSONResponse:
    """One async event with its payload and the function's last answer."""
    event = await _services(request).queue.get(request_id)
    if event is None:
        raise ResourceNotFound(f"Async event not found: {request_id}")
    return JSONResponse(views.event_view(event, detail=True))


@router.get("/schedules")
async def schedules(request: Request) -> JSONResponse:
    """Every Schedule / ScheduleV2 rule with its next firing time."""
    rules = _services(request).scheduler.rules()
    return JSONResponse({"schedules": [views.rule_view(rule, when) for rule, when in rules]})


@router.post("/schedules/{name:path}/fire")
async def fire_schedule(name: str, request: Request) -> JSONResponse:
    """Fire a rule now, by its name, ARN or `<function>.<event>`: 202 and the async event id."""
    scheduler = _services(request).scheduler
    rule = scheduler.find(name)
    if rule is None:
        raise ResourceNotFound(f"Schedule not found: {name}")
    firing = await scheduler.fire(rule)
    body = {"requestId": firing.request_id, "time": views.timestamp(firing.time.timestamp())}
    return JSONResponse({**body, "schedule": views.rule_view(rule, None)}, status_code=202)


def _states(values: list[str]) -> list[EventState]:
    try:
        return [EventState(value) for value in values]
    except ValueError:
        known = ", ".join(state.value for state in EventState)
        raise InvalidParameterValue(f"state must be one of {known}") from None
