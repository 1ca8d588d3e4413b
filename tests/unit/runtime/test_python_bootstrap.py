"""``python -m lambdock_runtime`` as a process, against a test double of the Runtime API.

Expected wire and log formats follow awslambdaric 4.2.2 (aws/aws-lambda-python-runtime-interface-
client): ``bootstrap.py`` (``make_error``: the four error fields, requestId empty at init;
``log_error``: ``[ERROR] Type: message`` then ``Traceback (most recent call last):`` and the
frames, lines joined with ``\\r``, indentation as U+00A0; ``_setup_logging``: the
``[LEVEL]\\t<time>Z\\t<request id>\\t<message>`` format, level only from AWS_LAMBDA_LOG_LEVEL;
``update_xray_env_variable``; exit status 1 after an init error), ``lambda_runtime_client.py``
(``Lambda-Runtime-Function-Error-Type`` carries the errorType) and ``lambda_runtime_marshaller.py``
(``Unable to marshal response: ...``). Endpoints and headers: AWS Lambda developer guide, "Using
the Lambda runtime API".
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.unit.runtime.lambda_process import RUNTIME_PYTHON, WAIT_S, lambda_environment
from tests.unit.runtime.runtime_api_double import QueuedEvent, RecordedPost, RuntimeApiDouble

TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"

APP = """\
import json
import logging
import os
import sys


def echo(event, context):
    return {"event": event, "request_id": context.aws_request_id}


def fail(event, context):
    raise ValueError("boom: " + event["why"])


def unserialisable(event, context):
    return {"tags": {"a"}}


def describe(event, context):
    remaining = context.get_remaining_time_in_millis()
    return {
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "cognito_identity_id": context.identity.cognito_identity_id,
        "cognito_identity_pool_id": context.identity.cognito_identity_pool_id,
        "client_custom": context.client_context and context.client_context.custom,
        "client_env": context.client_context and context.client_context.env,
        "client_app_title": context.client_context and context.client_context.client.app_title,
        "remaining_positive": 0 < remaining <= 600000,
        "trace_id": os.environ.get("_X_AMZN_TRACE_ID"),
    }


def chatty(event, context):
    print("first line")
    print("no newline yet", end="")
    sys.stderr.write("to stderr\\n")
    return "done"


def logs(event, context):
    logging.getLogger().info("an info line")
    logging.getLogger("app.child").warning("a warning with %s", "args")
    return None
"""


@dataclass
class RuntimeProcess:
    """A runtime client process and the files its stdout and stderr go to."""

    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path

    def wait_exit(self) -> int:
        return self.process.wait(timeout=WAIT_S)

    def stdout(self) -> str:
        return self.stdout_path.read_bytes().decode("utf-8")

    def stderr(self) -> str:
        return self.stderr_path.read_bytes().decode("utf-8")


StartRuntime = Callable[..., RuntimeProcess]

_COMPILE = """\
import sys
try:
    compile(open(sys.argv[1]).read(), sys.argv[1], "exec")
except SyntaxError as error:
    print(error, end="")
