"""`lambdock init [FOLDER]`: a starter SAM project that `lambdock up` serves at once and that
`sam deploy --guided` deploys unchanged: one Python function behind one HTTP API route, one
bucket, a sample event, and a test that runs against lambdock with the pytest plugin."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from emulator.commands.generate_event import new_stamp
from emulator.commands.sample_events import SampleOptions, apigw_v2

EXIT_BAD_INPUT = 2

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Description: {name}, started with `lambdock init`.

Globals:
  Function:
    Runtime: python3.12
    Timeout: 10
    MemorySize: 128

Resources:
  DataBucket:
    Type: AWS::S3::Bucket

  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Environment:
        Variables:
          BUCKET_NAME: !Ref DataBucket
      Policies:
        - S3CrudPolicy:
            BucketName: !Ref DataBucket
      Events:
        Hello:
          Type: HttpApi
          Properties:
            Path: /hello
            Method: GET
"""

HANDLER = '''\
"""GET /hello through the HTTP API (payload format 2.0): a greeting as JSON."""

import json
import os


def handler(event, context):
    name = (event.get("queryStringParameters") or {}).get("name", "world")
    print(f"saying hello to {name}")
    body = {"message": f"hello, {name}", "bucket": os.environ.get("BUCKET_NAME")}
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }
'''

TEST = '''\
"""Runs against lambdock with its pytest plugin: `pytest` in this folder, no AWS account."""


def test_hello_greets_by_name(lambdock):
    api = lambdock.http()
    response = api.get("/hello", params={"name": "lambdock"})
    assert response.status_code == 200
    assert response.json()["message"] == "hello, lambdock"
'''

README = """\
# {name}

Started with `lambdock init`.

    lambdock up                    # serve the API and the function; edits are live at once
    curl http://127.0.0.1:3000/hello?name=you
    lambdock invoke HelloFunction -e events/hello.json
    lambdock logs HelloFunction --follow
    pytest                         # the tests, against lambdock (pytest plugin)

The dashboard is at http://127.0.0.1:3000/_lambdock/. Deploy to AWS with `sam deploy --guided`.
"""

GITIGNORE = ".lambdock/\n.aws-sam/\n__pycache__/\n.pytest_cache/\n"
PYTEST_INI = "[pytest]\ntestpaths = tests\n"


def add_parser(commands: Any) -> None:
    """Register the subcommand."""
    parser = commands.add_parser("init", help="create a starter SAM project")
    parser.add_argument("folder", nargs="?", type=Path, default=Path("."))


def project_files(name: str) -> dict[str, str]:
    """The starter project's files by relative path."""
    event = apigw_v2(new_stamp(), SampleOptions(path="/hello", query="name=lambdock"))
    return {
        "template.yaml": TEMPLATE.format(name=name),
        "src/app.py": HANDLER,
        "tests/test_app.py": TEST,
        "events/hello.json": json.dumps(event, indent=2) + "\n",
        "README.md": README.format(name=name),
        ".gitignore": GITIGNORE,
        "pytest.ini": PYTEST_INI,
    }


def create_project(folder: Path) -> list[Path]:
    """Write the starter into `folder`; refuses (FileExistsError) to overwrite any file."""
    files = project_files(folder.resolve().name)
    taken = [folder / path for path in files if (folder / path).exists()]
    if taken:
        raise FileExistsError(", ".join(str(path) for path in taken))
    written = []
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def run(args: argparse.Namespace) -> int:
    """Create the project and say what to do next."""
    try:
        written = create_project(args.folder)
    except FileExistsError as exc:
        print(f"lambdock: init would overwrite {exc}; choose an empty folder", file=sys.stderr)
        return EXIT_BAD_INPUT
    for path in written:
        print(f"  created {path}")
    where = "" if args.folder == Path(".") else f"cd {args.folder} && "
    print(f"lambdock: next: {where}lambdock up   (then open http://127.0.0.1:3000/_lambdock/)")
    return 0
