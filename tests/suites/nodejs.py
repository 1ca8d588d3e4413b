"""Node.js handlers of every style Lambda loads, run through the Invoke API and the API Gateway
of a real lambdock serving `tests/fixtures/projects/nodejs`; a backend's test module subclasses
`NodejsHandlers` and provides the `lam` fixture (a boto3 Lambda client for that stack) and the
`http` fixture (an HTTP client of its APIs).

Expected results, errors and log lines follow AWS's docs "Define Lambda function handler in
Node.js", "AWS Lambda function errors in Node.js", "Log and monitor Node.js Lambda functions",
"Using the Lambda context object to retrieve Node.js function information", and AWS's Node.js
runtime client (aws-lambda-nodejs-runtime-interface-client) where the docs are silent.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.suites.common import catalogue_service, invoke

ORDER_TOTAL = {
    "orderId": "o-42",
    "lines": [
        {"sku": "tea", "name": "Green tea", "quantity": 3, "amount": 1350},
        {"sku": "cup", "name": "Cup", "quantity": 1, "amount": 1200},
    ],
    "totalCents": 2550,
}
TIMEOUT_MESSAGE = re.compile(
    r"^RequestId: (?P<id>\S+) Error: Task timed out after 1\.\d\d seconds$"
)


class NodejsHandlers:
    """What every backend must do with the Node.js fixture project."""

    def task_root(self, code_folder: str) -> str:
        """LAMBDA_TASK_ROOT as the backend places the fixture's code folder."""
        raise NotImplementedError

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("CjsModuleExports", {"style": "module.exports.handler", "event": {"n": 1}}),
            ("EsmMjs", {"style": "esm .mjs", "event": {"n": 1}, "file": "esm.mjs"}),
            (
                "EsmTypeModule",
                {"style": "type module .js", "greeting": "hello, world", "loadedAt": "init"},
            ),
            ("Nested", {"style": "nested", "event": {"n": 1}, "folder": "src"}),
            ("Promise", {"style": "promise", "event": {"n": 1}}),
            ("Callback", {"style": "callback", "event": {"n": 1}}),
            ("ContextSucceed", {"style": "context.succeed"}),
            ("ContextDone", {"style": "context.done"}),
        ],
    )
    def test_each_handler_style_returns_its_result(
        self, lam: Any, name: str, expected: dict[str, Any]
    ) -> None:
        result = invoke(lam, name, {"n": 1})
        assert (result.response["StatusCode"], result.function_error) == (200, None)
        assert result.body == expected

    def test_commonjs_exports_handler_gets_the_event_and_its_request_id(self, lam: Any) -> None:
        result = invoke(lam, "CjsExports", {"orderId": "o-1"})
        assert result.body == {
            "style": "exports.handler",
            "event": {"orderId": "o-1"},
            "functionName": "CjsExports",
            "awsRequestId": result.request_id,
        }

    def test_callback_result_waits_for_the_empty_event_loop(self, lam: Any) -> None:
        result = invoke(lam, "CallbackWaits")
        assert result.body == {"timerFired": True}
        messages = [message for _, _, message in result.log_lines()]
        assert messages == ["timer fired"]

    def test_callback_without_waiting_answers_while_a_timer_is_pending(self, lam: Any) -> None:
        # The pending timer outlives the 3 s timeout: waiting for it would time out.
        result = invoke(lam, "CallbackNoWait")
        assert (result.function_error, result.body) == (None, {"style": "callback without waiting"})

    @pytest.mark.parametrize(
        ("name", "error_type", "message"),
        [
            ("CallbackError", "TypeError", "bad input"),
            ("ContextFail", "Error", "failed through context.fail"),
            ("ThrowsSubclass", "ValidationError", "amount must be positive"),
        ],
    )
    def test_an_error_is_unhandled_with_its_class_as_error_type(
        self, lam: Any, name: str, error_type: str, message: str
    ) -> None:
        result = invoke(lam, name)
        assert (result.response["StatusCode"], result.function_error) == (200, "Unhandled")
        body = result.body
        assert list(body) == ["errorType", "errorMessage", "trace"]
        assert (body["errorType"], body["errorMessage"]) == (error_type, message)
        assert body["trace"][0] == f"{error_type}: {message}"
        assert all(frame.startswith("    at ") for frame in body["trace"][1:])

    def test_nodes_error_body_passes_through_byte_for_byte(self, lam: Any) -> None:
        # The runtime posts JSON.stringify({errorType, errorMessage, trace}); Lambda returns it
        # to the caller as the runtime wrote it.
        result = invoke(lam, "ThrowsSubclass")
        trace = json.loads(result.raw)["trace"]
        expected = {
            "errorType": "ValidationError",
            "errorMessage": "amount must be positive",
            "trace": trace,
        }
        assert result.raw == json.dumps(expected, separators=(",", ":")).encode()

    def test_an_error_is_logged_as_invoke_error_with_the_error_as_json(self, lam: Any) -> None:
        result = invoke(lam, "ThrowsSubclass")
        [(request_id, level, message)] = result.log_lines()
        assert (request_id, level) == (result.request_id, "ERROR")
        label, logged = message.split("\t", 1)
        assert label == "Invoke Error "
        error = json.loads(logged)
        assert (error["errorType"], error["errorMessage"]) == (
            "ValidationError",
            "amount must be positive",
        )
        assert error["stack"][0] == "ValidationError: amount must be positive"

    def test_a_thrown_string_reports_its_typeof_as_error_type(self, lam: Any) -> None:
        result = invoke(lam, "ThrowsString")
        assert result.function_error == "Unhandled"
        assert result.raw == b'{"errorType":"string","errorMessage":"just a string","trace":[]}'

    def test_unhandled_rejection_fails_the_invocation_and_the_next_gets_a_fresh_environment(
        self, lam: Any
    ) -> None:
        before = invoke(lam, "UnhandledRejection").body["environmentId"]
        result = invoke(lam, "UnhandledRejection", {"fail": True})
        assert result.function_error == "Unhandled"
        assert (result.body["errorType"], result.body["errorMessage"]) == (
            "Runtime.UnhandledPromiseRejection",
            "Error: nobody caught this",
        )
        [(_, level, message)] = result.log_lines()
        assert (level, message.split("\t")[0]) == ("ERROR", "Unhandled Promise Rejection ")
        # The runtime exits (code 128) after posting the error: a new environment serves next.
        after = invoke(lam, "UnhandledRejection")
        assert after.function_error is None
        assert after.body["environmentId"] != before

    def test_uncaught_exception_fails_the_invocation_and_the_next_gets_a_fresh_environment(
        self, lam: Any
    ) -> None:
        before = invoke(lam, "UncaughtException").body["environmentId"]
        result = invoke(lam, "UncaughtException", {"fail": True})
        assert result.function_error == "Unhandled"
        assert (result.body["errorType"], result.body["errorMessage"]) == (
            "RangeError",
            "thrown from a timer",
        )
        [(_, level, message)] = result.log_lines()
        assert (level, message.split("\t")[0]) == ("ERROR", "Uncaught Exception ")
        after = invoke(lam, "UncaughtException")
        assert after.function_error is None
        assert after.body["environmentId"] != before

    def test_a_handler_past_its_timeout_is_sandbox_timedout_then_a_fresh_environment_serves(
        self, lam: Any
    ) -> None:
        before = invoke(lam, "Sleep", {"ms": 0}).body["environmentId"]
        result = invoke(lam, "Sleep", {"ms": 5000})
        assert result.function_error == "Unhandled"
        assert result.body["errorType"] == "Sandbox.Timedout"
        match = TIMEOUT_MESSAGE.match(result.body["errorMessage"])
        assert match is not None and match["id"] == result.request_id
        assert re.search(rf"Z {result.request_id} Task timed out after 1\.\d\d seconds", result.log)
        after = invoke(lam, "Sleep", {"ms": 0})
        assert after.function_error is None
        assert after.body["environmentId"] != before

    def test_a_result_over_6mb_is_response_size_too_large_and_the_environment_serves_on(
        self, lam: Any
    ) -> None:
        # AWS doc "Lambda quotas": 6 MB for a synchronous response.
        result = invoke(lam, "BigResponse", {"bytes": 7 * 1024 * 1024})
        assert result.function_error == "Unhandled"
        assert result.body["errorType"] == "Function.ResponseSizeTooLarge"
        assert invoke(lam, "BigResponse", {"bytes": 2}).body == "xx"

    def test_console_lines_carry_timestamp_request_id_and_level(self, lam: Any) -> None:
        result = invoke(lam, "Logging")
        assert result.body == "logged"
        assert result.log_lines() == [
            (result.request_id, "INFO", "log text 7"),
            (result.request_id, "INFO", "info { key: 'value' }"),
            (result.request_id, "WARN", "warn"),
            (result.request_id, "ERROR", "error"),
            # A multi-line message stays one log event: newlines become carriage returns.
            (result.request_id, "INFO", "two\rlines"),
        ]
        lines = result.log.rstrip("\n").split("\n")
        assert lines[0] == f"START RequestId: {result.request_id} Version: $LATEST"
        assert lines[-2] == f"END RequestId: {result.request_id}"
        assert lines[-1].startswith(f"REPORT RequestId: {result.request_id}\tDuration: ")

    def test_context_carries_the_invocation_and_the_time_left(self, lam: Any) -> None:
        client_context = {"custom": {"tenant": "t-1"}, "env": {}, "client": {}}
        encoded = base64.b64encode(json.dumps(client_context).encode()).decode()
        result = invoke(lam, "Context", ClientContext=encoded)
        body = result.body
        assert 0 < body.pop("remainingMs") <= 3000
        assert body.pop("traceId").startswith("Root=1-")
        assert body.pop("taskRoot") == self.task_root("cjs")
        assert body == {
            "functionName": "Context",
            "functionVersion": "$LATEST",
            "memoryLimitInMB": "256",
            "invokedFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:Context",
            "awsRequestId": result.request_id,
            "logGroupName": "/aws/lambda/Context",
            "clientContext": client_context,
            "executionEnv": "AWS_Lambda_nodejs20.x",
            "handler": "styles.context",
        }

    @pytest.mark.parametrize(
        ("name", "error_type", "message_start"),
        [
            (
                "MissingDependency",
                "Runtime.ImportModuleError",
                "Error: Cannot find module 'package-that-is-not-installed'\nRequire stack:\n- ",
            ),
            ("SyntaxError", "Runtime.UserCodeSyntaxError", "SyntaxError: Unexpected token '}'"),
            (
                "HandlerNotExported",
                "Runtime.HandlerNotFound",
                "exports_other.handler is undefined or not exported",
            ),
        ],
    )
    def test_an_init_error_is_returned_every_time_with_the_uncaught_exception_logged(
        self, lam: Any, name: str, error_type: str, message_start: str
    ) -> None:
        for _ in range(2):  # Lambda runs the init again on the next invocation
            result = invoke(lam, name)
            assert result.function_error == "Unhandled"
            assert list(result.body) == ["errorType", "errorMessage", "trace"]
            assert result.body["errorType"] == error_type
            assert result.body["errorMessage"].startswith(message_start)
            # Logged during init, before any request id exists: Node's runtime prints undefined.
            [(request_id, level, message)] = result.log_lines()
            assert (request_id, level) == ("undefined", "ERROR")
            assert message.startswith('Uncaught Exception \t{"errorType":"' + error_type)
            assert f"START RequestId: {result.request_id}" in result.log

    @pytest.fixture
    def catalogue(self) -> Iterator[tuple[str, list[str]]]:
        """The catalogue database the recipe task reads, on 127.0.0.1."""
        with catalogue_service() as service:
            yield service

    def test_recipe_task_prices_an_order_from_the_database_over_http(
        self, lam: Any, catalogue: tuple[str, list[str]]
    ) -> None:
        url, requests = catalogue
        order = {
            "orderId": "o-42",
            "databaseUrl": url,
            "items": [{"sku": "tea", "quantity": 3}, {"sku": "cup", "quantity": 1}],
        }
        result = invoke(lam, "OrderTotal", order)
        assert result.function_error is None
        assert result.body == ORDER_TOTAL
        assert requests == ["/items/tea", "/items/cup"]
        assert [message for _, _, message in result.log_lines("INFO")] == [
            "processing order o-42: 2 items",
            "order o-42 totals 2550 cents",
        ]

    def test_recipe_task_reports_a_missing_item_as_its_own_error_type(
        self, lam: Any, catalogue: tuple[str, list[str]]
    ) -> None:
        url, _ = catalogue
        order = {"orderId": "o-43", "databaseUrl": url, "items": [{"sku": "kettle", "quantity": 1}]}
        result = invoke(lam, "OrderTotal", order)
        assert result.function_error == "Unhandled"
        assert (result.body["errorType"], result.body["errorMessage"]) == (
            "ItemNotFoundError",
            "item kettle is not in the catalogue",
        )

    # Through the API Gateway (AWS docs "Lambda proxy integrations in API Gateway" for REST APIs,
    # payload 1.0; "Working with AWS Lambda proxy integrations for HTTP APIs", payload 2.0).

    def test_recipe_task_behind_a_rest_api_answers_with_its_proxy_result(
        self, http: httpx.Client, catalogue: tuple[str, list[str]]
    ) -> None:
        url, requests = catalogue
        order = {
            "orderId": "o-42",
            "databaseUrl": url,
            "items": [{"sku": "tea", "quantity": 3}, {"sku": "cup", "quantity": 1}],
        }
        response = http.post("/rest/orders", json=order)
        assert (response.status_code, response.headers["content-type"]) == (
            200,
            "application/json",
        )
        assert response.json() == ORDER_TOTAL
        assert requests == ["/items/tea", "/items/cup"]

    def test_recipe_task_behind_an_http_api_decodes_a_base64_body(
        self, http: httpx.Client, catalogue: tuple[str, list[str]]
    ) -> None:
        # An HTTP API hands a body whose content type is not text to the function base64-encoded.
        url, _ = catalogue
        order = {
            "orderId": "o-42",
            "databaseUrl": url,
            "items": [{"sku": "tea", "quantity": 3}, {"sku": "cup", "quantity": 1}],
        }
        response = http.post(
            "/http/orders",
            content=json.dumps(order).encode(),
            headers={"content-type": "application/octet-stream"},
        )
        assert response.status_code == 200
        assert response.json() == ORDER_TOTAL

    def test_a_result_without_status_code_behind_an_http_api_is_a_200_json_body(
        self, http: httpx.Client
    ) -> None:
        # Payload 2.0: a result that is not a proxy response is the body of a 200.
        response = http.get("/http/hello", params={"x": "1"})
        assert (response.status_code, response.headers["content-type"]) == (
            200,
            "application/json",
        )
        body = response.json()
        assert body["style"] == "exports.handler"
        event = body["event"]
        assert (event["version"], event["rawPath"], event["rawQueryString"]) == (
            "2.0",
            "/http/hello",
            "x=1",
        )

    def test_a_thrown_error_behind_the_gateway_is_502_on_rest_and_500_on_http_apis(
        self, http: httpx.Client
    ) -> None:
        rest = http.get("/rest/fail")
        assert (rest.status_code, rest.json()) == (502, {"message": "Internal server error"})
        assert rest.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
        http_api = http.get("/http/fail")
        assert (http_api.status_code, http_api.json()) == (
            500,
            {"message": "Internal Server Error"},
        )
