"""What the process tests share: the interpreter, the bounded wait and Lambda's environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.unit.runtime.conftest import RUNTIME_PYTHON_DIR

# The interpreter the runtime runs on; point it at another python3 (3.9+) to check that one.
RUNTIME_PYTHON = os.environ.get("LAMBDOCK_TEST_RUNTIME_PYTHON", sys.executable)
WAIT_S = 15.0


def lambda_environment(api_address: str, handler: str, task_root: Path) -> dict[str, str]:
    """The variables Lambda sets for a python3.12 function (no PYTHONUNBUFFERED: not set there).

    Follows the AWS Lambda developer guide, "Defined runtime environment variables".
    """
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": api_address,
        "_HANDLER": handler,
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_LAMBDA_FUNCTION_NAME": "echo-function",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/echo-function",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
        "AWS_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "TZ": ":UTC",
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(RUNTIME_PYTHON_DIR),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
