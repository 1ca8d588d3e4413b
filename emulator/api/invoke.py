"""The Lambda Invoke API (2015-03-31) router: Invoke, ListFunctions, GetFunction.

Shapes, headers and error types follow the AWS Lambda API reference, so that boto3 and the AWS
CLI pointed at lambdock with `endpoint_url` behave as they do against Lambda.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from emulator import wire
from emulator.api.bodies import read_body
from emulator.errors import (
    InvalidParameterValue,
    InvalidRequestContent,
    ResourceNotFound,
    ValidationError,
)
from emulator.invoker import InvocationRequest
from emulator.services import Services
from emulator.template.models import FunctionConfig, split_qualifier

router = APIRouter(prefix=wire.INVOKE_PREFIX)

_INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
# FunctionName's constraints (AWS Lambda API reference, "Invoke": pattern, 1 to 170 characters).
_FUNCTION_NAME = re.compile(
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?"
    r"([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)
_FUNCTION_NAME_MAX = 170


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


@router.post("/{function_name}/invocations")
async def invoke(function_name: str, request: Request) -> Response:
    """Invoke: RequestResponse (200), Event (202) or DryRun (204)."""
    services = _services(request)
    invocation_type = request.headers.get(wire.HEADER_INVOCATION_TYPE, "RequestResponse")
    if invocation_type not in _INVOCATION_TYPES:
        raise InvalidParameterValue(f"Unsupported invocation type: {invocation_type}")
    function = _function(services, function_name, request.query_params.get("Qualifier"))
    limit = wire.ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else wire.SYNC_PAYLOAD_LIMIT
    body = await read_body(
        request,
        limit,
        f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
    )
    payload = _json_payload(body)
    if invocation_type == "DryRun":
        return Response(status_code=204)
    call = InvocationRequest(
        function_name=function.function_name,
        payload=payload,
        invocation_type=invocation_type,
        request_id=services.request_ids(),
        client_context=_client_context(request.headers.get(wire.HEADER_CLIENT_CONTEXT_IN)),
        trace_id=_trace_id(request.headers.get(wire.HEADER_TRACE_ID_IN)),
    )
    if invocation_type == "Event":
        await services.queue.submit(call)
        return Response(
            status_code=202, headers={wire.HEADER_AMZN_REQUEST_ID: call.request_id or ""}
        )
    result = await services.invoker.invoke(call)
    headers = {
        wire.HEADER_AMZN_REQUEST_ID: result.request_id,
        wire.HEADER_EXECUTED_VERSION: result.executed_version,
    }
    if result.function_error:
        headers[wire.HEADER_FUNCTION_ERROR] = result.function_error
    if request.headers.get(wire.HEADER_LOG_TYPE) == "Tail":
        headers[wire.HEADER_LOG_RESULT] = base64.b64encode(result.log.tail()).decode()
    return Response(result.payload, 200, headers, media_type="application/json")


def _function(services: Services, name: str, qualifier: str | None) -> FunctionConfig:
    if not _FUNCTION_NAME.fullmatch(name) or len(name) > _FUNCTION_NAME_MAX:
        raise ValidationError(
            f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {_FUNCTION_NAME.pattern}"
        )
    base, inline_qualifier = split_qualifier(name)
    function = services.invoker.function(base)
    qualifier = qualifier or inline_qualifier
    if qualifier not in (None, wire.LATEST):
        template = services.template()
        arn = function.arn(template.region, template.account_id)
        raise ResourceNotFound(f"Function not found: {arn}:{qualifier}")
    return function


def _json_payload(body: bytes) -> bytes:
    # Lambda hands an empty payload to the function as `{}`; anything else must be JSON.
    if not body.strip():
        return b"{}"
    try:
        json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequestContent(
            f"Could not parse request body into json: Could not parse payload into json: {exc}"
        ) from None
    return body


def _client_context(header: str | None) -> str | None:
    if not header:
        return None
    try:
        decoded = base64.b64decode(header, validate=True).decode()
        json.loads(decoded)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidRequestContent(
            "Client context must be a valid Base64-encoded JSON object."
        ) from None
    return decoded


def _trace_id(header: str | None) -> str | None:
    return header if header and header.startswith("Root=") else None


@router.get("/")
@router.get("")
async def list_functions(request: Request) -> JSONResponse:
    """ListFunctions: every function of the template, one page."""
    services = _services(request)
    template = services.template()
    functions = [configuration(f, services) for f in template.functions.values()]
    return JSONResponse({"Functions": functions, "NextMarker": None})


@router.get("/{function_name}")
async def get_function(function_name: str, request: Request) -> JSONResponse:
    """GetFunction: the configuration, and where the code is."""
    services = _services(request)
    function = _function(services, function_name, request.query_params.get("Qualifier"))
    code: dict[str, Any] = {"RepositoryType": "S3", "Location": str(function.code_uri or "")}
    if function.package_type == "Image":
        code = {"RepositoryType": "ECR", "ImageUri": function.image_uri}
    body = {"Configuration": configuration(function, services), "Code": code, "Tags": {}}
    return JSONResponse(body, headers={wire.HEADER_AMZN_REQUEST_ID: services.request_ids()})


@router.get("/{function_name}/configuration")
async def get_function_configuration(function_name: str, request: Request) -> JSONResponse:
    """GetFunctionConfiguration."""
    services = _services(request)
    function = _function(services, function_name, request.query_params.get("Qualifier"))
    return JSONResponse(configuration(function, services))


def configuration(function: FunctionConfig, services: Services) -> dict[str, Any]:
    """A FunctionConfiguration document with the fields boto3 users read."""
    template = services.template()
    document: dict[str, Any] = {
        "FunctionName": function.function_name,
        "FunctionArn": function.arn(template.region, template.account_id),
        "Role": f"arn:aws:iam::{template.account_id}:role/{function.logical_id}Role",
        "CodeSize": 0,
        "Description": function.description,
        "Timeout": function.timeout,
        "MemorySize": function.memory_size,
        "LastModified": services.started_at,
        "CodeSha256": "",
        "Version": wire.LATEST,
        "Environment": {"Variables": services.secrets.mask_environment(function.environment)},
        "TracingConfig": {"Mode": "PassThrough"},
        "RevisionId": "00000000-0000-0000-0000-000000000000",
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": function.package_type,
        "Architectures": list(function.architectures),
        "EphemeralStorage": {"Size": function.ephemeral_storage_mb},
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function.function_name}"},
    }
    if function.package_type == "Zip":
        document["Runtime"] = function.runtime
        document["Handler"] = function.handler
    return document
