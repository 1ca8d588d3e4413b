"""S3 event notifications: MinIO's records as AWS S3 event records, and trigger matching.

Pure functions, no I/O. The AWS side follows "Event message structure" and "Event notification
types and destinations" in the Amazon S3 User Guide; the MinIO side follows the records its
webhook target posts (`internal/event/event.go` and `cmd/event-notification.go` in MinIO).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

EVENT_VERSION = "2.1"
EVENT_SOURCE = "aws:s3"
S3_SCHEMA_VERSION = "1.0"

# Event types a bucket notification may name (S3 User Guide, "Supported event types for SQS,
# SNS, and Lambda"), without the "s3:" prefix that the record's eventName also leaves out.
AWS_EVENT_TYPES = frozenset(
    {
        "ObjectCreated:Put",
        "ObjectCreated:Post",
        "ObjectCreated:Copy",
        "ObjectCreated:CompleteMultipartUpload",
        "ObjectRemoved:Delete",
        "ObjectRemoved:DeleteMarkerCreated",
        "ObjectRestore:Post",
        "ObjectRestore:Completed",
        "ObjectRestore:Delete",
        "ReducedRedundancyLostObject",
        "Replication:OperationFailedReplication",
        "Replication:OperationMissedThreshold",
        "Replication:OperationReplicatedAfterThreshold",
        "Replication:OperationNotTracked",
        "LifecycleExpiration:Delete",
        "LifecycleExpiration:DeleteMarkerCreated",
        "LifecycleTransition",
        "IntelligentTiering",
        "ObjectTagging:Put",
        "ObjectTagging:Delete",
        "ObjectAcl:Put",
    }
)
# The same page allows a trailing wildcard on these families only, e.g. "s3:ObjectCreated:*".
AWS_WILDCARD_FAMILIES = frozenset(
    {
        "ObjectCreated",
        "ObjectRemoved",
        "ObjectRestore",
        "Replication",
        "LifecycleExpiration",
        "ObjectTagging",
    }
)

# MinIO event names that mean the same thing as an AWS event delivered in the 2.1 shape. Other
# MinIO names (ObjectCreated:PutRetention, ObjectRemoved:NoOP, ObjectAccessed:*, ...) have no
# AWS counterpart. MinIO's PutTagging/DeleteTagging would be AWS ObjectTagging events, which AWS
# sends as version 2.3 with other object fields; they are not translated.
_MINIO_TO_AWS = {
    "s3:ObjectCreated:Put": "ObjectCreated:Put",
    "s3:ObjectCreated:Post": "ObjectCreated:Post",
    "s3:ObjectCreated:Copy": "ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload": "ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:Delete": "ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated": "ObjectRemoved:DeleteMarkerCreated",
}

# Bytes an S3 event key keeps as they are. The S3 User Guide says the key is URL encoded as
# application/x-www-form-urlencoded ("red flower.jpg" becomes "red+flower.jpg"); that encoding
# keeps ASCII letters, digits and "*-._", writes a space as "+" and percent-encodes every other
# UTF-8 byte. Real events also keep "/" (minio/minio#11665, aws-amplify/amplify-cli#2269).
_KEY_SAFE_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._/")


class InvalidS3EventConfig(ValueError):
    """A SAM `S3` event whose Events or Filter S3 would refuse (PutBucketNotification...)."""


@dataclass(frozen=True)
class S3Subscription:
    """One SAM `S3` event of one function: which bucket, which event types, which keys."""

    bucket: str
    events: tuple[str, ...]
    prefix: str | None
    suffix: str | None
    configuration_id: str


def aws_event_name(minio_event_name: str) -> str | None:
    """The AWS eventName for a MinIO event name, or None when AWS has no such 2.1 event."""
    return _MINIO_TO_AWS.get(minio_event_name)


def encode_key(key: str) -> str:
    """Encode an object key the way S3 writes `s3.object.key` in an event record."""
    parts: list[str] = []
    for byte in key.encode("utf-8"):
        if byte in _KEY_SAFE_BYTES:
            parts.append(chr(byte))
        elif byte == 0x20:
            parts.append("+")
        else:
            parts.append(f"%{byte:02X}")
    return "".join(parts)


def event_time(minio_time: str) -> str:
    """AWS's eventTime format (ISO 8601, milliseconds, `Z`) for MinIO's eventTime."""
    parsed = datetime.fromisoformat(minio_time.replace("Z", "+00:00"))
    return f"{parsed:%Y-%m-%dT%H:%M:%S}.{parsed.microsecond // 1000:03d}Z"


def minio_object_key(record: Mapping[str, Any], *, key_escaped: bool = True) -> str:
    """The object key of a MinIO record; its webhook sends it through Go's url.QueryEscape."""
    key: str = record["s3"]["object"]["key"]
    return unquote_plus(key) if key_escaped else key


