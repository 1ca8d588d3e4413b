"""`--require-sigv4`: the Invoke API answers only requests signed with a known key (SigV4)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import Request

from emulator import wire
from emulator.api.bodies import read_body
from emulator.services import Services
from emulator.sigv4 import SignedRequest, verify

SERVICE = "lambda"


async def require_signature(request: Request) -> None:
    """A FastAPI dependency: raises the AWS error unless the request's signature is valid."""
    services: Services = request.app.state.services
    body = await read_body(
        request,
        wire.SYNC_PAYLOAD_LIMIT,
        f"Request must be smaller than {wire.SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction "
        "operation",
    )
    scope = request.scope
    raw_path = scope.get("raw_path") or quote(scope["path"]).encode()
    signed = SignedRequest(
        method=request.method,
        raw_path=raw_path.decode("latin-1"),
        raw_query=scope.get("query_string", b"").decode("latin-1"),
        headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
        body=body,
    )
    verify(
        signed,
        secret_for=lambda key: secret_for(services, key),
        region=services.template().region,
        service=SERVICE,
        now=datetime.fromtimestamp(services.clock.time(), UTC),
    )


def secret_for(services: Services, access_key: str) -> str | None:
    """The secret of an access key lambdock hands out (to clients and to functions)."""
    for credentials in (services.credentials, *services.function_credentials.values()):
        if access_key == credentials.get("AWS_ACCESS_KEY_ID"):
            return credentials.get("AWS_SECRET_ACCESS_KEY")
    return None
