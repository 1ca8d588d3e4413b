"""Physical names CloudFormation would give resources that do not name themselves."""

from __future__ import annotations

import hashlib
import re

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
_NOT_IN_BUCKET_NAMES = re.compile(r"[^a-z0-9-]+")


def generated_bucket_name(stack_name: str, logical_id: str) -> str:
    """The name CloudFormation gives an AWS::S3::Bucket without BucketName, with a stable tail.

    CloudFormation's tail is random; here it is derived from the stack name and the logical ID,
    so a restarted project finds its buckets again (a stack name is unique per account and
    region, as on AWS). Characters a bucket name cannot hold become hyphens.
    """
    stack = _NOT_IN_BUCKET_NAMES.sub("-", stack_name.lower()).strip("-") or "stack"
    logical = _NOT_IN_BUCKET_NAMES.sub("-", logical_id.lower()).strip("-") or "bucket"
    stack, logical = _share_room(stack, logical, _PARTS_ROOM)
    tail = _stable_tail(f"{stack_name}\0{logical_id}")
    return f"{stack.strip('-')}-{logical.strip('-')}-{tail}"


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


def generated_api_id(stack_name: str, logical_id: str) -> str:
    """A 10-character lower-case API id, like API Gateway's, stable for a stack and resource."""
    digest = hashlib.sha256(f"{stack_name}/{logical_id}".encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:10])
