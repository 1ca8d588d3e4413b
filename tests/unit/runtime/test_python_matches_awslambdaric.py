"""lambdock's runtime client posts and logs what AWS's own Python runtime client does.

Each scenario runs twice against the Runtime API double, once with ``python -m
lambdock_runtime`` and once with ``python -m awslambdaric <handler>`` (the runtime interface
client AWS ships in its Python base images, aws/aws-lambda-python-runtime-interface-client),
and compares what was posted (path, body, X-Ray cause) and what was logged (stdout at the time of
each post, then at the end), with timestamps blanked. Two differences are deliberate and
normalised away: lambdock's ``LAMBDA_WARNING`` line at an init failure is short, and lambdock
also sends ``Lambda-Runtime-Function-Error-Type`` on invocation errors (headers are not compared).
An event that is not JSON is left out: the decoder's own wording differs (stdlib json against
simplejson), and Lambda's Invoke API refuses such a payload before any runtime sees it.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.unit.runtime.lambda_process import WAIT_S, lambda_environment
from tests.unit.runtime.runtime_api_double import QueuedEvent, RuntimeApiDouble

LAMBDOCK = [sys.executable, "-m", "lambdock_runtime"]
AWSLAMBDARIC = [sys.executable, "-m", "awslambdaric"]

APP = """\
import decimal
import logging
import os
import sys


def echo(event, context):
    return {"event": event, "request_id": context.aws_request_id}


def money(event, context):
    return {"price": decimal.Decimal("19.90"), "ratio": float("nan"), "raw": b"bytes"}


def raw(event, context):
    return b"\\x89PNG"


def fail(event, context):
    raise KeyError(event["missing"])


def unserialisable(event, context):
    return {"tags": {"a"}}


def describe(event, context):
    return {
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "identity": context.identity.cognito_identity_id,
        "pool": context.identity.cognito_identity_pool_id,
        "custom": context.client_context and context.client_context.custom,
        "client": context.client_context and context.client_context.client.installation_id,
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
        "stream": context.log_stream_name,
    }


def chatty(event, context):
    print("to stdout", end="")
    logging.getLogger("app").error("an error record %s", 1)
    logging.getLogger().info("an info record")
    try:
        {}["key"]
    except KeyError:
        logging.getLogger().exception("with a traceback")
    return "done"