def aws_record(
    record: Mapping[str, Any],
    *,
    region: str,
    configuration_id: str,
    key_escaped: bool = True,
) -> dict[str, Any]:
    """Translate one MinIO record into an AWS S3 event record, version 2.1."""
    name = aws_event_name(record["eventName"])
    if name is None:
        raise ValueError(f"MinIO event {record['eventName']!r} has no AWS S3 counterpart")
    bucket = record["s3"]["bucket"]
    response = record.get("responseElements") or {}
    return {
        "eventVersion": EVENT_VERSION,
        "eventSource": EVENT_SOURCE,
        "awsRegion": region,
        "eventTime": event_time(record["eventTime"]),
        "eventName": name,
        "userIdentity": {"principalId": record["userIdentity"]["principalId"]},
        "requestParameters": {
            "sourceIPAddress": (record.get("requestParameters") or {}).get("sourceIPAddress", "")
        },
        "responseElements": {
            "x-amz-request-id": response.get("x-amz-request-id", ""),
            "x-amz-id-2": response.get("x-amz-id-2", ""),
        },
        "s3": {
            "s3SchemaVersion": S3_SCHEMA_VERSION,
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket["name"],
                "ownerIdentity": {"principalId": bucket["ownerIdentity"]["principalId"]},
                "arn": f"arn:aws:s3:::{bucket['name']}",
            },
            "object": _aws_object(name, minio_object_key(record, key_escaped=key_escaped), record),
        },
    }


