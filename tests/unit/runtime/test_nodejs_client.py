"""lambdock's Node.js runtime client (runtime/nodejs/index.mjs) run as a real `node` process
against a Runtime API test double, checked against what AWS's Node.js runtime does for each
handler style (AWS docs "Define Lambda function handler in Node.js", "Lambda function errors in
Node.js", "Log and monitor Node.js Lambda functions"; aws-lambda-nodejs-runtime-interface-client).
Also runs the client's own JavaScript unit tests with `node --test`.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .nodejs_harness import (
    NODE_FIXTURES,
    NODE_RUNTIME_DIR,
    NodeRuntime,
    Post,
    RuntimeApiDouble,
    node_executable,
)

CJS = NODE_FIXTURES / "cjs"
ESM = NODE_FIXTURES / "esm"
EVENT = {"orderId": "o-1", "items": [1, 2]}
StartNode = Callable[[Path, str], NodeRuntime]
LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\t([^\t]+)\t([A-Z]+)\t(.*)$")


@pytest.fixture
def api() -> Iterator[RuntimeApiDouble]:
    """A started Runtime API double, stopped after the test."""
    double = RuntimeApiDouble()
    double.start()
    yield double
    double.stop()


@pytest.fixture
def start_node(api: RuntimeApiDouble) -> Iterator[StartNode]:
    """Start runtime processes against the double; each is killed after the test."""
    started: list[NodeRuntime] = []

    def start(task_root: Path, handler: str) -> NodeRuntime:
        started.append(NodeRuntime(api, task_root, handler))
        return started[-1]

    yield start
    for runtime in started:
        runtime.stop()


def invoke(start_node: StartNode, api: RuntimeApiDouble, root: Path, handler: str) -> Post:
    """Start a runtime, hand it EVENT and return what it posted."""
    start_node(root, handler)
    api.invoke(EVENT, "req-1")
    return api.next_post()


def without_trace(body: dict[str, Any]) -> dict[str, Any]:
    """The error payload minus its trace, whose frames name machine paths."""
    return {key: value for key, value in body.items() if key != "trace"}


@pytest.mark.parametrize(
    ("root", "handler", "style"),
    [
        (CJS, "index.handler", "exports.handler"),
        (CJS, "module_exports.handler", "module.exports.handler"),
        (CJS, "esm_module.handler", "esm .mjs"),
        (ESM, "index.handler", "type module .js"),
        (ESM, "legacy.handler", "cjs in module package"),
        (ESM, "cjs_island/index.handler", "nearest package.json commonjs"),
        (CJS, "app.nested.fn", "nested"),
        (CJS, "src/app.handler", "src/app"),
        (CJS, "callback.result", "callback"),
    ],
)
def test_each_handler_style_responds_with_its_result(
    start_node: StartNode, api: RuntimeApiDouble, root: Path, handler: str, style: str
) -> None:
    post = invoke(start_node, api, root, handler)
    assert post == Post("response", "req-1", {"style": style, "event": EVENT}, None)


@pytest.mark.parametrize(
    ("handler", "result"),
    [
        ("outcomes.asyncUndefined", None),
        ("outcomes.asyncValue", "a plain string"),
        ("outcomes.promiseReturning", {"from": "a non-async function"}),
        ("outcomes.syncValue", None),
        ("callback.neverCalls", None),
        ("callback.waits", {"timerFired": True}),
        ("callback.noWait", {"timerFired": False}),
        ("callback.twice", "first"),
        ("context_methods.succeed", {"style": "context.succeed"}),
        ("context_methods.done", {"style": "context.done"}),
    ],
)
def test_handler_outcome_is_reported_as_aws_reports_it(
    start_node: StartNode, api: RuntimeApiDouble, handler: str, result: Any
) -> None:
    assert invoke(start_node, api, CJS, handler) == Post("response", "req-1", result, None)


@pytest.mark.parametrize(
    ("handler", "error_type", "message", "first_frame"),
    [
        ("errors.throwsNamedSubclass", "ValidationError", "amount must be positive", True),
        ("errors.throwsUnnamedSubclass", "Error", "no name of its own", True),
        ("errors.throwsSync", "Error", "thrown synchronously", True),
        ("callback.error", "TypeError", "bad input", True),
        ("context_methods.fail", "Error", "failed through context.fail", True),
        ("context_methods.doneError", "RangeError", "done with an error", True),
        ("errors.circularResult", "Error", "Unable to stringify response body", True),
        ("errors.throwsString", "string", "just a string", False),
        ("errors.throwsNumber", "number", "42", False),
        ("errors.throwsObject", "object", "[object Object]", False),
        ("context_methods.failString", "string", "plain failure text", False),
        ("errors.rejectsUndefined", "string", "handled", False),
    ],
)
def test_handler_failure_is_posted_as_error_payload(
    start_node: StartNode,
    api: RuntimeApiDouble,
    handler: str,
    error_type: str,
    message: str,
    first_frame: bool,
) -> None:
    post = invoke(start_node, api, CJS, handler)
    assert (post.kind, post.request_id, post.error_type_header) == ("error", "req-1", error_type)
    assert without_trace(post.body) == {"errorType": error_type, "errorMessage": message}
    expected_trace = [f"{error_type}: {message}"] if first_frame else []
    assert post.body["trace"][:1] == expected_trace


def test_async_handler_that_never_settles_fails_with_node_js_exit(
    start_node: StartNode, api: RuntimeApiDouble
) -> None:
    post = invoke(start_node, api, CJS, "errors.neverSettles")
    assert without_trace(post.body) == {
        "errorType": "Runtime.NodeJsExit",
        "errorMessage": (
            "The Lambda runtime client detected an unexpected Node.js exit code. This is most "
            "commonly caused by a Promise that was never settled. For more information, see "
            "https://nodejs.org/docs/latest/api/process.html#exit-codes"
        ),
    }


@pytest.mark.parametrize(
    ("handler", "error_type", "message", "exit_code"),
    [
        (
            "errors.unhandledRejection",
            "Runtime.UnhandledPromiseRejection",
            "Error: nobody caught this",
            128,
        ),
        ("errors.uncaughtException", "Error", "thrown from a timer", 129),
    ],
)
def test_escaped_error_fails_the_invocation_and_ends_the_process(
    start_node: StartNode,
    api: RuntimeApiDouble,
    handler: str,
    error_type: str,
    message: str,
    exit_code: int,
) -> None:
    runtime = start_node(CJS, handler)
    api.invoke(EVENT, "req-1")
    post = api.next_post()
    assert (post.kind, without_trace(post.body)) == (
        "error",
        {"errorType": error_type, "errorMessage": message},
    )
    assert runtime.wait_for_exit() == exit_code


def test_warm_runtime_serves_invocations_in_turn(
    start_node: StartNode, api: RuntimeApiDouble
) -> None:
    start_node(CJS, "outcomes.echo")
    api.invoke({"n": 1, "text": "héllo ✓"}, "req-1")
    api.invoke({"n": 2}, "req-2")
    assert [api.next_post(), api.next_post()] == [
        Post("response", "req-1", {"n": 1, "text": "héllo ✓"}, None),
        Post("response", "req-2", {"n": 2}, None),
    ]


def test_context_carries_headers_and_environment(
    start_node: StartNode, api: RuntimeApiDouble
) -> None:
    start_node(CJS, "context_info.handler")
    api.invoke(
        EVENT,
        "req-ctx",
        **{
            "Lambda-Runtime-Cognito-Identity": '{"cognitoIdentityId":"id-1"}',
            "Lambda-Runtime-Client-Context": '{"custom":{"k":"v"}}',
        },
    )
    assert api.next_post().body == {
        "functionName": "node-fn",
        "functionVersion": "$LATEST",
        "invokedFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:node-fn",
        "memoryLimitInMB": "256",
        "awsRequestId": "req-ctx",
        "logGroupName": "/aws/lambda/node-fn",
        "logStreamName": "2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
        "identity": {"cognitoIdentityId": "id-1"},
        "clientContext": {"custom": {"k": "v"}},
        "callbackWaitsForEmptyEventLoop": True,
        "remainingIsNumber": True,
        "remainingWithinDeadline": True,
        "traceId": "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=1;Sampled=0",
        "keys": [
            "callbackWaitsForEmptyEventLoop",
            "succeed",
            "fail",
            "done",
            "functionVersion",
            "functionName",
            "memoryLimitInMB",
            "logGroupName",
            "logStreamName",
            "clientContext",
            "identity",
            "invokedFunctionArn",
            "awsRequestId",
            "tenantId",
            "getRemainingTimeInMillis",
        ],
    }


def test_console_methods_write_lambda_log_lines(
    start_node: StartNode, api: RuntimeApiDouble
) -> None:
    runtime = start_node(CJS, "logging.handler")
    api.invoke(EVENT, "req-log")
    assert api.next_post().body == "logged"
    stdout, _ = runtime.stop()
    lines = [LOG_LINE.match(line) for line in stdout.rstrip("\n").split("\n")]
    assert all(lines), stdout
    assert [match.groups()[1:] for match in lines if match] == [
        ("req-log", "INFO", "log text 7"),
        ("req-log", "INFO", "info { key: 'value' }"),
        ("req-log", "WARN", "warn"),
        ("req-log", "ERROR", "error"),
        ("req-log", "DEBUG", "debug"),
        ("req-log", "TRACE", "trace"),
        ("req-log", "INFO", "two\rlines"),
    ]


def test_invoke_error_is_logged_as_json_after_its_label(
    start_node: StartNode, api: RuntimeApiDouble
) -> None:
    runtime = start_node(CJS, "errors.throwsNamedSubclass")
    api.invoke(EVENT, "req-err")
    api.next_post()
    stdout, _ = runtime.stop()
    match = LOG_LINE.match(stdout.split("\n")[0])
    assert match is not None, stdout
    assert match.groups()[1:3] == ("req-err", "ERROR")
    label, logged = match.group(4).split("\t", 1)
    assert label == "Invoke Error "
    assert json.loads(logged)["stack"][0] == "ValidationError: amount must be positive"
    assert {key: value for key, value in json.loads(logged).items() if key != "stack"} == {
        "errorType": "ValidationError",
        "errorMessage": "amount must be positive",
        "name": "ValidationError",
    }


# --- init errors: posted to /init/error, logged as "Uncaught Exception", exit code 129 ---------


def init_failure(start_node: StartNode, api: RuntimeApiDouble, root: Path, handler: str) -> Post:
    """Start a runtime whose init fails; return its init error after checking it exited."""
    runtime = start_node(root, handler)
    post = api.next_post()
    assert runtime.wait_for_exit() == 129
    stdout, _ = runtime.stop()
    assert "\tundefined\tERROR\tUncaught Exception \t{" in stdout
    assert (post.kind, post.error_type_header) == ("init_error", post.body["errorType"])
    return post


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        (
            "missing.handler",
            "Runtime.ImportModuleError",
            f"Error: Cannot find module 'missing'\nRequire stack:\n- {NODE_RUNTIME_DIR}/index.mjs",
        ),
        ("index.nothing", "Runtime.HandlerNotFound", "index.nothing is undefined or not exported"),
        ("app.notFunction", "Runtime.HandlerNotFound", "app.notFunction is not a function"),
        ("index", "Runtime.MalformedHandlerName", "Bad handler"),
        (
            "../cjs/index.handler",
            "Runtime.MalformedHandlerName",
            "'../cjs/index.handler' is not a valid handler name. Use absolute paths when "
            "specifying root directories in handler names.",
        ),
    ],
)
def test_handler_that_cannot_be_resolved_is_an_init_error(
    start_node: StartNode, api: RuntimeApiDouble, handler: str, error_type: str, message: str
) -> None:
    post = init_failure(start_node, api, CJS, handler)
    assert without_trace(post.body) == {"errorType": error_type, "errorMessage": message}


@pytest.mark.parametrize(
    ("filename", "source", "error_type", "message"),
    [
        (
            "app.js",
            "require('not-installed-anywhere');\n",
            "Runtime.ImportModuleError",
            "Error: Cannot find module 'not-installed-anywhere'\nRequire stack:\n"
            "- {root}/app.js\n- {runtime}/index.mjs",
        ),
        ("app.js", "throw new Error('init went wrong');\n", "Error", "init went wrong"),
        (
            "app.mjs",
            "import 'not-installed-anywhere';\nexport const handler = () => 1;\n",
            "Error",
            "Cannot find package 'not-installed-anywhere' imported from {root}/app.mjs",
        ),
        (
            "app.mjs",
            "await Promise.reject(new RangeError('top-level await failed'));\n",
            "RangeError",
            "top-level await failed",
        ),
    ],
)
def test_module_that_fails_to_load_is_an_init_error(
    start_node: StartNode,
    api: RuntimeApiDouble,
    tmp_path: Path,
    filename: str,
    source: str,
    error_type: str,
    message: str,
) -> None:
    (tmp_path / "package.json").write_text('{"type": "commonjs"}\n')
    (tmp_path / filename).write_text(source)
    post = init_failure(start_node, api, tmp_path, "app.handler")
    expected = message.format(root=tmp_path, runtime=NODE_RUNTIME_DIR)
    assert without_trace(post.body) == {"errorType": error_type, "errorMessage": expected}


@pytest.mark.parametrize("filename", ["app.js", "app.mjs"])
def test_module_with_a_syntax_error_is_a_user_code_syntax_error(
    start_node: StartNode, api: RuntimeApiDouble, tmp_path: Path, filename: str
) -> None:
    (tmp_path / "package.json").write_text('{"type": "commonjs"}\n')
    (tmp_path / filename).write_text("exports.handler = async () => {\n")
    post = init_failure(start_node, api, tmp_path, "app.handler")
    assert post.body["errorType"] == "Runtime.UserCodeSyntaxError"
    # The rest of the message is V8's wording, which varies between Node.js versions.
    assert post.body["errorMessage"].startswith("SyntaxError: ")


def test_unhandled_rejection_during_init_is_an_init_error(
    start_node: StartNode, api: RuntimeApiDouble, tmp_path: Path
) -> None:
    (tmp_path / "app.mjs").write_text(
        "Promise.reject(new Error('floating'));\nexport const handler = async () => 1;\n"
    )
    runtime = start_node(tmp_path, "app.handler")
    post = api.next_post()
    assert (post.kind, without_trace(post.body)) == (
        "init_error",
        {"errorType": "Runtime.UnhandledPromiseRejection", "errorMessage": "Error: floating"},
    )
    assert runtime.wait_for_exit() == 128


# --- the client's own JavaScript unit tests -----------------------------------------------------


def test_javascript_unit_tests_pass() -> None:
    test_files = sorted(str(path) for path in (NODE_RUNTIME_DIR / "test").glob("*.test.mjs"))
    assert test_files, "no JavaScript unit tests found"
    completed = subprocess.run(
        [node_executable(), "--test", *test_files],
        cwd=NODE_RUNTIME_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
