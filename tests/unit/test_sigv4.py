"""lambdock's SigV4 check against botocore's own signer: what boto3 signs verifies, anything
changed after signing does not, and each refusal has AWS's status, type and wording.

Source: AWS General Reference, "Signature Version 4 signing process" and "Troubleshooting
Signature Version 4 errors" (5-minute clock skew, "Signature expired: ... (... - 5 min.)").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator import sigv4
from emulator.sigv4 import SignedRequest, verify

NOW = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)
KEY, SECRET = "lambdock", "lambdock-secret"
BASE = "http://127.0.0.1:3000"


@pytest.fixture(autouse=True)
def signing_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: NOW.replace(tzinfo=None))
    yield


def signed(
    url: str,
    body: bytes = b"{}",
    *,
    headers: dict[str, str] | None = None,
    secret: str = SECRET,
    region: str = "us-east-1",
    method: str = "POST",
    token: str | None = None,
) -> SignedRequest:
    """A request signed by botocore exactly as boto3 signs Lambda calls, as lambdock sees it."""
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    botocore.auth.SigV4Auth(Credentials(KEY, secret, token), "lambda", region).add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    sent = [(name, value) for name, value in prepared.headers.items()]
    sent.append(("host", parts.netloc))
    return SignedRequest(method, parts.path, parts.query, sent, prepared.body or b"")


def check(request: SignedRequest, *, now: dt.datetime = NOW) -> str:
    return verify(
        request,
        secret_for=lambda key: SECRET if key == KEY else None,
        region="us-east-1",
        service="lambda",
        now=now,
    )


def refusal(request: SignedRequest, *, now: dt.datetime = NOW) -> tuple[int, str, str]:
    with pytest.raises(sigv4.ApiError) as refused:
        check(request, now=now)
    return refused.value.status, refused.value.error_type, refused.value.message


INVOKE = f"{BASE}/2015-03-31/functions/Hello/invocations"


def test_a_request_signed_by_botocore_verifies_and_names_its_key() -> None:
    assert check(signed(INVOKE, b'{"a": 1}')) == KEY


def test_an_arn_function_name_and_a_qualifier_verify() -> None:
    name = quote("arn:aws:lambda:us-east-1:123456789012:function:Hello", safe="")
    assert check(signed(f"{BASE}/2015-03-31/functions/{name}/invocations?Qualifier=%24LATEST"))


def test_a_session_token_is_signed_like_any_header() -> None:
    assert check(signed(INVOKE, token="lambdock-session")) == KEY


def test_a_changed_body_no_longer_matches() -> None:
    request = signed(INVOKE, b'{"amount": 1}')
    tampered = SignedRequest(
        request.method, request.raw_path, request.raw_query, request.headers, b'{"amount": 9}'
    )
    assert refusal(tampered) == (
        403,
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for "
        "details.",
    )


def test_a_changed_signed_header_no_longer_matches() -> None:
    request = signed(INVOKE, headers={"X-Amz-Invocation-Type": "RequestResponse"})
    headers = [
        (name, "Event" if name.lower() == "x-amz-invocation-type" else value)
        for name, value in request.headers
    ]
    changed = SignedRequest(
        request.method, request.raw_path, request.raw_query, headers, request.body
    )
    assert refusal(changed)[1] == "InvalidSignatureException"


def test_another_path_no_longer_matches() -> None:
    request = signed(INVOKE)
    moved = SignedRequest(
        request.method,
        "/2015-03-31/functions/Other/invocations",
        request.raw_query,
        request.headers,
        request.body,
    )
    assert refusal(moved)[1] == "InvalidSignatureException"


def test_a_wrong_secret_is_invalid_signature() -> None:
    assert refusal(signed(INVOKE, secret="guess"))[:2] == (403, "InvalidSignatureException")


def test_an_unknown_access_key_is_unrecognized_client() -> None:
    request = signed(INVOKE)
    with pytest.raises(sigv4.UnrecognizedClient) as refused:
        verify(request, secret_for=lambda key: None, region="us-east-1", service="lambda", now=NOW)
    assert (refused.value.status, refused.value.message) == (
        403,
        "The security token included in the request is invalid.",
    )


def test_no_authorization_is_missing_authentication_token() -> None:
    request = SignedRequest("POST", "/2015-03-31/functions/Hello/invocations", "", [], b"{}")
    assert refusal(request) == (
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )


def test_an_authorization_without_its_parts_is_incomplete() -> None:
    headers = [("Authorization", "AWS4-HMAC-SHA256 Credential=lambdock/20260301/us-east-1")]
    request = SignedRequest("POST", "/", "", headers, b"")
    assert refusal(request) == (
        400,
        "IncompleteSignatureException",
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires 'Signature' parameter.",
    )


def test_four_minutes_of_skew_either_way_is_accepted() -> None:
    request = signed(INVOKE)
    assert check(request, now=NOW + dt.timedelta(minutes=4, seconds=59))
    assert check(request, now=NOW - dt.timedelta(minutes=4, seconds=59))


def test_a_signature_older_than_five_minutes_has_expired() -> None:
    assert refusal(signed(INVOKE), now=NOW + dt.timedelta(minutes=6)) == (
        403,
        "InvalidSignatureException",
        "Signature expired: 20260301T120000Z is now earlier than 20260301T120100Z "
        "(20260301T120600Z - 5 min.)",
    )


def test_a_signature_from_more_than_five_minutes_ahead_is_not_yet_current() -> None:
    assert refusal(signed(INVOKE), now=NOW - dt.timedelta(minutes=6)) == (
        403,
        "InvalidSignatureException",
        "Signature not yet current: 20260301T120000Z is still later than 20260301T115900Z "
        "(20260301T115400Z + 5 min.)",
    )


def test_a_signature_for_another_region_is_refused() -> None:
    status, error_type, message = refusal(signed(INVOKE, region="eu-west-1"))
    assert (status, error_type) == (403, "InvalidSignatureException")
    assert message.startswith("Credential should be scoped to a valid region.")


path_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=path_text,
    query=st.lists(st.tuples(path_text, st.text(max_size=20)), max_size=4),
    body=st.binary(max_size=300),
    header=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
)
def test_anything_botocore_signs_verifies_and_one_more_body_byte_does_not(
    name: str, query: list[tuple[str, str]], body: bytes, header: str
) -> None:
    url = f"{BASE}/2015-03-31/functions/{quote(name, safe='')}/invocations"
    if query:
        url += "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query)
    request = signed(url, body, headers={"X-Amz-Client-Context": header})
    assert check(request) == KEY
    longer = SignedRequest(
        request.method, request.raw_path, request.raw_query, request.headers, body + b" "
    )
    assert refusal(longer)[1] == "InvalidSignatureException"
