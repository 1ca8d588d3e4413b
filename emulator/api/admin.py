"""lambdock's own endpoints under /_lambdock/: health, and what is running."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from emulator import wire
from emulator.services import Services

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
