"""JSON in and out of the handler, with the rules of awslambdaric's marshaller, on stdlib json.

awslambdaric encodes with simplejson: separators ``", "`` and ``": "``, NaN and Infinity allowed,
``Decimal`` written as its exact digits, ``bytes`` decoded as UTF-8, and non-ASCII characters
left unescaped on the python3.12 and later runtimes only. A handler returning ``bytes`` has them
posted as they are with the content type ``application/unknown``.
"""

from __future__ import annotations

import decimal
import json
import math
import os
import re
from typing import Any

from .errors import MARSHAL_ERROR, UNMARSHAL_ERROR, FaultError

JSON_CONTENT_TYPE = "application/json"
BYTES_CONTENT_TYPE = "application/unknown"

# awslambdaric leaves non-ASCII characters unescaped from the python3.12 runtime on.
_FIRST_UNESCAPED_RUNTIME = (3, 12)
_EXECUTION_ENV_PREFIX = "AWS_Lambda_python"


def ensure_ascii_for(execution_env: str | None) -> bool:
    """Tell whether JSON output escapes non-ASCII characters on this ``AWS_EXECUTION_ENV``."""
    if not execution_env or not execution_env.startswith(_EXECUTION_ENV_PREFIX):
        return True
    try:
        version = tuple(
            int(part) for part in execution_env[len(_EXECUTION_ENV_PREFIX) :].split(".")
        )
    except ValueError:
        return True
    return version < _FIRST_UNESCAPED_RUNTIME


def unmarshal_event(body: bytes, content_type: str | None) -> Any:
    """Decode an event; as awslambdaric, only ``application/json`` is decoded, else bytes pass."""
    if content_type != JSON_CONTENT_TYPE:
        return body
    try:
        return json.loads(body)
    except Exception as exc:
        raise FaultError(UNMARSHAL_ERROR, f"Unable to unmarshal input: {exc}") from None


def marshal_response(result: Any, *, ensure_ascii: bool) -> tuple[bytes, str]:
    """Encode a handler's result into the response body and its content type."""
    if isinstance(result, bytes):
        return result, BYTES_CONTENT_TYPE
    try:
        text = to_json(result, ensure_ascii=ensure_ascii)
    except Exception as exc:
        raise FaultError(MARSHAL_ERROR, f"Unable to marshal response: {exc}") from None
    return text.encode("utf-8"), JSON_CONTENT_TYPE


def to_json(value: Any, *, ensure_ascii: bool) -> str:
    """Encode a value as awslambdaric's encoder does (also used for error payloads)."""
    encoder = _Encoder(ensure_ascii=ensure_ascii)
    text = encoder.encode(value)
    if encoder.wrote_decimal:
        text = encoder.unwrap_decimals(text)
    return text


class _Encoder(json.JSONEncoder):
    """A stdlib encoder with simplejson's handling of Decimal and bytes.

    stdlib json cannot emit raw number text, so a Decimal is first written as a string wrapped
    in a per-encoding random marker and then unwrapped into its digits.
    """

    def __init__(self, *, ensure_ascii: bool) -> None:
        super().__init__(ensure_ascii=ensure_ascii, allow_nan=True)
        self._marker = f"lambdock-decimal-{os.urandom(8).hex()}"
        self.wrote_decimal = False

    def default(self, o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            if o.is_nan():
                return math.nan
            self.wrote_decimal = True
            return f"{self._marker}{o}{self._marker}"
        if isinstance(o, bytes):
            return o.decode("utf-8")
        return super().default(o)

    def unwrap_decimals(self, text: str) -> str:
        pattern = re.compile(f'"{self._marker}([^"]*){self._marker}"')
        return pattern.sub(lambda match: match.group(1), text)
