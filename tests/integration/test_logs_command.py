"""`lambdock logs` against a real `lambdock up`: the function's invocations START..REPORT,
--filter and --since, --follow picking up new invocations, and logs kept across a restart; and
boto3's CloudWatch Logs client (what `aws logs tail --endpoint-url` uses) reading the same."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest

from tests.support import REPO, Lambdock, lambdock_up

WAIT_SECONDS = 20.0

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    CodeUri: src
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.hello
  Other:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.hello
"""

HANDLER = """\
def hello(event, context):
    print(f"hello {event['name']} from {context.function_name}")
    return {"ok": True}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("logs-project")
    (folder / "src").mkdir()
    (folder / "src" / "app.py").write_text(HANDLER)
    (folder / "template.yaml").write_text(TEMPLATE)
    return folder


@pytest.fixture(scope="module")
def running(project: Path) -> Iterator[Lambdock]:
    log = project.parent / "lambdock.log"
    args = ["--backend", "process", "--no-watch"]
    with lambdock_up(project / "template.yaml", log, args) as server:
        for name, function in (("ada", "Hello"), ("grace", "Hello"), ("bob", "Other")):
            invoke(server, function, name)
        yield server


def invoke(running: Lambdock, function: str, name: str) -> str:
    url = f"{running.base_url}/2015-03-31/functions/{function}/invocations"
    response = httpx.post(url, json={"name": name}, timeout=60)
    assert response.status_code == 200, response.text
    return response.headers["x-amzn-RequestId"]


def lambdock(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def message_lines(output: str) -> list[str]:
    """The log lines without their timestamp and short request id."""
    return [line.split(" ", 2)[2] for line in output.splitlines()]


def test_logs_prints_the_functions_invocations_start_to_report(running: Lambdock) -> None:
    done = lambdock("logs", "Hello", "--url", running.base_url)
    assert done.returncode == 0, done.stderr
    lines = message_lines(done.stdout)
    assert [line for line in lines if line.startswith("hello ")] == [
        "hello ada from Hello",
        "hello grace from Hello",
    ]
    assert sum(line.startswith("START RequestId: ") for line in lines) == 2
    assert sum(line.startswith("REPORT RequestId: ") for line in lines) == 2


def test_filter_keeps_only_matching_lines(running: Lambdock) -> None:
    done = lambdock("logs", "Hello", "--filter", "grace", "--url", running.base_url)
    assert message_lines(done.stdout) == ["hello grace from Hello"]


def test_since_leaves_out_older_invocations(running: Lambdock) -> None:
    recent = lambdock("logs", "Other", "--since", "1h", "--url", running.base_url)
    future = lambdock("logs", "Other", "--since", "2999-01-01T00:00", "--url", running.base_url)
    assert "hello bob from Other" in recent.stdout
    assert (future.returncode, future.stdout) == (0, "")


def test_an_unknown_function_exits_2(running: Lambdock) -> None:
    done = lambdock("logs", "Nope", "--url", running.base_url)
    assert done.returncode == 2
    assert "Function not found: arn:aws:lambda:us-east-1:123456789012:function:Nope" in done.stderr


def test_follow_prints_new_invocations_until_interrupted(running: Lambdock, tmp_path: Path) -> None:
    out = tmp_path / "follow.out"
    with out.open("w") as sink:
        follower = subprocess.Popen(
            [sys.executable, "-m", "emulator", "logs", "Other", "-f", "--url", running.base_url],
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=REPO,
        )
    try:
        wait_for_text(out, "hello bob from Other")
        invoke(running, "Other", "late")
        wait_for_text(out, "hello late from Other")
    finally:
        follower.send_signal(signal.SIGINT)
        code = follower.wait(15)
    assert code == 0
    assert message_lines(out.read_text()).count("hello bob from Other") == 1


def wait_for_text(path: Path, text: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if text in path.read_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not printed in {WAIT_SECONDS:.0f} s:\n{path.read_text()}")


def test_logs_are_kept_on_disk_and_served_after_a_restart(running: Lambdock, project: Path) -> None:
    assert (project / ".lambdock" / "logs" / "Hello.jsonl").exists()
    log = project.parent / "restarted.log"
    args = ["--backend", "process", "--no-watch"]
    with lambdock_up(project / "template.yaml", log, args) as restarted:
        done = lambdock("logs", "Hello", "--url", restarted.base_url)
    assert "hello ada from Hello" in message_lines(done.stdout)


def test_the_cloudwatch_logs_client_reads_a_functions_log_group(running: Lambdock) -> None:
    logs = boto3.client(
        "logs",
        endpoint_url=running.base_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    pages = logs.get_paginator("filter_log_events").paginate(
        logGroupName="/aws/lambda/Hello", interleaved=True, filterPattern="hello", startTime=0
    )
    messages = [event["message"] for page in pages for event in page["events"]]
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/Hello")["logStreams"]
    assert messages == ["hello ada from Hello", "hello grace from Hello"]
    assert len(streams) == 1
