"""A template's buckets on MinIO: their names, their creation, and where their events go."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Iterable, Sequence

import urllib3
from minio import Minio
from minio.error import S3Error
from minio.notificationconfig import NotificationConfig, QueueConfig

from emulator.storage.endpoint import S3Endpoint, minio_client

# CloudFormation's generated S3 name: `<stack>-<logicalid>-<tail>`, lower case, at most 63
# characters (the bucket name limit). CloudFormation keeps 13 characters for a 12-character tail
# and its hyphen and shares the rest between the stack name and the logical ID around one more
# hyphen, the stack name getting the larger half and each part taking what the other leaves.
# AWS does not document the rule; it reproduces names real stacks got (KensioSoftware/yulin#1113,
# e.g. `chineseboostanalyticsstac-rainlyticslogsbucket8df4-hdst4ohfvdif`).
BUCKET_NAME_MAX = 63
_TAIL_LENGTH = 12
_PARTS_ROOM = BUCKET_NAME_MAX - (_TAIL_LENGTH + 1) - 1
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
# AWS::CloudFormation::Stack: a stack name starts with a letter and has letters, digits, hyphens.
_STACK_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]{0,127}")
_LOGICAL_ID = re.compile(r"[A-Za-z0-9]+")

# The event families lambdock routes from MinIO; subscriptions are matched by lambdock itself.
ROUTED_EVENTS = ("s3:ObjectCreated:*", "s3:ObjectRemoved:*")
NOTIFICATION_ID = "lambdock"


class BucketError(Exception):
    """A bucket could not be created or configured; the message says which and why."""


def generated_bucket_name(stack_name: str, logical_id: str, *, project_key: str) -> str:
    """The name CloudFormation would give an unnamed AWS::S3::Bucket, with a stable tail.

    CloudFormation's tail is random; here it is a hash of `project_key` (e.g. the project's
    path), the stack name and the logical ID, so a restarted project finds its buckets again.
    """
    if not _STACK_NAME.fullmatch(stack_name):
        raise ValueError(f"not a CloudFormation stack name: {stack_name!r}")
    if not _LOGICAL_ID.fullmatch(logical_id):
        raise ValueError(f"not a CloudFormation logical ID: {logical_id!r}")
    stack, logical = _share_room(stack_name, logical_id, _PARTS_ROOM)
    tail = _stable_tail(f"{project_key}\0{stack_name}\0{logical_id}")
    return f"{stack}-{logical}-{tail}".lower()


def _share_room(stack_name: str, logical_id: str, room: int) -> tuple[str, str]:
    """Trim both parts to `room` characters together, the stack name keeping the larger half."""
    if len(stack_name) + len(logical_id) <= room:
        return stack_name, logical_id
    stack = stack_name[: max(room - len(logical_id), (room + 1) // 2)]
    return stack, logical_id[: room - len(stack)]


def _stable_tail(seed: str) -> str:
    """Twelve lower-case letters and digits derived from `seed`."""
    number = int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest(), "big")
    digits = []
    for _ in range(_TAIL_LENGTH):
        number, digit = divmod(number, 36)
        digits.append(_BASE36[digit])
    return "".join(digits)


def ensure_bucket(client: Minio, name: str) -> bool:
    """Create bucket `name` unless it exists; True when this call created it."""
    try:
        if client.bucket_exists(name):
            return False
        client.make_bucket(name)
    except S3Error as error:
        # Another creator won the race between the existence check and the creation.
        if error.code == "BucketAlreadyOwnedByYou":
            return False
        message = f"cannot create bucket {name!r}: {error.code}: {error.message}"
        raise BucketError(message) from error
    except ValueError as error:
        raise BucketError(f"cannot create bucket {name!r}: {error}") from error
    except urllib3.exceptions.HTTPError as error:
        raise BucketError(f"cannot create bucket {name!r}: S3 unreachable: {error}") from error
    return True


def route_notifications(client: Minio, bucket: str, queue_arn: str) -> None:
    """Send every object-created and object-removed event of `bucket` to MinIO target `queue_arn`.

    Replaces the bucket's notification configuration; calling it again changes nothing.
    """
    config = NotificationConfig(
        queue_config_list=[
            QueueConfig(queue=queue_arn, events=list(ROUTED_EVENTS), config_id=NOTIFICATION_ID)
        ]
    )
    try:
        client.set_bucket_notification(bucket, config)
    except S3Error as error:
        raise BucketError(
            f"cannot route events of bucket {bucket!r} to {queue_arn}: "
            f"{error.code}: {error.message}"
        ) from error
    except ValueError as error:
        raise BucketError(f"cannot route events of bucket {bucket!r}: {error}") from error
    except urllib3.exceptions.HTTPError as error:
        raise BucketError(f"cannot route events of {bucket!r}: S3 unreachable: {error}") from error


async def create_buckets(endpoint: S3Endpoint, names: Iterable[str]) -> tuple[str, ...]:
    """Create the buckets that do not exist yet; returns the names this call created."""
    return await asyncio.to_thread(_create_all, endpoint, tuple(names))


def _create_all(endpoint: S3Endpoint, names: Sequence[str]) -> tuple[str, ...]:
    """Blocking body of `create_buckets`."""
    with minio_client(endpoint) as client:
        return tuple(name for name in names if ensure_bucket(client, name))


async def route_all_notifications(
    endpoint: S3Endpoint, buckets: Iterable[str], queue_arn: str
) -> None:
    """`route_notifications` for each bucket, off the event loop."""
    await asyncio.to_thread(_route_all, endpoint, tuple(buckets), queue_arn)


def _route_all(endpoint: S3Endpoint, buckets: Sequence[str], queue_arn: str) -> None:
    """Blocking body of `route_all_notifications`."""
    with minio_client(endpoint) as client:
        for bucket in buckets:
            route_notifications(client, bucket, queue_arn)
