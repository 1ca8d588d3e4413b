"""AWS wire constants shared by lambdock's servers, its runtime clients' tests and its tests."""

from typing import Final

# Lambda Runtime API, version 2018-06-01 (AWS docs: "Using the Lambda runtime API").
RUNTIME_PREFIX: Final = "/2018-06-01/runtime"
RUNTIME_NEXT: Final = f"{RUNTIME_PREFIX}/invocation/next"
RUNTIME_INIT_ERROR: Final = f"{RUNTIME_PREFIX}/init/error"
HEADER_REQUEST_ID: Final = "Lambda-Runtime-Aws-Request-Id"
HEADER_DEADLINE_MS: Final = "Lambda-Runtime-Deadline-Ms"
HEADER_FUNCTION_ARN: Final = "Lambda-Runtime-Invoked-Function-Arn"
HEADER_TRACE_ID: Final = "Lambda-Runtime-Trace-Id"
HEADER_CLIENT_CONTEXT: Final = "Lambda-Runtime-Client-Context"
HEADER_COGNITO_IDENTITY: Final = "Lambda-Runtime-Cognito-Identity"
HEADER_FUNCTION_ERROR_TYPE: Final = "Lambda-Runtime-Function-Error-Type"

# Lambda Invoke API, version 2015-03-31 (AWS API reference: Invoke).
INVOKE_PREFIX: Final = "/2015-03-31/functions"
HEADER_INVOCATION_TYPE: Final = "X-Amz-Invocation-Type"
HEADER_LOG_TYPE: Final = "X-Amz-Log-Type"
HEADER_LOG_RESULT: Final = "X-Amz-Log-Result"
HEADER_FUNCTION_ERROR: Final = "X-Amz-Function-Error"
HEADER_EXECUTED_VERSION: Final = "X-Amz-Executed-Version"
HEADER_CLIENT_CONTEXT_IN: Final = "X-Amz-Client-Context"
HEADER_AMZN_REQUEST_ID: Final = "x-amzn-RequestId"
HEADER_ERROR_TYPE: Final = "x-amzn-ErrorType"
HEADER_TRACE_ID_IN: Final = "X-Amzn-Trace-Id"

# lambdock's own paths.
ADMIN_PREFIX: Final = "/_lambdock"
HEALTH_PATH: Final = f"{ADMIN_PREFIX}/health"
RESERVED_PREFIXES: Final = ("/2015-03-31/", f"{ADMIN_PREFIX}/", ADMIN_PREFIX)

# Lambda's quotas (AWS docs: "Lambda quotas").
SYNC_PAYLOAD_LIMIT: Final = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT: Final = 1024 * 1024
# The Runtime API accepts a response up to this size before it answers 413.
RESPONSE_PAYLOAD_LIMIT: Final = 6 * 1024 * 1024
TAIL_LOG_BYTES: Final = 4096
LATEST: Final = "$LATEST"
DEFAULT_ACCOUNT_ID: Final = "123456789012"

# Error types of the Invoke API and of the runtime, as AWS spells them.
RESOURCE_NOT_FOUND: Final = "ResourceNotFoundException"
INVALID_REQUEST_CONTENT: Final = "InvalidRequestContentException"
INVALID_PARAMETER_VALUE: Final = "InvalidParameterValueException"
REQUEST_TOO_LARGE: Final = "RequestTooLargeException"
TOO_MANY_REQUESTS: Final = "TooManyRequestsException"
SERVICE_EXCEPTION: Final = "ServiceException"
UNHANDLED: Final = "Unhandled"
RUNTIME_EXIT_ERROR: Final = "Runtime.ExitError"
RUNTIME_INVALID_ENTRYPOINT: Final = "Runtime.InvalidEntrypoint"
SANDBOX_TIMEDOUT: Final = "Sandbox.Timedout"
RESPONSE_TOO_LARGE: Final = "Function.ResponseSizeTooLarge"

# Environment variables that Lambda sets in an execution environment.
ENV_RUNTIME_API: Final = "AWS_LAMBDA_RUNTIME_API"
ENV_HANDLER: Final = "_HANDLER"
ENV_TASK_ROOT: Final = "LAMBDA_TASK_ROOT"
ENV_RUNTIME_DIR: Final = "LAMBDA_RUNTIME_DIR"