def _aws_object(name: str, key: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """The `s3.object` part: created objects carry size and eTag, removed ones do not."""
    source = record["s3"]["object"]
    result: dict[str, Any] = {"key": encode_key(key)}
    if name.startswith("ObjectCreated:"):
        # MinIO omits a zero size (Go `omitempty`); AWS always writes it as a number.
        result["size"] = int(source.get("size", 0))
        result["eTag"] = source.get("eTag", "")
    if source.get("versionId"):
        result["versionId"] = source["versionId"]
    result["sequencer"] = source.get("sequencer", "")
    return result


def s3_event(
    record: Mapping[str, Any],
    *,
    region: str,
    configuration_id: str,
    key_escaped: bool = True,
) -> dict[str, Any] | None:
    """The Lambda event (`{"Records": [...]}`) for one MinIO record, or None if AWS has none."""
    if aws_event_name(record["eventName"]) is None:
        return None
    translated = aws_record(
        record, region=region, configuration_id=configuration_id, key_escaped=key_escaped
    )
    return {"Records": [translated]}


def generated_configuration_id(function_logical_id: str, event_name: str) -> str:
    """A stable notification ID for a SAM event, shaped like S3's own (base64 of a UUID)."""
    name = uuid.uuid5(uuid.NAMESPACE_URL, f"lambdock:s3:{function_logical_id}/{event_name}")
    return base64.b64encode(str(name).encode("ascii")).decode("ascii")


def bucket_reference(properties: Mapping[str, Any]) -> str:
    """The `Bucket` of a SAM S3 event: the logical ID it `Ref`s, or a literal name."""
    bucket = properties.get("Bucket")
    if isinstance(bucket, Mapping) and isinstance(bucket.get("Ref"), str):
        return str(bucket["Ref"])
    if isinstance(bucket, str) and bucket:
        return bucket
    raise InvalidS3EventConfig(f"S3 event Bucket must be a Ref to a bucket, got {bucket!r}")


def subscription_from_sam(
    properties: Mapping[str, Any], *, bucket_name: str, configuration_id: str
) -> S3Subscription:
    """Build the subscription of a SAM `S3` event (`Bucket`, `Events`, optional `Filter`)."""
    events = _parse_events(properties.get("Events"))
    prefix, suffix = _parse_filter(properties.get("Filter"))
    return S3Subscription(
        bucket=bucket_name,
        events=events,
        prefix=prefix,
        suffix=suffix,
        configuration_id=configuration_id,
    )


def _parse_events(value: object) -> tuple[str, ...]:
    """`Events` is one event type or a list of them, each `s3:Family:Type` or `s3:Family:*`."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list | tuple) or not names:
        raise InvalidS3EventConfig("S3 event Events must be an event type or a list of them")
    for name in names:
        if not isinstance(name, str) or not _is_known_event(name):
            raise InvalidS3EventConfig(f"The event is not supported for notifications: {name!r}")
    return tuple(str(name) for name in names)


def _is_known_event(name: str) -> bool:
    """True for an AWS event type or family wildcard, written with its `s3:` prefix."""
    if not name.startswith("s3:"):
        return False
    bare = name.removeprefix("s3:")
    if bare.endswith(":*"):
        return bare.removesuffix(":*") in AWS_WILDCARD_FAMILIES
    return bare in AWS_EVENT_TYPES


def _parse_filter(value: object) -> tuple[str | None, str | None]:
    """`Filter: {S3Key: {Rules: [{Name: prefix|suffix, Value}]}}`; names are case-insensitive."""
    if value is None:
        return None, None
    rules = _filter_rules(value)
    found: dict[str, str] = {}
    for rule in rules:
        if not isinstance(rule, Mapping) or not isinstance(rule.get("Value"), str):
            raise InvalidS3EventConfig(f"S3 filter rule must have a Name and a Value: {rule!r}")
        name = str(rule.get("Name", "")).lower()
        if name not in ("prefix", "suffix"):
            raise InvalidS3EventConfig("filter rule name must be either prefix or suffix")
        if name in found:
            raise InvalidS3EventConfig(f"Cannot specify more than one {name} rule in a filter.")
        found[name] = rule["Value"]
    return found.get("prefix"), found.get("suffix")


def _filter_rules(value: object) -> Sequence[object]:
    """The rule list inside a NotificationFilter."""
    s3_key = value.get("S3Key") if isinstance(value, Mapping) else None
    rules = s3_key.get("Rules") if isinstance(s3_key, Mapping) else None
    if not isinstance(rules, list):
        raise InvalidS3EventConfig("S3 event Filter must be {S3Key: {Rules: [...]}}")
    return rules


def matches(subscription: S3Subscription, event_name: str, key: str) -> bool:
    """Whether S3 would notify this subscription of an event (`ObjectCreated:Put`) on `key`.

    `key` is the object's real key. S3 compares prefix and suffix rules with the key as it is
    written in the event (URL encoded): a rule for a key with special characters has to be
    written encoded (aws/aws-cdk#28012: a prefix with "=" matched only as "%3D").
    """
    bare = event_name.removeprefix("s3:")
    if not any(_event_matches(pattern, bare) for pattern in subscription.events):
        return False
    encoded = encode_key(key)
    if subscription.prefix is not None and not encoded.startswith(subscription.prefix):
        return False
    return subscription.suffix is None or encoded.endswith(subscription.suffix)


def _event_matches(pattern: str, bare_event_name: str) -> bool:
    """`s3:ObjectCreated:*` covers every `ObjectCreated:...`; other patterns match exactly."""
    bare_pattern = pattern.removeprefix("s3:")
    if bare_pattern.endswith(":*"):
        return bare_event_name.startswith(bare_pattern[:-1])
    return bare_pattern == bare_event_name
