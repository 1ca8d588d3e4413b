"""JSON in and out of the handler.

Follows awslambdaric 4.2.2 (``awslambdaric/lambda_runtime_marshaller.py``): simplejson with
``", "``/``": "`` separators, NaN allowed, ``Decimal`` written as its digits (NaN as ``NaN``),
``bytes`` values decoded as UTF-8, non-ASCII left unescaped only on the python3.12 and later
runtimes, ``bytes`` results posted raw as ``application/unknown``, and only an event whose
Content-Type is exactly ``application/json`` decoded.
"""

from __future__ import annotations

import decimal
import math

import pytest
from lambdock_runtime.errors import FaultError
from lambdock_runtime.marshaller import (
    ensure_ascii_for,
    marshal_response,
    to_json,
    unmarshal_event,
)


@pytest.mark.parametrize(
    ("execution_env", "ensure_ascii"),
    [
        ("AWS_Lambda_python3.9", True),
        ("AWS_Lambda_python3.11", True),
        ("AWS_Lambda_python3.12", False),
        ("AWS_Lambda_python3.13", False),
        ("AWS_Lambda_nodejs20.x", True),
        ("AWS_Lambda_python", True),
        (None, True),
    ],
)
def test_non_ascii_is_escaped_before_the_python312_runtime(
    execution_env: str | None, ensure_ascii: bool
) -> None:
    assert ensure_ascii_for(execution_env) is ensure_ascii


def test_a_result_is_encoded_with_simplejsons_separators() -> None:
    assert marshal_response({"a": [1, 2.5, None, True]}, ensure_ascii=True) == (
        b'{"a": [1, 2.5, null, true]}',
        "application/json",
    )


def test_non_ascii_is_escaped_or_kept_as_configured() -> None:
    assert to_json({"name": "Zoë"}, ensure_ascii=True) == '{"name": "Zo\\u00eb"}'
    assert to_json({"name": "Zoë"}, ensure_ascii=False) == '{"name": "Zoë"}'


def test_decimals_are_written_as_their_exact_digits() -> None:
    value = {"price": decimal.Decimal("19.90"), "big": decimal.Decimal("12345678901234567890.1")}
    assert to_json(value, ensure_ascii=True) == '{"price": 19.90, "big": 12345678901234567890.1}'


def test_a_nan_decimal_and_float_specials_are_written_as_javascript_literals() -> None:
    value = [decimal.Decimal("NaN"), math.inf, -math.inf, decimal.Decimal("Infinity")]
    assert to_json(value, ensure_ascii=True) == "[NaN, Infinity, -Infinity, Infinity]"


def test_bytes_inside_a_result_are_decoded_as_utf8() -> None:
    assert to_json({"raw": "é".encode()}, ensure_ascii=False) == '{"raw": "é"}'


def test_a_string_that_looks_like_a_decimal_marker_stays_a_string() -> None:
    assert to_json(["lambdock-decimal-x1lambdock-decimal-x"], ensure_ascii=True) == (
        '["lambdock-decimal-x1lambdock-decimal-x"]'
    )


def test_bytes_returned_by_the_handler_are_posted_raw() -> None:
    assert marshal_response(b"\x89PNG", ensure_ascii=True) == (b"\x89PNG", "application/unknown")


def test_an_unserialisable_result_is_a_marshal_error() -> None:
    with pytest.raises(FaultError) as raised:
        marshal_response({"when": {1, 2}}, ensure_ascii=True)
    assert (raised.value.error_type, raised.value.message, raised.value.trace) == (
        "Runtime.MarshalError",
        "Unable to marshal response: Object of type set is not JSON serializable",
        [],
    )


def test_a_circular_result_is_a_marshal_error() -> None:
    looped: dict[str, object] = {}
    looped["self"] = looped
    with pytest.raises(FaultError) as raised:
        marshal_response(looped, ensure_ascii=True)
    assert raised.value.message == "Unable to marshal response: Circular reference detected"


def test_a_json_event_is_decoded() -> None:
    assert unmarshal_event(b'{"n": 1.5, "s": "\\u00e9"}', "application/json") == {
        "n": 1.5,
        "s": "é",
    }


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json; charset=utf-8"])
def test_an_event_of_another_content_type_reaches_the_handler_as_bytes(
    content_type: str | None,
) -> None:
    assert unmarshal_event(b'{"n": 1}', content_type) == b'{"n": 1}'


def test_an_event_that_is_not_json_is_an_unmarshal_error() -> None:
    with pytest.raises(FaultError) as raised:
        unmarshal_event(b"{oops", "application/json")
    assert raised.value.error_type == "Runtime.UnmarshalError"
    assert raised.value.message == (
        "Unable to unmarshal input: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)"
    )
