"""A template's buckets on MinIO: their creation, and where their events go."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence

import urllib3
from minio import Minio
from minio.error import S3Error
from minio.notificationconfig import NotificationConfig, QueueConfig

from emulator.storage.endpoint import S3Endpoint, minio_client

# The event families lambdock routes from MinIO; subscriptions are matched by lambdock itself.
ROUTED_EVENTS = ("s3:ObjectCreated:*", "s3:ObjectRemoved:*")
NOTIFICATION_ID = "lambdock"
# The configuration ID of the route to the immediate (queue-less) target.
IMMEDIATE_NOTIFICATION_ID = "lambdock-immediate"


class BucketError(Exception):
    """A bucket could not be created or configured; the message says which and why."""


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


def route_notifications(client: Minio, bucket: str, routes: Mapping[str, str]) -> None:
    """Send every object-created and object-removed event of `bucket` to each MinIO target.

    `routes` maps a configuration ID to a target ARN. Replaces the bucket's notification
    configuration; calling it again changes nothing.
    """
    config = NotificationConfig(
        queue_config_list=[
            QueueConfig(queue=arn, events=list(ROUTED_EVENTS), config_id=config_id)
            for config_id, arn in routes.items()
        ]
    )
    targets = ", ".join(routes.values())
    try:
        client.set_bucket_notification(bucket, config)
    except S3Error as error:
        raise BucketError(
            f"cannot route events of bucket {bucket!r} to {targets}: {error.code}: {error.message}"
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
    endpoint: S3Endpoint, buckets: Iterable[str], routes: Mapping[str, str]
) -> None:
    """`route_notifications` for each bucket, off the event loop."""
    await asyncio.to_thread(_route_all, endpoint, tuple(buckets), dict(routes))


def _route_all(endpoint: S3Endpoint, buckets: Sequence[str], routes: Mapping[str, str]) -> None:
    """Blocking body of `route_all_notifications`."""
    with minio_client(endpoint) as client:
        for bucket in buckets:
            route_notifications(client, bucket, routes)
