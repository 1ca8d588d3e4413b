"""create_app: wire the services into one FastAPI app serving every HTTP surface."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from emulator import wire
from emulator.api import admin, admin_data, cloudwatch_logs, dashboard, fallback, gateway, invoke
from emulator.api.signing import require_signature
from emulator.backends.base import Backend
from emulator.clock import Clock, SystemClock, new_request_id
from emulator.errors import ApiError
from emulator.gateway_service import Gateway
from emulator.services import Services, build_services
from emulator.settings import Settings
from emulator.template.models import Template


def create_app(
    settings: Settings,
    template: Template,
    backend: Backend,
    *,
    clock: Clock | None = None,
    request_ids: Callable[[], str] = new_request_id,
    configure: Callable[[Services], None] | None = None,
) -> FastAPI:
    """An app serving the template: admin, Invoke API, then the template's API routes.

    `configure` adds parts to the services before serving, e.g. S3 (`install_storage`), whose
    prepare hooks the lifespan runs first. Raises TemplateError when the template's routes
    cannot be served (e.g. two conflict), or what `configure` raises.
    """
    services = build_services(
        settings, template, backend, clock=clock or SystemClock(), request_ids=request_ids
    )
    if configure is not None:
        configure(services)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Before the queue runs stored events: their handlers may need S3.
        await services.prepare()
        services.pool.start_reaper()
        services.queue.start()
        try:
            for startup in services.startups:
                await startup()
            if settings.warm == "eager":
                functions = services.template().functions.values()
                await asyncio.gather(*(services.pool.prewarm(f) for f in functions))
            for ready in services.on_ready:
                ready()
            yield
        finally:
            for shutdown in reversed(services.shutdowns):
                await shutdown()
            await services.queue.close()
            await services.pool.close()

    app = FastAPI(title="lambdock", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.services = services
    app.add_exception_handler(ApiError, _render_api_error)  # type: ignore[arg-type]
    fallback.install(app, _render_api_error)
    app.include_router(admin.router)
    app.include_router(admin_data.router)
    app.include_router(dashboard.router)
    signed = [Depends(require_signature)] if settings.require_sigv4 else []
    app.include_router(invoke.router, dependencies=signed)
    # CloudWatch Logs answers only POST / with its target header; then the gateway.
    app.router.routes.append(cloudwatch_logs.ROUTE)
    # Last, for every method at the root: lambdock's own paths above win over user routes.
    app.state.gateway = Gateway(services)
    app.router.routes.append(gateway.route)
    # And first, for the paths none of the routes above can take (most requests).
    routers = (admin.router, admin_data.router, dashboard.router, invoke.router, app.router)
    paths = [getattr(route, "path", "/") for router in routers for route in router.routes]
    app.router.routes.insert(0, gateway.first_route(p for p in paths if p != gateway.CATCH_ALL))
    return app


async def _render_api_error(request: Request, exc: ApiError) -> JSONResponse:
    services: Services = request.app.state.services
    headers = {
        wire.HEADER_ERROR_TYPE: exc.error_type,
        wire.HEADER_AMZN_REQUEST_ID: services.request_ids(),
    }
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)
