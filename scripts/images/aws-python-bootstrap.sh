#!/bin/sh
# /var/runtime/bootstrap of lambdock's AWS-like Python test image: runs the official runtime
# interface client (awslambdaric, unpacked into /var/runtime) on the handler in _HANDLER.
# Lambda's Python runtimes put the runtime directory on PYTHONPATH and name the runtime in
# AWS_EXECUTION_ENV; the handler module is found from the working directory, /var/task.
export PYTHONPATH="${LAMBDA_RUNTIME_DIR:-/var/runtime}${PYTHONPATH:+:$PYTHONPATH}"
export AWS_EXECUTION_ENV="${AWS_EXECUTION_ENV:-AWS_Lambda_python3.11}"
exec python3 -m awslambdaric "$_HANDLER"
