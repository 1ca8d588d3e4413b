"""The command line: invoke, validate, and bad templates stopping with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support import FIXTURES, free_port

BASIC = FIXTURES / "projects" / "basic" / "template.yaml"


def lambdock(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_invoke_prints_the_payload_on_stdout_and_logs_on_stderr() -> None:
    done = lambdock(
        "invoke", "Hello", "-t", str(BASIC), "--backend", "process", "-e", "-", stdin='{"n": 2}'
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["event"] == {"n": 2}
    assert "START RequestId:" in done.stderr and "REPORT RequestId:" in done.stderr
    assert "hello from Hello" in done.stderr


def test_invoke_of_a_failing_function_exits_1_with_the_error_json() -> None:
    done = lambdock("invoke", "Fail", "-t", str(BASIC), "--backend", "process")
    assert done.returncode == 1
    assert json.loads(done.stdout)["errorType"] == "ValueError"


def test_validate_lists_functions_and_events() -> None:
    done = lambdock("validate", "-t", str(BASIC))
    assert done.returncode == 0
    assert "function Hello: python3.12 app.hello" in done.stdout


def test_bad_template_stops_up_with_exit_2_naming_file_resource_and_property(
    tmp_path: Path,
) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
        "    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n"
    )
    done = lambdock("up", "-t", str(template), "--port", str(free_port()), "--backend", "process")
    assert done.returncode == 2
    assert f"{template}:5, resource Fn, property Handler: Handler is required" in done.stderr


def test_missing_template_is_exit_2() -> None:
    done = lambdock("validate", "-t", "/nonexistent/template.yaml")
    assert done.returncode == 2
    assert "template file not found" in done.stderr
