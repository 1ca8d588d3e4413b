"""The work the Python tasks do: pure functions of a task description, no AWS in sight."""

from __future__ import annotations

import collections
import csv
import io
import re
import statistics
from collections.abc import Callable
from typing import Any

# Letters, with inner apostrophes (straight or typographic): "don't" is one word.
WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")


class TaskInputError(ValueError):
    """The task's input cannot be processed; retrying will not help."""


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _column_stats(values: list[str]) -> dict[str, Any]:
    present = [v for v in values if v.strip() != ""]
    numbers = [n for n in map(_number, present) if n is not None]
    stats: dict[str, Any] = {"count": len(present), "missing": len(values) - len(present)}
    if present and len(numbers) == len(present):
        stats.update(
            type="number",
            min=min(numbers),
            max=max(numbers),
            mean=round(statistics.fmean(numbers), 6),
            sum=round(sum(numbers), 6),
        )
    else:
        top = collections.Counter(present).most_common(3)
        stats.update(type="text", distinct=len(set(present)), top=[v for v, _ in top])
    return stats


def csv_stats(task: dict[str, Any]) -> dict[str, Any]:
    """Row count and per-column statistics; every row must have the header's number of fields."""
    rows = list(csv.reader(io.StringIO(task["csv"]), delimiter=task.get("delimiter", ",")))
    rows = [row for row in rows if row]
    if not rows:
        raise TaskInputError("the CSV document is empty")
    header, body = rows[0], rows[1:]
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise TaskInputError(
                f"CSV row {number} has {len(row)} fields, the header has {len(header)}"
            )
    columns = {name: _column_stats([row[i] for row in body]) for i, name in enumerate(header)}
    return {"rows": len(body), "columns": columns}


def word_count(task: dict[str, Any]) -> dict[str, Any]:
    """Total and distinct words (case-insensitive) and the most frequent ones."""
    words = [w.lower() for w in WORD.findall(task["text"])]
    counts = collections.Counter(words)
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[: task.get("top", 10)]
    return {
        "words": len(words),
        "distinctWords": len(counts),
        "lines": len(task["text"].splitlines()),
        "top": [{"word": word, "count": count} for word, count in top],
    }


def _sorted(records: list[dict[str, Any]], field: str, descending: bool) -> list[dict[str, Any]]:
    """Records sorted by a field (numbers apart from text); records without the field last."""
    present = [r for r in records if r.get(field) is not None]
    missing = [r for r in records if r.get(field) is None]

    def key(record: dict[str, Any]) -> tuple[int, Any]:
        value = record[field]
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return (0, value) if is_number else (1, str(value))

    return sorted(present, key=key, reverse=descending) + missing


def transform(task: dict[str, Any]) -> dict[str, Any]:
    """Keep the selected fields, rename them, and sort the records."""
    records: list[dict[str, Any]] = task["records"]
    selected = task.get("select")
    if selected is not None:
        records = [{f: r[f] for f in selected if f in r} for r in records]
    rename: dict[str, str] = task.get("rename") or {}
    records = [{rename.get(f, f): v for f, v in r.items()} for r in records]
    sort_by = task.get("sortBy")
    if sort_by is not None:
        records = _sorted(records, sort_by, bool(task.get("descending")))
    return {"count": len(records), "records": records}


WORK: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "csv-stats": csv_stats,
    "word-count": word_count,
    "transform": transform,
}
