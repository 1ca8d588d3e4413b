"""The task descriptions POST /tasks accepts: one pydantic model per kind, told apart by `kind`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, TypeAdapter

# API Gateway accepts bodies up to 10 MB; a task that large belongs in S3 before it is submitted.
MAX_TEXT = 1_000_000
MAX_RECORDS = 10_000


class _Task(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class CsvStatsTask(_Task):
    """Per-column statistics of a CSV document whose first row names the columns."""

    kind: Literal["csv-stats"]
    csv: str = Field(min_length=1, max_length=MAX_TEXT)
    delimiter: str = Field(",", min_length=1, max_length=1)


class WordCountTask(_Task):
    """Word counts of a text, with its most frequent words."""

    kind: Literal["word-count"]
    text: str = Field(max_length=MAX_TEXT)
    top: int = Field(10, ge=1, le=100)


class TransformTask(_Task):
    """Records reshaped: fields kept, renamed, and the records sorted."""

    kind: Literal["transform"]
    records: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_RECORDS)
    select: list[str] | None = None
    rename: dict[str, str] = Field(default_factory=dict)
    sort_by: str | None = Field(None, alias="sortBy")
    descending: bool = False


class FetchUrlTask(_Task):
    """JSON fetched from a URL and summed up (the JavaScript task)."""

    kind: Literal["fetch-url"]
    url: AnyHttpUrl


TaskDescription = Annotated[
    CsvStatsTask | WordCountTask | TransformTask | FetchUrlTask, Field(discriminator="kind")
]
TASK_DESCRIPTION: TypeAdapter[TaskDescription] = TypeAdapter(TaskDescription)
