// The context object (AWS doc "Using the Lambda context object to retrieve Node.js function
// information") and the wire helpers of the client and the loop.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { serializeResult } from '../bootstrap.mjs';
import { parseAddress } from '../client.mjs';
import { buildContext, forwardTraceId } from '../context.mjs';

const HEADERS = {
  'lambda-runtime-aws-request-id': 'req-1',
  'lambda-runtime-deadline-ms': '1700000030000',
  'lambda-runtime-invoked-function-arn': 'arn:aws:lambda:us-east-1:123456789012:function:fn',
  'lambda-runtime-trace-id': 'Root=1-65a00000-000000000000000000000000;Parent=1;Sampled=0',
};
const ENV = {
  AWS_LAMBDA_FUNCTION_NAME: 'fn',
  AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/fn',
  AWS_LAMBDA_LOG_STREAM_NAME: '2024/01/01/[$LATEST]abc',
};
const COMPLETION = { succeed: () => 'succeed', fail: () => 'fail', done: () => 'done' };

test('the context holds the invocation headers and the function environment', () => {
  const context = buildContext(HEADERS, COMPLETION, { env: ENV, now: () => 1700000000000 });
  const { succeed, fail, done, getRemainingTimeInMillis, ...data } = context;
  assert.deepEqual(data, {
    callbackWaitsForEmptyEventLoop: true,
    functionVersion: '$LATEST',
    functionName: 'fn',
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/fn',
    logStreamName: '2024/01/01/[$LATEST]abc',
    clientContext: undefined,
    identity: undefined,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fn',
    awsRequestId: 'req-1',
    tenantId: undefined,
  });
  assert.deepEqual([succeed(), fail(), done()], ['succeed', 'fail', 'done']);
  assert.equal(getRemainingTimeInMillis(), 30000);
});

test('the remaining time counts down with the clock', () => {
  let now = 1700000000000;
  const context = buildContext(HEADERS, COMPLETION, { env: ENV, now: () => now });
  now += 29_000;
  assert.equal(context.getRemainingTimeInMillis(), 1000);
});

test('client context and Cognito identity headers are parsed from JSON', () => {
  const headers = {
    ...HEADERS,
    'lambda-runtime-client-context': '{"client":{"app_title":"demo"},"custom":{"k":"v"}}',
    'lambda-runtime-cognito-identity': '{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}',
  };
  const context = buildContext(headers, COMPLETION, { env: ENV });
  assert.deepEqual(context.clientContext, { client: { app_title: 'demo' }, custom: { k: 'v' } });
  assert.deepEqual(context.identity, { cognitoIdentityId: 'id', cognitoIdentityPoolId: 'pool' });
});

test('a malformed client context header fails with AWS wording', () => {
  const headers = { ...HEADERS, 'lambda-runtime-client-context': '{oops' };
  assert.throws(() => buildContext(headers, COMPLETION, { env: ENV }), {
    message: /^Cannot parse ClientContext as json: SyntaxError: /,
  });
});

test('the trace header is forwarded as _X_AMZN_TRACE_ID and a stale one is cleared', () => {
  const env = {};
  forwardTraceId(HEADERS, env);
  assert.equal(env._X_AMZN_TRACE_ID, HEADERS['lambda-runtime-trace-id']);
  forwardTraceId({}, env);
  assert.equal('_X_AMZN_TRACE_ID' in env, false);
});

test('a result serialises to JSON, with undefined as null', () => {
  assert.equal(serializeResult({ ok: true }), '{"ok":true}');
  assert.equal(serializeResult(undefined), 'null');
  assert.equal(serializeResult('text'), '"text"');
});

test('a result JSON cannot express fails with AWS wording', () => {
  assert.throws(() => serializeResult({ big: 1n }), {
    message: 'Unable to stringify response body',
  });
});

test('AWS_LAMBDA_RUNTIME_API is host:port', () => {
  assert.deepEqual(parseAddress('127.0.0.1:9001'), { hostname: '127.0.0.1', port: 9001 });
  assert.deepEqual(parseAddress('[::1]:9001'), { hostname: '::1', port: 9001 });
  assert.throws(() => parseAddress(undefined), /AWS_LAMBDA_RUNTIME_API must be host:port/);
});
