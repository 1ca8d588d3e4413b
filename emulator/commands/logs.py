"""`lambdock logs FUNCTION`: a function's logs from a running lambdock, like `sam logs` or
`aws logs tail`: `--since 10m`, `--filter TEXT` (lines containing TEXT), `--follow`."""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TextIO

import httpx

from emulator import wire
from emulator.console import colour_supported, format_timestamp, paint, short_id

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
POLL_SECONDS = 1.0
REQUEST_TIMEOUT_SECONDS = 10.0
# `aws logs tail --since` units: seconds, minutes, hours, days, weeks.
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_RELATIVE = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def add_parser(commands: Any) -> None:
    """Register the subcommand and its options."""
    parser = commands.add_parser("logs", help="print a function's logs from a running lambdock")
    parser.add_argument("function")
    parser.add_argument("--follow", "-f", action="store_true", help="keep printing new logs")
    parser.add_argument("--since", default=None, help="10m, 2h, 1d, or a time (UTC)")
    parser.add_argument("--filter", default=None, help="only lines containing this text")
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="the running lambdock")


def parse_since(text: str, now: float) -> float:
    """Epoch seconds for `--since`: a duration back from `now`, or an ISO 8601 time (UTC when
    it names no zone)."""
    relative = _RELATIVE.fullmatch(text.strip())
    if relative:
        return now - float(relative.group(1)) * _UNITS[relative.group(2)]
    try:
        moment = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--since wants 10m, 2h, 1d or an ISO 8601 time, got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def format_invocation(invocation: Mapping[str, Any], *, colour: bool = False) -> list[str]:
    """An invocation's lines, each after its start time and short request id."""
    stamp = format_timestamp(invocation["startedAt"] / 1000)
    tag = paint(short_id(invocation["requestId"]), "2", colour=colour)
    return [f"{stamp} {tag} {line}" for line in invocation.get("lines", [])]


class LogsClient:
    """Reads invocations from lambdock's admin API, keeping the cursor between calls."""

    def __init__(self, client: httpx.Client, function_name: str, *, text: str | None) -> None:
        self._client = client
        self._function = function_name
        self._text = text
        self.cursor = 0

    def fetch(self, since: float | None) -> list[dict[str, Any]]:
        """Invocations newer than the cursor; advances it. Raises LookupError for 404."""
        params: dict[str, str | int] = {"function": self._function, "lines": 1}
        if self.cursor:
            params["after"] = self.cursor
        elif since is not None:
            params["since"] = int(since * 1000)
        if self._text:
            params["filter"] = self._text
        response = self._client.get(f"{wire.ADMIN_PREFIX}/api/invocations", params=params)
        if response.status_code == 404:
            raise LookupError(response.json().get("message", "not found"))
        response.raise_for_status()
        document = response.json()
        self.cursor = max(self.cursor, int(document["cursor"]))
        invocations: list[dict[str, Any]] = document["invocations"]
        return invocations


def print_all(invocations: Iterable[Mapping[str, Any]], out: TextIO, *, colour: bool) -> None:
    """Write the invocations' lines."""
    for invocation in invocations:
        for line in format_invocation(invocation, colour=colour):
            out.write(line + "\n")
    out.flush()


def run(
    args: argparse.Namespace,
    *,
    now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Print the logs once, or keep printing them with --follow until interrupted."""
    try:
        since = parse_since(args.since, now()) if args.since else None
    except ValueError as exc:
        print(f"lambdock: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    colour = colour_supported(sys.stdout, os.environ)
    base = args.url.rstrip("/")
    client = httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT_SECONDS, transport=transport)
    with client as http:
        reader = LogsClient(http, args.function, text=args.filter)
        try:
            print_all(reader.fetch(since), sys.stdout, colour=colour)
            while args.follow:
                sleep(POLL_SECONDS)
                print_all(reader.fetch(since), sys.stdout, colour=colour)
        except LookupError as exc:
            print(f"lambdock: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except httpx.HTTPError as exc:
            print(f"lambdock: no answer from lambdock at {base} ({exc})", file=sys.stderr)
            return EXIT_FAILED
        except KeyboardInterrupt:
            return 0
    return 0
