"""The dashboard's read-only bucket browsing against a real MinIO."""

from __future__ import annotations

import io

from emulator.inspection import MinioBrowser
from emulator.storage.buckets import create_buckets
from emulator.storage.endpoint import minio_client
from tests.integration.storage.support import RunningMinio


async def test_the_browser_lists_buckets_and_objects_under_a_prefix(
    minio: RunningMinio, bucket_name: str
) -> None:
    endpoint = minio.server.endpoint
    await create_buckets(endpoint, [bucket_name])
    with minio_client(endpoint) as client:
        for key in ("in/a.csv", "in/b.csv", "out/a.json"):
            client.put_object(bucket_name, key, io.BytesIO(b"12345"), 5)
    browser = MinioBrowser(endpoint)
    buckets = await browser.list_buckets()
    listed = await browser.list_objects(bucket_name, "in/", 10)
    first = await browser.list_objects(bucket_name, "", 1)
    assert bucket_name in buckets
    assert [(o.key, o.size) for o in listed] == [("in/a.csv", 5), ("in/b.csv", 5)]
    assert all(o.last_modified and o.etag for o in listed)
    assert [o.key for o in first] == ["in/a.csv"]
