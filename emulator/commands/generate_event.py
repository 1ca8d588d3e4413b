"""`lambdock generate-event SOURCE`: print an AWS-shaped sample event to feed `lambdock invoke`."""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from typing import Any

from emulator.commands.sample_events import SOURCES, SampleOptions, Stamp


def add_parser(commands: Any) -> None:
    """Register the subcommand and its options."""
    parser = commands.add_parser(
        "generate-event",
        help="print a sample event (API Gateway, S3, schedule) as AWS sends it",
        description="Print a sample event as AWS sends it, e.g. "
        "`lambdock generate-event apigw-v2 --path /hello | lambdock invoke Fn -e -`.",
    )
    parser.add_argument("source", choices=sorted(SOURCES))
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--account-id", default="123456789012")
    api = parser.add_argument_group("apigw-v1, apigw-v2")
    api.add_argument("--method", default="GET")
    api.add_argument("--path", default="/")
    api.add_argument("--query", default="", help="raw query string, e.g. a=1&b=2")
    api.add_argument("--body", default=None)
    api.add_argument("--header", action="append", default=[], metavar="NAME:VALUE")
    api.add_argument("--stage", default="Prod", help="REST API stage (apigw-v1)")
    s3 = parser.add_argument_group("s3-put, s3-delete")
    s3.add_argument("--bucket", default="example-bucket")
    s3.add_argument("--key", default="test/key")
    s3.add_argument("--size", type=int, default=1024)
    parser.add_argument("--rule", default="my-schedule", help="rule name (schedule)")


def options_from(args: argparse.Namespace) -> SampleOptions:
    """The sample options the command line chose."""
    headers = {}
    for item in args.header:
        name, sep, value = item.partition(":")
        if not sep:
            raise SystemExit(f"lambdock: --header wants NAME:VALUE, got {item!r}")
        headers[name.strip()] = value.strip()
    return SampleOptions(
        region=args.region,
        account_id=args.account_id,
        method=args.method,
        path=args.path if args.path.startswith("/") else "/" + args.path,
        query=args.query.lstrip("?"),
        body=args.body,
        headers=headers,
        stage=args.stage,
        bucket=args.bucket,
        key=args.key,
        size=args.size,
        rule=args.rule,
    )


def new_stamp() -> Stamp:
    """The current time and fresh ids."""
    return Stamp(int(time.time() * 1000), str(uuid.uuid4()), uuid.uuid4().hex)


def run(args: argparse.Namespace) -> int:
    """Print the event as indented JSON."""
    event = SOURCES[args.source](new_stamp(), options_from(args))
    sys.stdout.write(json.dumps(event, indent=2) + "\n")
    return 0
