/**
 * The context object a handler receives, built from the invocation's Runtime API headers and the
 * function's environment variables (AWS doc "Using the Lambda context object to retrieve Node.js
 * function information"). Keys come in the order AWS's runtime assigns them, so a handler that
 * logs `JSON.stringify(context)` sees the same text.
 */

/** Runtime API response headers of `GET /runtime/invocation/next`, as Node lower-cases them. */
export const INVOCATION_HEADERS = Object.freeze({
  requestId: 'lambda-runtime-aws-request-id',
  deadlineMs: 'lambda-runtime-deadline-ms',
  invokedFunctionArn: 'lambda-runtime-invoked-function-arn',
  traceId: 'lambda-runtime-trace-id',
  clientContext: 'lambda-runtime-client-context',
  cognitoIdentity: 'lambda-runtime-cognito-identity',
  tenantId: 'lambda-runtime-aws-tenant-id',
});

/** Parse a JSON header; a malformed one fails the invocation with AWS's wording. */
function parseJsonHeader(text, name) {
  if (text === undefined) {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`Cannot parse ${name} as json: ${error.toString()}`);
  }
}

/**
 * Build the handler's context.
 * `completion` holds the invocation's `succeed`, `fail` and `done`; `now` is the clock in epoch ms.
 */
export function buildContext(headers, completion, { env = process.env, now = Date.now } = {}) {
  const deadlineMs = Number(headers[INVOCATION_HEADERS.deadlineMs]);
  return {
    // The callback style reads this flag when the callback is called (bootstrap.mjs).
    callbackWaitsForEmptyEventLoop: true,
    succeed: completion.succeed,
    fail: completion.fail,
    done: completion.done,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    // A string, as AWS's runtime passes the environment variable through unchanged.
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parseJsonHeader(headers[INVOCATION_HEADERS.clientContext], 'ClientContext'),
    identity: parseJsonHeader(headers[INVOCATION_HEADERS.cognitoIdentity], 'CognitoIdentity'),
    invokedFunctionArn: headers[INVOCATION_HEADERS.invokedFunctionArn],
    awsRequestId: headers[INVOCATION_HEADERS.requestId],
    tenantId: headers[INVOCATION_HEADERS.tenantId],
    getRemainingTimeInMillis: () => deadlineMs - now(),
  };
}

/** Expose the invocation's X-Ray trace header to the SDKs, as Lambda does, or clear a stale one. */
export function forwardTraceId(headers, env = process.env) {
  const traceId = headers[INVOCATION_HEADERS.traceId];
  if (traceId) {
    env._X_AMZN_TRACE_ID = traceId;
  } else {
    delete env._X_AMZN_TRACE_ID;
  }
}
