"""Lambda's recursive loop detection: count a function's invocations along one chain (pure).

AWS Lambda developer guide, "Use Lambda recursive loop detection to prevent infinite loops":
Lambda follows a chain of requests (invocations caused by the same triggering event) through
the X-Ray trace header. A function writing to a supported service (Amazon SQS, Amazon SNS,
Amazon S3) with a supported SDK sends that header along; the event it causes carries it back
to Lambda, which counts how many times the function has run in the chain. When a function
would run more than 16 times in one chain, Lambda stops that invocation, drops the event (to
the function's on-failure destination or dead-letter queue, where configured) and notifies.

The count travels in the trace header's `Lineage` field, one `<function hash>:<count>` entry
per function of the chain joined by `|` (as in `Root=1-...;Sampled=1;Lineage=a87bd80c:1|
68fd508a:5`, the form OpenTelemetry's X-Ray propagator reads). AWS does not document the hash;
here it is the first 8 hex digits of SHA-256 of the function's ARN.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_INVOCATIONS_PER_CHAIN = 16


@dataclass(frozen=True)
class TraceHeader:
    """An X-Ray trace header: Root, Parent, Sampled, Lineage and any other fields, in order."""

    root: str
    parent: str | None = None
    sampled: str | None = None
    lineage: dict[str, int] = field(default_factory=dict)
    others: tuple[tuple[str, str], ...] = ()

    def render(self) -> str:
        """The header's text: `Root=...;Parent=...;Sampled=...;Lineage=...`."""
        parts = [f"Root={self.root}"]
        if self.parent:
            parts.append(f"Parent={self.parent}")
        if self.sampled is not None:
            parts.append(f"Sampled={self.sampled}")
        if self.lineage:
            parts.append("Lineage=" + "|".join(f"{h}:{n}" for h, n in self.lineage.items()))
        parts.extend(f"{key}={value}" for key, value in self.others)
        return ";".join(parts)


@dataclass(frozen=True)
class ChainStep:
    """The trace an invocation runs with, and its place in the chain for this function."""

    trace_header: str
    count: int

    @property
    def stopped(self) -> bool:
        """Whether Lambda would stop this invocation as part of a recursive loop."""
        return self.count >= MAX_INVOCATIONS_PER_CHAIN


def parse_trace_header(text: str) -> TraceHeader | None:
    """Parse `Root=...;Parent=...;Sampled=...;Lineage=...`; None without a Root."""
    fields: dict[str, str] = {}
    others: list[tuple[str, str]] = []
    for part in text.split(";"):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key in ("Root", "Parent", "Sampled", "Lineage"):
            fields[key] = value
        elif key != "Self":  # ALB's own segment id is not propagated (X-Ray SDKs drop it)
            others.append((key, value))
    if not fields.get("Root"):
        return None
    return TraceHeader(
        root=fields["Root"],
        parent=fields.get("Parent"),
        sampled=fields.get("Sampled"),
        lineage=parse_lineage(fields.get("Lineage", "")),
        others=tuple(others),
    )


def parse_lineage(text: str) -> dict[str, int]:
    """`hash:count|hash:count` as a mapping; malformed entries are left out."""
    lineage: dict[str, int] = {}
    for entry in text.split("|"):
        function_hash, sep, count = entry.rpartition(":")
        if sep and function_hash and count.isdigit():
            lineage[function_hash.rpartition(":")[2]] = int(count)
    return lineage


def function_hash(function_arn: str) -> str:
    """The lineage key of a function."""
    return hashlib.sha256(function_arn.encode("utf-8")).hexdigest()[:8]


def next_step(
    cause: str | None,
    function_arn: str,
    *,
    new_root: Callable[[], str],
    new_parent: Callable[[], str] = lambda: os.urandom(8).hex(),
) -> ChainStep:
    """The trace of an invocation caused by a write that carried trace header `cause`.

    Without a cause (a write from outside any function) a new chain starts. Otherwise the
    invocation continues the writer's trace and this function's count goes up by one.
    """
    parent = parse_trace_header(cause) if cause else None
    key = function_hash(function_arn)
    if parent is None:
        header = TraceHeader(root=new_root(), parent=new_parent(), sampled="0", lineage={key: 0})
        return ChainStep(header.render(), 0)
    count = parent.lineage[key] + 1 if key in parent.lineage else 0
    header = TraceHeader(
        root=parent.root,
        parent=new_parent(),
        sampled=parent.sampled if parent.sampled is not None else "0",
        lineage={**parent.lineage, key: count},
        others=parent.others,
    )
    return ChainStep(header.render(), count)


def new_root(epoch_seconds: float) -> str:
    """A new X-Ray trace ID: `1-<epoch seconds, 8 hex>-<96 random bits, 24 hex>`."""
    return f"1-{int(epoch_seconds):08x}-{os.urandom(12).hex()}"
