"""Hot reload with a real `lambdock up --backend process`: a handler edit is live at the next
invocation without a restart; a broken template leaves the last good one serving and the error
printed; the fixed template brings its new functions and routes."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import Lambdock, lambdock_up

WAIT_SECONDS = 20.0

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    CodeUri: src
    Timeout: 10
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
"""

SECOND = """\
  Second:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Events:
        Get:
          Type: HttpApi
          Properties:
            Path: /second
            Method: GET
"""


def handler_source(answer: str) -> str:
    body = f"    return {{'answer': {answer!r}, 'pid': os.getpid()}}\n"
    return "import os\n\n\ndef handler(event, context):\n" + body


def invoke(running: Lambdock, name: str) -> dict[str, Any]:
    response = httpx.post(
        f"{running.base_url}/2015-03-31/functions/{name}/invocations", json={}, timeout=60
    )
    assert response.status_code == 200, response.text
    assert "X-Amz-Function-Error" not in response.headers, response.text
    answer: dict[str, Any] = response.json()
    return answer


def wait_for(running: Lambdock, check: Callable[[str], bool], what: str) -> str:
    """Wait, bounded, until lambdock's output satisfies `check`."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        output = running.output()
        if check(output):
            return output
        time.sleep(0.05)
    raise AssertionError(f"lambdock did not print {what} in {WAIT_SECONDS:.0f} s:\n{output}")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(handler_source("first"))
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    return tmp_path


@pytest.fixture
def running(project: Path) -> Iterator[Lambdock]:
    log = project.parent / f"{project.name}-lambdock.log"
    args = ["--backend", "process"]
    with lambdock_up(project / "template.yaml", log, args) as server:
        yield server


def test_a_handler_edit_is_live_at_the_next_invocation(running: Lambdock, project: Path) -> None:
    before = invoke(running, "Hello")
    assert before["answer"] == "first"
    # The same size and modification time (an edit within the same second): Python's bytecode
    # cache alone would not notice the change.
    handler = project / "src" / "app.py"
    stat = handler.stat()
    handler.write_text(handler_source("fresh"))
    os.utime(handler, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    wait_for(running, lambda out: "src/app.py changed: new code for Hello" in out, "the reload")
    after = invoke(running, "Hello")
    assert after["answer"] == "fresh"
    assert after["pid"] != before["pid"]
    assert running.process.poll() is None


def test_a_broken_template_keeps_the_last_good_one_then_the_fix_is_served(
    running: Lambdock, project: Path
) -> None:
    template = project / "template.yaml"
    assert invoke(running, "Hello")["answer"] == "first"
    template.write_text(TEMPLATE + "  Broken: [\n")
    printed = wait_for(running, lambda out: "still serving the last good template" in out, "error")
    assert f"lambdock: error: {template}:" in printed
    assert invoke(running, "Hello")["answer"] == "first"
    health = httpx.get(f"{running.base_url}/_lambdock/health", timeout=10).json()
    assert health["watch"]["error"].startswith(f"{template}:")

    template.write_text(TEMPLATE + SECOND)
    wait_for(running, lambda out: "template.yaml reloaded: +Second" in out, "the reload")
    assert invoke(running, "Second")["answer"] == "first"
    overview = httpx.get(f"{running.base_url}/_lambdock/api/overview", timeout=10).json()
    routes = {f["functionName"]: f["routes"] for f in overview["functions"]}
    assert routes == {
        "Hello": [],
        "Second": [{"name": "Get", "api": "HttpApi", "method": "GET", "path": "/second"}],
    }
    assert overview["watch"] == {"watching": True, "reloads": 1, "error": None}


def test_no_watch_leaves_the_code_alone(project: Path) -> None:
    log = project.parent / f"{project.name}-nowatch.log"
    args = ["--backend", "process", "--no-watch"]
    with lambdock_up(project / "template.yaml", log, args) as up:
        assert invoke(up, "Hello")["answer"] == "first"
        health = httpx.get(f"{up.base_url}/_lambdock/health", timeout=10).json()
        (project / "src" / "app.py").write_text(handler_source("not picked up"))
        assert invoke(up, "Hello")["answer"] == "first"
    assert "watch" not in health
