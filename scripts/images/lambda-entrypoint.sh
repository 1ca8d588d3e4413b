#!/bin/sh
# Entry point of lambdock's test image shaped like AWS's Lambda base images
# (public.ecr.aws/lambda/python): the handler comes as the only argument (the image's CMD),
# is exported as _HANDLER, and the runtime bootstrap takes over.
if [ "$#" -ne 1 ]; then
  echo "lambda-entrypoint.sh: expected exactly one argument, the handler name" >&2
  exit 142
fi
export _HANDLER="$1"
# AWS's images fall back to the Runtime Interface Emulator when no Runtime API is given;
# this image has none, so the caller (lambdock) must provide AWS_LAMBDA_RUNTIME_API.
if [ -z "${AWS_LAMBDA_RUNTIME_API:-}" ]; then
  echo "lambda-entrypoint.sh: AWS_LAMBDA_RUNTIME_API is not set (no emulator in this image)" >&2
  exit 1
fi
exec "${LAMBDA_RUNTIME_DIR:-/var/runtime}/bootstrap"
