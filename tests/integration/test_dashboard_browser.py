"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright, against a
real `lambdock up --backend process`. It loads /_lambdock/, sees a function, invokes it from the
form, and sees the result and the function's log line. Screenshots land in the test's tmp dir.

Needs the Debian package `chromium` (/usr/bin/chromium) and the PyPI package `playwright`
(its own browser downloads are never used). Without them the test fails, saying what to install.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import Lambdock, lambdock_up

CHROMIUM = Path("/usr/bin/chromium")
# Keep the browser to loopback: no updates, sync, first-run pages or background fetches.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: dashboard-uploads
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src
      Handler: app.hello
      Events:
        Get:
          Type: HttpApi
          Properties:
            Path: /hello
            Method: GET
  Gated:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src
      Handler: app.gated
      Timeout: 30
"""

HANDLER = """\
import os
import time


def hello(event, context):
    name = event.get("name", "world")
    print(f"hello {name} from the dashboard")
    return {"greeting": f"hello {name}"}


def gated(event, context):
    deadline = time.monotonic() + 20
    while not os.path.exists(event["gate"]) and time.monotonic() < deadline:
        time.sleep(0.02)
    return {"opened": os.path.exists(event["gate"])}
"""


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Lambdock]:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "app.py").write_text(HANDLER)
    (project / "template.yaml").write_text(TEMPLATE)
    args = ["--backend", "process", "--no-watch"]
    env = {"NO_COLOR": "1"}
    with lambdock_up(project / "template.yaml", tmp_path / "lambdock.log", args, env) as server:
        yield server


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is missing: pip install playwright (uses the system Chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            browser.set_default_timeout(TIMEOUT_MS)
            yield browser.pages[0] if browser.pages else browser.new_page()
        finally:
            browser.close()


def test_the_dashboard_shows_a_function_invokes_it_and_shows_its_log(
    running: Lambdock, page: Any, tmp_path: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{running.base_url}/_lambdock/")

    card = page.locator('[data-function="Hello"]')
    card.wait_for()
    assert "GET /hello" in card.inner_text()
    page.locator("#buckets").get_by_text("dashboard-uploads").wait_for()
    page.screenshot(path=str(tmp_path / "01-loaded.png"), full_page=True)

    page.select_option("#invoke-function", "Hello")
    page.fill("#invoke-event", json.dumps({"name": "browser"}))
    page.click("#invoke-button")
    page.locator("#invoke-payload").get_by_text('"greeting": "hello browser"').wait_for()
    log = page.locator("#invoke-log").inner_text()
    assert "hello browser from the dashboard" in log
    assert "REPORT RequestId: " in log
    page.screenshot(path=str(tmp_path / "02-invoked.png"), full_page=True)

    row = page.locator("#invocations tbody tr").first
    row.wait_for()
    assert "Hello" in row.inner_text() and "ok" in row.inner_text()
    row.click()
    page.locator("#log-view").get_by_text("hello browser from the dashboard").wait_for()
    card.locator("svg.chart rect").first.wait_for()
    page.screenshot(path=str(tmp_path / "03-log.png"), full_page=True)
    assert errors == []


def test_a_running_invocation_shows_live_until_it_finishes(
    running: Lambdock, page: Any, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    url = f"{running.base_url}/2015-03-31/functions/Gated/invocations"
    answers: list[httpx.Response] = []
    call = threading.Thread(
        target=lambda: answers.append(httpx.post(url, json={"gate": str(gate)}, timeout=60))
    )
    page.goto(f"{running.base_url}/_lambdock/")
    call.start()
    try:
        live = page.locator("#invocations tbody tr.running", has_text="Gated")
        live.wait_for()
        assert "running" in live.inner_text()
        page.screenshot(path=str(tmp_path / "04-running.png"), full_page=True)
    finally:
        gate.write_text("open")
        call.join(60)
    assert answers[0].json() == {"opened": True}
    finished = page.locator("#invocations tbody tr:not(.running)", has_text="Gated")
    finished.wait_for()
    assert "ok" in finished.inner_text()
    assert page.locator("#invocations tbody tr.running").count() == 0
