"""Per-function MinIO users: each function reaches only the buckets its SAM `Policies` grant.

On AWS a function's role carries the policies SAM builds from its `Policies` property: policy
templates (SAM developer guide, "AWS SAM policy templates": S3ReadPolicy, S3WritePolicy,
S3CrudPolicy, S3FullAccessPolicy), AWS managed policies by name or ARN, and inline IAM policy
documents. lambdock keeps the S3 part of them, as an IAM policy document MinIO understands, and
gives each function its own MinIO user with that policy, so a handler writing to a bucket it was
not granted gets AccessDenied, as on AWS. What is not about S3 has no local meaning and is left
out. `policy_document` is pure; `grant_functions` talks to MinIO's admin API.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from minio import MinioAdmin
from minio.credentials.providers import StaticProvider
from minio.error import MinioAdminException

from emulator.services import Services
from emulator.storage.endpoint import S3Endpoint
from emulator.template.models import FunctionConfig

POLICY_VERSION = "2012-10-17"
_BUCKET, _OBJECTS = "arn:aws:s3:::{bucket}", "arn:aws:s3:::{bucket}/*"
# SAM's policy_templates.json, the S3 templates: (actions, resources) per statement.
TEMPLATES: Mapping[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = {
    "S3ReadPolicy": (
        (
            (
                "s3:GetObject",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetObjectVersion",
                "s3:GetLifecycleConfiguration",
            ),
            (_BUCKET, _OBJECTS),
        ),
    ),
    "S3WritePolicy": (
        (("s3:PutObject", "s3:PutObjectAcl", "s3:PutLifecycleConfiguration"), (_BUCKET, _OBJECTS)),
    ),
    "S3CrudPolicy": (
        (
            (
                "s3:GetObject",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:PutObjectAcl",
                "s3:GetLifecycleConfiguration",
                "s3:PutLifecycleConfiguration",
                "s3:DeleteObject",
            ),
            (_BUCKET, _OBJECTS),
        ),
    ),
    "S3FullAccessPolicy": (
        (
            (
                "s3:GetObject",
                "s3:GetObjectAcl",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:PutObjectAcl",
                "s3:DeleteObject",
                "s3:DeleteObjectTagging",
                "s3:DeleteObjectVersionTagging",
                "s3:GetObjectTagging",
                "s3:GetObjectVersionTagging",
                "s3:PutObjectTagging",
                "s3:PutObjectVersionTagging",
            ),
            (_OBJECTS,),
        ),
        (
            (
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetLifecycleConfiguration",
                "s3:PutLifecycleConfiguration",
            ),
            (_BUCKET,),
        ),
    ),
}
# AWS managed policies about S3, by name (an ARN ends with the name).
MANAGED: Mapping[str, tuple[str, ...]] = {
    "AmazonS3FullAccess": ("s3:*",),
    "AmazonS3ReadOnlyAccess": ("s3:Get*", "s3:List*"),
}
_SECRET = "AWS_SECRET_ACCESS_KEY"
_S3_RESOURCE = re.compile(r"^(\*|arn:aws[a-zA-Z-]*:s3:::.+)$")


def policy_document(policies: Any) -> dict[str, Any]:
    """The IAM policy document of the S3 permissions a function's `Policies` grant."""
    items = policies if isinstance(policies, list) else [policies] if policies else []
    statements: list[dict[str, Any]] = []
    for item in items:
        statements.extend(_statements_of(item))
    return {"Version": POLICY_VERSION, "Statement": statements}


def _statements_of(item: Any) -> list[dict[str, Any]]:
    if isinstance(item, str):
        actions = MANAGED.get(item.rsplit("/", 1)[-1])
        return [_allow(actions, ["*"])] if actions else []
    if not isinstance(item, dict):
        return []
    if "Statement" in item:
        raw = item["Statement"]
        found = [_s3_only(s) for s in (raw if isinstance(raw, list) else [raw])]
        return [statement for statement in found if statement is not None]
    statements = []
    for name, parameters in item.items():
        bucket = parameters.get("BucketName") if isinstance(parameters, dict) else None
        for actions, resources in TEMPLATES.get(name, ()) if isinstance(bucket, str) else ():
            statements.append(_allow(actions, [r.format(bucket=bucket) for r in resources]))
    return statements


def _allow(actions: Iterable[str], resources: list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resources}


