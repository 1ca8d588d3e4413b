"""The dashboard's JSON under /_lambdock/api/ and the page itself, against the fake backend."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import StorageError
from emulator.inspection import ObjectInfo
from tests.fakes import FakeContext
from tests.unit.api.conftest import AppFactory, function

INVOKE = "/2015-03-31/functions/{}/invocations"
API = "/_lambdock/api"
WITH_ROUTE = function(
    "Hello",
    "app.hello",
    Events="{Get: {Type: HttpApi, Properties: {Path: /hello, Method: get}}, "
    "Nightly: {Type: Schedule, Properties: {Schedule: rate(1 day)}}}",
)


def hello(event: Any, context: FakeContext) -> Any:
    context.print(f"hello {event.get('name', 'world')}")
    return {"ok": True}


def fail(event: Any, context: FakeContext) -> Any:
    raise ValueError("failed on purpose")


HANDLERS = {"app.hello": hello, "app.fail": fail}


async def invoke(client: Any, name: str, event: dict[str, Any] | None = None) -> str:
    response = await client.post(INVOKE.format(name), json=event or {})
    request_id: str = response.headers["x-amzn-RequestId"]
    return request_id


async def test_overview_lists_functions_with_routes_triggers_and_latency(
    make_app: AppFactory,
) -> None:
    async with make_app(WITH_ROUTE, HANDLERS) as running:
        await invoke(running.client, "Hello")
        await invoke(running.client, "Hello")
        overview = (await running.client.get(f"{API}/overview")).json()
    (hello_view,) = overview["functions"]
    assert (overview["backend"], overview["storage"], overview["cursor"]) == ("fake", False, 2)
    assert overview["watch"] is None
    assert hello_view["routes"] == [
        {"name": "Get", "api": "HttpApi", "method": "GET", "path": "/hello"}
    ]
    assert hello_view["triggers"] == [
        {"name": "Nightly", "type": "Schedule", "detail": "rate(1 day)"}
    ]
    assert len(hello_view["environments"]) == 1
    stats = hello_view["stats"]
    assert (stats["invocations"], stats["errors"], stats["coldStarts"]) == (2, 0, 1)
    assert [(point["cold"], point["status"]) for point in stats["chart"]] == [
        (True, "ok"),
        (False, "ok"),
    ]
    assert stats["p50Ms"] == min(point["ms"] for point in stats["chart"])


async def test_invocations_come_with_their_summary_and_lines(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        request_id = await invoke(running.client, "Hello", {"name": "ada"})
        found = (await running.client.get(f"{API}/invocations?lines=1")).json()
    (view,) = found["invocations"]
    assert found["cursor"] == 1
    assert {k: view[k] for k in ("sequence", "requestId", "functionName", "status", "cold")} == {
        "sequence": 1,
        "requestId": request_id,
        "functionName": "Hello",
        "status": "ok",
        "cold": True,
    }
    assert (view["maxMemoryMb"], view["memorySize"], view["errorType"]) == (42, 128, None)
    assert view["lines"][0] == f"START RequestId: {request_id} Version: $LATEST"
    assert view["lines"][1] == "hello ada"
    assert view["lines"][-1].startswith(f"REPORT RequestId: {request_id}\tDuration: ")


async def test_a_cursor_returns_only_newer_invocations(make_app: AppFactory) -> None:
    resources = function("Hello", "app.hello") + function("Fail", "app.fail")
    async with make_app(resources, HANDLERS) as running:
        await invoke(running.client, "Hello")
        cursor = (await running.client.get(f"{API}/invocations")).json()["cursor"]
        failed = await invoke(running.client, "Fail")
        newer = (await running.client.get(f"{API}/invocations?after={cursor}")).json()
    assert [(v["requestId"], v["status"], v["errorType"]) for v in newer["invocations"]] == [
        (failed, "error", "ValueError")
    ]
    assert "lines" not in newer["invocations"][0]


async def test_a_filter_keeps_matching_lines_of_matching_invocations(
    make_app: AppFactory,
) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        await invoke(running.client, "Hello", {"name": "ada"})
        grace = await invoke(running.client, "Hello", {"name": "grace"})
        found = (await running.client.get(f"{API}/invocations?function=Hello&filter=grace")).json()
    assert [(v["requestId"], v["lines"]) for v in found["invocations"]] == [
        (grace, ["hello grace"])
    ]


async def test_since_is_in_epoch_milliseconds(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        await invoke(running.client, "Hello")
        started = (await running.client.get(f"{API}/invocations")).json()["invocations"][0]
        later = started["startedAt"] + 1
        none = (await running.client.get(f"{API}/invocations?since={later}")).json()
        some = (await running.client.get(f"{API}/invocations?since={later - 1}")).json()
    assert (len(none["invocations"]), len(some["invocations"])) == (0, 1)


async def test_an_unknown_function_is_404_as_lambda_words_it(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        response = await running.client.get(f"{API}/invocations?function=Nope")
    assert response.status_code == 404
    assert response.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert response.json()["message"] == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:Nope"
    )


async def test_one_invocation_has_all_its_lines(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        request_id = await invoke(running.client, "Hello")
        found = await running.client.get(f"{API}/invocations/{request_id}")
        missing = await running.client.get(f"{API}/invocations/no-such-id")
    assert found.json()["lines"][1] == "hello world"
    assert missing.status_code == 404


async def test_streams_are_one_per_environment(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        await invoke(running.client, "Hello")
        await invoke(running.client, "Hello")
        (env,) = running.services.pool.environments("Hello")
        found = (await running.client.get(f"{API}/functions/Hello/streams")).json()
    assert found["logGroupName"] == "/aws/lambda/Hello"
    assert [(s["logStreamName"], s["invocations"]) for s in found["logStreams"]] == [
        (env.log_stream_name, 2)
    ]


async def test_the_queue_shows_how_many_events_wait(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        found = (await running.client.get(f"{API}/queue")).json()
    assert found == {"pending": 0}


@dataclass
class FakeBrowser:
    objects: dict[str, list[ObjectInfo]] = field(default_factory=dict)

    async def list_buckets(self) -> list[str]:
        return sorted(self.objects)

    async def list_objects(self, bucket: str, prefix: str, limit: int) -> list[ObjectInfo]:
        return [o for o in self.objects[bucket] if o.key.startswith(prefix)][:limit]


BUCKET = """\
Data:
  Type: AWS::S3::Bucket
  Properties:
    BucketName: data-bucket
