"""Function logs on disk, bounded: one JSON Lines file per function, rotated by size.

Each line is one finished invocation: its summary and its log lines (START..REPORT). A function's
file is rotated to `<name>.1.jsonl` (replacing the previous one) once it passes half the budget,
so a function never holds more than `max_bytes` on disk. One invocation's record is cut to a
share of the budget by dropping lines from its middle, keeping START and the END/REPORT lines.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import IO, Any

from emulator.logs import InvocationSummary

log = logging.getLogger("lambdock.logs")

MAX_BYTES_PER_FUNCTION = 8 * 1024 * 1024
# One line of a function's output kept on disk (CloudWatch's event size limit is 256 KB).
MAX_LINE_CHARS = 16 * 1024
SUFFIX = ".jsonl"
ROTATED_SUFFIX = ".1.jsonl"
# Lambda function names are letters, digits, hyphens and underscores; anything else is replaced.
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_SUMMARY_FIELDS = frozenset(field.name for field in fields(InvocationSummary))


class LogArchive:
    """A folder of per-function log files, each bounded by `max_bytes`."""

    def __init__(self, directory: Path, *, max_bytes: int = MAX_BYTES_PER_FUNCTION) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self._files: dict[str, IO[bytes]] = {}
        self._failed = False

    def path(self, function_name: str) -> Path:
        """The file holding a function's newest records."""
        return self.directory / (_UNSAFE.sub("_", function_name) + SUFFIX)

    def append(self, summary: InvocationSummary, lines: Sequence[str]) -> None:
        """Write one invocation; a disk that refuses is reported once and then left alone."""
        if self._failed:
            return
        record = encode_record(summary, lines, max_chars=self.max_bytes // 4).encode()
        try:
            self._write(summary.function_name, record)
        except OSError as exc:
            self._failed = True
            log.warning("lambdock: cannot keep logs in %s: %s", self.directory, exc.strerror)

    def _write(self, function_name: str, record: bytes) -> None:
        target = self.path(function_name)
        handle = self._files.get(function_name)
        if handle is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle = self._files[function_name] = target.open("ab")
        if handle.tell() + len(record) > self.max_bytes // 2 and handle.tell() > 0:
            handle.close()
            target.replace(target.with_name(target.name[: -len(SUFFIX)] + ROTATED_SUFFIX))
            handle = self._files[function_name] = target.open("ab")
        handle.write(record)
        handle.flush()

    def load(self) -> list[tuple[InvocationSummary, list[str]]]:
        """Every record kept, of every function, oldest file first; unreadable lines skipped."""
        if not self.directory.is_dir():
            return []
        records = []
        rotated = sorted(self.directory.glob("*" + ROTATED_SUFFIX))
        current = [p for p in sorted(self.directory.glob("*" + SUFFIX)) if p not in rotated]
        for path in [*rotated, *current]:
            records.extend(_read(path))
        return records

    def close(self) -> None:
        """Close the open files."""
        for handle in self._files.values():
            handle.close()
        self._files.clear()


def encode_record(summary: InvocationSummary, lines: Sequence[str], *, max_chars: int) -> str:
    """One JSON line for an invocation, at most about `max_chars` long: lines are dropped from
    the middle first (START and the closing END/REPORT stay), then shortened."""
    kept = [line[:MAX_LINE_CHARS] for line in lines]
    text = _dump(summary, kept, 0)
    dropped = 0
    while len(text) > max_chars and len(kept) > 4:
        middle, count = len(kept) // 2, max(1, (len(kept) - 4) // 2)
        del kept[middle - count // 2 : middle - count // 2 + count]
        dropped += count
        text = _dump(summary, kept, dropped)
    if len(text) > max_chars:
        share = max(80, max_chars // (8 * max(1, len(kept))))
        text = _dump(summary, [line[:share] for line in kept], dropped)
    return text


def _dump(summary: InvocationSummary, lines: list[str], dropped: int) -> str:
    if dropped:
        middle = len(lines) // 2
        lines = [*lines[:middle], f"[lambdock: {dropped} lines left out]", *lines[middle:]]
    return json.dumps({"summary": asdict(summary), "lines": lines}) + "\n"


def decode_record(text: str) -> tuple[InvocationSummary, list[str]] | None:
    """The summary and lines of one JSON line, or None when it is not a record."""
    try:
        document: Any = json.loads(text)
        summary = {k: v for k, v in document["summary"].items() if k in _SUMMARY_FIELDS}
        lines = [str(line) for line in document["lines"]]
        return InvocationSummary(**summary), lines
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _read(path: Path) -> list[tuple[InvocationSummary, list[str]]]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    decoded = (decode_record(line) for line in text.splitlines() if line.strip())
    return [record for record in decoded if record is not None]
