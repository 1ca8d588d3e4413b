"""AWS Signature Version 4 checked on a request, as AWS's front door checks it (pure).

Follows the AWS General Reference, "Signature Version 4 signing process": the canonical request
(method, URI path normalised then URI-encoded once more, sorted query, canonical headers, signed
header names, SHA-256 of the body), the string to sign, and the signing key derived from the
secret by HMAC over date, region, service and "aws4_request". A request's time may differ from
lambdock's clock by at most 5 minutes. Errors carry the status, type and wording AWS answers
with; they are rendered like every other API error.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote

from emulator.errors import ApiError

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = timedelta(minutes=5)
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)


class MissingAuthenticationToken(ApiError):
    """The request carries no signature at all."""

    status = 403
    error_type = "MissingAuthenticationTokenException"


class IncompleteSignature(ApiError):
    """The Authorization header lacks a part SigV4 needs."""

    status = 400
    error_type = "IncompleteSignatureException"


class UnrecognizedClient(ApiError):
    """The access key id is not one lambdock knows."""

    status = 403
    error_type = "UnrecognizedClientException"


class InvalidSignature(ApiError):
    """The signature does not match, is out of its time window, or is scoped wrongly."""

    status = 403
    error_type = "InvalidSignatureException"


@dataclass(frozen=True)
class SignedRequest:
    """What a signature covers: the path and query exactly as sent, headers, and body."""

    method: str
    raw_path: str
    raw_query: str
    headers: Sequence[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The values of a header (case-insensitive), each trimmed, comma-joined; None when
        absent. Runs of spaces inside a value collapse to one, as SigV4 canonicalises them."""
        values = [" ".join(value.split()) for key, value in self.headers if key.lower() == name]
        return ",".join(values) if values else None


@dataclass(frozen=True)
class Authorization:
    """The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header."""

    access_key: str
    date: str
    region: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str


def verify(
    request: SignedRequest,
    *,
    secret_for: Callable[[str], str | None],
    region: str,
    service: str,
    now: datetime,
) -> str:
    """Check the request's signature; returns the access key id, or raises an ApiError."""
    authorization = parse_authorization(request)
    secret = secret_for(authorization.access_key)
    if secret is None:
        raise UnrecognizedClient("The security token included in the request is invalid.")
    moment, stamp = _request_time(request)
    _check_time(moment, now)
    _check_scope(authorization, stamp, region, service)
    expected = signature(request, authorization, stamp, secret)
    if not hmac.compare_digest(expected, authorization.signature):
        raise InvalidSignature(_MISMATCH)
    return authorization.access_key


def parse_authorization(request: SignedRequest) -> Authorization:
    """Split the Authorization header; raises when it is missing or incomplete."""
    header = request.header("authorization")
    if not header:
        raise MissingAuthenticationToken("Missing Authentication Token")
    scheme, _, rest = header.strip().partition(" ")
    if scheme != ALGORITHM:
        raise IncompleteSignature(f"Unsupported authorization type: {scheme[:40]}")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts[key] = value
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "SignedHeaders", "Signature")
        if not parts.get(name)
    ]
    scope = parts.get("Credential", "").split("/")
    if not missing and len(scope) != 5:
        missing.append("Credential must have exactly 5 slash-delimited elements.")
    if missing:
        raise IncompleteSignature(" ".join(missing))
    access_key, date, region, service, terminator = scope
    return Authorization(
        access_key,
        date,
        region,
        service,
        terminator,
        signed_headers=tuple(parts["SignedHeaders"].split(";")),
        signature=parts["Signature"],
    )


def _request_time(request: SignedRequest) -> tuple[datetime, str]:
    amz_date = request.header("x-amz-date")
    try:
        if amz_date is not None:
            moment = datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=UTC)
            return moment, amz_date
        date = request.header("date")
        if date is not None:
            moment = parsedate_to_datetime(date).astimezone(UTC)
            return moment, moment.strftime(_AMZ_DATE)
    except (ValueError, TypeError, IndexError):
        raise IncompleteSignature("Date must be in ISO-8601 'basic format'.") from None
    raise IncompleteSignature(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    )


def _check_time(moment: datetime, now: datetime) -> None:
    stamp, earliest, latest = (
        t.strftime(_AMZ_DATE) for t in (moment, now - MAX_SKEW, now + MAX_SKEW)
    )
    current = now.strftime(_AMZ_DATE)
    if moment < now - MAX_SKEW:
        raise InvalidSignature(
            f"Signature expired: {stamp} is now earlier than {earliest} ({current} - 5 min.)"
        )
    if moment > now + MAX_SKEW:
        raise InvalidSignature(
            f"Signature not yet current: {stamp} is still later than {latest} ({current} + 5 min.)"
        )


def _check_scope(authorization: Authorization, stamp: str, region: str, service: str) -> None:
    if authorization.date != stamp[:8]:
        raise InvalidSignature(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            "from HTTP: "
            f"'{authorization.date}' != '{stamp[:8]}', from '{stamp}'."
        )
    if authorization.region != region:
        raise InvalidSignature(
            f"Credential should be scoped to a valid region. Expected '{region}', "
            f"found '{authorization.region}'."
        )
    if authorization.service != service:
        raise InvalidSignature(f"Credential should be scoped to correct service: '{service}'.")
    if authorization.terminator != "aws4_request":
        raise InvalidSignature(
            "Credential should be scoped with a valid terminator: 'aws4_request', "
            f"not '{authorization.terminator}'."
        )
    if "host" not in authorization.signed_headers:
        raise InvalidSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Auth.")


def signature(request: SignedRequest, authorization: Authorization, stamp: str, secret: str) -> str:
    """The hex signature of the request under the credential scope and secret."""
    scope = "/".join(
        (authorization.date, authorization.region, authorization.service, "aws4_request")
    )
    canonical = canonical_request(request, authorization.signed_headers)
    to_sign = "\n".join((ALGORITHM, stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()))
    key = f"AWS4{secret}".encode()
    for part in (authorization.date, authorization.region, authorization.service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def canonical_request(request: SignedRequest, signed_headers: Sequence[str]) -> str:
    """The canonical request: what the signature is an HMAC of (through its hash)."""
    headers = "".join(f"{name}:{request.header(name) or ''}\n" for name in signed_headers)
    return "\n".join(
        (
            request.method.upper(),
            canonical_path(request.raw_path),
            canonical_query(request.raw_query),
            headers,
            ";".join(signed_headers),
            hashlib.sha256(request.body).hexdigest(),
        )
    )


def canonical_path(raw_path: str) -> str:
    """The path as sent, dot segments and empty segments removed, URI-encoded once more
    (every service but S3 signs the path encoded twice)."""
    segments: list[str] = []
    for segment in raw_path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    path = "/" + "/".join(segments)
    if raw_path.endswith("/") and segments:
        path += "/"
    return quote(path, safe="/~")


def canonical_query(raw_query: str) -> str:
    """Query parameters URI-encoded and sorted by name, then value."""
    pairs = []
    for item in raw_query.split("&") if raw_query else ():
        key, _, value = item.partition("=")
        pairs.append((_encode(unquote(key)), _encode(unquote(value))))
    return "&".join(f"{key}={value}" for key, value in sorted(pairs))


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")