def _s3_only(statement: Any) -> dict[str, Any] | None:
    """The statement's S3 actions on S3 resources, or None when nothing of it is about S3."""
    if not isinstance(statement, dict):
        return None
    actions = [a for a in _strings(statement.get("Action")) if a == "*" or a.startswith("s3:")]
    resources = [r for r in _strings(statement.get("Resource")) if _S3_RESOURCE.match(r)]
    if not actions or not resources:
        return None
    kept: dict[str, Any] = {
        "Effect": "Deny" if statement.get("Effect") == "Deny" else "Allow",
        "Action": ["s3:*" if a == "*" else a for a in actions],
        "Resource": [_aws_partition(r) for r in resources],
    }
    if isinstance(statement.get("Condition"), dict):
        kept["Condition"] = statement["Condition"]
    return kept


def _strings(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str)]


def _aws_partition(resource: str) -> str:
    # MinIO knows the aws partition only; arn:aws-cn:s3:::b is the same bucket locally.
    return re.sub(r"^arn:aws[a-zA-Z-]*:", "arn:aws:", resource)


@dataclass(frozen=True)
class FunctionUser:
    """A function's MinIO user, its secret, and the policy named after it."""

    function_name: str
    access_key: str
    secret_key: str

    @property
    def policy_name(self) -> str:
        """The MinIO policy that holds the function's grants."""
        return f"lambdock-{self.access_key}"

    def variables(self) -> dict[str, str]:
        """The credentials the function's environment gets (no session token: MinIO refuses
        one it did not issue)."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}


def user_for(function: FunctionConfig, secret: str | None = None) -> FunctionUser:
    """The function's user: a stable access key; the given secret, else a fresh one."""
    digest = hashlib.sha256(function.function_name.encode()).hexdigest()[:12]
    stem = re.sub(r"[^A-Za-z0-9]", "", function.function_name)[:16] or "fn"
    return FunctionUser(
        function.function_name, f"fn-{stem}-{digest}", secret or secrets.token_urlsafe(24)
    )


async def grant_functions(
    endpoint: S3Endpoint,
    functions: Iterable[FunctionConfig],
    known: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, dict[str, str]]:
    """Create or update each function's MinIO user and policy; function name -> variables.

    A function in `known` keeps its secret, so its warm environments go on working when a
    reloaded template changes another function's grants."""
    users = [
        (
            user_for(function, (known or {}).get(function.function_name, {}).get(_SECRET)),
            policy_document(function.policies),
        )
        for function in functions
    ]
    await asyncio.to_thread(_apply, endpoint, users)
    return {user.function_name: user.variables() for user, _ in users}


def _apply(endpoint: S3Endpoint, users: list[tuple[FunctionUser, dict[str, Any]]]) -> None:
    admin = MinioAdmin(
        endpoint=endpoint.netloc,
        credentials=StaticProvider(endpoint.access_key, endpoint.secret_key),
        secure=endpoint.secure,
    )
    for user, document in users:
        # Anew each start: a user left from an earlier start keeps no grant it no longer has.
        with contextlib.suppress(MinioAdminException):
            admin.user_remove(user.access_key)
        admin.user_add(user.access_key, user.secret_key)
        document = _add_policy(admin, user.policy_name, document)
        if document["Statement"]:
            admin.policy_set(user.policy_name, user=user.access_key)


_UNSUPPORTED = re.compile(r"unsupported action '([^']+)'")


def _add_policy(admin: MinioAdmin, name: str, document: dict[str, Any]) -> dict[str, Any]:
    """Add the policy, leaving out the actions this MinIO does not know (it refuses a policy
    naming one, e.g. s3:PutObjectAcl); returns what was added."""
    for _ in range(64):
        if not document["Statement"]:
            return document
        try:
            admin.policy_add(name, policy=document)
            return document
        except MinioAdminException as error:
            unknown = _UNSUPPORTED.search(str(error))
            if unknown is None:
                raise
            document = without_action(document, unknown[1])
    raise MinioAdminException("0", f"MinIO refused the policy {name} too many times")


def without_action(document: dict[str, Any], action: str) -> dict[str, Any]:
    """The document with one action removed, and statements left with none dropped."""
    statements = []
    for statement in document["Statement"]:
        actions = [a for a in statement["Action"] if a != action]
        if actions:
            statements.append({**statement, "Action": actions})
    return {**document, "Statement": statements}


async def give_functions_their_users(services: Services, endpoint: S3Endpoint) -> None:
    """The hook for `lambdock up`, once S3 is ready: unless --no-iam, every function of the
    template gets its own MinIO user, and its environments get that user's credentials."""
    if services.settings.no_iam:
        return
    functions = services.template().functions.values()
    granted = await grant_functions(endpoint, functions, services.function_credentials)
    services.function_credentials.update(granted)
