"""Answers for requests no route takes or whose parameters do not parse, in AWS's shape.

Without these, FastAPI answers `{"detail": ...}` (404, 405, 422), which no AWS client
understands. Under the Lambda API's prefix the answer is a Lambda error with
x-amzn-ErrorType (an unknown path or method is an unknown operation); elsewhere it is API
Gateway's `{"message": "Not Found"}`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from emulator import wire
from emulator.errors import ApiError, InvalidParameterValue

Render = Callable[[Request, ApiError], Awaitable[Response]]


class UnknownOperation(ApiError):
    """No Lambda API operation has this path and method."""

    status = 404
    error_type = "UnknownOperationException"


def install(app: FastAPI, render: Render) -> None:
    """Register the fallback handlers; `render` draws an ApiError as the app does."""

    async def unrouted(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        path = request.url.path
        if path.startswith(wire.INVOKE_PREFIX.rsplit("/", 1)[0]) or path.startswith(
            wire.ADMIN_PREFIX
        ):
            error = UnknownOperation(f"Unknown operation {request.method} {path}")
            error.status = exc.status_code
            return await render(request, error)
        return JSONResponse({"message": "Not Found"}, status_code=404)

    async def unparsed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg', '')}"
            for error in exc.errors()
        )
        return await render(request, InvalidParameterValue(problems or "invalid parameters"))

    app.add_exception_handler(HTTPException, unrouted)
    app.add_exception_handler(RequestValidationError, unparsed)
