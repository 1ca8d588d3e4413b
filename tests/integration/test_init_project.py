"""`lambdock init` makes a project that `lambdock up` serves at once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support import REPO, lambdock_up


def test_an_initialised_project_is_served_at_once(tmp_path: Path) -> None:
    project = tmp_path / "starter"
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "init", str(project)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    event = (project / "events" / "hello.json").read_bytes()
    args = ["--backend", "process", "--no-watch"]
    with lambdock_up(project / "template.yaml", tmp_path / "up.log", args) as running:
        url = f"{running.base_url}/2015-03-31/functions/HelloFunction/invocations"
        response = httpx.post(url, content=event, timeout=60)
        output = running.output()
    answer = response.json()
    assert response.status_code == 200, response.text
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["message"] == "hello, lambdock"
    assert "function HelloFunction (python3.12)" in output
    assert "[HelloFunction " in output and "saying hello to lambdock" in output
