"""The dashboard at /_lambdock/: one HTML page with plain JavaScript and CSS (no build step)
that reads lambdock's state from /_lambdock/api/... and invokes through the Invoke API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse, Response

from emulator import wire
from emulator.errors import ResourceNotFound

router = APIRouter()

STATIC = Path(__file__).with_name("dashboard_static")
# The files the page is made of, and their media types; nothing else is served from STATIC.
FILES = {
    "index.html": "text/html; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
}
# The page changes with lambdock; browsers revalidate instead of running an old copy.
NO_CACHE = {"Cache-Control": "no-cache"}


@router.get(wire.ADMIN_PREFIX, include_in_schema=False)
async def dashboard_redirect() -> Response:
    """`/_lambdock` without the slash: the page's relative links need it."""
    return RedirectResponse(f"{wire.ADMIN_PREFIX}/", status_code=308)


@router.get(f"{wire.ADMIN_PREFIX}/", include_in_schema=False)
async def dashboard() -> Response:
    """The dashboard page."""
    return _file("index.html")


@router.get(f"{wire.ADMIN_PREFIX}/static/{{name}}", include_in_schema=False)
async def static(name: str) -> Response:
    """The page's script and style sheet."""
    return _file(name)


def _file(name: str) -> Response:
    media_type = FILES.get(name)
    if media_type is None:
        raise ResourceNotFound(f"No dashboard file {name}")
    return FileResponse(STATIC / name, media_type=media_type, headers=NO_CACHE)
