"""`lambdock logs`: --since as `aws logs tail` takes it, the printed lines, and following with
a cursor, against a mock of lambdock's admin API."""

from __future__ import annotations

import argparse
import json
from typing import Any

import httpx
import pytest

from emulator.commands.logs import format_invocation, parse_since, run

NOW = 1_700_000_000.0


def invocation(sequence: int, request_id: str, *lines: str) -> dict[str, Any]:
    return {
        "sequence": sequence,
        "requestId": request_id,
        "functionName": "Hello",
        "startedAt": 1_700_000_000_123 + sequence,
        "lines": list(lines),
    }


def args(**changes: Any) -> argparse.Namespace:
    base = {"function": "Hello", "follow": False, "since": None, "filter": None}
    return argparse.Namespace(url="http://lambdock", **(base | changes))


class Admin:
    """Answers GET /_lambdock/api/invocations from a list of pages, recording the queries."""

    def __init__(self, *pages: tuple[int, list[dict[str, Any]]]) -> None:
        self.pages = list(pages)
        self.queries: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/_lambdock/api/invocations"
        self.queries.append(dict(request.url.params))
        cursor, invocations = self.pages.pop(0)
        return httpx.Response(200, json={"invocations": invocations, "cursor": cursor})


@pytest.mark.parametrize(
    ("text", "seconds_back"),
    [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1w", 604800), ("1.5m", 90)],
)
def test_since_takes_a_duration_back_from_now(text: str, seconds_back: float) -> None:
    assert parse_since(text, NOW) == NOW - seconds_back


def test_since_takes_an_iso_time_in_utc_unless_it_names_a_zone() -> None:
    assert parse_since("2023-11-14T22:13:20", NOW) == 1_700_000_000.0
    assert parse_since("2023-11-14T22:13:20Z", NOW) == 1_700_000_000.0
    assert parse_since("2023-11-14T23:13:20+01:00", NOW) == 1_700_000_000.0


def test_since_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="--since wants 10m, 2h, 1d or an ISO 8601 time"):
        parse_since("yesterday", NOW)


def test_each_line_follows_its_invocation_time_and_short_request_id() -> None:
    lines = format_invocation(
        invocation(1, "1a2b3c4d-aaaa", "START RequestId: 1a2b3c4d-aaaa", "hi")
    )
    assert lines == [
        "2023-11-14T22:13:20.124Z 1a2b3c4d START RequestId: 1a2b3c4d-aaaa",
        "2023-11-14T22:13:20.124Z 1a2b3c4d hi",
    ]


def test_logs_prints_every_line_and_asks_for_lines_of_the_function(
    capsys: pytest.CaptureFixture[str],
) -> None:
    admin = Admin((2, [invocation(1, "r1", "one"), invocation(2, "r2", "two")]))
    code = run(args(since="10m", filter="o"), now=lambda: NOW, transport=httpx.MockTransport(admin))
    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        "2023-11-14T22:13:20.124Z r1 one",
        "2023-11-14T22:13:20.125Z r2 two",
    ]
    assert admin.queries == [
        {"function": "Hello", "lines": "1", "since": str(int((NOW - 600) * 1000)), "filter": "o"}
    ]


def test_follow_asks_only_for_what_came_after_the_cursor(
    capsys: pytest.CaptureFixture[str],
) -> None:
    admin = Admin((5, [invocation(5, "r5", "five")]), (5, []), (7, [invocation(7, "r7", "seven")]))
    polls = iter(range(3))

    def sleep(seconds: float) -> None:
        if next(polls) == 2:
            raise KeyboardInterrupt

    code = run(args(follow=True), sleep=sleep, transport=httpx.MockTransport(admin))
    assert code == 0
    assert [query.get("after") for query in admin.queries] == [None, "5", "5"]
    assert capsys.readouterr().out.splitlines() == [
        "2023-11-14T22:13:20.128Z r5 five",
        "2023-11-14T22:13:20.130Z r7 seven",
    ]


def test_an_unknown_function_exits_2_with_lambdas_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    message = "Function not found: arn:aws:lambda:us-east-1:123456789012:function:Nope"

    def admin(request: httpx.Request) -> httpx.Response:
        body = {"Type": "User", "message": message}
        return httpx.Response(404, content=json.dumps(body))

    assert run(args(function="Nope"), transport=httpx.MockTransport(admin)) == 2
    assert capsys.readouterr().err == f"lambdock: {message}\n"


def test_no_lambdock_running_exits_1_saying_where_it_looked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    assert run(args(), transport=httpx.MockTransport(refused)) == 1
    assert "no answer from lambdock at http://lambdock" in capsys.readouterr().err
