"""Physical names CloudFormation would give resources that do not name themselves."""

from __future__ import annotations

import hashlib


def _suffix(*parts: str, length: int) -> str:
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return digest[:length]


def generated_bucket_name(stack_name: str, logical_id: str) -> str:
    """`<stack>-<logicalid>-<suffix>` in lower case, at most 63 characters, as CloudFormation
    names a bucket without BucketName; the suffix is stable so restarts find the same bucket."""
    suffix = _suffix(stack_name, logical_id, length=12)
    stem = f"{stack_name}-{logical_id}".lower()
    stem = "".join(c if c.isalnum() or c in "-." else "-" for c in stem)[: 63 - len(suffix) - 1]
    return f"{stem.strip('-.')}-{suffix}"


def generated_api_id(stack_name: str, logical_id: str) -> str:
    """A 10-character lower-case API id, like API Gateway's, stable for a stack and resource."""
    digest = hashlib.sha256(f"{stack_name}/{logical_id}".encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:10])