"""


@pytest.fixture
def stdout_path(tmp_path: Path) -> Path:
    return tmp_path / "stdout.log"


@pytest.fixture
def task_root(tmp_path: Path) -> Path:
    root = tmp_path / "task"
    root.mkdir()
    (root / "app.py").write_text(APP)
    return root


@pytest.fixture
def start_runtime(tmp_path: Path, stdout_path: Path, task_root: Path) -> Iterator[StartRuntime]:
    started: list[RuntimeProcess] = []

    def start(
        api_address: str,
        handler: str,
        *,
        env: dict[str, str] | None = None,
        argv: tuple[str, ...] = (),
    ) -> RuntimeProcess:
        stderr_path = tmp_path / "stderr.log"
        with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
            process = subprocess.Popen(
                [RUNTIME_PYTHON, "-m", "lambdock_runtime", *argv],
                cwd=task_root,
                env={**lambda_environment(api_address, handler, task_root), **(env or {})},
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
            )
        started.append(RuntimeProcess(process, stdout_path, stderr_path))
        return started[-1]

    yield start
    for runtime in started:
        if runtime.process.poll() is None:
            runtime.process.terminate()
            try:
                runtime.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                runtime.process.kill()
                runtime.process.wait(timeout=5)


def _event(request_id: str, body: object, **headers: str) -> QueuedEvent:
    base = {
        "Lambda-Runtime-Deadline-Ms": "9999999999999",
        "Lambda-Runtime-Invoked-Function-Arn": (
            "arn:aws:lambda:us-east-1:123456789012:function:echo-function"
        ),
    }
    return QueuedEvent(request_id, json.dumps(body).encode(), {**base, **headers})


def _summary(post: RecordedPost) -> tuple[str, str | None, object]:
    return post.path, post.headers.get("content-type"), json.loads(post.body)


def test_each_result_is_posted_as_json_to_its_request_ids_response_path(
    start_runtime: StartRuntime,
) -> None:
    events = [_event("req-1", {"n": 1}), _event("req-2", {"n": "é"})]
    with RuntimeApiDouble(events) as api:
        start_runtime(api.address, "app.echo")
        posts = api.wait_for_posts(2)
    assert [_summary(post) for post in posts] == [
        (
            "/2018-06-01/runtime/invocation/req-1/response",
            "application/json",
            {"event": {"n": 1}, "request_id": "req-1"},
        ),
        (
            "/2018-06-01/runtime/invocation/req-2/response",
            "application/json",
            {"event": {"n": "é"}, "request_id": "req-2"},
        ),
    ]
    # python3.12 runtimes write non-ASCII characters unescaped, with simplejson's separators.
    assert posts[1].body == '{"event": {"n": "é"}, "request_id": "req-2"}'.encode()


def test_all_calls_share_one_keep_alive_connection(start_runtime: StartRuntime) -> None:
    events = [_event(f"req-{n}", {}) for n in range(3)]
    with RuntimeApiDouble(events) as api:
        start_runtime(api.address, "app.echo")
        api.wait_for_posts(3)
    # Three polls and three posts at least (the fourth poll may or may not have arrived).
    assert len(api.client_ports) >= 6
    assert len(set(api.client_ports)) == 1


def test_a_dropped_connection_is_reopened_and_the_poll_retried(
    start_runtime: StartRuntime,
) -> None:
    with RuntimeApiDouble([_event("req-1", {"n": 1})], drop_first_next=2) as api:
        start_runtime(api.address, "app.echo")
        posts = api.wait_for_posts(1)
    assert _summary(posts[0])[2] == {"event": {"n": 1}, "request_id": "req-1"}
    assert api.dropped_polls == 2


def test_a_handler_exception_is_logged_posted_as_error_and_the_runtime_goes_on(
    start_runtime: StartRuntime, task_root: Path
) -> None:
    events = [_event("req-1", {"why": "bad input"}), _event("req-2", {"why": "again"})]
    with RuntimeApiDouble(events) as api:
        runtime = start_runtime(api.address, "app.fail")
        posts = api.wait_for_posts(2)
    frame = (
        f'  File "{task_root}/app.py", line 12, in fail\n'
        '    raise ValueError("boom: " + event["why"])\n'
    )
    assert posts[0].path == "/2018-06-01/runtime/invocation/req-1/error"
    assert posts[0].headers["lambda-runtime-function-error-type"] == "ValueError"
    assert json.loads(posts[0].body) == {
        "errorMessage": "boom: bad input",
        "errorType": "ValueError",
        "requestId": "req-1",
        "stackTrace": [frame],
    }
    assert posts[1].path == "/2018-06-01/runtime/invocation/req-2/error"
    xray = json.loads(posts[0].headers["lambda-runtime-function-xray-error-cause"])
    assert xray["exceptions"] == [
        {
            "message": "boom: bad input",
            "type": "ValueError",
            "stack": [{"label": "fail", "path": f"{task_root}/app.py", "line": 12}],
        }
    ]
    nbsp = "\u00a0"
    assert runtime.stdout().startswith(
        "[ERROR] ValueError: boom: bad input\r"
        "Traceback (most recent call last):\r"
        f'{nbsp * 2}File "{task_root}/app.py", line 12, in fail\r'
        f'{nbsp * 4}raise ValueError("boom: " + event["why"])\n'
    )


@pytest.mark.parametrize(
    ("files", "handler", "error_type", "message"),
    [
        (
            {"app.py": "import missing_dependency\n"},
            "app.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'app': No module named 'missing_dependency'",
        ),
        (
            {},
            "nowhere.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'nowhere': No module named 'nowhere'",
        ),
        (
            {"app.py": "def handler(event, context):\n    return 1\n"},
            "app.nope",
            "Runtime.HandlerNotFound",
            "Handler 'nope' missing on module 'app'",
        ),
        (
            {},
            "app",
            "Runtime.MalformedHandlerName",
            "Bad handler 'app': not enough values to unpack (expected 2, got 1)",
        ),
        (
            {},
            "sys.handler",
            "Runtime.BuiltInModuleConflict",
            "Cannot use built-in module sys as a handler module",
        ),
    ],
)
def test_an_init_failure_is_logged_posted_to_init_error_and_ends_the_process(
    start_runtime: StartRuntime,
    task_root: Path,
    files: dict[str, str],
    handler: str,
    error_type: str,
    message: str,
) -> None:
    for name, source in files.items():
        (task_root / name).write_text(source)
    with RuntimeApiDouble([_event("req-1", {})]) as api:
        runtime = start_runtime(api.address, handler)
        posts = api.wait_for_posts(1)
        assert runtime.wait_exit() == 1
    assert posts[0].path == "/2018-06-01/runtime/init/error"
    assert posts[0].headers["lambda-runtime-function-error-type"] == error_type
    assert json.loads(posts[0].body) == {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": "",
        "stackTrace": [],
    }
    assert api.next_calls == 0
    assert re.fullmatch(
        rf"\[WARNING\]\t{TIMESTAMP}\t\tLAMBDA_WARNING: Unhandled exception\.\n"
        + re.escape(f"[ERROR] {error_type}: {message}\rTraceback (most recent call last):\n"),
        runtime.stdout(),
    )


def test_a_syntax_error_in_the_handler_module_is_a_user_code_syntax_error(
    start_runtime: StartRuntime, task_root: Path
) -> None:
    source = "def handler(event, context)\n    return 1\n"
    (task_root / "broken.py").write_text(source)
    # The wording of a syntax error changes between Python versions: ask the runtime's python.
    compiled = subprocess.run(
        [RUNTIME_PYTHON, "-c", _COMPILE, str(task_root / "broken.py")],
        capture_output=True,
        text=True,
        timeout=WAIT_S,
        check=True,
    )
    with RuntimeApiDouble([]) as api:
        runtime = start_runtime(api.address, "broken.handler")
        posts = api.wait_for_posts(1)
        assert runtime.wait_exit() == 1
    assert json.loads(posts[0].body) == {
        "errorMessage": f"Syntax error in module 'broken': {compiled.stdout}",
        "errorType": "Runtime.UserCodeSyntaxError",
        "requestId": "",
        "stackTrace": [f'  File "{task_root}/broken.py" Line 1\n    def handler(event, context)\n'],
    }


def test_an_exception_while_importing_is_reported_with_its_own_type_and_user_frames(
    start_runtime: StartRuntime, task_root: Path
) -> None:
    (task_root / "app.py").write_text("import os\nraise RuntimeError('no config')\n")
    with RuntimeApiDouble([]) as api:
        runtime = start_runtime(api.address, "app.handler")
        posts = api.wait_for_posts(1)
        assert runtime.wait_exit() == 1
    payload = json.loads(posts[0].body)
    assert posts[0].headers["lambda-runtime-function-error-type"] == "RuntimeError"
    assert {key: payload[key] for key in ("errorMessage", "errorType", "requestId")} == {
        "errorMessage": "no config",
        "errorType": "RuntimeError",
        "requestId": "",
    }
    # As on AWS, the trace starts in importlib (the runtime's own frames are dropped).
    assert "importlib" in payload["stackTrace"][0]
    assert not any("lambdock_runtime" in frame for frame in payload["stackTrace"])
    last_frame = f'  File "{task_root}/app.py", line 2, in <module>\n'
    assert payload["stackTrace"][-1] == last_frame + "    raise RuntimeError('no config')\n"


def test_an_unserialisable_result_is_a_marshal_error(start_runtime: StartRuntime) -> None:
    with RuntimeApiDouble([_event("req-1", {})]) as api:
        start_runtime(api.address, "app.unserialisable")
        posts = api.wait_for_posts(1)
    assert posts[0].path == "/2018-06-01/runtime/invocation/req-1/error"
    assert posts[0].headers["lambda-runtime-function-error-type"] == "Runtime.MarshalError"
    assert json.loads(posts[0].body) == {
        "errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
        "errorType": "Runtime.MarshalError",
        "requestId": "req-1",
        "stackTrace": [],
    }


def test_the_context_and_trace_variable_carry_each_invocations_values(
    start_runtime: StartRuntime,
) -> None:
    client_context = {
        "client": {"app_title": "my app", "installation_id": "install-1"},
        "custom": {"tenant": "t-1"},
        "env": {"platform": "Android"},
    }
    identity = {"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"}
    first = _event(
        "req-1",
        {},
        **{
            "Lambda-Runtime-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
            "Lambda-Runtime-Client-Context": json.dumps(client_context),
            "Lambda-Runtime-Cognito-Identity": json.dumps(identity),
            "Lambda-Runtime-Deadline-Ms": str(_now_ms() + 300_000),
        },
    )
    second = _event("req-2", {}, **{"Lambda-Runtime-Deadline-Ms": str(_now_ms() + 300_000)})
    with RuntimeApiDouble([first, second]) as api:
        start_runtime(api.address, "app.describe")
        posts = api.wait_for_posts(2)
    common = {
        "function_name": "echo-function",
        "function_version": "$LATEST",
        "invoked_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:echo-function",
        "memory_limit_in_mb": "256",
        "log_group_name": "/aws/lambda/echo-function",
        "log_stream_name": "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
        "remaining_positive": True,
    }
    assert json.loads(posts[0].body) == {
        **common,
        "aws_request_id": "req-1",
        "cognito_identity_id": "id-1",
        "cognito_identity_pool_id": "pool-1",
        "client_custom": {"tenant": "t-1"},
        "client_env": {"platform": "Android"},
        "client_app_title": "my app",
        "trace_id": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
    }
    assert json.loads(posts[1].body) == {
        **common,
        "aws_request_id": "req-2",
        "cognito_identity_id": None,
        "cognito_identity_pool_id": None,
        "client_custom": None,
        "client_env": None,
        "client_app_title": None,
        "trace_id": None,
    }


def test_prints_are_in_the_log_before_the_response_is_posted(
    start_runtime: StartRuntime, stdout_path: Path
) -> None:
    with RuntimeApiDouble([_event("req-1", {})], stdout_path=stdout_path) as api:
        runtime = start_runtime(api.address, "app.chatty")
        posts = api.wait_for_posts(1)
    assert posts[0].stdout_then == "first line\nno newline yet"
    assert json.loads(posts[0].body) == "done"
    assert runtime.stderr() == "to stderr\n"


def test_log_records_use_lambdas_text_format_at_the_default_warning_level(
    start_runtime: StartRuntime,
) -> None:
    with RuntimeApiDouble([_event("req-1", {})]) as api:
        runtime = start_runtime(api.address, "app.logs")
        posts = api.wait_for_posts(1)
    assert posts[0].body == b"null"
    assert re.fullmatch(
        rf"\[WARNING\]\t{TIMESTAMP}\treq-1\ta warning with args\n", runtime.stdout()
    )


def test_aws_lambda_log_level_sets_the_root_level(start_runtime: StartRuntime) -> None:
    with RuntimeApiDouble([_event("req-1", {})]) as api:
        runtime = start_runtime(api.address, "app.logs", env={"AWS_LAMBDA_LOG_LEVEL": "info"})
        api.wait_for_posts(1)
    assert re.fullmatch(
        rf"\[INFO\]\t{TIMESTAMP}\treq-1\tan info line\n"
        rf"\[WARNING\]\t{TIMESTAMP}\treq-1\ta warning with args\n",
        runtime.stdout(),
    )


def test_json_log_format_writes_one_object_per_record(start_runtime: StartRuntime) -> None:
    env = {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}
    with RuntimeApiDouble([_event("req-1", {})]) as api:
        runtime = start_runtime(api.address, "app.logs", env=env)
        api.wait_for_posts(1)
    records = [json.loads(line) for line in runtime.stdout().splitlines()]
    for record in records:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record.pop("timestamp"))
    assert records == [
        {"level": "INFO", "message": "an info line", "logger": "root", "requestId": "req-1"},
        {
            "level": "WARNING",
            "message": "a warning with args",
            "logger": "app.child",
            "requestId": "req-1",
        },
    ]


def test_a_handler_given_as_argument_overrides_the_environment(
    start_runtime: StartRuntime,
) -> None:
    with RuntimeApiDouble([_event("req-1", {"n": 1})]) as api:
        start_runtime(api.address, "app.fail", argv=("app.echo",))
        posts = api.wait_for_posts(1)
    assert posts[0].path == "/2018-06-01/runtime/invocation/req-1/response"


def test_without_a_runtime_api_address_the_process_exits_with_a_message(
    start_runtime: StartRuntime,
) -> None:
    runtime = start_runtime("", "app.echo")
    assert runtime.wait_exit() == 1
    assert runtime.stderr() == "lambdock_runtime: AWS_LAMBDA_RUNTIME_API is not set\n"


def _now_ms() -> int:
    return int(time.time() * 1000)