"""


async def test_buckets_are_the_templates_without_storage(make_app: AppFactory) -> None:
    async with make_app(BUCKET + function("Hello", "app.hello"), HANDLERS) as running:
        found = (await running.client.get(f"{API}/buckets")).json()
        objects = await running.client.get(f"{API}/buckets/data-bucket/objects")
    assert found == {
        "storage": False,
        "error": None,
        "buckets": [{"bucketName": "data-bucket", "logicalId": "Data", "exists": None}],
    }
    assert objects.status_code == 404


async def test_objects_are_listed_through_the_storage_browser(make_app: AppFactory) -> None:
    browser = FakeBrowser(
        {
            "data-bucket": [
                ObjectInfo("in/a.csv", 10, "2024-05-01T00:00:00+00:00", '"e1"'),
                ObjectInfo("out/a.json", 20, None, None),
            ],
            "other": [],
        }
    )
    async with make_app(BUCKET + function("Hello", "app.hello"), HANDLERS) as running:
        running.services.bucket_browser = browser
        found = (await running.client.get(f"{API}/buckets")).json()
        listed = (await running.client.get(f"{API}/buckets/data-bucket/objects?prefix=in/")).json()
    assert found["buckets"] == [
        {"bucketName": "data-bucket", "logicalId": "Data", "exists": True},
        {"bucketName": "other", "logicalId": None, "exists": True},
    ]
    assert listed == {
        "bucket": "data-bucket",
        "prefix": "in/",
        "objects": [
            {
                "key": "in/a.csv",
                "size": 10,
                "lastModified": "2024-05-01T00:00:00+00:00",
                "eTag": '"e1"',
            }
        ],
    }


async def test_sample_events_follow_the_functions_route(make_app: AppFactory) -> None:
    async with make_app(WITH_ROUTE, HANDLERS) as running:
        sources = (await running.client.get(f"{API}/events")).json()
        event = (await running.client.get(f"{API}/events/apigw-v2?function=Hello")).json()
        unknown = await running.client.get(f"{API}/events/kinesis")
    assert sources == {"sources": ["apigw-v1", "apigw-v2", "s3-delete", "s3-put", "schedule"]}
    assert (event["routeKey"], event["rawPath"]) == ("GET /hello", "/hello")
    assert unknown.status_code == 404


async def test_the_dashboard_page_and_its_files_are_served(make_app: AppFactory) -> None:
    async with make_app(function("Hello", "app.hello"), HANDLERS) as running:
        bare = await running.client.get("/_lambdock", follow_redirects=False)
        page = await running.client.get("/_lambdock/")
        script = await running.client.get("/_lambdock/static/dashboard.js")
        style = await running.client.get("/_lambdock/static/dashboard.css")
        unknown = await running.client.get("/_lambdock/static/notes.txt")
        escaping = await running.client.get("/_lambdock/static/..%2Fdashboard.py")
    assert (bare.status_code, bare.headers["location"]) == (308, "/_lambdock/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script src="static/dashboard.js" defer></script>' in page.text
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert style.headers["content-type"] == "text/css; charset=utf-8"
    assert unknown.status_code == 404
    assert escaping.status_code != 200 and "import" not in escaping.text


class BrokenBrowser:
    async def list_buckets(self) -> list[str]:
        raise StorageError("cannot list http://127.0.0.1:9000: connection refused")

    async def list_objects(self, bucket: str, prefix: str, limit: int) -> list[ObjectInfo]:
        raise StorageError("cannot list http://127.0.0.1:9000: connection refused")


async def test_storage_that_does_not_answer_is_reported_not_raised(make_app: AppFactory) -> None:
    async with make_app(BUCKET + function("Hello", "app.hello"), HANDLERS) as running:
        running.services.bucket_browser = BrokenBrowser()
        found = await running.client.get(f"{API}/buckets")
        listed = await running.client.get(f"{API}/buckets/data-bucket/objects")
    assert found.status_code == 200
    assert found.json()["error"] == "cannot list http://127.0.0.1:9000: connection refused"
    assert found.json()["buckets"][0]["exists"] is None
    assert (listed.status_code, listed.json()["error"]) == (
        502,
        "cannot list http://127.0.0.1:9000: connection refused",
    )


async def test_a_running_invocation_shows_on_its_environment(make_app: AppFactory) -> None:
    gate = asyncio.Event()

    async def wait(event: Any, context: FakeContext) -> Any:
        await gate.wait()
        return {}

    async with make_app(function("Wait", "app.wait"), {"app.wait": wait}) as running:
        call = asyncio.create_task(running.client.post(INVOKE.format("Wait"), json={}))
        for _ in range(200):
            overview = (await running.client.get(f"{API}/overview")).json()
            (env,) = overview["functions"][0]["environments"] or [None]
            if env is not None and env["running"] is not None:
                break
            await asyncio.sleep(0.01)
        gate.set()
        request_id = (await call).headers["x-amzn-RequestId"]
        after = (await running.client.get(f"{API}/overview")).json()
    assert env is not None
    assert (env["state"], env["running"]["requestId"]) == ("busy", request_id)
    assert after["functions"][0]["environments"][0]["running"] is None