"""


@dataclass(frozen=True)
class Scenario:
    """A handler, the events it gets and the environment it runs in."""

    handler: str
    events: tuple[QueuedEvent, ...] = ()
    files: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


ARN = "arn:aws:lambda:us-east-1:123456789012:function:f"


def event(
    request_id: str, body: bytes = b"{}", headers: dict[str, str] | None = None
) -> QueuedEvent:
    deadline = str(int(time.time() * 1000) + 300_000)
    return QueuedEvent(
        request_id,
        body,
        {
            "Lambda-Runtime-Deadline-Ms": deadline,
            "Lambda-Runtime-Invoked-Function-Arn": ARN,
            **(headers or {}),
        },
    )


CONTEXT_HEADERS = {
    "Lambda-Runtime-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
    "Lambda-Runtime-Client-Context": json.dumps({"client": {"installation_id": "i"}, "custom": {}}),
    "Lambda-Runtime-Cognito-Identity": json.dumps({"cognitoIdentityId": "id"}),
}

SCENARIOS = {
    "json results, non-ASCII unescaped": Scenario(
        "app.echo", (event("r1", '{"s": "é", "f": 1.5}'.encode()), event("r2", b"[1, null]"))
    ),
    "non-ASCII escaped before python3.12": Scenario(
        "app.echo", (event("r1", '{"s": "é"}'.encode()),), env={"AWS_EXECUTION_ENV": ""}
    ),
    "an event of another content type": Scenario(
        "app.echo", (event("r1", b"plain text", {"Content-Type": "text/plain"}),)
    ),
    "decimal, nan and bytes in a result": Scenario("app.money", (event("r1"),)),
    "bytes as the result": Scenario("app.raw", (event("r1"),)),
    "a handler exception": Scenario("app.fail", (event("r1", b'{"missing": "k"}'),)),
    "a handler exception, JSON logs": Scenario(
        "app.fail", (event("r1", b'{"missing": "k"}'),), env={"AWS_LAMBDA_LOG_FORMAT": "JSON"}
    ),
    "an unserialisable result": Scenario("app.unserialisable", (event("r1"),)),
    "context and trace id": Scenario(
        "app.describe", (event("r1", headers=CONTEXT_HEADERS), event("r2"))
    ),
    "a client context that is not JSON": Scenario(
        "app.describe", (event("r1", headers={"Lambda-Runtime-Client-Context": "{no"}),)
    ),
    "prints and log records": Scenario(
        "app.chatty", (event("r1"),), env={"AWS_LAMBDA_LOG_LEVEL": "INFO"}
    ),
    "JSON log records": Scenario(
        "app.chatty",
        (event("r1"),),
        env={"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "DEBUG"},
    ),
    "a missing dependency": Scenario("dep.handler", files={"dep.py": "import not_there\n"}),
    "a missing handler function": Scenario("app.nope"),
    "a malformed handler name": Scenario("app"),
    "a built-in module as handler module": Scenario("sys.handler"),
    "a syntax error": Scenario("bad.handler", files={"bad.py": "def handler(:\n    pass\n"}),
    "an exception while importing": Scenario(
        "boom.handler", files={"boom.py": "import json\nraise ValueError('no config')\n"}
    ),
}

_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z")
_INIT_WARNING = re.compile(r"LAMBDA_WARNING: Unhandled exception\.[^\n]*\n")


def normalised(log: str) -> str:
    log = _TIMESTAMP.sub("<time>", log)
    return _INIT_WARNING.sub("LAMBDA_WARNING: Unhandled exception.\n", log)


def observe(command: list[str], scenario: Scenario, task_root: Path, out: Path) -> list[object]:
    """Run a runtime client through a scenario; return what it posted and logged."""
    with RuntimeApiDouble(list(scenario.events), stdout_path=out) as api:
        env = {**lambda_environment(api.address, scenario.handler, task_root), **scenario.env}
        with out.open("wb") as stdout:
            process = subprocess.Popen(
                [*command, scenario.handler],
                cwd=task_root,
                env=env,
                stdout=stdout,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
            )
        try:
            posts = api.wait_for_posts(max(len(scenario.events), 1))
        finally:
            process.terminate()
            process.wait(timeout=WAIT_S)
    observed: list[object] = [
        (
            post.path,
            post.body,
            post.headers.get("lambda-runtime-function-xray-error-cause"),
            normalised(post.stdout_then),
        )
        for post in posts
    ]
    return [*observed, normalised(out.read_bytes().decode("utf-8"))]


@pytest.fixture(scope="module", autouse=True)
def awslambdaric_is_installed() -> None:
    assert importlib.util.find_spec("awslambdaric") is not None, (
        "awslambdaric is needed in the test environment (pip install awslambdaric): "
        "lambdock's runtime client is compared against it"
    )


@pytest.mark.parametrize("name", SCENARIOS)
def test_lambdock_runtime_posts_and_logs_what_awslambdaric_does(tmp_path: Path, name: str) -> None:
    scenario = SCENARIOS[name]
    task_root = tmp_path / "task"
    task_root.mkdir()
    for file_name, source in {"app.py": APP, **scenario.files}.items():
        (task_root / file_name).write_text(source)
    theirs = observe(AWSLAMBDARIC, scenario, task_root, tmp_path / "awslambdaric.log")
    ours = observe(LAMBDOCK, scenario, task_root, tmp_path / "lambdock.log")
    assert ours == theirs
